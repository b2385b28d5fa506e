using System.Collections.Frozen;
using System.Text;
using Microsoft.Extensions.Configuration;
using StaticD.Site;

namespace StaticD.Hosting;

/// <summary>
/// Reads the per-site keys of a configuration section and compiles them into a <see cref="SitePolicy"/>.
/// Everything an operator writes is validated here, once; an error names the key, the bad value and what is
/// allowed.
/// </summary>
internal static class SiteConfig
{
    /// <summary>The keys a site may set (besides Hosts and Root); each is inherited from the top level unless the
    /// site sets it, except Redirects and RedirectTo, which describe one site's own paths and names.</summary>
    public static readonly string[] Keys =
    [
        "ServeHiddenFiles", "DirectoryListing", "SpaFallback", "Precompressed", "ErrorPages", "MimeTypes",
        "Headers", "PathHeaders", "CacheControl", "DefaultCacheControl", "AccessLog", "Redirects", "RedirectTo",
        "Cors", "RedirectHttp", "Hsts", "Tls", "Compression",
    ];

    // Headers whose value staticd computes per response: letting configuration set them would corrupt framing
    // (Content-Length, Transfer-Encoding), validators or negotiation. Access-Control-* (Cors) too, by prefix.
    private static readonly string[] Reserved =
    [
        "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Upgrade", "Date", "Server",
        "Content-Type", "Content-Encoding", "Content-Range", "ETag", "Last-Modified", "Accept-Ranges", "Location",
        "Vary", "Cache-Control", "Allow", "Retry-After", "Trailer", "TE",
    ];

