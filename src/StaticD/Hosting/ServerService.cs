using System.Net;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog.Core;
using StaticD.Logging;
using StaticD.Net;
using StaticD.Systemd;

namespace StaticD.Hosting;

/// <summary>
/// The hosted service that owns the event loops. StartAsync binds (or adopts) every listener and starts every
/// loop before it returns, so READY=1 means "serving". SIGHUP reloads the configuration; StopAsync stops
/// accepting, lets responses in flight finish within ShutdownTimeoutSeconds and joins the loop threads.
/// </summary>
internal sealed partial class ServerService(
    LoadedConfiguration initial, StartupSettings settings, LoggingLevelSwitch levelSwitch, LogTargets logTargets,
    ILoggerFactory loggerFactory) : IHostedService, IDisposable
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("StaticD");
    private readonly SystemdNotifier? _notifier = SystemdNotifier.FromEnvironment();
    private readonly Lock _reloadLock = new();
    private ServeContext _context = initial.Context;
    private ServerOptions _options = initial.Options;
    /// <summary>Open connections across loops; lives as long as the server, not one configuration.</summary>
    private readonly ConnectionCount _connectionCount = new();
    private EventLoop[] _loops = [];
    private AccessLog? _accessLog;
    private List<IPEndPoint> _endPoints = [];
    /// <summary>The HTTPS addresses (HttpsPort on each Listen address, or the socket unit's "https" sockets).</summary>
    private List<IPEndPoint> _tlsEndPoints = [];
    /// <summary>Sockets passed by systemd (socket unit or fd store), shared by all loops; null when staticd binds.</summary>
    private Listener[]? _shared;
    private bool _fromSocketUnit;
    private PosixSignalRegistration? _hangup, _reopen;
    /// <summary>The access log files (one writer per path), kept across reloads.</summary>
    private readonly AccessLogFiles _files = initial.AccessFiles;
    private StatusReporter? _status;
    /// <summary>Re-opens the root when its path starts naming another directory (a deploy by symlink swap).</summary>
    private RootWatcher? _rootWatcher;
    /// <summary>What GET /metrics reports; kept for the life of the server (counters survive reloads).</summary>
    private readonly MetricsRegistry _metrics = new(Program.Version, initial.Context.Counters);
    private MetricsServer? _metricsServer;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        ServerOptions options = _options;
        _accessLog = new AccessLog(loggerFactory, logTargets.Journal, levelSwitch);
        _files.Start(loggerFactory.CreateLogger("StaticD.Access"));
        AdoptPassedSockets(options);

        Listener[][] perLoop = _shared is null ? BindPerLoop(ChooseEndPoints(options), _tlsEndPoints, options.Loops) : [];
        if (options.MetricsListen is { } metricsAt)
        {
            try
            {
                _metricsServer = new MetricsServer(metricsAt, _metrics, _logger);
            }
            catch
            {
                foreach (Listener l in perLoop.SelectMany(set => set)) l.Dispose();
                throw;
            }
        }
        var loops = new List<EventLoop>();
        try
        {
            for (int i = 0; i < options.Loops; i++)
                loops.Add(new EventLoop(i, _context, _shared ?? perLoop[i], _connectionCount, _logger, _accessLog));
        }
        catch
        {
            foreach (EventLoop loop in loops) loop.Dispose();
            throw;
        }
        _loops = [.. loops];
        AccessLog accessLog = _accessLog;
        AccessLogFiles files = _files;
        _metrics.Attach(_loops.Select(l => l.Metrics), () => accessLog.Dropped + files.Dropped);
        CertificatesInForce(options, _context);
        // Before the loops serve anything, so a deploy that swaps a root from the first request on is followed;
        // and before SIGHUP can reach Reload, which registers the next roots with it.
        _rootWatcher = new RootWatcher(_logger);
        _rootWatcher.Register(_context.Roots.Roots);
        foreach (EventLoop loop in _loops) loop.Start();
        if (_shared is null) StoreListeners(perLoop);
        _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
        {
            context.Cancel = true; // HUP means reload, never "terminate"
            ThreadPool.QueueUserWorkItem(_ => Reload());
        });
        // SIGUSR1 (10 on every Linux architecture .NET runs on): open the access log files again, as nginx's
        // "-s reopen"; logrotate's postrotate sends it. PosixSignal takes a raw number for signals it has no name for.
        _reopen = PosixSignalRegistration.Create((PosixSignal)10, context =>
        {
            context.Cancel = true;
            ThreadPool.QueueUserWorkItem(_ => ReopenAccessFiles());
        });
        _status = new StatusReporter(_notifier, _loops, _connectionCount, _logger, settings.FallbackReason);
        _notifier?.Notify("READY=1\nSTATUS=" + StatusReporter.Headline(settings.FallbackReason));
        Log.Started(_logger, Program.Version, Describe(_endPoints, _tlsEndPoints), options.DescribeSites(), options.Loops);
        if (_shared is not null && _fromSocketUnit) Log.SocketActivated(_logger, Describe(_endPoints, _tlsEndPoints));
        if (_metricsServer is not null) Log.MetricsListening(_logger, _metricsServer.Address.Describe());
        if ((options.Http2 && options.HttpsPort > 0 || options.Http2Cleartext) && !ServerOptions.Http2Available) Log.Http2LibraryMissing(_logger);
        // Program has said why the file was refused and which copy serves instead; that copy is saved already.
        if (settings.FallbackReason is null) SaveLastGood(initial.Text);
        return Task.CompletedTask;
    }

    /// <summary>The addresses being served, once started (for <c>staticd serve</c>'s start line).</summary>
    public IReadOnlyList<IPEndPoint> EndPoints => _endPoints;

    /// <summary>The HTTPS addresses being served, once started.</summary>
    public IReadOnlyList<IPEndPoint> TlsEndPoints => _tlsEndPoints;

    private static string Describe(IEnumerable<IPEndPoint> endPoints, IEnumerable<IPEndPoint> tlsEndPoints) =>
        string.Join(", ", endPoints.Select(e => "http://" + ListenException.Format(e))
            .Concat(tlsEndPoints.Select(e => "https://" + ListenException.Format(e))));

    // ───────────────────────────── reload ─────────────────────────────

    /// <summary>
    /// SIGHUP: re-read the file; if it is invalid, say why and keep serving as before. Otherwise requests from now
    /// on use the new root, headers, rules, limits and log level; no connection is closed. A changed address list
    /// (or metrics listener) is bound first and swapped in after, so there is always a socket accepting; if it
    /// cannot be bound, the reload fails as a whole and the old one stays.
    /// </summary>
    public void Reload()
    {
        lock (_reloadLock)
        {
            long monotonicUsec = (long)(System.Diagnostics.Stopwatch.GetTimestamp() / (System.Diagnostics.Stopwatch.Frequency / 1_000_000.0));
            _notifier?.Notify($"RELOADING=1\nMONOTONIC_USEC={monotonicUsec}\nSTATUS=Reloading the configuration");
            try
            {
                (IConfigurationRoot configuration, byte[]? text) = settings.LoadConfiguration();
                ServerOptions options = ServerOptions.Load(configuration, settings.ConfigPath);
                Serilog.Events.LogEventLevel level = ConfigLoader.ReadLogLevel(configuration);
                ServeContext next = StartupChecks.OpenContext(options, _context.Compression);
                try
                {
                    _files.Attach(next);
                }
                catch (ConfigException)
                {
                    next.Dispose();
                    _files.Retain(_context);
                    throw;
                }
                ServerOptions previous = _options;
                // Bound before anything else changes, so a failure leaves all as it was (the old listener included).
                bool metricsChanged = !Equals(options.MetricsListen, previous.MetricsListen);
                MetricsServer? nextMetrics = null;
                if (metricsChanged && options.MetricsListen is { } metricsAt)
                {
                    try
                    {
                        nextMetrics = new MetricsServer(metricsAt, _metrics, _logger);
                    }
                    catch (ListenException ex)
                    {
                        next.Dispose();
                        throw new ConfigException("StaticD:Metrics:Listen", ex.Message);
                    }
                }

                Listener[][]? perLoop = null;
                bool addressesChanged = options.Port != previous.Port || options.HttpsPort != previous.HttpsPort ||
                                        !options.Listen.SequenceEqual(previous.Listen);
                if (addressesChanged && _fromSocketUnit)
                {
                    Log.ReloadAddressesIgnored(_logger);
                }
                else if (addressesChanged)
                {
                    try
                    {
                        var endPoints = new List<IPEndPoint>();
                        var tlsEndPoints = new List<IPEndPoint>();
                        foreach (IPAddress address in options.Listen)
                        {
                            var ep = new IPEndPoint(address, options.Port);
                            // Addresses kept from before are already ours; only new ones must be free.
                            if (!_endPoints.Contains(ep) && !_tlsEndPoints.Contains(ep)) Listener.ProbeExclusive(ep);
                            endPoints.Add(ep);
                            if (options.HttpsPort == 0) continue;
                            var tls = new IPEndPoint(address, options.HttpsPort);
                            if (!_endPoints.Contains(tls) && !_tlsEndPoints.Contains(tls)) Listener.ProbeExclusive(tls);
                            tlsEndPoints.Add(tls);
                        }
                        perLoop = BindPerLoop(endPoints, tlsEndPoints, _loops.Length);
                        _endPoints = endPoints;
                        _tlsEndPoints = tlsEndPoints;
                    }
                    catch (ListenException ex)
                    {
                        next.Dispose();
                        nextMetrics?.Dispose();
                        throw new ConfigException("StaticD:Listen", ex.Message);
                    }
                }
                if (options.Loops != previous.Loops) Log.ReloadLoopsIgnored(_logger, previous.Loops, options.Loops);

                ServeContext old = _context;
                _rootWatcher?.Register(next.Roots.Roots);
                _context = next;
                _options = options;
                _metrics.ReloadSucceeded(next.Counters);
                CertificatesInForce(options, next);
                Applied?.Invoke(options);
                var applied = new CountdownEvent(_loops.Length);
                for (int i = 0; i < _loops.Length; i++)
                {
                    Listener[]? listeners = perLoop?[i];
                    _loops[i].Post(loop =>
                    {
                        loop.ApplyConfiguration(next, listeners);
                        applied.Signal();
                    });
                }
                applied.Wait(TimeSpan.FromSeconds(5));
                // The old root serves nothing new from here on: following its swaps (or warning that its path is
                // gone, when the reload moved away from it) would only mislead. Its descriptor stays open below.
                _rootWatcher?.Unregister(old.Roots.Roots);
                if (perLoop is not null)
                {
                    if (_shared is not null)
                    {
                        foreach (Listener l in _shared) l.Dispose();
                        _shared = null;
                    }
                    _notifier?.Notify($"FDSTOREREMOVE=1\nFDNAME={ListenFds.StoreName}");
                    _notifier?.Notify($"FDSTOREREMOVE=1\nFDNAME={ListenFds.StoreNameTls}");
                    StoreListeners(perLoop);
                }
                levelSwitch.MinimumLevel = level;
                if (metricsChanged) SwapMetricsServer(nextMetrics);
                if (_status is not null) _status.FallbackReason = null; // the file itself is in force again
                SaveLastGood(text);
                // The old root descriptor is only used while a request is being resolved on the thread pool,
                // which takes milliseconds; a minute is a wide margin before closing it.
                // Access log files no configuration names any more are closed then too (those of the configuration in
                // force at that moment are kept).
                _ = Task.Delay(TimeSpan.FromMinutes(1)).ContinueWith(_ =>
                {
                    old.Dispose();
                    lock (_reloadLock) _files.Retain(_context);
                }, TaskScheduler.Default);
                Log.Reloaded(_logger, Describe(_endPoints, _tlsEndPoints), options.DescribeSites());
            }
            catch (ConfigException ex)
            {
                // A file the refused configuration opened (its new Path) is closed again.
                _files.Retain(_context);
                _metrics.ReloadFailed();
                Log.ReloadFailed(_logger, ex.Format(settings.ConfigPath));
            }
            _notifier?.Notify("READY=1\nSTATUS=" + StatusReporter.Headline(_status?.FallbackReason));
        }
    }

    /// <summary>Puts the reload's metrics listener (null: none) in place of the old one, which closes: a scrape in
    /// progress on it finishes first (its thread is joined).</summary>
    private void SwapMetricsServer(MetricsServer? next)
    {
        MetricsServer? old = _metricsServer;
        _metricsServer = next;
        if (old is not null)
        {
            old.Dispose();
            Log.MetricsClosed(_logger, old.Address.Describe());
        }
        if (next is not null) Log.MetricsListening(_logger, next.Address.Describe());
    }

    /// <summary>The configuration now in force loaded and serves: it is the one to fall back on at the next start
    /// (<see cref="LastGoodConfig"/>). Failing to save costs only that fallback, so it is a warning.</summary>
    private void SaveLastGood(byte[]? text)
    {
        if (settings.StateDirectory is not { } directory || text is null) return;
        try
        {
            new LastGoodConfig(settings.ConfigPath, DateTimeOffset.UtcNow, text).Save(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.LastGoodNotSaved(_logger, LastGoodConfig.PathIn(directory), ex.Message);
        }
    }

    /// <summary>Raised after a reload took effect, with the new options (the ACME worker follows the sites).</summary>
    public event Action<ServerOptions>? Applied;

    /// <summary>The ACME worker installed a certificate: its expiry goes into the metrics.</summary>
    public void CertificatesChanged() => _metrics.SetCertificates(TlsConfig.Expiries(_options, _context.Tls));

    /// <summary>Reports the certificates now served: their expiry in the metrics, and a warning for each one that
    /// is out of its validity (served anyway: refusing to start would take every site down, not just its own).</summary>
    private void CertificatesInForce(ServerOptions options, ServeContext context)
    {
        _metrics.SetCertificates(TlsConfig.Expiries(options, context.Tls));
        foreach (ConfigException problem in TlsConfig.CertificateErrors(options, context.Tls, DateTimeOffset.UtcNow))
            Log.CertificateNotValid(_logger, problem.Key ?? "StaticD:Tls", problem.Message);
    }

    /// <summary>SIGUSR1. Each loop first hands over the lines it holds, so every line logged before the signal
    /// lands in the file logrotate renamed (nginx flushes its buffers before reopening too); then each writer
    /// writes what it has to the old descriptor and opens the path again.</summary>
    private void ReopenAccessFiles()
    {
        EventLoop[] loops = _loops;
        // Not disposed: a loop slower than the wait below still signals it later.
        var flushed = new CountdownEvent(loops.Length);
        foreach (EventLoop loop in loops)
        {
            loop.Post(l =>
            {
                l.FlushAccessFiles();
                flushed.Signal();
            });
        }
        flushed.Wait(TimeSpan.FromSeconds(2));
        _files.Reopen();
    }

    // ───────────────────────────── stop ─────────────────────────────

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _hangup?.Dispose();
        _reopen?.Dispose();
        _notifier?.Notify("STOPPING=1\nSTATUS=Finishing responses in flight");
        _status?.Dispose();
        // Under the reload lock: a reload in progress may be swapping the metrics listener.
        lock (_reloadLock)
        {
            _metricsServer?.Dispose();
            _metricsServer = null;
        }
        Log.Stopping(_logger, _options.ShutdownTimeoutSeconds);
        foreach (EventLoop loop in _loops) loop.RequestStop();
        // Each loop enforces the shutdown timeout itself; the extra seconds only guard against a wedged loop.
        TimeSpan limit = TimeSpan.FromSeconds(_options.ShutdownTimeoutSeconds + 2);
        foreach (EventLoop loop in _loops) loop.Join(limit);
        foreach (EventLoop loop in _loops) loop.Dispose();
        _rootWatcher?.Dispose();
        foreach (Listener l in _shared ?? []) l.Dispose();
        // The loops have handed over their last lines as they exited: these write them and close.
        _files.Dispose();
        _accessLog?.Dispose();
        Log.Stopped(_logger);
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _notifier?.Dispose();
        _rootWatcher?.Dispose();
        _context.Dispose();
    }
}

