using Microsoft.Extensions.Logging;
using StaticD.Files;
using StaticD.Http;
using StaticD.Interop;
using StaticD.Logging;

namespace StaticD.Net;

/// <summary>
/// One event-loop thread: its own epoll instance (edge-triggered), its own SO_REUSEPORT listeners, and the
/// connections it accepted, for their whole life. Nothing here is shared with other loops except the
/// read-only <see cref="ServeContext"/> and the server's <see cref="ConnectionCount"/>.
/// One round (<see cref="RunOnce"/>): wait, read the clock, file-cache invalidations, socket events, pool
/// completions, posted actions, yielded connections, and once a second the timeout sweep. Tests drive rounds
/// themselves, with a clock that moves only when they say so.
/// </summary>
internal sealed partial class EventLoop : IDisposable
{
    // epoll data words: a connection is (generation << 32 | slot); listeners and the eventfd have the top bit set.
    private const ulong ListenerTag = 1UL << 63;
    private const ulong WakeToken = ulong.MaxValue;
    private const ulong InotifyToken = ulong.MaxValue - 1;
    private const int MaxEvents = 256;
    private const int TickMs = 1000;
    private const int AcceptPauseMs = 100;

    public int Index { get; }
    public ILogger Logger { get; }
    /// <summary>Monotonic milliseconds, read once per round: every deadline is on this clock.</summary>
    public long NowMs { get; private set; }
    /// <summary>Wall-clock Unix seconds of the current round (for dates and If-Modified-Since checks).</summary>
    public long UnixSeconds => _dateSecond;
    public bool Stopping { get; private set; }
    /// <summary>The configuration requests start with; replaced on reload (a request keeps the one it began with).</summary>
    public ServeContext Context => _context;
    public AccessLog? AccessLog { get; }
    public FileCache Cache { get; } = new();
    public ReceiveBufferPool ReceiveBuffers { get; }
    /// <summary>HTTP/2 request-head buffers between streams (<see cref="Http2Stream"/>): a stream holds one only until its
    /// connection read the head, so a few serve a whole session's burst; kept here, with no lock, rather than taking
    /// ArrayPool's shared (locked) path for every stream.</summary>
    public Stack<byte[]> Http2HeadBuffers { get; } = new();
    /// <summary>Connections of this loop (for tests and the stop condition).</summary>
    public int ConnectionCount => _table.Count;
    /// <summary>How an accepted socket becomes a transport: a plain <see cref="SocketTransport"/>; tests put a
    /// recording or copy-path (no sendfile) transport here.</summary>
    internal Func<int, ITransport> CreateTransport { get; set; } = static fd => new SocketTransport(fd);

    // Live figures for systemd's STATUS=: written by this loop only, read by the status reporter.
    public long Requests;
    public long BytesSent;
    /// <summary>Prometheus counters: written by this loop only, read and summed by the scrape.</summary>
    public LoopMetrics Metrics { get; } = new();
    /// <summary>Loop clock when the last round ended; the watchdog reads it from another thread.</summary>
    public long LastIterationMs => Volatile.Read(ref _lastIterationMs);

    /// <summary>Scratch buffer for response heads and discarded bytes; only ever used within one call.</summary>
    public byte[] Scratch { get; private set; }
    /// <summary>"Date: …\r\n", rendered once a second so no request formats a date.</summary>
    public byte[] DateHeader { get; } = new byte[6 + HttpDate.Length + 2];

    private ServeContext _context;
    private readonly ConnectionCount _connectionCount;
    /// <summary>Where the loop reads the time: the system clock, or a test's clock that only moves when told.</summary>
    private readonly TimeProvider _time;
    private Listener[] _listeners;
    // Part of a listener's epoll token, so an event for a listener replaced by a reload is recognised as stale.
    private uint _listenerGeneration;
    private readonly int _epollFd;
    private readonly int _wakeFd;
    private readonly Thread _thread;
    private readonly EpollEvent[] _events = new EpollEvent[MaxEvents];
    private readonly ConnectionTable _table = new();
    private List<Connection> _yielded = new(), _yieldedSpare = new();

    private long _dateSecond = -1;
    private long _lastIterationMs;
    private long _nextTickMs;
    private long _acceptPausedUntil;
    private long _stopDeadline;
    private volatile bool _stopRequested;

    /// <summary>Test hook for the watchdog test: loop 0 stops iterating this many ms after start, as a loop stuck
    /// in a bug would. Only an environment variable set by whoever starts the process can trigger it.</summary>
    public const string WedgeAfterVariable = "STATICD_TEST_WEDGE_LOOP0_AFTER_MS";
    private readonly long _wedgeAtMs;

