using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using StaticD.Acme;
using StaticD.Files;
using StaticD.Interop;
using StaticD.Net;
using StaticD.Site;

namespace StaticD.Hosting;

/// <summary>
/// The <c>StaticD</c> configuration section, read and validated by hand rather than with the binder: the binder
/// would silently ignore a misspelt key and would report "failed to convert" without the value or what is
/// allowed, and an operator who typed <c>"Prot": 80</c> deserves to be told. Every error names the key, the bad
/// value and what is allowed.
/// </summary>
internal sealed class ServerOptions
{
    public const string Section = "StaticD";

    public int Port { get; init; }
    /// <summary>The default site's directory; null when only Sites are served (unknown hosts then get 421).</summary>
    public string? Root { get; init; }
    public IReadOnlyList<IPAddress> Listen { get; init; } = [];
    /// <summary>The key each <see cref="Listen"/> address was read from ("StaticD:Listen:1"), for messages.</summary>
    public IReadOnlyList<string> ListenKeys { get; init; } = [];
    public bool ListenIsDefault { get; init; }
    public int Loops { get; init; }
    public int ShutdownTimeoutSeconds { get; init; } = 10;
    public Limits Limits { get; init; } = new();
    /// <summary>The top level compiled as a site: the default site when <see cref="Root"/> is set, and in any case
    /// the headers of answers no site gives.</summary>
    public SitePolicy Site { get; init; } = new();
    /// <summary>Whether hosts no site names have a site to go to: the top level has a Root, or redirects
    /// everything (RedirectTo: unknown names to the main site).</summary>
    public bool ServesDefault => Root is not null || Site.RedirectTo is not null;
    /// <summary>StaticD:Sites, in order.</summary>
    public IReadOnlyList<SitePolicy> Sites { get; init; } = [];
    public bool FileCache { get; init; } = true;
    /// <summary>StaticD:Compression's server-wide settings; null when no site compresses.</summary>
    public CompressionSettings? Compression { get; init; }
    /// <summary>StaticD:Metrics:Listen, where GET /metrics is served; null (the default) for no metrics listener.</summary>
    public MetricsAddress? MetricsListen { get; init; }
    /// <summary>StaticD:HttpsPort: TLS listeners on every Listen address; 0 for none.</summary>
    public int HttpsPort { get; init; }
    /// <summary>StaticD:Tls:Ktls is "auto" (the default).</summary>
    public bool KernelTls { get; init; } = true;
    /// <summary>StaticD:Http2: HTTPS listeners offer h2 by ALPN (before http/1.1).</summary>
    public bool Http2 { get; init; } = true;
    /// <summary>StaticD:Http2Cleartext: the plain port also takes HTTP/2 with prior knowledge (the client's
    /// first bytes are the HTTP/2 preface).</summary>
    public bool Http2Cleartext { get; init; }
    /// <summary>libnghttp2 can be loaded (asked once): without it HTTP/2 is off, and the start says so.</summary>
    internal static bool Http2Available => s_http2Available.Value;
    /// <summary>HTTPS contexts offer h2 by ALPN: asked for, and the library is there.</summary>
    public bool OffersHttp2 => Http2 && Http2Available;
    private static readonly Lazy<bool> s_http2Available = new(Nghttp2.IsAvailable);
    /// <summary>Some site (or the top level) has a certificate.</summary>
    public bool HasCertificates => Site.TlsCertificate is not null || Sites.Any(s => s.TlsCertificate is not null || s.TlsAcme);
    /// <summary>StaticD:Acme, when some site has "Tls": "acme".</summary>
    public AcmeSettings? Acme { get; init; }

    /// <summary>Keys that belong to the server as a whole; a site that sets one is refused.</summary>
    public static readonly string[] ServerKeys = ["Port", "HttpsPort", "Listen", "Loops", "ShutdownTimeoutSeconds", "Limits", "FileCache", "Metrics", "Sites",
        "Http2", "Http2Cleartext", "Acme"];
    internal static readonly string[] Keys = [.. ServerKeys, "Root", .. SiteConfig.Keys];

