using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace StaticD.Site;

/// <summary>
/// A glob over request paths, compiled once from configuration and matched per request without
/// allocating.
/// </summary>
/// <remarks>
/// <para>Syntax (case-sensitive, like the file names it selects; no escapes, no character classes —
/// '[', ']' and '\' are ordinary bytes):</para>
/// <list type="bullet">
/// <item><c>*</c> matches any run of bytes within one segment (never '/'); <c>?</c> matches exactly one
/// byte other than '/' (one byte, so a non-ASCII character, two to four UTF-8 bytes, needs as many).</item>
/// <item><c>**</c> must be a whole segment and matches zero or more whole segments, so
/// <c>/docs/**/index.html</c> also matches <c>/docs/index.html</c>. A trailing <c>**</c> matches one or
/// more: <c>/assets/**</c> is everything inside /assets/, not the path "/assets" itself.</item>
/// <item>A pattern without '/' and without <c>**</c> matches the last segment (the file name) at any
/// depth: <c>*.html</c> matches <c>/a/b/x.html</c>.</item>
/// <item>Any other pattern is anchored at the root, with or without a leading '/'
/// (<c>assets/*.js</c> is <c>/assets/*.js</c>), the way .gitignore treats a slash inside a pattern.</item>
/// </list>
/// <para>Rejected: empty patterns, runs of three or more '*', <c>**</c> glued to other characters
/// (<c>**.js</c> — write <c>**/*.js</c> or <c>*.js</c>), empty segments ("//"), "." and ".." segments
/// (normalised paths never contain them, so such a pattern could never match) and control characters.</para>
/// <para>
/// Matching works on two levels, each a greedy scan that remembers only its last star and
/// backtracks to it: segments against pattern segments (where <c>**</c> is the star), and bytes
/// within a segment against a segment glob (where <c>*</c> is). One remembered star per level is
/// enough because neither level has two kinds of star, and the work is bounded by
/// pattern length × path length with no recursion.
/// </para>
/// </remarks>
internal sealed class PathPattern
{
    // Compiled segments; a null entry is "**".
    private readonly byte[]?[] _segments;
    private readonly bool _fileNameOnly;

    private PathPattern(string pattern, byte[]?[] segments, bool fileNameOnly)
    {
        Pattern = pattern;
        _segments = segments;
        _fileNameOnly = fileNameOnly;
    }

    /// <summary>The pattern as configured.</summary>
    public string Pattern { get; }

    public override string ToString() => Pattern;

    public static bool TryCompile(string pattern, [NotNullWhen(true)] out PathPattern? compiled, [NotNullWhen(false)] out string? error)
    {
        compiled = null;
        if (string.IsNullOrEmpty(pattern))
        {
            error = "the pattern is empty";
            return false;
        }

        foreach (char c in pattern)
        {
            if (c < ' ' || c == '\u007f')
            {
                error = "the pattern contains a control character";
                return false;
            }
        }

        if (pattern.Contains("***", StringComparison.Ordinal))
        {
            error = "'***' is not a pattern; use '*' within a segment or '**' for any number of segments";
            return false;
        }

        bool fileNameOnly = !pattern.Contains('/') && !pattern.Contains("**", StringComparison.Ordinal);
        string body = pattern[0] == '/' ? pattern[1..] : pattern;
        string[] parts = body.Split('/');
        var segments = new List<byte[]?>(parts.Length + 1);
        for (int i = 0; i < parts.Length; i++)
        {
            string part = parts[i];
            if (part.Length == 0 && i < parts.Length - 1)
            {
                // An empty last part is a trailing '/', which selects directory paths ("/docs/").
                error = "the pattern has an empty segment ('//')";
                return false;
            }

            if (part is "." or "..")
            {
                error = $"'{part}' segments never occur in a normalised path";
                return false;
            }

            if (part == "**")
            {
                // "**/**" means the same as "**"; collapsing keeps the segment matcher's single
                // remembered star sufficient and the trailing rule below simple.
                if (segments.Count == 0 || segments[^1] is not null)
                {
                    segments.Add(null);
                }

                continue;
            }

            if (part.Contains("**", StringComparison.Ordinal))
            {
                error = $"'**' must be a whole segment (in '{part}'); use '**/{part.Replace("**", "*", StringComparison.Ordinal)}' or '{part.Replace("**", "*", StringComparison.Ordinal)}'";
                return false;
            }

            segments.Add(Encoding.UTF8.GetBytes(part));
        }

        // A trailing "**" means "one or more segments": rewrite it as "*/**" (one segment of
        // anything, then zero or more).
        if (segments[^1] is null)
        {
            segments.Insert(segments.Count - 1, "*"u8.ToArray());
        }

        compiled = new PathPattern(pattern, [.. segments], fileNameOnly);
        error = null;
        return true;
    }

    /// <summary>Whether the decoded, normalised path (starting with '/') matches.</summary>
    public bool IsMatch(ReadOnlySpan<byte> normalizedPath)
    {
        ReadOnlySpan<byte> path = !normalizedPath.IsEmpty && normalizedPath[0] == (byte)'/' ? normalizedPath[1..] : normalizedPath;
        if (_fileNameOnly)
        {
            return SegmentMatches(_segments[0]!, path[(path.LastIndexOf((byte)'/') + 1)..]);
        }

        // The path's segments are path[pos..next '/']; pos == path.Length + 1 means all are used up.
        // "/" is the single empty segment, "a/" is "a" and "".
        int end = path.Length + 1;
        int pos = 0;
        int p = 0;
        int starP = -1, starPos = 0;
        while (pos < end)
        {
            if (p < _segments.Length && _segments[p] is null)
            {
                // "**": first try matching zero segments; remember where to resume if that fails.
                starP = p++;
                starPos = pos;
                continue;
            }

            int slash = path[pos..].IndexOf((byte)'/');
            int segmentEnd = slash < 0 ? path.Length : pos + slash;
            if (p < _segments.Length && SegmentMatches(_segments[p]!, path[pos..segmentEnd]))
            {
                p++;
                pos = segmentEnd + 1;
                continue;
            }

            if (starP < 0)
            {
                return false;
            }

            // Backtrack: let the last "**" swallow one more segment and retry what follows it.
            int starSlash = path[starPos..].IndexOf((byte)'/');
            starPos = starSlash < 0 ? end : starPos + starSlash + 1;
            pos = starPos;
            p = starP + 1;
        }

        while (p < _segments.Length && _segments[p] is null)
        {
            p++;
        }

        return p == _segments.Length;
    }

    /// <summary>Byte glob with '*' and '?' against one segment (which contains no '/').</summary>
    private static bool SegmentMatches(ReadOnlySpan<byte> glob, ReadOnlySpan<byte> segment)
    {
        int g = 0, s = 0;
        int starG = -1, starS = 0;
        while (s < segment.Length)
        {
            if (g < glob.Length)
            {
                byte c = glob[g];
                if (c == (byte)'*')
                {
                    starG = g++;
                    starS = s;
                    continue;
                }

                if (c == (byte)'?' || c == segment[s])
                {
                    g++;
                    s++;
                    continue;
                }
            }

            if (starG < 0)
            {
                return false;
            }

            g = starG + 1;
            s = ++starS;
        }

        while (g < glob.Length && glob[g] == (byte)'*')
        {
            g++;
        }

        return g == glob.Length;
    }
}
