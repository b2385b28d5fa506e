namespace StaticD.Net;

/// <summary>Connection and request limits (<c>StaticD:Limits</c>, read by Hosting/LimitsConfig). Defaults follow nginx and Kestrel where they agree, and the safer of the two where
/// they do not.</summary>
internal sealed class Limits
{
    public int MaxRequestLineBytes { get; init; } = 8192;
    public int MaxHeaderBytes { get; init; } = 16384;
    public int MaxHeaderCount { get; init; } = 100;
    public int HeaderTimeoutSeconds { get; init; } = 20;
    public int KeepAliveTimeoutSeconds { get; init; } = 60;
    public int SendTimeoutSeconds { get; init; } = 60;
    public int MaxConnections { get; init; } = 10000;
    /// <summary>More ranges than this in one Range field and the whole file is sent (200): a
    /// "bytes=0-,0-,0-,…" request costs nothing.</summary>
    public int MaxRanges { get; init; } = 16;
    /// <summary>Streams one HTTP/2 connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS).</summary>
    public int Http2MaxConcurrentStreams { get; init; } = 100;
    /// <summary>The largest request head an HTTP/2 stream may send (SETTINGS_MAX_HEADER_LIST_SIZE; HEADERS and its
    /// CONTINUATION frames together); by default MaxHeaderBytes, as for HTTP/1.1.</summary>
    public int Http2MaxHeaderListBytes { get; init; } = 16384;
    /// <summary>Streams a client may reset (or have refused) per 10 s before the connection is closed with
    /// GOAWAY(ENHANCE_YOUR_CALM): the Rapid Reset bound.</summary>
    public int Http2ResetBudget { get; init; } = 200;
    /// <summary>SETTINGS, PING, PRIORITY and empty DATA frames a client may send per 10 s, and WINDOW_UPDATE
    /// frames beyond two per DATA frame sent (those a client reading a large body returns are free).</summary>
    public int Http2ControlFrameBudget { get; init; } = 1000;
    /// <summary>How long an HTTP/2 connection with no open stream stays open.</summary>
    public int Http2IdleTimeoutSeconds { get; init; } = 60;
}
