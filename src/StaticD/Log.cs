using Microsoft.Extensions.Logging;

namespace StaticD;

/// <summary>
/// Every log message staticd writes, each with a fixed EventId, so journal output stays stable and greppable
/// (Kestrel's SocketsLog). Source-generated: no boxing or formatting unless the level is enabled.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "staticd {Version} listening on {Addresses}; root {Root}; {Loops} event loops")]
    public static partial void Started(ILogger logger, string version, string addresses, string root, int loops);

    [LoggerMessage(2, LogLevel.Information, "stopping: finishing responses in flight (up to {TimeoutSeconds} s)")]
    public static partial void Stopping(ILogger logger, int timeoutSeconds);

    [LoggerMessage(3, LogLevel.Information, "stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(4, LogLevel.Warning, "IPv6 is not available on this host ({Reason}); listening on IPv4 only")]
    public static partial void NoIPv6(ILogger logger, string reason);

    [LoggerMessage(10, LogLevel.Error, "cannot open \"{Path}\": {Reason}")]
    public static partial void ResolveFailed(ILogger logger, string path, string reason);

    [LoggerMessage(11, LogLevel.Error, "\"{Path}\" was truncated while being sent (at byte {Offset}); connection closed")]
    public static partial void FileTruncated(ILogger logger, string path, long offset);

    [LoggerMessage(12, LogLevel.Error, "\"{Path}\" could not be decompressed while being sent; connection closed")]
    public static partial void DecodeFailed(ILogger logger, string path);

    [LoggerMessage(20, LogLevel.Warning, "accept paused for {PauseMs} ms: {Reason}")]
    public static partial void AcceptPaused(ILogger logger, string reason, int pauseMs);

    [LoggerMessage(21, LogLevel.Error, "epoll_ctl(ADD) failed for a new connection: {Reason}")]
    public static partial void EpollAddFailed(ILogger logger, string reason);

    [LoggerMessage(30, LogLevel.Critical, "event loop {Loop} crashed")]
    public static partial void LoopCrashed(ILogger logger, int loop, Exception exception);

    [LoggerMessage(31, LogLevel.Warning, "shutdown timeout reached; closing {Count} connections still in flight")]
    public static partial void ShutdownTimedOut(ILogger logger, int count);
}