    public EventLoop(int index, ServeContext context, Listener[] listeners, ConnectionCount connectionCount, ILogger logger,
        AccessLog? accessLog, TimeProvider? time = null)
    {
        Index = index;
        _connectionCount = connectionCount;
        _time = time ?? TimeProvider.System;
        AccessLog = accessLog;
        _context = context;
        context.Counters.Attach(index);
        _listeners = listeners;
        Logger = logger;
        ReceiveBuffers = new ReceiveBufferPool(context.Limits.MaxHeaderBytes);
        Scratch = GC.AllocateUninitializedArray<byte>(ScratchSize(context), pinned: true);

        _epollFd = Syscall.EpollCreate(out Errno errno);
        if (_epollFd < 0) throw new InvalidOperationException($"epoll_create1: {errno.Describe()}");
        _wakeFd = Syscall.CreateEventFd(out errno);
        if (_wakeFd < 0) throw new InvalidOperationException($"eventfd: {errno.Describe()}");
        Register(_wakeFd, EpollEvents.In | EpollEvents.EdgeTriggered, WakeToken);
        if (Cache.Enabled) Register(Cache.InotifyFd, EpollEvents.In | EpollEvents.EdgeTriggered, InotifyToken);
        RegisterListeners();

        UpdateClock();
        if (index == 0 && long.TryParse(Environment.GetEnvironmentVariable(WedgeAfterVariable), out long wedgeAfter) && wedgeAfter > 0)
            _wedgeAtMs = NowMs + wedgeAfter;
        _thread = new Thread(Run) { Name = $"staticd-loop-{index}", IsBackground = true };
    }

    public void Start() => _thread.Start();

    /// <summary>The largest head (a Location made of the longest configured redirect target and the longest
    /// request line, every byte percent-encoded, plus fixed headers) followed by a small cached body, so head and
    /// body leave in one send().</summary>
    private static int ScratchSize(ServeContext context) =>
        context.Limits.MaxRequestLineBytes * 3 + context.MaxRedirectBytes + 8192 + FileCache.SmallFileMax;

    private void Register(int fd, EpollEvents events, ulong data)
    {
        Errno errno = Syscall.EpollAdd(_epollFd, fd, events, data);
        if (errno != Errno.None) throw new InvalidOperationException($"epoll_ctl: {errno.Describe()}");
    }

    // ───────────────────────────── the loop ─────────────────────────────

    private void Run()
    {
        try
        {
            while (RunOnce(ComputeTimeout())) { }
            CloseAll();
            FlushAccessFiles(); // the last lines, those of the responses just cut short included
        }
        catch (Exception ex)
        {
            // A broken loop cannot be repaired from inside; crash so systemd restarts the service (Restart=on-failure)
            // rather than serve on with a dead share of the connections.
            Log.LoopCrashed(Logger, Index, ex);
            Environment.FailFast($"staticd event loop {Index} crashed: {ex}");
        }
    }

    /// <summary>One round; false once a stop has finished (or timed out) and the loop should exit. On the loop
    /// thread — or, in tests, on the thread that drives the loop instead of <see cref="Start"/>.</summary>
    internal bool RunOnce(int timeoutMs)
    {
        int n = Syscall.EpollWait(_epollFd, _events, timeoutMs, out Errno errno);
        UpdateClock();
        if (n < 0) throw new InvalidOperationException($"epoll_wait: {errno.Describe()}");
        // File changes first: no request of this round may be answered from a cache entry they made stale.
        for (int i = 0; i < n; i++)
        {
            if (_events[i].Data == InotifyToken) Cache.DrainEvents();
        }
        for (int i = 0; i < n; i++) Dispatch(_events[i]);
        DrainCompletions();
        RunPosted();
        RunYielded();
        if (NowMs >= _nextTickMs) Tick();
        if (_stopRequested && !Stopping) BeginStop();
        if (Stopping && (_table.Count == 0 || NowMs >= _stopDeadline)) return false;
        Volatile.Write(ref _lastIterationMs, NowMs);
        return true;
    }

    /// <summary>How long the next wait may block: not at all with work queued, else until the next sweep.</summary>
    internal int ComputeTimeout()
    {
        if (_yielded.Count > 0 || !_completions.IsEmpty || !_posted.IsEmpty || _stopRequested != Stopping) return 0;
        long until = _nextTickMs - NowMs;
        return (int)Math.Clamp(until, 0, TickMs);
    }

    private void UpdateClock()
    {
        NowMs = (long)_time.GetElapsedTime(0).TotalMilliseconds;
        long second = _time.GetUtcNow().ToUnixTimeSeconds();
        if (second != _dateSecond)
        {
            _dateSecond = second;
            "Date: "u8.CopyTo(DateHeader);
            HttpDate.Format(second, DateHeader.AsSpan(6));
            "\r\n"u8.CopyTo(DateHeader.AsSpan(6 + HttpDate.Length));
        }
    }

    private void Dispatch(in EpollEvent ev)
    {
        ulong data = ev.Data;
        if (data == InotifyToken) return; // handled before the round
        if (data == WakeToken)
        {
            Syscall.ReadCounter(_wakeFd, out _);
            return;
        }
        if ((data & ListenerTag) != 0)
        {
            int index = (int)(data & 0xFFFF);
            if ((uint)((data >> 16) & 0xFFFF_FFFF) == _listenerGeneration && index < _listeners.Length)
                AcceptAll(_listeners[index]);
            return;
        }
        if (_table.Find(data) is not { } connection) return; // stale: closed earlier in this batch
        connection.OnEvents((EpollEvents)ev.Events);
        connection.CountState();
    }

