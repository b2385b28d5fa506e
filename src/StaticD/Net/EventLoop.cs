using System.Diagnostics;
using Microsoft.Extensions.Logging;
using StaticD.Files;
using StaticD.Http;
using StaticD.Interop;
using StaticD.Logging;

namespace StaticD.Net;

/// <summary>
/// One event-loop thread: its own epoll instance (edge-triggered), its own SO_REUSEPORT listeners, and the
/// connections it accepted, for their whole life. Nothing here is shared with other loops except the
/// read-only <see cref="ServeContext"/> and the global connection count.
/// </summary>
internal sealed unsafe partial class EventLoop : IDisposable
{
    // epoll data words: a connection is (generation << 32 | slot); listeners and the eventfd have the top bit set.
    // The generation drops events for a slot whose connection was closed earlier in the same batch (nginx's
    // "instance" bit).
    private const ulong ListenerTag = 1UL << 63;
    private const ulong WakeToken = ulong.MaxValue;
    private const ulong InotifyToken = ulong.MaxValue - 1;
    private const int MaxEvents = 256;
    private const int TickMs = 1000;
    private const int AcceptPauseMs = 100;

    public int Index { get; }
    public ILogger Logger { get; }
    public long NowMs { get; private set; }
    /// <summary>Wall-clock Unix seconds of the current iteration (for dates and If-Modified-Since checks).</summary>
    public long UnixSeconds => _dateSecond;
    public bool Stopping { get; private set; }
    /// <summary>The configuration requests start with; replaced on reload (a request keeps the one it began with).</summary>
    public ServeContext Context => _context;
    public AccessLog? AccessLog { get; }
    public FileCache Cache { get; } = new();

    // Live figures for systemd's STATUS=: written by this loop only, read by the status reporter.
    public long Requests;
    public long BytesSent;
    /// <summary>Loop clock when the last iteration ended; the watchdog reads it from another thread.</summary>
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

    private Connection?[] _slots = new Connection?[64];
    private uint[] _generations = new uint[64];
    private readonly Stack<int> _freeSlots = new();
    private int _nextSlot;
    private int _connections;

    private readonly Stack<byte[]> _receiveBuffers = new();
    private readonly Stack<byte[]> _largeReceiveBuffers = new();
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
        _listeners = listeners;
        Logger = logger;
        // The largest head: a Location made of the longest request line, every byte percent-encoded, plus the
        // fixed headers and an error body.
        Scratch = GC.AllocateUninitializedArray<byte>(ScratchSize(context), pinned: true);