    /// <summary>
    /// Compiles one site. <paramref name="defaults"/> is the top-level section a site inherits from (null when
    /// <paramref name="section"/> is the top level itself, the default site). Scalars come from the site when it
    /// sets them, else from the top level; objects (Headers, MimeTypes, ErrorPages) merge by name with the site's
    /// entries winning (an empty header value removes an inherited header); rule lists (PathHeaders, CacheControl)
    /// hold the site's rules first, then the inherited ones.
    /// </summary>
    public static SitePolicy Load(IConfigurationSection section, IConfigurationSection? defaults, string root, string[] hosts,
        string configFile)
    {
        IConfigurationSection[] layers = defaults is null ? [section] : [defaults, section];
        IConfigurationSection Pick(string key) =>
            defaults is not null && !section.GetSection(key).Exists() ? defaults : section;

        var errorPages = new Dictionary<int, byte[]>();
        var errorPageKeys = new Dictionary<int, string>();
        foreach (IConfigurationSection page in layers.SelectMany(l => l.GetSection("ErrorPages").GetChildren()))
        {
            if (!int.TryParse(page.Key, out int status) || status < 400 || status > 599)
                throw new ConfigException(page.Path, $"\"{page.Key}\" is not an error status; expected a status code from 400 to 599 mapped to a file in the root, e.g. \"404\": \"/404.html\"");
            errorPages[status] = SitePath(page.Path, page.Value);
            errorPageKeys[status] = page.Path;
        }

        var mime = new Dictionary<string, byte[]>(StringComparer.OrdinalIgnoreCase);
        foreach (IConfigurationSection entry in layers.SelectMany(l => l.GetSection("MimeTypes").GetChildren()))
        {
            string ext = entry.Key.TrimStart('.');
            if (ext.Length == 0 || ext.Length > 16 || ext.Any(c => c > 127 || c == '/' || char.IsWhiteSpace(c)))
                throw new ConfigException(entry.Path, $"\"{entry.Key}\" is not a file extension; expected something like \"m3u8\" or \".m3u8\"");
            if (!IsFieldValue(entry.Value) || !entry.Value!.Contains('/'))
                throw new ConfigException(entry.Path, $"\"{entry.Value}\" is not a media type; expected e.g. \"application/vnd.apple.mpegurl\"");
            mime[ext.ToLowerInvariant()] = Encoding.ASCII.GetBytes(entry.Value);
        }

        // A site that names Cors at all has its own, even "Cors": null (which the JSON provider keeps as a key
        // without value, so Pick's Exists() would inherit): that is how a site turns an inherited preset off.
        var cors = CorsConfig.Load((defaults is null || section.GetChildren().Any(c => c.Key.Equals("Cors", StringComparison.OrdinalIgnoreCase))
            ? section : defaults).GetSection("Cors"));
        bool corsOn = cors is not null;

        var global = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { ["X-Content-Type-Options"] = "nosniff" };
        foreach ((string name, string value) in layers.SelectMany(l => ReadHeaders(l.GetSection("Headers"), corsOn)))
            global[name] = value; // an empty value removes a default header
        var pathHeaders = new List<PathHeaderRule>();
        foreach (IConfigurationSection rule in layers.Reverse().SelectMany(l => l.GetSection("PathHeaders").GetChildren()))
        {
            ServerOptions.RejectUnknownKeys(rule, ["Path", "Headers"]);
            PathPattern pattern = Pattern(rule.GetSection("Path"));
            var headers = ReadHeaders(rule.GetSection("Headers"), corsOn).Where(h => h.Value.Length > 0).ToList();
            if (headers.Count == 0)
                throw new ConfigException(rule.Path + ":Headers", "missing; expected an object of header names and values");
            pathHeaders.Add(new PathHeaderRule(pattern, Render(headers)));
        }

        var pathRules = new List<(string, string)>();
        var typeRules = new List<(string, string)>();
        foreach (IConfigurationSection rule in layers.Reverse().SelectMany(l => l.GetSection("CacheControl").GetChildren()))
        {
            ServerOptions.RejectUnknownKeys(rule, ["Path", "ContentType", "Value"]);
            string? value = rule["Value"];
            if (value is null) throw new ConfigException(rule.Path + ":Value", "missing; expected a Cache-Control value such as \"public, max-age=600\"");
            if (rule["Path"] is string path && rule["ContentType"] is null)
            {
                Pattern(rule.GetSection("Path"));
                pathRules.Add((path, value));
            }
            else if (rule["ContentType"] is string type && rule["Path"] is null)
            {
                typeRules.Add((type, value));
            }
            else
            {
                throw new ConfigException(rule.Path, "expected exactly one of \"Path\" or \"ContentType\", and \"Value\"");
            }
        }
        string? defaultCache = Pick("DefaultCacheControl")["DefaultCacheControl"];
        CacheRules cacheRules = CacheRules.Create(pathRules, typeRules, defaultCache, out string? cacheError);
        if (cacheError is not null) throw new ConfigException(Pick("CacheControl").Path + ":CacheControl", cacheError);

        IConfigurationSection spa = Pick("SpaFallback").GetSection("SpaFallback");
        bool acme = AcmeConfig.IsAcme(section.GetSection("Tls"), defaults is null, hosts);
        (string Certificate, string Key)? tls = acme ? null : TlsConfig.LoadFiles(section.GetSection("Tls"), defaults is null, configFile);
        AccessLogConfig.Setting accessLog = AccessLogConfig.Load(Pick("AccessLog"));
        (bool compress, MediaTypeList compressTypes) = CompressionConfig.LoadSite(section, defaults);
        return new SitePolicy
        {
            Root = root,
            Hosts = hosts,
            LogName = Encoding.ASCII.GetBytes(hosts.Length > 0 ? hosts[0] : "_"),
            ConfigPath = section.Path,
            Redirects = RedirectConfig.LoadRules(section.GetSection("Redirects")),
            RedirectTo = RedirectConfig.LoadOrigin(section.GetSection("RedirectTo"), hosts),
            AccessLog = accessLog.Enabled,
            AccessLogPath = accessLog.Path,
            AccessLogFormat = accessLog.Format,
            ServeHiddenFiles = ConfigReader.Bool(Pick("ServeHiddenFiles"), "ServeHiddenFiles", false),
            DirectoryListing = ConfigReader.Bool(Pick("DirectoryListing"), "DirectoryListing", false),
            Precompressed = ConfigReader.Bool(Pick("Precompressed"), "Precompressed", true),
            Compress = compress,
            CompressTypes = compressTypes,
            SpaFallback = string.IsNullOrEmpty(spa.Value) ? null : SitePath(spa.Path, spa.Value),
            ErrorPages = errorPages.ToFrozenDictionary(),
            ErrorPageKeys = errorPageKeys.ToFrozenDictionary(),
            SpaFallbackKey = string.IsNullOrEmpty(spa.Value) ? null : spa.Path,
            MimeOverrides = mime.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            GlobalHeaders = Render(global.Where(h => h.Value.Length > 0).Select(h => (h.Key, h.Value)).ToList()),
            PathHeaders = [.. pathHeaders],
            CacheRules = cacheRules,
            Cors = cors,
            RedirectHttp = ConfigReader.Bool(Pick("RedirectHttp"), "RedirectHttp", false),
            Hsts = HstsHeader(Pick("Hsts").GetSection("Hsts")),
            TlsCertificate = tls?.Certificate,
            TlsKey = tls?.Key,
            TlsAcme = acme,
        };
    }

