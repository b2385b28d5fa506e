using Microsoft.Extensions.Logging;
using StaticD.Logging;
using StaticD.Net;
using StaticD.Systemd;

namespace StaticD.Hosting;

/// <summary>
/// Tells systemd how the service is doing: STATUS= with live figures every few seconds (shown by
/// <c>systemctl status staticd</c>), and WATCHDOG=1 at half of WATCHDOG_USEC — but only while every event loop
/// has completed an iteration recently. A wedged loop stops the pings, and systemd restarts the service.
/// </summary>
internal sealed class StatusReporter : IDisposable
{
    private static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(5);

    private readonly SystemdNotifier? _notifier;
    private readonly EventLoop[] _loops;
    private readonly ConnectionCount _connections;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly TimeSpan _watchdog;
    private volatile string? _fallbackReason;

    public StatusReporter(SystemdNotifier? notifier, EventLoop[] loops, ConnectionCount connections, ILogger logger, string? fallbackReason = null)
    {
        _fallbackReason = fallbackReason;
        _notifier = notifier;
        _loops = loops;
        _connections = connections;
        _logger = logger;
        _watchdog = WatchdogInterval(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), Environment.GetEnvironmentVariable("WATCHDOG_PID"), Environment.ProcessId);
        _thread = new Thread(Run) { Name = "staticd-status", IsBackground = true };
        if (_notifier is not null) _thread.Start();
    }

    /// <summary>Why the server runs the last good configuration instead of the file (see
    /// <see cref="StartupConfiguration"/>); null once it runs the file. Every STATUS= line then says so first, so
    /// <c>systemctl status</c> shows it for as long as it is true.</summary>
    public string? FallbackReason
    {
        get => _fallbackReason;
        set => _fallbackReason = value;
    }

    /// <summary>The STATUS= text between live figures: "Serving", or the last good configuration and why.</summary>
    public static string Headline(string? fallbackReason) =>
        fallbackReason is null ? "Serving" : $"Running the last good configuration: {fallbackReason}";

    // internal for testing
    internal static TimeSpan WatchdogInterval(string? usec, string? pid, int myPid)
    {
        if (!long.TryParse(usec, out long value) || value <= 0) return TimeSpan.Zero;
        if (pid is { Length: > 0 } && (!int.TryParse(pid, out int p) || p != myPid)) return TimeSpan.Zero;
        return TimeSpan.FromMicroseconds(value);
    }

    /// <summary>A loop is alive if it finished an iteration within this long. Idle loops wake every second, so
    /// anything older than two seconds (or half the watchdog interval, if longer) means a loop is stuck.</summary>
    internal TimeSpan Staleness => TimeSpan.FromMilliseconds(Math.Max(2000, _watchdog.TotalMilliseconds / 2));

    public bool LoopsAlive()
    {
        // The loops' clock: TimeProvider.System's monotonic timestamp, in milliseconds.
        long now = (long)TimeProvider.System.GetElapsedTime(0).TotalMilliseconds;
        long limit = (long)Staleness.TotalMilliseconds;
        foreach (EventLoop loop in _loops)
        {
            if (now - loop.LastIterationMs > limit) return false;
        }
        return true;
    }

    private void Run()
    {
        TimeSpan tick = _watchdog > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(_watchdog.Ticks / 2, StatusInterval.Ticks)) : StatusInterval;
        long lastRequests = 0, lastBytes = 0;
        DateTime lastStatus = DateTime.UtcNow;
        bool warned = false;
        while (!_stop.Token.WaitHandle.WaitOne(tick))
        {
            if (_watchdog > TimeSpan.Zero)
            {
                if (LoopsAlive())
                {
                    _notifier!.Notify("WATCHDOG=1");
                    warned = false;
                }
                else if (!warned)
                {
                    Log.LoopStalled(_logger);
                    warned = true;
                }
            }
            DateTime now = DateTime.UtcNow;
            double seconds = (now - lastStatus).TotalSeconds;
            if (seconds < StatusInterval.TotalSeconds - 0.01) continue;
            long requests = _loops.Sum(l => Volatile.Read(ref l.Requests));
            long bytes = _loops.Sum(l => Volatile.Read(ref l.BytesSent));
            int open = _connections.Open;
            string? fallback = _fallbackReason;
            string serving = fallback is null ? "Serving" : $"{Headline(fallback)}; serving";
            _notifier!.Notify(FormattableString.Invariant(
                $"STATUS={serving} {Sites(_loops[0].Context.SiteCount)}: {open} connections, {(requests - lastRequests) / seconds:0} req/s, {(bytes - lastBytes) / seconds / 1e6:0.0} MB/s"));
            lastRequests = requests;
            lastBytes = bytes;
            lastStatus = now;
        }
    }

    private static string Sites(int count) => count == 1 ? "1 site" : $"{count} sites";

    public void Dispose()
    {
        _stop.Cancel();
        if (_thread.IsAlive) _thread.Join(TimeSpan.FromSeconds(2));
    }
}
