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
}
