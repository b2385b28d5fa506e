namespace StaticD.Site;

/// <summary>Recognises request paths whose file name carries a content hash (what bundlers emit for long-lived
/// assets), for the built-in "immutable" cache rule in <see cref="CacheRules"/>.</summary>
/// <remarks>
/// <para>What the build tools emit by default, from their documentation and source:</para>
/// <list type="bullet">
/// <item>Rollup, Rolldown and so Vite: "[name]-[hash].js", "assets/[name]-[hash][extname]"; [hash] is 8 characters of
/// url-safe base64 (A-Z a-z 0-9 - _), so the hash may itself contain '-' or '_' ("index-CJ-nxh_-.css"). Astro
/// writes "[name].[hash]" with the same hashes ("index.DRf8L97S.js").</item>
/// <item>esbuild: "[name]-[hash]"; [hash] is the first 8 characters of standard base32 (A-Z 2-7), "app-5XQZ2JDN.js".</item>
/// <item>webpack: "[name].[contenthash].js"; lower-case hex, 20 characters by default (output.hashDigestLength), 16
/// with experiments.futureDefaults (xxhash64), "[contenthash:8]" in many configurations; also "[name]-[contenthash]".
/// Create React App: "main.[8 hex].js", "[id].[8 hex].chunk.js", "static/media/[name].[8 hex].[ext]". Parcel:
/// "[name].[8 hex].js".</item>
/// <item>Next.js: "/_next/static/chunks/[name]-[16 hex].js", "/_next/static/chunks/[id].[16 hex].js",
/// "/_next/static/css/[16 hex].css", "/_next/static/media/[name].[8 hex].woff2", and files without a hash of their
/// own in a directory named after the build ID ("/_next/static/[buildId]/_buildManifest.js").</item>
/// </list>
/// <para>The heuristic is deliberately lopsided. A false positive caches a mutable file for a year with no way to
/// revalidate; a false negative only costs an hour's max-age. Where a random hash can look like an ordinary name
/// (a base64url hash that happens to read "Settings", a hex hash of digits only that could be a date) it is left
/// out.</para>
/// </remarks>
internal static class HashedNames
{
    /// <summary>
    /// Whether a request path names a file whose name changes whenever its content does: the path lies under
    /// "/_next/static/" (everything Next.js writes there is fingerprinted by name or by build-ID directory, and
    /// Next.js's own server sends it as immutable), or <see cref="LooksContentHashed"/> holds for its last segment.
    /// </summary>
    public static bool IsFingerprintedPath(ReadOnlySpan<byte> normalizedPath)
    {
        if (normalizedPath.IndexOf("/_next/static/"u8) >= 0)
        {
            return true;
        }

        return LooksContentHashed(normalizedPath[(normalizedPath.LastIndexOf((byte)'/') + 1)..]);
    }

    /// <summary>
    /// Whether a file name looks like a build tool put a content hash in it, so the name changes
    /// whenever the content does.
    /// </summary>
    /// <remarks>
    /// <para>The name must have an extension. Each '.'-separated part before the extension (the extension is what
    /// follows the last '.'; "main.3f9a1c2b.css.map" has the parts "main", "3f9a1c2b" and "css") is a hash, or ends
    /// in one, when:</para>
    /// <list type="number">
    /// <item>hex (webpack, Create React App, Parcel, Next.js): the whole part, or what follows its last '-' or '_', is at
    /// least 8 lower-case hex digits with at least one digit and one letter ("app.3f9a1c2b.js", "chunk-5e1d7a90.js",
    /// "3f9a1c2b.js"). A part of exactly 8 decimal digits also counts when it follows the name (not the first part),
    /// is not a date (YYYYMMDD), and the file is a script, style sheet or source map, or a ".chunk" follows it
    /// ("main.12345678.chunk.js"); 2.3% of random 8-digit hex hashes are all decimal. Hex of letters only ("deadbeef")
    /// does not count (0.04% of hashes). A UUID ("550e8400-e29b-41d4-a716-446655440000") is not a hash;</item>
    /// <item>url-safe base64 or base32 (Rollup, Vite, Rolldown, esbuild, Astro): the part ends in '-' and 8 characters
    /// of [A-Za-z0-9_-] ("index-CJ-nxh_-", "app-5XQZ2JDN"), or is, after the first part, exactly such 8 characters
    /// ("index.DRf8L97S"); and those 8 characters do not read as words (<see cref="ReadsAsWords"/>), so
    /// "my-app-settings.js", "UserCard", "iPhone15", "1024x768" and "README-FEATURES.md" stay out.</item>
    /// </list>
    /// <para>Runs per response when no path or content-type rule matched; it only reads the bytes and allocates nothing.</para>
    /// </remarks>
    public static bool LooksContentHashed(ReadOnlySpan<byte> fileName)
    {
        int extension = fileName.LastIndexOf((byte)'.');
        if (extension <= 0)
        {
            return false;
        }

        ReadOnlySpan<byte> ext = fileName[(extension + 1)..];
        ReadOnlySpan<byte> stem = fileName[..extension];
        bool first = true;
        while (true)
        {
            int dot = stem.IndexOf((byte)'.');
            ReadOnlySpan<byte> part = dot < 0 ? stem : stem[..dot];
            ReadOnlySpan<byte> next = dot < 0 ? ext : NextPart(stem[(dot + 1)..]);
            if (IsHashedPart(part, first, next, ext))
            {
                return true;
            }

            if (dot < 0)
            {
                return false;
            }

            stem = stem[(dot + 1)..];
            first = false;
        }
    }