        _epollFd = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        if (_epollFd < 0) throw new InvalidOperationException($"epoll_create1: {ErrnoExtensions.Last().Describe()}");
        _wakeFd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_wakeFd < 0) throw new InvalidOperationException($"eventfd: {ErrnoExtensions.Last().Describe()}");
        Register(_wakeFd, Libc.EPOLLIN | Libc.EPOLLET, WakeToken);
        if (Cache.Enabled) Register(Cache.InotifyFd, Libc.EPOLLIN | Libc.EPOLLET, InotifyToken);
        RegisterListeners();

        UpdateClock();
        if (index == 0 && long.TryParse(Environment.GetEnvironmentVariable(WedgeAfterVariable), out long wedgeAfter) && wedgeAfter > 0)
            _wedgeAtMs = NowMs + wedgeAfter;
        _thread = new Thread(Run) { Name = $"staticd-loop-{index}", IsBackground = true };
    }

    public void Start() => _thread.Start();

    /// <summary>The largest head (a Location made of the longest request line, every byte percent-encoded, plus
    /// fixed headers) followed by a small cached body, so head and body leave in one send().</summary>
    private static int ScratchSize(ServeContext context) =>
        context.Limits.MaxRequestLineBytes * 3 + 8192 + FileCache.SmallFileMax;

    private void RegisterListeners()
    {
        for (int i = 0; i < _listeners.Length; i++)
        {
            // A socket shared by all loops wakes just one of them per connection (EPOLLEXCLUSIVE), not all.
            uint events = Libc.EPOLLIN | Libc.EPOLLET | (_listeners[i].Shared ? Libc.EPOLLEXCLUSIVE : 0);
            Register(_listeners[i].Fd, events, ListenerTag | ((ulong)_listenerGeneration << 16) | (uint)i);
        }
    }

    /// <summary>Stops watching listeners: closes its own, only unregisters shared ones (the service owns those).</summary>
    private void ReleaseListeners(Listener[] listeners)
    {
        foreach (Listener l in listeners)
        {
            if (l.Shared)
            {
                EpollEvent none = default;
                if (l.Fd >= 0) Libc.epoll_ctl(_epollFd, Libc.EPOLL_CTL_DEL, l.Fd, &none);
            }
            else
            {
                l.Dispose();
            }
        }
    }

    private void Register(int fd, uint events, ulong data)
    {
        EpollEvent ev = new() { Events = events, Data = data };
        if (Libc.epoll_ctl(_epollFd, Libc.EPOLL_CTL_ADD, fd, &ev) < 0)
            throw new InvalidOperationException($"epoll_ctl: {ErrnoExtensions.Last().Describe()}");
    }

    // ───────────────────────────── the loop ─────────────────────────────

    private void Run()
    {
        EpollEvent* events = stackalloc EpollEvent[MaxEvents];
        try
        {
            while (true)
            {
                int timeout = ComputeTimeout();
                int n = Libc.epoll_wait(_epollFd, events, MaxEvents, timeout);
                Errno errno = n < 0 ? ErrnoExtensions.Last() : Errno.None;
                UpdateClock();
                if (n < 0 && errno != Errno.EINTR)
                    throw new InvalidOperationException($"epoll_wait: {errno.Describe()}");
                // File changes first: no request of this round may be answered from a cache entry they made stale.
                for (int i = 0; i < n; i++)
                {
                    if (events[i].Data == InotifyToken) Cache.DrainEvents();
                }
                for (int i = 0; i < n; i++) Dispatch(events[i]);
                DrainCompletions();
                RunPosted();
                RunYielded();
                if (NowMs >= _nextTickMs) Tick();
                if (_stopRequested && !Stopping) BeginStop();
                if (Stopping && (_connections == 0 || NowMs >= _stopDeadline)) break;
                Volatile.Write(ref _lastIterationMs, NowMs);
            }
            CloseAll();
        }
        catch (Exception ex)
        {
            // A broken loop cannot be repaired from inside; crash so systemd restarts the service (Restart=on-failure)
            // rather than serve on with a dead share of the connections.
            Log.LoopCrashed(Logger, Index, ex);
            Environment.FailFast($"staticd event loop {Index} crashed: {ex}");
        }
    }

    private int ComputeTimeout()
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
            ulong value;
            Libc.read(_wakeFd, &value, sizeof(ulong));
            return;
        }
        if ((data & ListenerTag) != 0)
        {
            int index = (int)(data & 0xFFFF);
            if ((uint)((data >> 16) & 0xFFFF_FFFF) == _listenerGeneration && index < _listeners.Length)
                AcceptAll(_listeners[index]);
            return;
        }
        int slot = (int)(uint)data;
        uint generation = (uint)(data >> 32);
        Connection? connection = (uint)slot < (uint)_slots.Length ? _slots[slot] : null;
        if (connection is null || _generations[slot] != generation) return; // stale: closed earlier in this batch
        connection.OnEvents(ev.Events);
    }

    // ───────────────────────────── accepting ─────────────────────────────

    private void AcceptAll(Listener listener)
    {
        if (Stopping || listener.Fd < 0 || NowMs < _acceptPausedUntil) return;
        int max = _context.Limits.MaxConnections;
        while (true)
        {
            SockAddrStorage peer;
            int fd = Syscall.Accept(listener.Fd, &peer, out Errno errno);
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
                RejectOverCapacity(fd);
                continue;
            }
            var connection = new Connection(this, fd, peer);
            if (Add(connection)) connection.OnAccepted();
        }
    }

    /// <summary>At MaxConnections a new client gets a one-shot 503 (best effort, never blocks) and a close.</summary>
    private void RejectOverCapacity(int fd)
    {
        var w = new ResponseWriter(Scratch);
        w.Write(StatusCodes.Line(503));
        w.Write("Server: staticd\r\n"u8);
        w.Write(DateHeader);
        w.Write("Retry-After: 5\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8);
        fixed (byte* p = Scratch) Libc.send(fd, p, (nuint)w.Length, Libc.MSG_NOSIGNAL | Libc.MSG_DONTWAIT);
        Syscall.Close(fd);
    }

    private bool Add(Connection connection)
    {
        int slot;
        if (_freeSlots.Count > 0)
        {
            slot = _freeSlots.Pop();
        }
        else
        {
            if (_nextSlot == _slots.Length)
            {
                Array.Resize(ref _slots, _slots.Length * 2);
                Array.Resize(ref _generations, _generations.Length * 2);
            }
            slot = _nextSlot++;
        }
        connection.Slot = slot;
        _slots[slot] = connection;
        _connections++;
        uint generation = _generations[slot] & 0x7FFF_FFFF;
        EpollEvent ev = new()
        {
            // Registered once for its whole life, in and out: no epoll_ctl per request. EPOLLRDHUP tells a
            // half-close from a plain read event.
            Events = Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLRDHUP | Libc.EPOLLET,
            Data = ((ulong)generation << 32) | (uint)slot,
        };
        if (Libc.epoll_ctl(_epollFd, Libc.EPOLL_CTL_ADD, connection.Fd, &ev) < 0)
        {
            Log.EpollAddFailed(Logger, ErrnoExtensions.Last().Describe());
            connection.CloseNow();
            return false;
        }
        return true;
    }

    /// <summary>Called by <see cref="Connection.CloseNow"/> after the socket is closed.</summary>
    public void Remove(Connection connection)
    {
        int slot = connection.Slot;
        if (_slots[slot] != connection) return;
        _slots[slot] = null;
        _generations[slot] = (_generations[slot] + 1) & 0x7FFF_FFFF;
        _freeSlots.Push(slot);
        _connections--;
        _connectionCount.Remove();
    }

    // ───────────────────────────── fairness and time ─────────────────────────────

    /// <summary>A connection that used its turn budget runs again after this round of events, so one large
    /// download cannot starve the others.</summary>
    public void Yield(Connection connection) => _yielded.Add(connection);

    private void RunYielded()
    {
        if (_yielded.Count == 0) return;
        (_yielded, _yieldedSpare) = (_yieldedSpare, _yielded);
        foreach (Connection c in _yieldedSpare) c.OnResumed();
        _yieldedSpare.Clear();
    }

    /// <summary>Once a second (or sooner while accepting is paused): timeouts and accept resumption. A linear
    /// sweep over the slots costs microseconds even at 10,000 connections, and needs no per-request bookkeeping
    /// (a timer wheel would need an update on every state change).</summary>
    private void Tick()
    {
        _nextTickMs = NowMs + TickMs;
        if (_wedgeAtMs > 0 && NowMs >= _wedgeAtMs)
            Thread.Sleep(Timeout.Infinite); // test hook only: see WedgeAfterVariable
        long now = NowMs;
        for (int i = 0; i < _nextSlot; i++)
        {
            Connection? c = _slots[i];
            if (c is not null && c.Deadline <= now) c.OnTimeout();
        }
        if (_acceptPausedUntil != 0 && now >= _acceptPausedUntil)
        {
            _acceptPausedUntil = 0;
            foreach (Listener l in _listeners) AcceptAll(l);
        }
    }

    // ───────────────────────────── buffers ─────────────────────────────

    /// <summary>Heads start in a small buffer — nearly all requests fit in 4 KiB — and move to one of
    /// MaxHeaderBytes only when they need it (nginx's client_header_buffer_size / large_client_header_buffers),
    /// so a thousand busy connections hold 4 MiB, not 16.</summary>
    public int SmallReceiveBufferSize => Math.Min(4096, _context.Limits.MaxHeaderBytes);

    public byte[] RentReceiveBuffer() =>
        _receiveBuffers.Count > 0 ? _receiveBuffers.Pop() : GC.AllocateUninitializedArray<byte>(SmallReceiveBufferSize);

    public byte[] RentLargeReceiveBuffer() =>
        _largeReceiveBuffers.Count > 0 ? _largeReceiveBuffers.Pop() : GC.AllocateUninitializedArray<byte>(_context.Limits.MaxHeaderBytes);

    public void ReturnReceiveBuffer(byte[] buffer)
    {
        // Keep a few for reuse (a buffer is only held while a head is being read, so few are busy at once); the
        // rest go back to the GC, so a burst of clients does not pin megabytes for ever. A buffer of another size
        // predates a reload that changed MaxHeaderBytes.
        if (buffer.Length == SmallReceiveBufferSize)
        {
            if (_receiveBuffers.Count < 64) _receiveBuffers.Push(buffer);
        }
        else if (buffer.Length == _context.Limits.MaxHeaderBytes && _largeReceiveBuffers.Count < 8)
        {
            _largeReceiveBuffers.Push(buffer);
        }
    }

    // ───────────────────────────── reload ─────────────────────────────

    /// <summary>Any thread: run an action on this loop's thread, between two rounds of events.</summary>
    public void Post(Action<EventLoop> action)
    {
        _posted.Enqueue(action);
        Wake();
    }

    private void RunPosted()
    {
        while (_posted.TryDequeue(out Action<EventLoop>? action)) action(this);
    }

    /// <summary>Loop thread (via <see cref="Post"/>): requests from now on use <paramref name="context"/>; with new
    /// listeners, they are watched before the old ones are released, so the port is never unserved. Connections
    /// already accepted on an old listener keep going.</summary>
    public void ApplyConfiguration(ServeContext context, Listener[]? listeners)
    {
        _context = context;
        Cache.Clear();
        int scratch = ScratchSize(context);
        if (Scratch.Length < scratch) Scratch = GC.AllocateUninitializedArray<byte>(scratch, pinned: true);
        _receiveBuffers.Clear();
        _largeReceiveBuffers.Clear();
        if (listeners is null || Stopping) return;
        Listener[] old = _listeners;
        // Connections already queued on the old sockets are taken before those sockets go.
        foreach (Listener l in old) AcceptAll(l);
        _listenerGeneration = (_listenerGeneration + 1) & 0xFFFF;
        _listeners = listeners;
        RegisterListeners();
        ReleaseListeners(old);
    }

    // ───────────────────────────── stopping ─────────────────────────────

    /// <summary>Any thread: stop accepting, finish responses in flight, then exit the loop thread.</summary>
    public void RequestStop()
    {
        _stopRequested = true;
        Wake();
    }

    public bool Join(TimeSpan timeout) => _thread.Join(timeout);

    private void BeginStop()
    {
        Stopping = true;
        _stopDeadline = NowMs + _context.ShutdownTimeoutSeconds * 1000L;
        // Closing the listeners refuses new connections at once; queued, not yet accepted ones are reset.
        ReleaseListeners(_listeners);
        _listeners = [];
        for (int i = 0; i < _nextSlot; i++) _slots[i]?.BeginShutdown();
    }

    private void CloseAll()
    {
        for (int i = 0; i < _nextSlot; i++)
        {
            Connection? c = _slots[i];
            if (c is null) continue;
            c.ForceClose();
        }
    }

    public void Dispose()
    {
        foreach (Listener l in _listeners)
        {
            if (!l.Shared) l.Dispose();
        }
        Cache.Dispose();
        Syscall.Close(_wakeFd);
        Syscall.Close(_epollFd);
    }
}