/// <summary>The configuration read at start-up: the options as written, what the loops serve with, the access log
/// files it names (already open), and the file's bytes they came from (null for <c>staticd serve</c>, which has no
/// file).</summary>
internal sealed record LoadedConfiguration(ServerOptions Options, ServeContext Context, AccessLogFiles AccessFiles)
{
    public byte[]? Text { get; init; }
}

/// <summary>What the command line decided, for the parts that run after start-up (reload).</summary>
internal sealed record StartupSettings(string ConfigPath)
{
    /// <summary>Reads the configuration again on reload: the file plus the environment, with the file's bytes (to
    /// save as the last good copy), or for <c>staticd serve</c> the command line's settings and no bytes.</summary>
    public Func<(IConfigurationRoot Configuration, byte[]? Text)> LoadConfiguration { get; init; } = () =>
    {
        byte[] text = ConfigLoader.Read(ConfigPath);
        return (ConfigLoader.Parse(text), text);
    };

    /// <summary>Where the last good configuration is saved (<c>$STATE_DIRECTORY</c>); null: nowhere.</summary>
    public string? StateDirectory { get; init; }

    /// <summary>Why start-up serves the last good copy instead of the file (one line); null when it serves the file.</summary>
    public string? FallbackReason { get; init; }
}

/// <summary>Where logs go: the journal sink when staticd runs under systemd (the access log writes to it
/// directly), else null.</summary>
internal sealed record LogTargets(JournalSink? Journal);