    private const int Base64HashLength = 8;

    private static ReadOnlySpan<byte> NextPart(ReadOnlySpan<byte> rest)
    {
        int dot = rest.IndexOf((byte)'.');
        return dot < 0 ? rest : rest[..dot];
    }

    private static bool IsHashedPart(ReadOnlySpan<byte> part, bool first, ReadOnlySpan<byte> next, ReadOnlySpan<byte> ext)
    {
        if (part.Length < 8 || IsUuid(part))
        {
            return false;
        }

        if (IsHex(part, out bool digit, out bool letter))
        {
            if (digit && letter)
            {
                return true;
            }

            // Decimal-only 8-digit hex: "[name].[contenthash:8]" of a script or style sheet, or a CRA ".chunk".
            return !first && !letter && part.Length == 8 && !IsDate(part)
                && (next.SequenceEqual("chunk"u8) || IsScriptOrStyle(ext));
        }

        int separator = part.LastIndexOfAny((byte)'-', (byte)'_');
        if (separator >= 0 && part.Length - separator - 1 >= 8
            && IsHex(part[(separator + 1)..], out digit, out letter) && digit && letter)
        {
            return true;
        }

        if (part.Length > Base64HashLength && part[^(Base64HashLength + 1)] == (byte)'-'
            && IsBase64UrlHash(part[^Base64HashLength..]))
        {
            return true;
        }

        return !first && part.Length == Base64HashLength && IsBase64UrlHash(part);
    }

    private static bool IsScriptOrStyle(ReadOnlySpan<byte> ext) =>
        ext.SequenceEqual("js"u8) || ext.SequenceEqual("mjs"u8) || ext.SequenceEqual("cjs"u8)
        || ext.SequenceEqual("css"u8) || ext.SequenceEqual("map"u8);

