using StaticD.Files;
using StaticD.Http;
using StaticD.Site;

namespace StaticD.Net;

/// <summary>What every loop needs to serve a request under one configuration: the limits, the site and its
/// open root. One instance is shared read-only by all loops and replaced as a whole on reload; anything that
/// must outlive a reload (the open-connection count) does not belong here.</summary>
internal sealed class ServeContext : IDisposable
{
    public ServeContext(Limits limits, SitePolicy site, SiteRoot root, bool fileCache, bool accessLog, int shutdownTimeoutSeconds)
    {
        Limits = limits;
        Site = site;
        Root = root;
        FileCache = fileCache;
        AccessLog = accessLog;
        ShutdownTimeoutSeconds = shutdownTimeoutSeconds;
        ParserLimits = new ParserLimits(limits.MaxRequestLineBytes, limits.MaxHeaderBytes, limits.MaxHeaderCount);
    }

    public Limits Limits { get; }
    public SitePolicy Site { get; }
    public SiteRoot Root { get; }
    public bool FileCache { get; }
    public bool AccessLog { get; }
    public int ShutdownTimeoutSeconds { get; }
    public ParserLimits ParserLimits { get; }

    public void Dispose() => Root.Dispose();
}
