using Microsoft.Extensions.Logging;

namespace StaticD.Logging;

/// <summary>
/// Every log message staticd writes, each with a fixed EventId, so journal output stays stable and greppable
/// (Kestrel's SocketsLog). Source-generated: no boxing or formatting unless the level is enabled.
/// </summary>
internal static partial class Log
{
    // ":l" renders a string property without quotes in MESSAGE (Serilog quotes strings otherwise); the journal
    // field of the same name carries the value either way.
    [LoggerMessage(1, LogLevel.Information, "staticd {Version:l} listening on {Addresses:l}; serving {Sites:l}; {Loops} event loops")]
    public static partial void Started(ILogger logger, string version, string addresses, string sites, int loops);

    [LoggerMessage(2, LogLevel.Information, "stopping: finishing responses in flight (up to {TimeoutSeconds} s)")]
    public static partial void Stopping(ILogger logger, int timeoutSeconds);

    [LoggerMessage(3, LogLevel.Information, "stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(4, LogLevel.Warning, "IPv6 is not available on this host ({Reason:l}); listening on IPv4 only")]
    public static partial void NoIPv6(ILogger logger, string reason);

    [LoggerMessage(5, LogLevel.Information, "configuration reloaded: listening on {Addresses:l}; serving {Sites:l}")]
    public static partial void Reloaded(ILogger logger, string addresses, string sites);

    [LoggerMessage(6, LogLevel.Error, "reload failed, still serving with the previous configuration: {Reason:l}")]
    public static partial void ReloadFailed(ILogger logger, string reason);

    [LoggerMessage(7, LogLevel.Warning, "reload: Listen and Port are decided by the socket unit; restart with other sockets to change them")]
    public static partial void ReloadAddressesIgnored(ILogger logger);

    [LoggerMessage(8, LogLevel.Warning, "reload: Loops changed from {Old} to {New}; this takes effect at the next restart")]
    public static partial void ReloadLoopsIgnored(ILogger logger, int old, int @new);

    [LoggerMessage(9, LogLevel.Information, "socket activation: serving on the sockets systemd passed ({Addresses:l}); Listen and Port are not used")]
    public static partial void SocketActivated(ILogger logger, string addresses);

    [LoggerMessage(13, LogLevel.Information, "took back {Count} listening sockets from systemd's file descriptor store")]
    public static partial void ListenersRestored(ILogger logger, int count);

    [LoggerMessage(32, LogLevel.Critical, "an event loop has not completed an iteration recently; watchdog pings stopped so systemd restarts the service")]
    public static partial void LoopStalled(ILogger logger);

    [LoggerMessage(10, LogLevel.Error, "cannot open \"{Path:l}\": {Reason:l}")]
    public static partial void ResolveFailed(ILogger logger, string path, string reason);

    [LoggerMessage(11, LogLevel.Error, "\"{Path:l}\" was truncated while being sent (at byte {Offset}); connection closed")]
    public static partial void FileTruncated(ILogger logger, string path, long offset);

    [LoggerMessage(12, LogLevel.Error, "\"{Path:l}\" could not be decompressed while being sent; connection closed")]
    public static partial void DecodeFailed(ILogger logger, string path);

    [LoggerMessage(20, LogLevel.Warning, "accept paused for {PauseMs} ms: {Reason:l}")]
    public static partial void AcceptPaused(ILogger logger, string reason, int pauseMs);

    [LoggerMessage(21, LogLevel.Error, "epoll_ctl(ADD) failed for a new connection: {Reason:l}")]
    public static partial void EpollAddFailed(ILogger logger, string reason);

    [LoggerMessage(40, LogLevel.Information,
        "{CLIENT_ADDR:l} \"{HTTP_METHOD:l} {HTTP_PATH:l}\" {HTTP_STATUS} {HTTP_BYTES} {HTTP_DURATION_USEC}us \"{HTTP_REFERER:l}\" \"{HTTP_USER_AGENT:l}\" {HTTP_HOST:l} {SITE:l}")]
    public static partial void Access(ILogger logger, string CLIENT_ADDR, string HTTP_METHOD, string HTTP_PATH, int HTTP_STATUS,
        long HTTP_BYTES, long HTTP_DURATION_USEC, string HTTP_REFERER, string HTTP_USER_AGENT, string HTTP_HOST, string SITE);

    [LoggerMessage(41, LogLevel.Warning, "access log: dropped {Count} entries in the last {Seconds} s (the journal could not keep up)")]
    public static partial void AccessEntriesDropped(ILogger logger, long count, int seconds);

    [LoggerMessage(30, LogLevel.Critical, "event loop {Loop} crashed")]
    public static partial void LoopCrashed(ILogger logger, int loop, Exception exception);

    [LoggerMessage(31, LogLevel.Warning, "shutdown timeout reached; closing {Count} connections still in flight")]
    public static partial void ShutdownTimedOut(ILogger logger, int count);

    [LoggerMessage(42, LogLevel.Information, "root {Path:l} now names another directory; serving it from now on (root generation {Generation})")]
    public static partial void RootSwapped(ILogger logger, string path, int generation);

    [LoggerMessage(43, LogLevel.Warning, "root {Path:l} cannot be opened ({Reason:l}); still serving the directory it named before")]
    public static partial void RootUnavailable(ILogger logger, string path, string reason);

    [LoggerMessage(44, LogLevel.Information, "root {Path:l} can be opened again; it is the same directory as before")]
    public static partial void RootAvailableAgain(ILogger logger, string path);

    [LoggerMessage(45, LogLevel.Warning, "root watcher: {Operation:l} failed ({Reason:l}); the root is checked again every {Seconds} s")]
    public static partial void RootWatchFailed(ILogger logger, string operation, string reason, int seconds, Exception? exception);

    [LoggerMessage(46, LogLevel.Warning, "metrics: {Operation:l} failed ({Reason:l})")]
    public static partial void MetricsFailed(ILogger logger, string operation, string reason);

    [LoggerMessage(47, LogLevel.Information, "metrics: serving GET /metrics on {Address:l}")]
    public static partial void MetricsListening(ILogger logger, string address);

    // 48 was "reload: Metrics:Listen changed; this takes effect at the next restart": a reload now moves the listener.

    [LoggerMessage(49, LogLevel.Warning, "cannot save the last good configuration to {Path:l}: {Reason:l}")]
    public static partial void LastGoodNotSaved(ILogger logger, string path, string reason);

    [LoggerMessage(50, LogLevel.Information, "metrics: no longer serving on {Address:l}")]
    public static partial void MetricsClosed(ILogger logger, string address);

    // 60-63: access log files.
    [LoggerMessage(60, LogLevel.Warning, "access log {Path:l}: dropped {Count} entries in the last {Seconds} s ({Reason:l})")]
    public static partial void AccessFileEntriesDropped(ILogger logger, string path, long count, int seconds, string reason);

    [LoggerMessage(61, LogLevel.Information, "access log {Path:l}: reopened")]
    public static partial void AccessFileReopened(ILogger logger, string path);

    [LoggerMessage(62, LogLevel.Error, "access log {Path:l}: cannot be opened again ({Reason:l}); still writing to the file open before")]
    public static partial void AccessFileReopenFailed(ILogger logger, string path, string reason);

    [LoggerMessage(70, LogLevel.Warning, "{Key:l}: {Problem:l}; serving it anyway, but clients will refuse it")]
    public static partial void CertificateNotValid(ILogger logger, string key, string problem);

    // HTTP/2: EventIds 90–99.
    [LoggerMessage(90, LogLevel.Debug, "HTTP/2 connection failed: {Reason:l}")]
    public static partial void Http2SessionFailed(ILogger logger, string reason);

    [LoggerMessage(91, LogLevel.Warning, "HTTP/2 client {Client:l} spent its reset or control-frame budget; sent GOAWAY(ENHANCE_YOUR_CALM) and closed")]
    public static partial void Http2BudgetSpent(ILogger logger, string client);

    [LoggerMessage(92, LogLevel.Error, "HTTP/2 is on (\"Http2\"), but libnghttp2.so.14 cannot be loaded; install libnghttp2-14 or set \"Http2\": false")]
    public static partial void Http2LibraryMissing(ILogger logger);
    // ───────────── ACME (80–89): one entry per issuance, renewal and failure; ACME_HOST is the first host ─────────────

    [LoggerMessage(80, LogLevel.Information, "acme: {ACME_HOST:l}: certificate issued for {Names:l}, valid until {NotAfter:l} (order {ACME_ORDER:l}, {Seconds:0.0} s)")]
    public static partial void AcmeIssued(ILogger logger, string ACME_HOST, string names, string notAfter, string ACME_ORDER, double seconds);

    [LoggerMessage(81, LogLevel.Information, "acme: {ACME_HOST:l}: certificate renewed for {Names:l}, valid until {NotAfter:l} (order {ACME_ORDER:l}, {Seconds:0.0} s)")]
    public static partial void AcmeRenewed(ILogger logger, string ACME_HOST, string names, string notAfter, string ACME_ORDER, double seconds);

    [LoggerMessage(82, LogLevel.Error, "acme: {ACME_HOST:l}: no certificate for {Names:l}: {ACME_ERROR:l} (order {ACME_ORDER:l}); next attempt at {Next:l}")]
    public static partial void AcmeFailed(ILogger logger, string ACME_HOST, string names, string ACME_ERROR, string ACME_ORDER, string next);

    [LoggerMessage(83, LogLevel.Warning, "acme: {ACME_HOST:l} has no certificate yet; {What:l} until one is issued")]
    public static partial void AcmeWaiting(ILogger logger, string ACME_HOST, string what);

    [LoggerMessage(84, LogLevel.Information, "acme: another process holds the lock on {Path:l}; this one serves the certificates it finds there and orders none")]
    public static partial void AcmeLockHeld(ILogger logger, string path);

    [LoggerMessage(85, LogLevel.Information, "acme: {ACME_HOST:l}: resuming order {ACME_ORDER:l} for {Names:l}")]
    public static partial void AcmeResumed(ILogger logger, string ACME_HOST, string names, string ACME_ORDER);

    [LoggerMessage(86, LogLevel.Error, "acme: the state directory {Path:l} cannot be used ({Reason:l}); no certificate is ordered")]
    public static partial void AcmeStateUnusable(ILogger logger, string path, string reason);

    [LoggerMessage(88, LogLevel.Error, "acme: the ACME worker failed; it starts over in a minute")]
    public static partial void AcmeWorkerFailed(ILogger logger, Exception exception);

    [LoggerMessage(87, LogLevel.Information, "acme: {ACME_HOST:l}: renewal due at {At:l}")]
    public static partial void AcmeRenewalDue(ILogger logger, string ACME_HOST, string at);
}
