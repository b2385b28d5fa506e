namespace StaticD.Net;

/// <summary>Open connections across all loops, for <see cref="Limits.MaxConnections"/> and the status line. One
/// instance for the life of the server: it must survive reloads (a count kept per configuration restarted at
/// zero on every SIGHUP, went negative as the old connections closed, and let each reload raise the effective
/// limit by the connections open at that moment).</summary>
internal sealed class ConnectionCount
{
    private int _open;

    public int Open => Volatile.Read(ref _open);

    /// <summary>Any loop: claims a place for a new connection; false (nothing claimed) when at <paramref name="max"/>.</summary>
    public bool TryAdd(int max)
    {
        if (Interlocked.Increment(ref _open) <= max) return true;
        Interlocked.Decrement(ref _open);
        return false;
    }

    public void Remove() => Interlocked.Decrement(ref _open);
}
