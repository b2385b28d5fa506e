using StaticD.Http;

namespace StaticD.Net;

/// <summary>The connection's share of the Prometheus counters (<see cref="LoopMetrics"/>, <see cref="SiteCounters"/>):
/// plain writes on the loop thread, once per response.</summary>
internal sealed partial class Connection
{
    /// <summary>A response has been finished on this connection (so waiting for the next head is "idle").</summary>
    private bool _answered;

    /// <summary>For the connection-state gauge (read on the loop thread by its once-a-second sample).</summary>
    public ConnectionState MetricsState => _state switch
    {
        State.ReadingHead => _answered && !_in.HasUnparsed ? ConnectionState.Idle : ConnectionState.Reading,
        _ => ConnectionState.Writing,
    };

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