    /// <summary>Hsts: the Strict-Transport-Security value (RFC 6797), which must carry max-age; "" turns an
    /// inherited one off.</summary>
    private static byte[]? HstsHeader(IConfigurationSection hsts)
    {
        string? value = hsts.Value;
        if (string.IsNullOrEmpty(value)) return null;
        bool hasMaxAge = value.Split(';').Select(d => d.Trim()).Any(d =>
            d.StartsWith("max-age=", StringComparison.OrdinalIgnoreCase) && d.Length > 8 && d[8..].Trim('"').All(char.IsAsciiDigit));
        if (!IsFieldValue(value) || !hasMaxAge)
            throw new ConfigException(hsts.Path, $"\"{value}\" is not a Strict-Transport-Security value; expected e.g. \"max-age=63072000; includeSubDomains\"");
        return Encoding.ASCII.GetBytes($"Strict-Transport-Security: {value}\r\n");
    }

    /// <summary>A file in the root named in configuration: "/404.html". Must not climb out with "..".</summary>
    internal static byte[] SitePath(string key, string? value)
    {
        if (string.IsNullOrEmpty(value) || value[0] != '/' || value.Split('/').Any(s => s is "." or "..") || value.Contains('\0'))
            throw new ConfigException(key, $"\"{value}\" is not allowed; expected a path inside the root starting with '/', e.g. \"/404.html\"");
        return Encoding.UTF8.GetBytes(value);
    }

    private static PathPattern Pattern(IConfigurationSection entry)
    {
        if (!PathPattern.TryCompile(entry.Value ?? "", out PathPattern? pattern, out string? error))
            throw new ConfigException(entry.Path, $"\"{entry.Value}\" is not a valid path pattern: {error}");
        return pattern!;
    }

    /// <param name="cors">The site has a Cors preset: the Access-Control-* fields are then staticd's, computed per
    /// request from the Origin; without one, an operator may still set them as plain fields (per path, as with
    /// nginx's add_header).</param>
    private static List<(string Name, string Value)> ReadHeaders(IConfigurationSection section, bool cors)
    {
        var result = new List<(string, string)>();
        foreach (IConfigurationSection header in section.GetChildren())
        {
            if (!IsToken(header.Key))
                throw new ConfigException(header.Path, $"\"{header.Key}\" is not a valid header name");
            if (Reserved.Contains(header.Key, StringComparer.OrdinalIgnoreCase))
                throw new ConfigException(header.Path, $"\"{header.Key}\" is set by staticd itself and cannot be configured" +
                    (header.Key.Equals("Cache-Control", StringComparison.OrdinalIgnoreCase) ? "; use \"CacheControl\" rules" : ""));
            // With Cors, the CORS fields depend on the request's Origin and must agree with Vary and the preflight
            // answer: a fixed copy would contradict them.
            if (cors && header.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase))
                throw new ConfigException(header.Path, $"\"{header.Key}\" is set by staticd itself on a site with \"Cors\"; configure it there, or remove \"Cors\" to set CORS fields by hand");
            if (header.Value is null || (header.Value.Length > 0 && !IsFieldValue(header.Value)))
                throw new ConfigException(header.Path, $"\"{header.Value}\" is not a valid header value (printable ASCII, no line breaks)");
            result.Add((header.Key, header.Value));
        }
        return result;
    }

    private static byte[] Render(List<(string Name, string Value)> headers) =>
        Encoding.ASCII.GetBytes(string.Concat(headers.Select(h => $"{h.Name}: {h.Value}\r\n")));

    private static bool IsToken(string s) => Http.Tokens.IsToken(s);

    internal static bool IsFieldValue(string? s) =>
        !string.IsNullOrEmpty(s) && s.All(c => c is '\t' or (>= ' ' and < (char)127)) && s[0] is not (' ' or '\t') && s[^1] is not (' ' or '\t');
}
