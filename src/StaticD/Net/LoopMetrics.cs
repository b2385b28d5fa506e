using StaticD.Http;

namespace StaticD.Net;

/// <summary>
/// One loop's Prometheus counters: plain fields and arrays written only by that loop's thread (no lock, no
/// Interlocked, no allocation per request) and read by the scrape with <see cref="Volatile"/> reads. The scrape
/// sums the loops. The per-site counters belong to a configuration (<see cref="SiteCounters"/>): a reload can
/// change the site list, so they are kept per <see cref="ServeContext"/> and folded by site name.
/// </summary>
internal sealed class LoopMetrics
{
    /// <summary>Upper bounds of the request duration histogram, in microseconds (50 µs to 10 s).</summary>
    public static readonly long[] BucketMicros =
        [50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000];

    /// <summary>Requests per bucket (not cumulative); the last entry counts those above the largest bound (+Inf).</summary>
    public readonly long[] Durations = new long[BucketMicros.Length + 1];
    public long DurationMicros;
    public long Accepted;
    public long RejectedMaxConnections;
    public long CacheHits;
    public long CacheMisses;
    /// <summary>TLS handshakes by how they ended (index = <see cref="TlsHandshakeResult"/>).</summary>
    public readonly long[] TlsHandshakes = new long[4];
    /// <summary>Handshakes that resumed a session (ticket or session ID) instead of a full key exchange.</summary>
    public long TlsResumed;
    /// <summary>Sessions whose sending the kernel took over (kTLS), so files went out with SSL_sendfile.</summary>
    public long KernelTlsSessions;
    /// <summary>HTTP/2 connections and the streams they opened.</summary>
    public long Http2Connections, Http2Streams;
    /// <summary>GOAWAY frames sent, by reason (index = <see cref="Http2GoAwayReason"/>).</summary>
    public readonly long[] Http2GoAway = new long[3];
    /// <summary>Open connections by state (see <see cref="ConnectionState"/>), moved by the loop as it handles each
    /// connection (<see cref="Connection.CountState"/>), so a scrape reads them exact.</summary>
    public readonly int[] States = new int[3];

    /// <summary>Loop thread: one finished request's duration.</summary>
    public void RecordDuration(long micros)
    {
        long[] bounds = BucketMicros;
        int i = 0;
        while (i < bounds.Length && micros > bounds[i]) i++;
        Durations[i]++;
        DurationMicros += micros;
    }
}

/// <summary>What the connection-state gauge reports for one connection.</summary>
internal enum ConnectionState : byte
{
    /// <summary>A request head is expected or arriving (a new connection, or bytes of the next request).</summary>
    Reading,
    /// <summary>A response is being resolved, produced or sent (or the connection lingers after its last one).</summary>
    Writing,
    /// <summary>Kept alive between requests, nothing of the next request received yet.</summary>
    Idle,
}

/// <summary>
/// The per-site request counters of one configuration: for each loop its own array (written by that loop only),
/// with one row per site slot: the configured sites in order, then the default site ("_"), then "-" for requests
/// no site answered. A row holds the requests by method (GET, HEAD, OPTIONS, other) and status class (1xx–5xx),
/// then the response bytes.
/// </summary>
internal sealed class SiteCounters
{
    public const int Methods = 4;
    public const int Classes = 5;
    public const int BytesColumn = Methods * Classes;
    public const int Stride = BytesColumn + 1;
    private const int MaxLoops = 1024;

    private readonly long[]?[] _perLoop = new long[]?[MaxLoops];

    public SiteCounters(ServeContext context)
    {
        var names = new string[context.Sites.Length + 2];
        for (int i = 0; i < context.Sites.Length; i++)
            names[i] = System.Text.Encoding.ASCII.GetString(context.Sites[i].Policy.LogName);
        names[^2] = "_";
        names[^1] = "-";
        Names = names;
    }

    /// <summary>The site label of each slot.</summary>
    public string[] Names { get; }
    public int NoSiteSlot => Names.Length - 1;

    /// <summary>The loop's array (made before the loop serves with this configuration, on its thread or before it starts).</summary>
    public void Attach(int loop)
    {
        if ((uint)loop < MaxLoops && _perLoop[loop] is null)
            Volatile.Write(ref _perLoop[loop], new long[Names.Length * Stride]);
    }

    /// <summary>The scrape's view: the arrays of the loops that served with this configuration.</summary>
    public long[]? ForLoop(int loop) => (uint)loop < MaxLoops ? Volatile.Read(ref _perLoop[loop]) : null;

    /// <summary>Loop thread: one finished response.</summary>
    public void Record(int loop, int slot, HttpMethod method, bool parsed, int status, long bytes)
    {
        long[]? counts = (uint)loop < MaxLoops ? _perLoop[loop] : null;
        if (counts is null || (uint)slot >= (uint)Names.Length) return;
        int m = !parsed ? 3 : method switch
        {
            HttpMethod.Get => 0,
            HttpMethod.Head => 1,
            HttpMethod.Options => 2,
            _ => 3,
        };
        int c = Math.Clamp(status / 100, 1, 5) - 1;
        int row = slot * Stride;
        counts[row + m * Classes + c]++;
        counts[row + BytesColumn] += bytes;
    }
}
