using StaticD.Net;
using Xunit;

namespace StaticD.Tests.Net;

/// <summary>
/// The connection-state gauge (<see cref="LoopMetrics.States"/>) as the loop keeps it: after every round it holds
/// exactly the open connections by state, with no sweep in between (the clock never moves here): a new connection
/// and a half-sent head are reading, a response the client does not read is writing, a kept-alive connection
/// between requests is idle, and a closed one is not counted.
/// </summary>
public sealed class ConnectionGaugeTests
{
    private static (int Reading, int Writing, int Idle) Gauge(LoopHarness h) =>
        (h.Loop.Metrics.States[(int)ConnectionState.Reading], h.Loop.Metrics.States[(int)ConnectionState.Writing],
         h.Loop.Metrics.States[(int)ConnectionState.Idle]);

    [Fact]
    public void EachConnectionIsCountedInTheStateItIsIn_AfterEveryRound()
    {
        using var h = new LoopHarness();
        h.AddFile("small.txt", "hello");
        h.AddRandomFile("big.bin", 16 << 20);

        // Accepted, head not complete yet: reading.
        using var reader = h.Connect();
        reader.Send("GET /small.txt HTTP/1.1\r\n");
        h.PumpUntil(() => h.Loop.ConnectionCount == 1, "the first connection is accepted");
        h.PumpUntil(() => Gauge(h) == (1, 0, 0), "a half-sent head is counted as reading");

        // A response larger than the socket buffers, and a client that reads none of it: writing.
        using var writer = h.Connect(receiveBufferSize: 4096);
        writer.Send("GET /big.bin HTTP/1.1\r\nHost: h\r\n\r\n");
        h.PumpUntil(() => Gauge(h) == (1, 1, 0), "the stalled download is counted as writing");

        // The rest of the first head: answered, kept alive, idle.
        reader.Send("Host: h\r\n\r\n");
        h.PumpUntil(() => { reader.Poll(); return reader.Responses().Count == 1; }, "the small response arrived");
        Assert.Equal((0, 1, 1), Gauge(h));

        // Closing each takes it out of the count, whatever its state.
        reader.Dispose();
        h.PumpUntil(() => h.Loop.ConnectionCount == 1, "the idle connection is closed");
        Assert.Equal((0, 1, 0), Gauge(h));
        writer.Dispose();
        h.PumpUntil(() => h.Loop.ConnectionCount == 0, "the stalled download is closed");
        Assert.Equal((0, 0, 0), Gauge(h));
    }
}
