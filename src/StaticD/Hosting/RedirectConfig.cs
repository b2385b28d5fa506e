using System.Text;
using Microsoft.Extensions.Configuration;
using StaticD.Site;

namespace StaticD.Hosting;

/// <summary>Reads a site's <c>Redirects</c> and <c>RedirectTo</c>. Targets go into a Location field byte for byte,
/// so they must already be valid URI references: printable ASCII, no spaces, percent-encoded by the operator.</summary>
internal static class RedirectConfig
{
    private static readonly string[] RuleKeys = ["From", "To", "Status"];
    private static readonly int[] Statuses = [301, 302, 307, 308];

    public static RedirectRule[] LoadRules(IConfigurationSection section)
    {
        if (section.Value is { Length: > 0 })
            throw new ConfigException(section.Path, "is a single value; expected a list of {\"From\": \"/old.html\", \"To\": \"/new.html\"} rules");
        var rules = new List<RedirectRule>();
        foreach (IConfigurationSection rule in section.GetChildren())
        {
            ServerOptions.RejectUnknownKeys(rule, RuleKeys);
            (byte[] from, bool prefix) = From(rule.GetSection("From"));
            byte[] to = Target(rule.GetSection("To"), prefix);
            int status = ConfigReader.Int(rule, "Status", 301, 308, required: false, fallback: 301);
            if (!Statuses.Contains(status))
                throw new ConfigException(rule.GetSection("Status").Path, $"\"{status}\" is not allowed; expected 301, 302, 307 or 308");
            rules.Add(new RedirectRule(from, prefix, to, status));
        }
        RedirectRule[] result = [.. rules];
        if (Redirects.FindLoop(result) is { } loop)
            throw new ConfigException(section.Path, $"these redirects loop inside the site: {loop}; a client would follow them forever");
        return result;
    }

    /// <summary>"/old.html" (exact) or "/old/**" (the path and everything below it). Written decoded or
    /// percent-encoded: both are decoded here, as request paths are before they are compared.</summary>
    private static (byte[], bool) From(IConfigurationSection entry)
    {
        const string Expected = "expected a path starting with '/', exact (\"/old.html\") or ending in \"/**\" for everything below it (\"/blog/**\")";
        string? value = entry.Value;
        if (string.IsNullOrEmpty(value)) throw new ConfigException(entry.Path, $"missing; {Expected}");
        bool prefix = value.EndsWith("/**", StringComparison.Ordinal);
        string path = prefix ? value[..^3] : value;
        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(path);
        }
        catch (UriFormatException)
        {
            throw new ConfigException(entry.Path, $"\"{value}\" is not allowed; {Expected}");
        }
        if (value[0] != '/' || decoded.Contains('*') || decoded.Contains('?') || decoded.Any(char.IsControl) ||
            decoded.Split('/').Skip(1).Any(s => s is "." or ".."))
            throw new ConfigException(entry.Path, $"\"{value}\" is not allowed; {Expected} (no other '*', no '?', no \".\" or \"..\" segments)");
        return (Encoding.UTF8.GetBytes(decoded), prefix);
    }

    private static byte[] Target(IConfigurationSection entry, bool prefix)
    {
        const string Expected = "expected a path on this site (\"/new.html\") or an absolute http(s) URL (\"https://example.com/new/\")";
        string? value = entry.Value;
        if (string.IsNullOrEmpty(value)) throw new ConfigException(entry.Path, $"missing; {Expected}");
        if (!SiteConfig.IsFieldValue(value) || value.Any(c => c is ' ' or '\t' or '"' or '<' or '>' or '\\' or '^' or '`' or '{' or '|' or '}'))
            throw new ConfigException(entry.Path, $"\"{value}\" is not allowed: percent-encode spaces and other characters a URL cannot hold; {Expected}");
        if (value.Contains('#'))
            throw new ConfigException(entry.Path, $"\"{value}\" is not allowed: no fragment ('#'); {Expected}");
        if (prefix && value.Contains('?'))
            throw new ConfigException(entry.Path, $"\"{value}\" is not allowed: a \"/**\" rule appends the rest of the path to its target, which therefore cannot carry a query");
        bool isPath = value[0] == '/' && !value.StartsWith("//", StringComparison.Ordinal);
        if (!isPath && !IsHttpUrl(value, out _))
            throw new ConfigException(entry.Path, $"\"{value}\" is not allowed; {Expected}");
        return Encoding.ASCII.GetBytes(value);
    }

    /// <summary><c>RedirectTo</c>: an origin, "https://example.com" (a trailing '/' is tolerated), that every
    /// request of the site is sent to with its own path and query.</summary>
    public static byte[]? LoadOrigin(IConfigurationSection entry, string[] hosts)
    {
        const string Expected = "expected an origin such as \"https://example.com\" (scheme and host, optionally a port; the request's path and query are appended)";
        if (!entry.Exists()) return null;
        string? value = entry.Value;
        if (string.IsNullOrEmpty(value)) throw new ConfigException(entry.Path, $"empty; {Expected}");
        if (!SiteConfig.IsFieldValue(value) || !IsHttpUrl(value, out Uri? uri) ||
            uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0 || value.TrimEnd('/').Count(c => c == '/') != 2)
            throw new ConfigException(entry.Path, $"\"{value}\" is not allowed; {Expected}");
        string host = uri.Host.TrimEnd('.').ToLowerInvariant();
        if (hosts.Contains(host))
            throw new ConfigException(entry.Path, $"\"{value}\" names this site's own host \"{host}\": every request would be redirected to itself");
        return Encoding.ASCII.GetBytes(value.TrimEnd('/'));
    }

    private static bool IsHttpUrl(string value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Uri? uri) =>
        Uri.TryCreate(value, UriKind.Absolute, out uri) && uri.Scheme is "http" or "https" && uri.Host.Length > 0 &&
        value.All(c => c < 127);
}
