using Microsoft.Extensions.Configuration;
using StaticD.Site;

namespace StaticD.Hosting;

/// <summary>
/// Reads <c>StaticD:Sites</c>: each entry is a site with its own <c>Hosts</c> and any per-site key, inheriting the
/// rest from the top level. A broken site does not hide the next one: its first problem is collected and loading
/// goes on, so <c>--check-config</c> names every site that needs fixing in one run.
/// </summary>
internal static class SitesConfig
{
    internal static readonly string[] SiteKeys = ["Hosts", "Root", .. SiteConfig.Keys];

    public static List<SitePolicy> Load(IConfigurationSection top, string? topRoot, string configFile, List<ConfigException> problems)
    {
        IConfigurationSection section = top.GetSection("Sites");
        var sites = new List<SitePolicy>();
        if (section.Value is { Length: > 0 })
        {
            problems.Add(new ConfigException(section.Path, "is a single value; expected a list of sites, each with \"Hosts\" and its own settings"));
            return sites;
        }
        // Every name, with the key that claimed it first.
        var claimed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (IConfigurationSection site in section.GetChildren())
        {
            try
            {
                foreach (IConfigurationSection key in site.GetChildren())
                {
                    string? server = ServerOptions.ServerKeys.FirstOrDefault(k => k.Equals(key.Key, StringComparison.OrdinalIgnoreCase));
                    if (server is not null)
                        throw new ConfigException(key.Path, $"\"{server}\" is server-wide and cannot be set per site; set it once at the top level of {top.Path}");
                }
                ServerOptions.RejectUnknownKeys(site, SiteKeys);
                string[] hosts = ReadHosts(site.GetSection("Hosts"), claimed, problems);
                string root;
                if (site["Root"] is not null) root = ServerOptions.ReadRoot(site, configFile);
                else if (site["RedirectTo"] is not null) root = "";
                else root = topRoot ?? throw new ConfigException(site.Path + ":Root",
                    $"missing; a site needs a directory to serve, its own \"Root\" or one at the top level of {top.Path}, unless it only redirects (\"RedirectTo\")");
                sites.Add(SiteConfig.Load(site, top, root, hosts, configFile));
            }
            catch (ConfigException ex)
            {
                problems.Add(ex);
            }
        }
        return sites;
    }

    /// <summary>Each name checked and normalised; a name another site (or this one) claimed already is a problem
    /// of its own, reported with both keys, while the site's other names still count.</summary>
    private static string[] ReadHosts(IConfigurationSection section, Dictionary<string, string> claimed, List<ConfigException> problems)
    {
        const string Expected = "expected a list of host names, e.g. [\"example.com\", \"*.example.com\"]";
        List<(string Path, string? Value)> entries = [];
        if (section.Value is not null) entries.Add((section.Path, section.Value)); // one string: a list of one
        foreach (IConfigurationSection child in section.GetChildren()) entries.Add((child.Path, child.Value));
        if (entries.Count == 0) throw new ConfigException(section.Path, $"missing; {Expected}");
        var names = new List<string>();
        foreach ((string path, string? value) in entries)
        {
            if (!HostTable.TryParse(value, out string name, out string error)) throw new ConfigException(path, error);
            if (claimed.TryGetValue(name, out string? first))
            {
                problems.Add(new ConfigException(path, $"\"{value}\" is already claimed by {first}; a host name belongs to one site"));
                continue;
            }
            claimed[name] = path;
            names.Add(name);
        }
        return [.. names];
    }
}