    /// <summary>Reads and validates the section; throws <see cref="ConfigException"/> on the first problem.
    /// A relative <c>Root</c> is taken relative to the configuration file's directory.</summary>
    public static ServerOptions Load(IConfiguration configuration, string configFile)
    {
        ConfigTree tree = ConfigTree.From(configuration);
        try
        {
            return Load(tree.GetSection(Section), configFile);
        }
        catch (ConfigException ex)
        {
            throw ex.Attributed(tree);
        }
    }

    private static ServerOptions Load(IConfigurationSection section, string configFile)
    {
        if (!section.Exists())
            throw new ConfigException(Section, "missing; expected a section with at least \"Port\" and \"Root\"");
        RejectUnknownKeys(section, Keys);

        int port = ConfigReader.Int(section, "Port", 1, 65535, required: true, fallback: 0);
        bool hasSites = section.GetSection("Sites").GetChildren().Any();
        // With Sites, the top-level Root is optional: without it there is no default site.
        string? root = hasSites && section["Root"] is null ? null : ReadRoot(section, configFile);
        (IReadOnlyList<IPAddress> listen, bool isDefault, IReadOnlyList<string> listenKeys) = ReadListen(section);
        int loops = ConfigReader.Int(section, "Loops", 1, 1024, required: false, fallback: Environment.ProcessorCount);
        int shutdown = ConfigReader.Int(section, "ShutdownTimeoutSeconds", 0, 3600, required: false, fallback: 10);
        Limits limits = LimitsConfig.Load(section.GetSection("Limits"));
        var problems = new List<ConfigException>();
        SitePolicy site = new();
        try
        {
            site = SiteConfig.Load(section, null, root ?? "", [], configFile);
            if (root is null && site.RedirectTo is null && site.Redirects.Length > 0)
                throw new ConfigException(section.Path + ":Redirects",
                    "there is no default site (no top-level \"Root\") for these redirects to apply to; move them into the site they belong to");
        }
        catch (ConfigException ex)
        {
            problems.Add(ex);
        }
        List<SitePolicy> sites = SitesConfig.Load(section, root, configFile, problems);
        int httpsPort = ConfigReader.Int(section, "HttpsPort", 1, 65535, required: false, fallback: 0);
        bool kernelTls = true;
        try
        {
            kernelTls = TlsConfig.LoadKernelTls(section.GetSection("Tls"));
        }
        catch (ConfigException ex)
        {
            problems.Add(ex);
        }
        CompressionSettings? compression = null;
        try
        {
            compression = CompressionConfig.Load(section.GetSection("Compression"));
        }
        catch (ConfigException ex)
        {
            problems.Add(ex);
        }
        AcmeSettings? acme = problems.Count == 0 ? AcmeConfig.Load(section, sites, httpsPort, configFile, problems) : null;
        if (problems.Count == 0) CheckHttps(section, port, httpsPort, site, sites, problems);
        AccessLogConfig.CheckShared(site, sites, problems);
        if (problems.Count > 0)
            throw ConfigException.Combine([.. problems.DistinctBy(p => (p.Key, p.Message))]);

        return new ServerOptions
        {
            Port = port,
            Root = root,
            Listen = listen,
            ListenKeys = listenKeys,
            ListenIsDefault = isDefault,
            Loops = loops,
            ShutdownTimeoutSeconds = shutdown,
            Limits = limits,
            Site = site,
            Sites = sites,
            FileCache = ConfigReader.Bool(section, "FileCache", true),
            Compression = sites.Append(site).Any(s => s.Compress) ? compression : null,
            MetricsListen = MetricsConfig.Load(section.GetSection("Metrics")),
            HttpsPort = httpsPort,
            KernelTls = kernelTls,
            Http2 = ConfigReader.Bool(section, "Http2", true),
            Http2Cleartext = ConfigReader.Bool(section, "Http2Cleartext", false),
            Acme = acme,
        };
    }

