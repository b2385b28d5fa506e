using StaticD.Files;
using StaticD.Http;
using StaticD.Logging;
using StaticD.Site;
using StaticD.Tls;

namespace StaticD.Net;

/// <summary>What every loop needs to serve a request under one configuration: the limits, the sites with their
/// open roots, and the table that picks a site by host. One instance is shared read-only by all loops and replaced
/// as a whole on reload, so a request sees the old sites or the new, never a mix; anything that must outlive a
/// reload (the open-connection count) does not belong here.</summary>
internal sealed class ServeContext : IDisposable
{
    public ServeContext(Limits limits, SitePolicy fallback, ServedSite[] sites, ServedSite? defaultSite, HostTable hosts,
        RootGroup roots, bool fileCache, int shutdownTimeoutSeconds)
    {
        Limits = limits;
        Fallback = fallback;
        Sites = sites;
        Default = defaultSite;
        Hosts = hosts;
        Roots = roots;
        FileCache = fileCache;
        ShutdownTimeoutSeconds = shutdownTimeoutSeconds;
        Counters = new SiteCounters(this);
        AccessFiles = new AccessLogFile?[sites.Length + 1];
        ParserLimits = new ParserLimits(limits.MaxRequestLineBytes, limits.MaxHeaderBytes, limits.MaxHeaderCount);
        MaxRedirectBytes = sites.Append(defaultSite).Max(s => s is null ? 0 :
            Math.Max(s.Policy.RedirectTo?.Length ?? 0, s.Policy.Redirects.Length == 0 ? 0 : s.Policy.Redirects.Max(r => r.To.Length)));
    }

    /// <summary>One site serving <paramref name="root"/> for every host (tests, and the shape of a configuration
    /// without Sites).</summary>
    public static ServeContext Single(Limits limits, SitePolicy site, SiteRoot root, bool fileCache, int shutdownTimeoutSeconds)
    {
        RootGroup roots = root.Group ?? new RootGroup();
        roots.Adopt(root);
        return new(limits, site, [], new ServedSite(0, site, root), HostTable.Empty, roots, fileCache, shutdownTimeoutSeconds);
    }

    public Limits Limits { get; }
    /// <summary>The top-level policy: its headers go on answers given before a site is chosen (a malformed
    /// request) or when none is (421).</summary>
    public SitePolicy Fallback { get; }
    /// <summary>The configured sites, in configuration order (index = position in StaticD:Sites).</summary>
    public ServedSite[] Sites { get; }
    /// <summary>The default site (the top-level Root), which answers hosts no site names; null when there is
    /// no top-level Root, and such hosts get 421.</summary>
    public ServedSite? Default { get; }
    public HostTable Hosts { get; }
    public RootGroup Roots { get; }
    public bool FileCache { get; }
    /// <summary>Compression on the fly, or null when Compression:Enabled is false server-wide. Kept across a reload
    /// whose compression settings did not change, with its cache.</summary>
    public Compressor? Compression { get; init; }
    public int ShutdownTimeoutSeconds { get; }
    public ParserLimits ParserLimits { get; }
    /// <summary>The longest configured redirect target, which a Location may hold on top of the request's path.</summary>
    public int MaxRedirectBytes { get; }

    /// <summary>This configuration's per-site request counters (a reload starts a new set; the metrics registry
    /// folds them by site name).</summary>
    public SiteCounters Counters { get; }

    /// <summary>Sites served, the default site included.</summary>
    public int SiteCount => Sites.Length + (Default is null ? 0 : 1);

    /// <summary>The site for a normalised host (empty: the request named none, as HTTP/1.0 may), or null.</summary>
    public ServedSite? FindSite(ReadOnlySpan<byte> host)
    {
        if (host.IsEmpty || Sites.Length == 0) return Default;
        int index = Hosts.Find(host);
        return index >= 0 ? Sites[index] : Default;
    }

    /// <summary>The certificates for HTTPS listeners (null without Tls); swapped with the rest on reload.</summary>
    public TlsSites? Tls { get; init; }

    /// <summary>StaticD:HttpsPort, for RedirectHttp's Location (443 is left out of it, as browsers write it).</summary>
    public int HttpsPort { get; init; } = 443;

    /// <summary>StaticD:Http2Cleartext: a plain connection that opens with the HTTP/2 preface speaks HTTP/2.</summary>
    public bool Http2Cleartext { get; init; }

    /// <summary>The access log file of each site (by <see cref="ServedSite.Index"/>; the last entry is the
    /// top-level policy's, which the default site and requests no site answers use), null where entries go to the
    /// journal. Filled by the host (which owns the files, one per path, across reloads) before any loop sees this
    /// configuration.</summary>
    public AccessLogFile?[] AccessFiles { get; private set; } = [];

    public void AttachAccessFiles(AccessLogFile?[] files)
    {
        if (files.Length != Sites.Length + 1) throw new ArgumentException("one entry per site and one for the top level", nameof(files));
        AccessFiles = files;
    }

    public void Dispose()
    {
        Roots.Dispose();
        Tls?.Dispose();
    }
}
