namespace StaticD.Site;

/// <summary>Recognises file names that carry a content hash (what bundlers emit for long-lived assets), for the
/// built-in "immutable" cache rule in <see cref="CacheRules"/>.</summary>
internal static class HashedNames
{
    /// <summary>
    /// Whether a file name looks like a build tool put a content hash in it, so the name changes
    /// whenever the content does.
    /// </summary>
    /// <remarks>
    /// <para>The name must have an extension. Every '.'-separated part before the extension is a
    /// candidate, and so is every tail of such a part after a '-' or '_' ("chunk-5e1d7a90",
    /// "main-BQ4x7_Zk"; tails rather than '-'/'_'-separated pieces because base64url hashes contain
    /// '-' and '_' themselves). A candidate of at least 8 bytes is a hash when it is either</para>
    /// <list type="bullet">
    /// <item>lower-case hex with at least one digit and one letter (webpack, Parcel, esbuild
    /// "[hash]"; the letter requirement keeps dates and numbers such as "20240101" out), or</item>
    /// <item>base64url-like ([A-Za-z0-9_-], Rollup/Vite's default) with an upper-case letter, a
    /// lower-case letter and a digit, at least three changes of character class between neighbours,
    /// and no run of four lower-case letters. The last two are what tell "D8aF2kLm" from words and
    /// CamelCase names such as "iPhone15", "Section1" or "Base64Encoder".</item>
    /// </list>
    /// <para>The heuristic is deliberately lopsided. A false positive caches a mutable file for a year
    /// with no way to revalidate; a false negative only costs an hour's max-age. So it gives up some
    /// real hashes (about 2% of random 8-character hex hashes, which have no letter or no digit; about
    /// a third of random 8-character base64url hashes, mostly those without a digit) to keep ordinary
    /// names out.</para>
    /// </remarks>
    public static bool LooksContentHashed(ReadOnlySpan<byte> fileName)
    {
        int extension = fileName.LastIndexOf((byte)'.');
        if (extension <= 0)
        {
            return false;
        }

        ReadOnlySpan<byte> stem = fileName[..extension];
        while (true)
        {
            int dot = stem.IndexOf((byte)'.');
            ReadOnlySpan<byte> part = dot < 0 ? stem : stem[..dot];
            if (part.Length >= MinHashLength)
            {
                if (IsHashLike(part))
                {
                    return true;
                }

                for (int i = 0; i <= part.Length - 1 - MinHashLength; i++)
                {
                    if (part[i] is (byte)'-' or (byte)'_' && IsHashLike(part[(i + 1)..]))
                    {
                        return true;
                    }
                }
            }

            if (dot < 0)
            {
                return false;
            }

            stem = stem[(dot + 1)..];
        }
    }

    private const int MinHashLength = 8;

    private static bool IsHashLike(ReadOnlySpan<byte> s)
    {
        if (s.Length < MinHashLength)
        {
            return false;
        }

        int upper = 0, lower = 0, digits = 0, hexLetters = 0, transitions = 0, lowerRun = 0, longestLowerRun = 0;
        int previousClass = -1;
        foreach (byte b in s)
        {
            int cls;
            if ((uint)(b - 'a') <= 'z' - 'a')
            {
                cls = 0;
                lower++;
                if (b <= (byte)'f')
                {
                    hexLetters++;
                }
            }
            else if ((uint)(b - 'A') <= 'Z' - 'A')
            {
                cls = 1;
                upper++;
            }
            else if ((uint)(b - '0') <= 9)
            {
                cls = 2;
                digits++;
            }
            else if (b is (byte)'-' or (byte)'_')
            {
                cls = 3;
            }
            else
            {
                return false;
            }

            lowerRun = cls == 0 ? lowerRun + 1 : 0;
            longestLowerRun = Math.Max(longestLowerRun, lowerRun);
            if (previousClass >= 0 && cls != previousClass)
            {
                transitions++;
            }

            previousClass = cls;
        }

        bool hex = hexLetters == lower && hexLetters + digits == s.Length;
        if (hex && digits > 0 && hexLetters > 0)
        {
            return true;
        }

        return upper > 0 && lower > 0 && digits > 0 && transitions >= 3 && longestLowerRun < 4;
    }
}