    /// <summary>HTTPS settings that cannot work together: a TLS port without a certificate, the same port for
    /// both, redirects to HTTPS that nothing would answer.</summary>
    private static void CheckHttps(IConfigurationSection section, int port, int httpsPort, SitePolicy top,
        List<SitePolicy> sites, List<ConfigException> problems)
    {
        bool certificates = top.TlsCertificate is not null || sites.Any(s => s.TlsCertificate is not null || s.TlsAcme);
        if (httpsPort == port)
            problems.Add(new ConfigException(section.Path + ":HttpsPort", $"{httpsPort} is also \"Port\"; plain HTTP and HTTPS need ports of their own (usually 80 and 443)"));
        if (httpsPort > 0 && !certificates)
            problems.Add(new ConfigException(section.Path + ":HttpsPort", "HTTPS needs a certificate: add \"Tls\": { \"Certificate\": …, \"Key\": … } at the top level or to a site"));
        if (!certificates)
        {
            foreach (SitePolicy s in sites.Prepend(top).Where(s => s.RedirectHttp))
                problems.Add(new ConfigException(s.ConfigPath + ":RedirectHttp", "redirects to HTTPS, but no certificate is configured (\"Tls\"), so nothing would answer there"));
        }
    }

    /// <summary>Opens every root (each directory once, however many sites serve it) and bundles what the loops
    /// serve with. A configuration whose root cannot be opened is rejected like any other invalid value.</summary>
    /// <param name="previous">The running configuration's compressor: kept, with its cache, when the compression
    /// settings are unchanged.</param>
    public ServeContext OpenContext(Compressor? previous = null)
    {
        var roots = new RootGroup();
        try
        {
            var served = new ServedSite[Sites.Count];
            for (int i = 0; i < Sites.Count; i++)
                served[i] = new ServedSite(i, Sites[i], Sites[i].Root.Length == 0 ? null : OpenRoot(roots, Sites[i]));
            ServedSite? fallback = !ServesDefault ? null
                : new ServedSite(Sites.Count, Site, Root is null ? null : OpenRoot(roots, Site));
            var hosts = new HostTable(Sites.SelectMany((s, i) => s.Hosts.Select(name => (name, i))));
            return new ServeContext(Limits, Site, served, fallback, hosts, roots, FileCache, ShutdownTimeoutSeconds)
            {
                Tls = TlsConfig.Open(this, hosts),
                HttpsPort = HttpsPort > 0 ? HttpsPort : 443,
                Http2Cleartext = Http2Cleartext && Http2Available,
                Compression = OpenCompressor(previous),
            };
        }
        catch
        {
            roots.Dispose();
            throw;
        }
    }

    /// <summary>For the start and reload log lines: how many sites, a few of their names, and the default
    /// site's root (or what happens to hosts no site names).</summary>
    public string DescribeSites()
    {
        string fallback = !ServesDefault ? "hosts no site names get 421"
            : Root is null ? $"the default site (redirecting to {System.Text.Encoding.ASCII.GetString(Site.RedirectTo!)})"
            : $"the default site (root {Root})";
        if (Sites.Count == 0) return fallback;
        const int Shown = 5;
        string names = string.Join(", ", Sites.Take(Shown).Select(s => s.Hosts.Length > 0 ? s.Hosts[0] : "?"));
        if (Sites.Count > Shown) names += $" and {Sites.Count - Shown} more";
        int count = Sites.Count + (ServesDefault ? 1 : 0);
        return $"{count} {(count == 1 ? "site" : "sites")}: {names}; {fallback}";
    }

    private Compressor? OpenCompressor(Compressor? previous)
    {
        if (Compression is null) return null;
        if (Compression.SameAs(previous?.Settings)) return previous;
        try
        {
            return new Compressor(Compression);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(Section + ":Compression:CacheDirectory", ex.Message);
        }
    }

