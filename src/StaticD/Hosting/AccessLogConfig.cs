using Microsoft.Extensions.Configuration;
using StaticD.Site;

namespace StaticD.Hosting;

/// <summary>
/// The "AccessLog" key of a site or of the top level: true (the journal, the default), false, or an object
/// <c>{ "Target": "journal" | "file", "Path": "/var/log/staticd/access.log", "Format": "combined" | "json" }</c>.
/// A site that sets AccessLog gets exactly what it wrote; one that does not inherits the top level's whole value
/// (as an nginx access_log in a server block replaces the http block's): the object is never merged key by key.
/// </summary>
internal static class AccessLogConfig
{
    public const string DefaultPath = "/var/log/staticd/access.log";

    /// <summary>Whether requests are logged, to which file (null: the journal) and in which format.</summary>
    public readonly record struct Setting(bool Enabled, string? Path, AccessLogFormat Format);

    /// <param name="owner">The section that holds the AccessLog key (the site's, or the top level it inherits).</param>
    public static Setting Load(IConfigurationSection owner)
    {
        IConfigurationSection entry = owner.GetSection("AccessLog");
        // A plain value wins over children: an environment variable (StaticD__AccessLog=false) may turn off an
        // object written in the file.
        if (entry.Value is not null || !entry.GetChildren().Any())
            return new Setting(ConfigReader.Bool(owner, "AccessLog", true), null, AccessLogFormat.Combined);

        ServerOptions.RejectUnknownKeys(entry, ["Target", "Path", "Format"]);
        string target = entry["Target"] ?? "file";
        if (target.Equals("journal", StringComparison.OrdinalIgnoreCase))
        {
            foreach (string key in new[] { "Path", "Format" })
            {
                if (entry[key] is not null)
                    throw new ConfigException($"{entry.Path}:{key}", "applies only to \"Target\": \"file\"; the journal keeps structured fields");
            }
            return new Setting(true, null, AccessLogFormat.Combined);
        }
        if (!target.Equals("file", StringComparison.OrdinalIgnoreCase))
            throw new ConfigException(entry.Path + ":Target", $"\"{target}\" is not one of journal, file");

        string path = entry["Path"] ?? DefaultPath;
        if (!System.IO.Path.IsPathFullyQualified(path) || path.Contains('\0') || path.EndsWith('/'))
            throw new ConfigException(entry.Path + ":Path", $"\"{path}\" is not an absolute file path; expected e.g. \"{DefaultPath}\"");
        string format = entry["Format"] ?? "combined";
        AccessLogFormat parsed = format.ToLowerInvariant() switch
        {
            "combined" => AccessLogFormat.Combined,
            "json" => AccessLogFormat.Json,
            _ => throw new ConfigException(entry.Path + ":Format", $"\"{format}\" is not one of combined, json"),
        };
        // One writer per file: "/var/log/staticd//a.log" and "/var/log/staticd/x/../a.log" are the same file.
        return new Setting(true, System.IO.Path.GetFullPath(path), parsed);
    }

    /// <summary>Sites sharing a file must write it in one format (a file mixing combined and JSON lines is read by
    /// no tool). The top-level policy counts too: it logs the requests no site answers.</summary>
    public static void CheckShared(SitePolicy topLevel, IEnumerable<SitePolicy> sites, List<ConfigException> problems)
    {
        var first = new Dictionary<string, SitePolicy>(StringComparer.Ordinal);
        foreach (SitePolicy site in sites.Prepend(topLevel))
        {
            if (!site.AccessLog || site.AccessLogPath is not string path) continue;
            if (!first.TryAdd(path, site) && first[path] is { } other && other.AccessLogFormat != site.AccessLogFormat)
            {
                problems.Add(new ConfigException(site.ConfigPath + ":AccessLog:Format",
                    $"\"{Name(site.AccessLogFormat)}\" differs from \"{Name(other.AccessLogFormat)}\" of {other.ConfigPath} for the same file {path}; a file is written in one format"));
            }
        }
    }

    public static string Name(AccessLogFormat format) => format == AccessLogFormat.Json ? "json" : "combined";
}
