using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serilog.Core;
using StaticD.Files;
using StaticD.Interop;
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

        Listener[][] perLoop = _shared is null ? BindPerLoop(ChooseEndPoints(options), options.Loops) : [];
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
        _status = new StatusReporter(_notifier, _loops, _connectionCount, _logger);
        _notifier?.Notify("READY=1\nSTATUS=Serving");
        Log.Started(_logger, Program.Version, Describe(_endPoints), options.DescribeSites(), options.Loops);
        if (_shared is not null && _fromSocketUnit) Log.SocketActivated(_logger, Describe(_endPoints));
        if (_metricsServer is not null) Log.MetricsListening(_logger, ListenException.Format(_metricsServer.EndPoint));
        return Task.CompletedTask;
    }

    /// <summary>The addresses being served, once started (for <c>staticd serve</c>'s start line).</summary>
    public IReadOnlyList<IPEndPoint> EndPoints => _endPoints;

    private static string Describe(IEnumerable<IPEndPoint> endPoints) =>
        string.Join(", ", endPoints.Select(e => "http://" + ListenException.Format(e)));

    // ───────────────────────────── listeners ─────────────────────────────

    /// <summary>
    /// Sockets from a socket unit are used as they are (the unit decides the addresses; Listen and Port are then
    /// ignored). Sockets handed back from the fd store after a restart are used when they are exactly the
    /// configured addresses — that is what makes a restart refuse no connection — and closed otherwise.
    /// </summary>
    private void AdoptPassedSockets(ServerOptions options)
    {
        List<ListenFds.Passed> passed = ListenFds.Take();
        if (passed.Count == 0) return;
        var fromUnit = passed.Where(p => p.Name != ListenFds.StoreName).ToList();
        var stored = passed.Where(p => p.Name == ListenFds.StoreName).ToList();
        if (fromUnit.Count > 0)
        {
            foreach (ListenFds.Passed p in stored) Syscall.Close(p.Fd);
            if (stored.Count > 0) _notifier?.Notify($"FDSTOREREMOVE=1\nFDNAME={ListenFds.StoreName}");
            _shared = [.. fromUnit.Select(p => Listener.Adopt(p.Fd))];
            _fromSocketUnit = true;
            _endPoints = [.. _shared.Select(l => l.EndPoint).Distinct()];
            return;
        }
        Listener[] adopted = [.. stored.Select(p => Listener.Adopt(p.Fd))];
        var wanted = options.Listen.Select(a => new IPEndPoint(a, options.Port)).ToHashSet();
        var have = adopted.Select(l => l.EndPoint).ToHashSet();
        if (wanted.SetEquals(have))
        {
            _shared = adopted;
            _endPoints = [.. have];
            Log.ListenersRestored(_logger, adopted.Length);
            return;
        }
        foreach (Listener l in adopted) l.Dispose();
        _notifier?.Notify($"FDSTOREREMOVE=1\nFDNAME={ListenFds.StoreName}");
    }

    /// <summary>Checks each address once without SO_REUSEPORT (see <see cref="Listener.ProbeExclusive"/>). With the
    /// default address list, a host without IPv6 is served on IPv4 alone rather than not at all.</summary>
    private List<IPEndPoint> ChooseEndPoints(ServerOptions options)
    {
        var result = new List<IPEndPoint>();
        foreach (IPAddress address in options.Listen)
        {
            var endPoint = new IPEndPoint(address, options.Port);
            try
            {
                Listener.ProbeExclusive(endPoint);
                result.Add(endPoint);
            }
            catch (ListenException ex) when (options.ListenIsDefault && address.AddressFamily == AddressFamily.InterNetworkV6 &&
                                             ex.Errno is Errno.EAFNOSUPPORT or Errno.EADDRNOTAVAIL)
            {
                Log.NoIPv6(_logger, ex.Errno.Describe());
            }
        }
        _endPoints = result;
        return result;
    }

    /// <summary>Each loop gets its own SO_REUSEPORT socket per address. All are bound before any is used, so a
    /// failure leaves nothing half-open.</summary>
    private static Listener[][] BindPerLoop(List<IPEndPoint> endPoints, int loops)
    {
        var result = new Listener[loops][];
        try
        {
            for (int i = 0; i < loops; i++)
            {
                result[i] = new Listener[endPoints.Count];
                for (int j = 0; j < endPoints.Count; j++) result[i][j] = Listener.Bind(endPoints[j], reusePort: true);
            }
            return result;
        }
        catch
        {
            foreach (Listener[]? set in result)
                foreach (Listener? l in set ?? []) l?.Dispose();
            throw;
        }
    }

    /// <summary>Hands the listening sockets to systemd's fd store (FDSTORE=1): across `systemctl restart` the
    /// kernel keeps queueing connections on them, and the next process takes them back through LISTEN_FDS.
    /// Ignored by systemd unless the unit sets FileDescriptorStoreMax.</summary>
    private void StoreListeners(Listener[][] perLoop)
    {
        if (_notifier is null) return;
        int[] fds = [.. perLoop.SelectMany(set => set).Select(l => l.Fd)];
        if (fds.Length > 0) _notifier.Notify($"FDSTORE=1\nFDNAME={ListenFds.StoreName}", fds);
    }

    // ───────────────────────────── reload ─────────────────────────────

    /// <summary>
    /// SIGHUP: re-read the file; if it is invalid, say why and keep serving as before. Otherwise requests from now
    /// on use the new root, headers, rules, limits and log level; no connection is closed. A changed address list
    /// is bound first and swapped in after, so there is always a socket accepting.
    /// </summary>
    public void Reload()
    {
        lock (_reloadLock)
        {
            long monotonicUsec = (long)(System.Diagnostics.Stopwatch.GetTimestamp() / (System.Diagnostics.Stopwatch.Frequency / 1_000_000.0));
            _notifier?.Notify($"RELOADING=1\nMONOTONIC_USEC={monotonicUsec}\nSTATUS=Reloading the configuration");
            try
            {
                IConfigurationRoot configuration = settings.LoadConfiguration();
                ServerOptions options = ServerOptions.Load(configuration, settings.ConfigPath);
                Serilog.Events.LogEventLevel level = ConfigLoader.ReadLogLevel(configuration);
                ServeContext next = StartupChecks.OpenContext(options);
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

                Listener[][]? perLoop = null;
                bool addressesChanged = options.Port != previous.Port || !options.Listen.SequenceEqual(previous.Listen);
                if (addressesChanged && _fromSocketUnit)
                {
                    Log.ReloadAddressesIgnored(_logger);
                }
                else if (addressesChanged)
                {
                    try
                    {
                        var endPoints = new List<IPEndPoint>();
                        foreach (IPAddress address in options.Listen)
                        {
                            var ep = new IPEndPoint(address, options.Port);
                            // Addresses kept from before are already ours; only new ones must be free.
                            if (!_endPoints.Contains(ep)) Listener.ProbeExclusive(ep);
                            endPoints.Add(ep);
                        }
                        perLoop = BindPerLoop(endPoints, _loops.Length);
                        _endPoints = endPoints;
                    }
                    catch (ListenException ex)
                    {
                        next.Dispose();
                        throw new ConfigException("StaticD:Listen", ex.Message);
                    }
                }
                if (options.Loops != previous.Loops) Log.ReloadLoopsIgnored(_logger, previous.Loops, options.Loops);
                if (!Equals(options.MetricsListen, previous.MetricsListen)) Log.ReloadMetricsIgnored(_logger);

                ServeContext old = _context;
                _rootWatcher?.Register(next.Roots.Roots);
                _context = next;
                _options = options;
                _metrics.ReloadSucceeded(next.Counters);
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
                    StoreListeners(perLoop);
                }
                levelSwitch.MinimumLevel = level;
                // The old root descriptor is only used while a request is being resolved on the thread pool,
                // which takes milliseconds; a minute is a wide margin before closing it.
                // Access log files no configuration names any more are closed then too (those of the configuration in
                // force at that moment are kept).
                _ = Task.Delay(TimeSpan.FromMinutes(1)).ContinueWith(_ =>
                {
                    old.Dispose();
                    lock (_reloadLock) _files.Retain(_context);
                }, TaskScheduler.Default);
                Log.Reloaded(_logger, Describe(_endPoints), options.DescribeSites());
            }
            catch (ConfigException ex)
            {
                // A file the refused configuration opened (its new Path) is closed again.
                _files.Retain(_context);
                _metrics.ReloadFailed();
                Log.ReloadFailed(_logger, ex.Format(settings.ConfigPath));
            }
            _notifier?.Notify("READY=1\nSTATUS=Serving");
        }
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
        _metricsServer?.Dispose();
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

/// <summary>The configuration read at start-up: the options as written, what the loops serve with, and the access
/// log files it names, already open.</summary>
internal sealed record LoadedConfiguration(ServerOptions Options, ServeContext Context, AccessLogFiles AccessFiles);

/// <summary>What the command line decided, for the parts that run after start-up (reload).</summary>
internal sealed record StartupSettings(string ConfigPath)
{
    /// <summary>Reads the configuration again on reload: the file plus the environment, or for <c>staticd
    /// serve</c> the command line's settings.</summary>
    public Func<IConfigurationRoot> LoadConfiguration { get; init; } = () => ConfigLoader.Load(ConfigPath);
}

/// <summary>Where logs go: the journal sink when staticd runs under systemd (the access log writes to it
/// directly), else null.</summary>
internal sealed record LogTargets(JournalSink? Journal);