    private static SiteRoot OpenRoot(RootGroup roots, SitePolicy site) =>
        roots.Open(site.Root, out Errno errno)
            ?? throw new ConfigException(site.ConfigPath + ":Root", $"\"{site.Root}\" cannot be opened: {errno.Describe()}");

    internal static void RejectUnknownKeys(IConfigurationSection section, string[] allowed)
    {
        foreach (IConfigurationSection child in section.GetChildren())
        {
            if (!allowed.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                throw new ConfigException(child.Path, $"unknown key; allowed keys are {string.Join(", ", allowed)}");
        }
    }

    /// <summary>A path from the configuration, absolute as given or else taken from the configuration file's directory.</summary>
    internal static string RelativeToConfig(string value, string configFile) =>
        Path.GetFullPath(value, Path.GetDirectoryName(Path.GetFullPath(configFile)) ?? "/");

    internal static string ReadRoot(IConfigurationSection section, string configFile)
    {
        string key = $"{section.Path}:Root";
        string? value = section["Root"];
        const string Allowed = "expected the path of an existing, readable directory";
        if (string.IsNullOrWhiteSpace(value))
            throw new ConfigException(key, $"missing; {Allowed}");
        string full = RelativeToConfig(value, configFile);
        if (File.Exists(full))
            throw new ConfigException(key, $"\"{value}\" is a file; {Allowed}");
        if (!Directory.Exists(full))
            throw new ConfigException(key, $"\"{value}\" does not exist; {Allowed}");
        return full;
    }

    private static (IReadOnlyList<IPAddress>, bool, IReadOnlyList<string>) ReadListen(IConfigurationSection section)
    {
        IConfigurationSection listen = section.GetSection("Listen");
        const string Allowed = "expected a list of IPv4 or IPv6 addresses such as [\"127.0.0.1\", \"::1\"]";
        List<(string Path, string? Value)> entries = [];
        if (listen.Value is not null)
            entries.Add((listen.Path, listen.Value)); // a single string is accepted as a one-element list
        foreach (IConfigurationSection child in listen.GetChildren())
            entries.Add((child.Path, child.Value));
        if (entries.Count == 0)
        {
            if (listen.Value is not null || listen.GetChildren().Any())
                throw new ConfigException(listen.Path, $"empty; {Allowed}");
            // Default: every IPv4 and every IPv6 address, as two sockets (the IPv6 one IPV6_V6ONLY) so that a host
            // without IPv6 still serves IPv4.
            return ([IPAddress.Any, IPAddress.IPv6Any], true, [listen.Path, listen.Path]);
        }
        List<IPAddress> addresses = [];
        List<string> keys = [];
        foreach ((string path, string? value) in entries)
        {
            string text = (value ?? "").Trim();
            if (text.StartsWith('[') && text.EndsWith(']')) text = text[1..^1];
            if (!IPAddress.TryParse(text, out IPAddress? address) ||
                (address.AddressFamily != AddressFamily.InterNetwork && address.AddressFamily != AddressFamily.InterNetworkV6))
                throw new ConfigException(path, $"\"{value}\" is not an IP address; {Allowed}");
            if (!addresses.Contains(address))
            {
                addresses.Add(address);
                keys.Add(path);
            }
        }
        return (addresses, false, keys);
    }
}

/// <summary>Reads <c>StaticD:Limits</c> into <see cref="Limits"/>.</summary>
internal static class LimitsConfig
{
    internal static readonly string[] Keys =
    [
        "MaxRequestLineBytes", "MaxHeaderBytes", "MaxHeaderCount", "HeaderTimeoutSeconds",
        "KeepAliveTimeoutSeconds", "SendTimeoutSeconds", "MaxConnections", "MaxRanges",
        "Http2MaxConcurrentStreams", "Http2MaxHeaderListBytes", "Http2ResetBudget", "Http2ControlFrameBudget",
        "Http2IdleTimeoutSeconds",
    ];