    // ───────────────────────────── accepting ─────────────────────────────

    private void AcceptAll(Listener listener)
    {
        if (Stopping || listener.Fd < 0 || NowMs < _acceptPausedUntil) return;
        int max = _context.Limits.MaxConnections;
        while (true)
        {
            int fd = Syscall.Accept(listener.Fd, out SockAddrStorage peer, out Errno errno);
            if (fd < 0)
            {
                if (errno == Errno.EAGAIN) return;
                if (errno is Errno.EMFILE or Errno.ENFILE or Errno.ENOBUFS or Errno.ENOMEM)
                {
                    // Out of descriptors or memory: keep serving the open connections and retry shortly. The
                    // pending connections stay in the kernel's backlog meanwhile (edge-triggered: Tick re-polls).
                    _acceptPausedUntil = NowMs + AcceptPauseMs;
                    _nextTickMs = Math.Min(_nextTickMs, _acceptPausedUntil);
                    Log.AcceptPaused(Logger, errno.Describe(), AcceptPauseMs);
                    return;
                }
                continue; // ECONNABORTED, EPROTO, EPERM (firewall): that one connection is gone; go on.
            }
            if (!_connectionCount.TryAdd(max))
            {
                // At MaxConnections a new client gets a one-shot 503 (best effort, never blocks) and a close; a TLS
                // client could not read a plain 503, so it only sees the close.
                if (!listener.Tls) Syscall.SendDontWait(fd, Scratch.AsSpan(0, ResponseHead.OverCapacity(Scratch, DateHeader)), out _);
                Syscall.Close(fd);
                Metrics.RejectedMaxConnections++;
                continue;
            }
            Metrics.Accepted++;
            ITransport transport;
            if (!listener.Tls)
            {
                transport = CreateTransport(fd);
            }
            else if (_context.Tls is { } tls)
            {
                transport = new TlsTransport(fd, tls, Metrics);
            }
            else
            {
                // A TLS socket from the socket unit while the configuration has no certificate (refused at load,
                // so only possible by a unit/config mismatch): nothing can be served on it.
                Syscall.Close(fd);
                _connectionCount.Remove();
                continue;
            }
            var connection = new Connection(this, transport, peer) { LocalPort = listener.EndPoint.Port };
            if (!Add(connection)) continue;
            connection.OnAccepted();
            connection.CountState();
        }
    }

    private bool Add(Connection connection)
    {
        ulong data = _table.Add(connection);
        // Registered once for its whole life, in and out: no epoll_ctl per request. EPOLLRDHUP tells a half-close
        // from a plain read event.
        Errno errno = Syscall.EpollAdd(_epollFd, connection.Fd,
            EpollEvents.In | EpollEvents.Out | EpollEvents.ReadHangUp | EpollEvents.EdgeTriggered, data);
        if (errno != Errno.None)
        {
            Log.EpollAddFailed(Logger, errno.Describe());
            connection.CloseNow();
            return false;
        }
        return true;
    }

    /// <summary>Called by <see cref="Connection.CloseNow"/> after the socket is closed.</summary>
    public void Remove(Connection connection)
    {
        if (_table.Remove(connection)) _connectionCount.Remove();
    }

    // ───────────────────────────── fairness and time ─────────────────────────────

    /// <summary>A connection that used its turn budget runs again after this round of events, so one large
    /// download cannot starve the others.</summary>
    public void Yield(Connection connection) => _yielded.Add(connection);

    private void RunYielded()
    {
        if (_yielded.Count == 0) return;
        (_yielded, _yieldedSpare) = (_yieldedSpare, _yielded);
        foreach (Connection c in _yieldedSpare)
        {
            c.OnResumed();
            c.CountState();
        }
        _yieldedSpare.Clear();
    }

    /// <summary>Once a second (or sooner while accepting is paused): timeouts and accept resumption. A linear
    /// sweep over the slots costs microseconds even at 10,000 connections, and needs no per-request bookkeeping
    /// (a timer wheel would need an update on every state change).</summary>
    private void Tick()
    {
        _nextTickMs = NowMs + TickMs;
        FlushAccessFiles();
        if (_wedgeAtMs > 0 && NowMs >= _wedgeAtMs)
            Thread.Sleep(Timeout.Infinite); // test hook only: see WedgeAfterVariable
        long now = NowMs;
        for (int i = 0; i < _table.HighWater; i++)
        {
            Connection? c = _table[i];
            if (c is not null && c.Deadline <= now) c.OnTimeout();
        }
        if (_acceptPausedUntil != 0 && now >= _acceptPausedUntil)
        {
            _acceptPausedUntil = 0;
            foreach (Listener l in _listeners) AcceptAll(l);
        }
    }
}
