using StaticD.Interop;

namespace StaticD.Net;

/// <summary>A loop's listeners, reloads and stop: the parts that change what the loop serves rather than serve it.</summary>
internal sealed partial class EventLoop
{
    private void RegisterListeners()
    {
        for (int i = 0; i < _listeners.Length; i++)
        {
            // A socket shared by all loops wakes just one of them per connection (EPOLLEXCLUSIVE), not all.
            EpollEvents events = EpollEvents.In | EpollEvents.EdgeTriggered | (_listeners[i].Shared ? EpollEvents.Exclusive : 0);
            Register(_listeners[i].Fd, events, ListenerTag | ((ulong)_listenerGeneration << 16) | (uint)i);
        }
    }

    /// <summary>Stops watching listeners: closes its own, only unregisters shared ones (the service owns those).</summary>
    private void ReleaseListeners(Listener[] listeners)
    {
        foreach (Listener l in listeners)
        {
            if (l.Shared && l.Fd >= 0) Syscall.EpollDelete(_epollFd, l.Fd);
            else l.Dispose();
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
        context.Counters.Attach(Index);
        _context = context;
        Cache.Clear();
        int scratch = ScratchSize(context);
        if (Scratch.Length < scratch) Scratch = GC.AllocateUninitializedArray<byte>(scratch, pinned: true);
        ReceiveBuffers.Configure(context.Limits.MaxHeaderBytes);
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
        for (int i = 0; i < _table.HighWater; i++) _table[i]?.BeginShutdown();
    }

    /// <summary>The loop is exiting (stopped, or the shutdown timeout passed): close whatever is left.</summary>
    internal void CloseAll()
    {
        for (int i = 0; i < _table.HighWater; i++) _table[i]?.ForceClose();
    }

    public void Dispose()
    {
        foreach (Listener l in _listeners)
        {
            if (!l.Shared) l.Dispose();
        }
        Cache.Dispose();
        // A pool thread still resolving for a connection the shutdown deadline force-closed will call Complete
        // later: with the flag held at "a wake-up is pending" it never writes to the closed (and perhaps reused)
        // descriptor, since only the loop, which has exited, clears the flag.
        Interlocked.Exchange(ref _wakePending, 1);
        Syscall.Close(_wakeFd);
        Syscall.Close(_epollFd);
    }
}