    public static Limits Load(IConfigurationSection section)
    {
        var defaults = new Limits();
        if (!section.Exists()) return defaults;
        ServerOptions.RejectUnknownKeys(section, Keys);
        int line = ConfigReader.Int(section, "MaxRequestLineBytes", 256, 1 << 20, false, defaults.MaxRequestLineBytes);
        int head = ConfigReader.Int(section, "MaxHeaderBytes", 1024, 1 << 20, false, defaults.MaxHeaderBytes);
        if (head < line)
            throw new ConfigException($"{section.Path}:MaxHeaderBytes",
                $"\"{head}\" is not allowed; expected at least MaxRequestLineBytes ({line}), since the head includes the request line");
        return new Limits
        {
            MaxRequestLineBytes = line,
            MaxHeaderBytes = head,
            MaxHeaderCount = ConfigReader.Int(section, "MaxHeaderCount", 1, 10000, false, defaults.MaxHeaderCount),
            HeaderTimeoutSeconds = ConfigReader.Int(section, "HeaderTimeoutSeconds", 1, 3600, false, defaults.HeaderTimeoutSeconds),
            KeepAliveTimeoutSeconds = ConfigReader.Int(section, "KeepAliveTimeoutSeconds", 0, 86400, false, defaults.KeepAliveTimeoutSeconds),
            SendTimeoutSeconds = ConfigReader.Int(section, "SendTimeoutSeconds", 1, 86400, false, defaults.SendTimeoutSeconds),
            MaxConnections = ConfigReader.Int(section, "MaxConnections", 1, 1_000_000, false, defaults.MaxConnections),
            MaxRanges = ConfigReader.Int(section, "MaxRanges", 1, 1000, false, defaults.MaxRanges),
            Http2MaxConcurrentStreams = ConfigReader.Int(section, "Http2MaxConcurrentStreams", 1, 10000, false, defaults.Http2MaxConcurrentStreams),
            Http2MaxHeaderListBytes = ConfigReader.Int(section, "Http2MaxHeaderListBytes", 1024, 1 << 20, false, head),
            Http2ResetBudget = ConfigReader.Int(section, "Http2ResetBudget", 1, 1_000_000, false, defaults.Http2ResetBudget),
            Http2ControlFrameBudget = ConfigReader.Int(section, "Http2ControlFrameBudget", 1, 1_000_000, false, defaults.Http2ControlFrameBudget),
            Http2IdleTimeoutSeconds = ConfigReader.Int(section, "Http2IdleTimeoutSeconds", 1, 86400, false, defaults.Http2IdleTimeoutSeconds),
        };
    }
}

internal static class ConfigReader
{
    public static bool Bool(IConfigurationSection section, string name, bool fallback)
    {
        IConfigurationSection entry = section.GetSection(name);
        if (entry.Value is null)
        {
            if (entry.GetChildren().Any()) throw new ConfigException(entry.Path, "is a list or object; expected true or false");
            return fallback;
        }
        if (bool.TryParse(entry.Value, out bool value)) return value;
        throw new ConfigException(entry.Path, $"\"{entry.Value}\" is not allowed; expected true or false");
    }

    public static int Int(IConfigurationSection section, string name, int min, int max, bool required, int fallback) =>
        (int)Long(section, name, min, max, fallback, required);

    public static long Long(IConfigurationSection section, string name, long min, long max, long fallback, bool required = false)
    {
        IConfigurationSection entry = section.GetSection(name);
        string allowed = $"expected an integer from {min} to {max}";
        if (entry.Value is null)
        {
            if (entry.GetChildren().Any())
                throw new ConfigException(entry.Path, $"is a list or object; {allowed}");
            if (required) throw new ConfigException(entry.Path, $"missing; {allowed}");
            return fallback;
        }
        if (!long.TryParse(entry.Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) ||
            value < min || value > max)
            throw new ConfigException(entry.Path, $"\"{entry.Value}\" is not allowed; {allowed}");
        return value;
    }
}
