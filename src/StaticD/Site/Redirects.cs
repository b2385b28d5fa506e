using System.Text;

namespace StaticD.Site;

/// <summary>
/// One entry of a site's <c>Redirects</c>: an exact path, or a prefix written <c>/old/**</c> that matches "/old"
/// itself and everything below it and hands the rest of the path on to <see cref="To"/>. Paths are compared
/// decoded (as files are looked up), so "/old%20page" and "/old page" are one path.
/// </summary>
internal sealed class RedirectRule(byte[] from, bool isPrefix, byte[] to, int status)
{
    /// <summary>Decoded path; for a prefix rule without the "/**" ("" for "/**" itself).</summary>
    public byte[] From { get; } = from;
    public bool IsPrefix { get; } = isPrefix;
    /// <summary>A path or an absolute URL, as written in configuration (already a valid URI reference).</summary>
    public byte[] To { get; } = to;
    /// <summary>301, 302, 307 or 308.</summary>
    public int Status { get; } = status;
    /// <summary>To carries a query of its own: the request's query is joined with '&amp;'.</summary>
    public bool ToHasQuery { get; } = Array.IndexOf(to, (byte)'?') >= 0;
}

/// <summary>Matching a decoded path against a site's ordered rules (first match wins), and the load-time check
/// that no chain of them loops inside the site.</summary>
internal static class Redirects
{
    /// <summary>The first rule that matches <paramref name="path"/>, with where the rest of the path starts (the
    /// part a prefix rule appends to its target; <paramref name="path"/>.Length when there is none).</summary>
    public static RedirectRule? Match(RedirectRule[] rules, ReadOnlySpan<byte> path, out int restStart)
    {
        foreach (RedirectRule rule in rules)
        {
            ReadOnlySpan<byte> from = rule.From;
            if (!rule.IsPrefix)
            {
                if (path.SequenceEqual(from))
                {
                    restStart = path.Length;
                    return rule;
                }
                continue;
            }
            if (!path.StartsWith(from)) continue;
            if (path.Length == from.Length)
            {
                restStart = path.Length;
                return rule;
            }
            if (path[from.Length] == (byte)'/')
            {
                restStart = from.Length + 1;
                return rule;
            }
        }
        restStart = 0;
        return null;
    }

    /// <summary>A prefix rule's target and the rest of the path are joined by exactly one '/'.</summary>
    public static bool NeedsSlash(RedirectRule rule, int restLength) =>
        restLength > 0 && rule.To.Length > 0 && rule.To[^1] != (byte)'/';

    /// <summary>
    /// Follows every rule whose target is a path of the same site, the way a client would, and reports the first
    /// chain that comes back to a rule it already took ("/a → /b → /a", or "/a/** → /a/b/" which grows forever).
    /// A chain ends at an absolute URL (another origin, or this one: either way the operator's explicit choice) or
    /// at a path no rule matches. Returns null when there is no loop, else the chain as text.
    /// </summary>
    public static string? FindLoop(RedirectRule[] rules)
    {
        for (int start = 0; start < rules.Length; start++)
        {
            RedirectRule first = rules[start];
            byte[] path = first.IsPrefix ? [.. first.From, .. "/x"u8] : first.From;
            var taken = new List<RedirectRule>();
            var chain = new List<string> { Encoding.UTF8.GetString(path) };
            while (Match(rules, path, out int restStart) is { } rule)
            {
                if (taken.Contains(rule)) return string.Join(" → ", chain);
                taken.Add(rule);
                if (rule.To.Length == 0 || rule.To[0] != (byte)'/') break;
                ReadOnlySpan<byte> to = rule.To;
                int query = to.IndexOf((byte)'?');
                if (query >= 0) to = to[..query];
                ReadOnlySpan<byte> rest = path.AsSpan(restStart);
                byte[] next = [.. PercentDecode(to), .. NeedsSlash(rule, rest.Length) ? "/"u8 : [], .. rest];
                path = next;
                chain.Add(Encoding.UTF8.GetString(path));
            }
        }
        return null;
    }

    private static byte[] PercentDecode(ReadOnlySpan<byte> s)
    {
        var result = new List<byte>(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == (byte)'%' && i + 2 < s.Length && Uri.IsHexDigit((char)s[i + 1]) && Uri.IsHexDigit((char)s[i + 2]))
            {
                result.Add((byte)Convert.ToInt32(Encoding.ASCII.GetString(s.Slice(i + 1, 2)), 16));
                i += 2;
            }
            else
            {
                result.Add(s[i]);
            }
        }
        return [.. result];
    }
}
