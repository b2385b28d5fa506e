namespace StaticD.Net;

/// <summary>
/// How many of one kind of event an HTTP/2 connection may cause per 10-second window (resets and refused streams,
/// or control frames): enough for any browser, far too few for a Rapid Reset (CVE-2023-44487) or a SETTINGS/PING
/// flood to cost more than a bounded slice of a loop. A fixed window rather than a sliding one: the bound is what
/// matters, and this costs two fields and no allocation.
/// </summary>
internal struct Http2Budget(int limit)
{
    public const int WindowMs = 10_000;

    private long _windowStart = long.MinValue;
    private int _spent;

    /// <summary>Counts one event at <paramref name="nowMs"/> (loop clock); false once the window's budget is spent.</summary>
    public bool Spend(long nowMs)
    {
        if (_windowStart == long.MinValue || nowMs - _windowStart >= WindowMs)
        {
            _windowStart = nowMs;
            _spent = 0;
        }
        return ++_spent <= limit;
    }
}
