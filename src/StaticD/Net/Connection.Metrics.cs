using StaticD.Http;

namespace StaticD.Net;

/// <summary>The connection's share of the Prometheus counters (<see cref="LoopMetrics"/>, <see cref="SiteCounters"/>):
/// plain writes on the loop thread, once per response.</summary>
internal sealed partial class Connection
{
    /// <summary>A response has been finished on this connection (so waiting for the next head is "idle").</summary>
    private bool _answered;

    /// <summary>The state this connection is counted under in <see cref="LoopMetrics.States"/>; -1 before it is
    /// first counted and once it is closed.</summary>
    private sbyte _countedState = -1;

    /// <summary>What the connection-state gauge reports for this connection now.</summary>
    public ConnectionState MetricsState => _state switch
    {
        State.ReadingHead => _answered && !_in.HasUnparsed ? ConnectionState.Idle : ConnectionState.Reading,
        State.Http2 => _h2!.HasStreams ? ConnectionState.Writing : ConnectionState.Idle,
        _ => ConnectionState.Writing,
    };

    /// <summary>Loop thread, after each event the loop hands this connection (accepted, readable or writable,
    /// resumed, resolved): moves its count to the state it is in now. Comparing once per event rather than at
    /// every assignment of <c>_state</c> keeps the bookkeeping in one place; the count is then exact as of the
    /// loop's last completed step, without a lock or an Interlocked (only this loop writes its counters).</summary>
    public void CountState()
    {
        if (_state == State.Closed) return; // closing uncounted it already
        int now = (int)MetricsState;
        if (now == _countedState) return;
        int[] states = _loop.Metrics.States;
        if (_countedState >= 0) Volatile.Write(ref states[_countedState], states[_countedState] - 1);
        Volatile.Write(ref states[now], states[now] + 1);
        _countedState = (sbyte)now;
    }

    /// <summary>Loop thread, when the connection closes (from any path: an event, a timeout, the stop).</summary>
    private void UncountState()
    {
        if (_countedState < 0) return;
        int[] states = _loop.Metrics.States;
        Volatile.Write(ref states[_countedState], states[_countedState] - 1);
        _countedState = -1;
    }

    private void CountResponse(long durationUsec)
    {
        _loop.Metrics.RecordDuration(durationUsec);
        int slot = _site?.Index ?? _context.Counters.NoSiteSlot;
        _context.Counters.Record(_loop.Index, slot, _head.Method, _headParsed, _status, _bytesSent);
    }

    /// <summary><see cref="TryServeFromCache"/>, counted as a file cache hit or miss when the cache is on.</summary>
    private bool TryServeFromCacheCounted()
    {
        bool served = TryServeFromCache();
        if (CacheEnabled)
        {
            if (served) _loop.Metrics.CacheHits++;
            else _loop.Metrics.CacheMisses++;
        }
        return served;
    }
}