    private static bool IsHex(ReadOnlySpan<byte> s, out bool digit, out bool letter)
    {
        digit = letter = false;
        foreach (byte b in s)
        {
            if ((uint)(b - '0') <= 9)
            {
                digit = true;
            }
            else if ((uint)(b - 'a') <= 'f' - 'a')
            {
                letter = true;
            }
            else
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>YYYYMMDD with a year 1900-2099, a month 01-12 and a day 01-31.</summary>
    private static bool IsDate(ReadOnlySpan<byte> s)
    {
        int year = ((s[0] - '0') * 10) + (s[1] - '0');
        int month = ((s[4] - '0') * 10) + (s[5] - '0');
        int day = ((s[6] - '0') * 10) + (s[7] - '0');
        return year is 19 or 20 && month is >= 1 and <= 12 && day is >= 1 and <= 31;
    }

    /// <summary>8-4-4-4-12 hex digits.</summary>
    private static bool IsUuid(ReadOnlySpan<byte> s)
    {
        if (s.Length != 36)
        {
            return false;
        }

        for (int i = 0; i < s.Length; i++)
        {
            bool dash = i is 8 or 13 or 18 or 23;
            byte b = s[i];
            bool ok = dash ? b == (byte)'-' : (uint)(b - '0') <= 9 || (uint)((b | 0x20) - 'a') <= 'f' - 'a';
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsBase64UrlHash(ReadOnlySpan<byte> s)
    {
        foreach (byte b in s)
        {
            if (!IsAlphaNumeric(b) && b is not ((byte)'-' or (byte)'_'))
            {
                return false;
            }
        }

        return !ReadsAsWords(s);
    }

    private static bool IsAlphaNumeric(byte b) => IsLower(b) || IsUpper(b) || IsDigit(b);

    private static bool IsLower(byte b) => (uint)(b - 'a') <= 'z' - 'a';

    private static bool IsUpper(byte b) => (uint)(b - 'A') <= 'Z' - 'A';

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    /// <summary>
    /// Whether 8 characters of [A-Za-z0-9_-] read as words a person wrote rather than a random hash. Split at '-' and
    /// '_', between letters and digits and at the capitals of camelCase or PascalCase ("HTMLCard" is "HTML" and
    /// "Card"), they must form at most 3 words, at most one of them a single letter and at most one of them a short
    /// word without a vowel ("btn", "svg"); every word of 2 or 3 letters that has capitals must have a vowel, and
    /// every longer word must be pronounceable (<see cref="IsPronounceable"/>).
    /// </summary>
    /// <remarks>Random strings rarely split into so few words, and rarely pronounceably: about 0.5% of random
    /// base64url hashes and 4.5% of random base32 ones (mostly capitals only that read as a word) read as words and
    /// are given up (measured in HashedNamesTests).</remarks>
    private static bool ReadsAsWords(ReadOnlySpan<byte> s)
    {
        int words = 0, singleLetters = 0, vowelless = 0, digitRuns = 0, capitalLetters = 0, i = 0;
        bool allCapitals = true, separator = false;
        foreach (byte b in s)
        {
            if (IsUpper(b))
            {
                capitalLetters++;
            }
            else if (IsLower(b))
            {
                allCapitals = false;
            }
            else if (!IsDigit(b))
            {
                separator = true;
            }
        }

        allCapitals &= capitalLetters > 0;
        if (allCapitals && s.IndexOfAnyInRange((byte)'0', (byte)'9') >= 0)
        {
            // Capitals and digits: esbuild's base32, not "FEATURES" or "READ-ME".
            return false;
        }

        while (i < s.Length)
        {
            byte b = s[i];
            if (b is (byte)'-' or (byte)'_')
            {
                i++;
                continue;
            }

            words++;
            int start = i;
            if (IsDigit(b))
            {
                while (i < s.Length && IsDigit(s[i]))
                {
                    i++;
                }

                // Digit runs apart from one another only as in "1024x768" or "2024-01-31".
                if (digitRuns++ > 0 && !(s[start - 1] is (byte)'x' or (byte)'-' or (byte)'_'))
                {
                    return false;
                }

                continue;
            }

            bool acronym = false;
            if (IsUpper(b))
            {
                int end = i + 1;
                while (end < s.Length && IsUpper(s[end]))
                {
                    end++;
                }

                // A run of capitals is a word; its last one starts the next word when lower-case letters follow ("HTMLCard").
                if (end < s.Length && IsLower(s[end]) && end - i >= 2)
                {
                    end--;
                }

                if (end - i >= 2)
                {
                    acronym = true;
                    i = end;
                }
                else
                {
                    i++;
                }
            }

            if (!acronym)
            {
                while (i < s.Length && IsLower(s[i]))
                {
                    i++;
                }
            }

            ReadOnlySpan<byte> word = s[start..i];
            if (word.Length == 1)
            {
                // Only as in "iPhone15", "1024x768" or "v2"; a lone capital, or any other lone letter, is a hash's.
                bool digitBefore = start > 0 && IsDigit(s[start - 1]);
                bool digitAfter = i < s.Length && IsDigit(s[i]);
                bool capitalAfter = i < s.Length && IsUpper(s[i]);
                bool iPhone = start == 0 && capitalAfter && IsLower(b);
                bool times = b == (byte)'x' && digitBefore && digitAfter;
                bool version = b == (byte)'v' && digitAfter && !digitBefore;
                if (!(iPhone || times || version))
                {
                    return false;
                }

                singleLetters++;
            }
            else if (acronym && !allCapitals)
            {
                // "HTMLCard", "UIButton": capitals among lower-case letters only as a first word of at most 4.
                if (word.Length > 4 || start > 0)
                {
                    return false;
                }
            }
            else if (word.Length <= 3)
            {
                if (!HasVowel(word))
                {
                    if (IsUpper(b))
                    {
                        return false;
                    }

                    vowelless++;
                }
            }
            else if (!IsPronounceable(word))
            {
                return false;
            }
        }

        // Capitals with '-' or '_' only in all capitals or as "Image-01"; three words only as "1024x768", "iPhone15"
        // or lower-case words and digits apart ("ie11-fix", "mp4-clip").
        if (separator && capitalLetters > 0 && !allCapitals && !(words == 2 && digitRuns == 1 && IsDigit(s[^1])))
        {
            return false;
        }

        bool pascal = capitalLetters == 3 && digitRuns == 0 && !separator && IsUpper(s[0]);
        return singleLetters <= 1 && vowelless <= 1
            && (words <= 2 || (words == 3 && (pascal || (digitRuns > 0 && (singleLetters == 1 || (separator && capitalLetters == 0))))));
    }

    private static bool IsVowel(byte b) => (b | 0x20) is (byte)'a' or (byte)'e' or (byte)'i' or (byte)'o' or (byte)'u' or (byte)'y';

    /// <summary>A vowel (a e i o u, or y after the first letter: "yjg" has none, "gym" has one).</summary>
    private static bool HasVowel(ReadOnlySpan<byte> word)
    {
        for (int i = 0; i < word.Length; i++)
        {
            if (IsVowel(word[i]) && (i > 0 || (word[i] | 0x20) != 'y'))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// A word of 4 or more letters (either case) reads as English: it has a vowel (a e i o u, or y after the first
    /// letter: "rhythm"), starts with at most 2 consonants (3 for "s.." and "..r" as in "str", "thr"), has no run of
    /// more than 4 consonants, and no pair of neighbouring letters that English words never use
    /// (<see cref="EnglishBigrams"/>).
    /// </summary>
    private static bool IsPronounceable(ReadOnlySpan<byte> word)
    {
        int vowels = 0, run = 0, previous = -1;
        int leading = -1;
        bool vowel = false;
        for (int i = 0; i < word.Length; i++)
        {
            byte b = word[i];
            int letter = (b | 0x20) - 'a';
            if (previous >= 0 && (EnglishBigrams[previous] & (1u << letter)) == 0)
            {
                return false;
            }

            previous = letter;
            if (IsVowel(b) && (i > 0 || letter != 'y' - 'a'))
            {
                vowel = true;
                vowels++;
                if (leading < 0)
                {
                    leading = i;
                }

                run = 0;
            }
            else if (++run > 4)
            {
                return false;
            }
        }

        if (!vowel)
        {
            return false;
        }

        return leading <= 2 || (leading == 3 && ((word[0] | 0x20) == 's' || (word[2] | 0x20) == 'r'));
    }

    /// <summary>
    /// Row a, bit b: the letter pair (a, b) occurs in a 274,000-word English list (the npm package word-list 4.1.0),
    /// plus "vb" for "navbar". The 63 pairs left out include "bq", "cx", "fz", "jb", "q" before most letters, "zx".
    /// Rarer pairs are kept: they occur where words are joined ("dropzone", "commonjs").
    /// </summary>
    private static readonly uint[] EnglishBigrams =
    [
        0x3FFFFFF, 0x37EFFFF, 0x35FFD9F, 0x37FFFFF, 0x3FFFFFF, 0x17EFFFF, 0x37EFFFF, 0x37FFFFF, 0x3FFFFFF,
        0x15EEF99, 0x17EFFFF, 0x3FFFFFF, 0x37FFFFF, 0x3FFFFFF, 0x3FFFFFF, 0x37EFFFF, 0x05441B1, 0x3FFFFFF,
        0x37FFFFF, 0x37FFFFF, 0x3FFFFFF, 0x33F6DD9 | (1u << ('b' - 'a')), 0x37EFFFF, 0x17FFDFF, 0x3FFFFFF, 0x37DFFDF,
    ];
}
