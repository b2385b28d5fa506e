using System.Text.Unicode;

namespace StaticD.Http;

/// <summary>Outcome of <see cref="TargetDecoder.Decode"/>.</summary>
internal enum DecodeStatus : byte
{
    Ok,
    BadRequest,
}

/// <summary>
/// Turns the raw path of a request target into the normalised path that is mapped onto the
/// document root. Everything happens in the caller's buffer: every step only ever shrinks the
/// data, so no copy and no allocation is needed.
/// </summary>
/// <remarks>
/// This is the first of two guards against escaping the document root. The second is the
/// kernel: files are opened with <c>openat2</c> and <c>RESOLVE_BENEATH</c>, which refuses any
/// resolution (including via symlinks) that leaves the root directory. This decoder therefore
/// aims to be strict and predictable rather than to be the only line of defence.
/// </remarks>
internal static class TargetDecoder
{
    /// <summary>Whether <see cref="Decode"/> would change these bytes: only percent-encoding, "." / ".." segments
    /// and repeated slashes do (each shrinks the path), so any other path decodes to itself.</summary>
    public static bool ChangesPath(ReadOnlySpan<byte> path) =>
        path.IndexOf((byte)'%') >= 0 || path.IndexOf("/."u8) >= 0 || path.IndexOf("//"u8) >= 0;

    /// <summary>
    /// Decodes a percent-encoded request path in place and normalises it; on
    /// <see cref="DecodeStatus.Ok"/>, <c>path[..length]</c> is the result.
    /// </summary>
    /// <param name="path">
    /// The raw path (no query), starting with '/'. An empty span means "/": it yields
    /// <see cref="DecodeStatus.Ok"/> with <paramref name="length"/> 0 because a zero-length
    /// buffer cannot hold the '/', so the caller must read an empty result as "/".
    /// </param>
    /// <param name="length">The length of the normalised path; 0 when not Ok (or for empty input).</param>
    public static DecodeStatus Decode(Span<byte> path, out int length)
    {
        length = 0;
        if (path.IsEmpty)
        {
            return DecodeStatus.Ok;
        }

        // Origin-form always starts with '/'; anything else never reaches a file.
        if (path[0] != (byte)'/')
        {
            return DecodeStatus.BadRequest;
        }

        if (!PercentDecode(path, out int decoded))
        {
            return DecodeStatus.BadRequest;
        }

        // Utf8.IsValid rejects overlong encodings (e.g. %C0%AE, a disguised '.') and encoded
        // UTF-16 surrogates, so a path that passes has exactly one meaning.
        if (!Utf8.IsValid(path[..decoded]))
        {
            return DecodeStatus.BadRequest;
        }

        return RemoveDotSegments(path[..decoded], out length);
    }

    /// <summary>
    /// Step 1: decodes every <c>%XX</c> exactly once, in place. Returns false for a malformed
    /// escape or a NUL byte.
    /// </summary>
    /// <remarks>
    /// <c>%2F</c> becomes '/' and then separates segments like a literal '/', as nginx does:
    /// the file system has no way to name a file containing '/', so there is no other meaning
    /// it could have. Decoding happens before dot-segment removal on purpose, so that
    /// <c>%2e%2e</c> and <c>..%2f</c> are normalised (and refused above the root) exactly like
    /// their literal forms. '+' is not a space in a path (that is a form-encoding rule) and stays.
    /// </remarks>
    private static bool PercentDecode(Span<byte> path, out int length)
    {
        int write = 0;
        int read = 0;
        while (read < path.Length)
        {
            byte b = path[read];
            if (b == (byte)'%')
            {
                if (read + 2 >= path.Length)
                {
                    length = 0;
                    return false;
                }

                int hi = HexValue(path[read + 1]);
                int lo = HexValue(path[read + 2]);
                if ((hi | lo) < 0)
                {
                    length = 0;
                    return false;
                }

                b = (byte)((hi << 4) | lo);
                read += 3;
            }
            else
            {
                read++;
            }

            // A NUL would truncate the name at the C boundary of open(2); whether it came
            // encoded or raw, it can only be an attack.
            if (b == 0)
            {
                length = 0;
                return false;
            }

            path[write++] = b;
        }

        length = write;
        return true;
    }

    private static int HexValue(byte c)
    {
        if ((uint)(c - '0') <= 9)
        {
            return c - '0';
        }

        // Folding to lower case lets one range check cover 'A'-'F' and 'a'-'f'.
        uint lower = (uint)(c | 0x20);
        if (lower - 'a' <= 'f' - 'a')
        {
            return (int)(lower - 'a' + 10);
        }

        return -1;
    }

    /// <summary>
    /// Step 3: removes "." and ".." segments (RFC 3986 §5.2.4, "Remove Dot Segments") and merges
    /// runs of '/', in place. A ".." that would climb above the root is refused rather than
    /// clamped, as nginx does (400): a legitimate client never sends one.
    /// </summary>
    /// <remarks>
    /// The output is written behind the read position, which is always at least as far along,
    /// so the in-place copy never overwrites unread input. Invariant between segments: the
    /// output ends with '/'. That makes a trailing "/", "/." or "/.." leave a trailing '/'
    /// (RFC 3986 keeps it too: "/dir/." is "/dir/", "/dir/.." is "/").
    /// A backslash is an ordinary byte in a Linux file name, not a separator, so "..\" is just a
    /// three-byte name here; treating it specially would only invent a second path syntax.
    /// </remarks>
    private static DecodeStatus RemoveDotSegments(Span<byte> path, out int length)
    {
        int n = path.Length;
        int write = 1; // path[0] is the leading '/', kept as is.
        int read = 0;

        while (true)
        {
            // Skip the separator and any repeats of it ("//a///b" means "/a/b").
            while (read < n && path[read] == (byte)'/')
            {
                read++;
            }

            if (read == n)
            {
                break;
            }

            int end = path[read..].IndexOf((byte)'/');
            end = end < 0 ? n : read + end;
            int segmentLength = end - read;

            if (segmentLength == 1 && path[read] == (byte)'.')
            {
                // "." names the current directory: drop it; the output already ends with '/'.
            }
            else if (segmentLength == 2 && path[read] == (byte)'.' && path[read + 1] == (byte)'.')
            {
                if (write == 1)
                {
                    length = 0;
                    return DecodeStatus.BadRequest;
                }

                // Drop the trailing '/' and then the last segment, keeping its leading '/'.
                write--;
                while (path[write - 1] != (byte)'/')
                {
                    write--;
                }
            }
            else
            {
                path.Slice(read, segmentLength).CopyTo(path[write..]);
                write += segmentLength;
                if (end < n)
                {
                    path[write++] = (byte)'/';
                }
            }

            read = end;
        }

        length = write;
        return DecodeStatus.Ok;
    }
}
