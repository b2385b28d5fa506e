using System.Collections.Frozen;
using System.Text;

namespace StaticD.Site;

/// <summary>
/// One site, compiled: where its files are and how they are presented (hidden files, listings, SPA fallback,
/// precompressed variants, error pages, MIME overrides, extra headers and Cache-Control rules). Built once from
/// validated configuration (Hosting/SiteConfig) in the byte form the loops copy into responses; immutable after.
/// A request is answered against exactly one SitePolicy.
/// </summary>
internal sealed class SitePolicy
{
    /// <summary>The directory served, as an absolute path (the open descriptor lives in Files/SiteRoot); "" for a
    /// site that only redirects, and for the policy that answers requests no site takes.</summary>
    public string Root { get; init; } = "";
    /// <summary>The site's host names as configured (normalised); empty for the default site.</summary>
    public string[] Hosts { get; init; } = [];
    /// <summary>SITE in the access log: the first host name, "_" for the default site (nginx's catch-all name).</summary>
    public byte[] LogName { get; init; } = "_"u8.ToArray();
    /// <summary>Where the configuration declared this site ("StaticD" or "StaticD:Sites:2"), for messages.</summary>
    public string ConfigPath { get; init; } = "StaticD";
    /// <summary>Ordered path redirects; the first match answers before any file is looked up.</summary>
    public RedirectRule[] Redirects { get; init; } = [];
    /// <summary>An origin ("https://example.com", no trailing slash) every request is sent to with the same path
    /// and query, or null.</summary>
    public byte[]? RedirectTo { get; init; }
    /// <summary>Requests to this site go to the access log.</summary>
    public bool AccessLog { get; init; } = true;
    /// <summary>RedirectHttp: plain HTTP requests get 308 to the same URL on HTTPS (ACME challenges excepted).</summary>
    public bool RedirectHttp { get; init; }
    /// <summary>"Strict-Transport-Security: …\r\n", written on HTTPS responses only; null for none.</summary>
    public byte[]? Hsts { get; init; }
    /// <summary>The site's own certificate and key files (absolute paths), read when a configuration is opened;
    /// null for a site served with the default certificate.</summary>
    public string? TlsCertificate { get; init; }
    public string? TlsKey { get; init; }
    /// <summary>"Tls": "acme": the certificate comes from the ACME worker, for all of <see cref="Hosts"/>.</summary>
    public bool TlsAcme { get; init; }
    /// <summary>The file this site's access lines are appended to (absolute, normalised), or null for the journal.</summary>
    public string? AccessLogPath { get; init; }
    /// <summary>How lines in <see cref="AccessLogPath"/> are written.</summary>
    public AccessLogFormat AccessLogFormat { get; init; }
    public bool ServeHiddenFiles { get; init; }
    public bool DirectoryListing { get; init; }
    /// <summary>Decoded path (starts with '/') served for missing extension-less paths, or null.</summary>
    public byte[]? SpaFallback { get; init; }
    public bool Precompressed { get; init; } = true;
    /// <summary>Compression:Enabled for this site: files of <see cref="CompressTypes"/> are compressed on the fly
    /// (when it is on server-wide).</summary>
    public bool Compress { get; init; } = true;
    public MediaTypeList CompressTypes { get; init; } = MediaTypeList.Default;
    public FrozenDictionary<int, byte[]> ErrorPages { get; init; } = FrozenDictionary<int, byte[]>.Empty;
    /// <summary>The configuration key each error page came from (the site's own, or the top level's when
    /// inherited), and SpaFallback's: for start-up checks that name the key.</summary>
    public FrozenDictionary<int, string> ErrorPageKeys { get; init; } = FrozenDictionary<int, string>.Empty;
    public string? SpaFallbackKey { get; init; }
    public FrozenDictionary<string, byte[]> MimeOverrides { get; init; } = FrozenDictionary<string, byte[]>.Empty;
    /// <summary>Pre-rendered "Name: value\r\n" lines sent on every response (nosniff included by default).</summary>
    public byte[] GlobalHeaders { get; init; } = "X-Content-Type-Options: nosniff\r\n"u8.ToArray();
    public PathHeaderRule[] PathHeaders { get; init; } = [];
    public CacheRules CacheRules { get; init; } = CacheRules.Default;
    /// <summary>The CORS preset, or null: no Access-Control-* fields, OPTIONS answered with Allow alone.</summary>
    public CorsPolicy? Cors { get; init; }

    private FrozenDictionary<string, byte[]>.AlternateLookup<ReadOnlySpan<char>>? _mimeLookup;

    /// <summary>Content-Type for a file name: configured overrides first, then the built-in table. No allocation
    /// (the extension is widened into a stack buffer for the span-keyed lookup).</summary>
    public ReadOnlySpan<byte> ContentTypeFor(scoped ReadOnlySpan<byte> fileName)
    {
        if (MimeOverrides.Count > 0)
        {
            int dot = fileName.LastIndexOf((byte)'.');
            if (dot > 0 && fileName.Length - dot - 1 is > 0 and <= 16)
            {
                ReadOnlySpan<byte> ext = fileName[(dot + 1)..];
                Span<char> chars = stackalloc char[ext.Length];
                for (int i = 0; i < ext.Length; i++) chars[i] = (char)ext[i];
                _mimeLookup ??= MimeOverrides.GetAlternateLookup<ReadOnlySpan<char>>();
                if (_mimeLookup.Value.TryGetValue(chars, out byte[]? type)) return type;
            }
        }
        return MimeTypes.ForFileName(fileName);
    }
}

/// <summary>Extra headers for responses whose path matches <see cref="Pattern"/>.</summary>
internal sealed record PathHeaderRule(PathPattern Pattern, byte[] Headers);
