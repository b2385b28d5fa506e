using StaticD.Net;
using Xunit;

namespace StaticD.Tests.Net;

/// <summary>
/// Graceful stop (<see cref="EventLoop.RequestStop"/>): the listener goes at once, idle connections close at once,
/// a response in flight finishes (and then its connection closes), and RunOnce says false when nothing is left —
/// or when ShutdownTimeoutSeconds have passed on the loop's clock, whatever is still stuck.
/// </summary>
public sealed class StopTests
{
    private const string Request = "GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n";

    [Fact]
    public void IdleConnectionsCloseAtOnce_AndTheLoopIsDone()
    {
        using var h = new LoopHarness();
        h.AddFile("index.html", "hello");
        using var idle = h.Connect();
        idle.Send(Request);
        h.PumpUntil(() => idle.Poll() && idle.Responses().Count == 1, "the response arrived");
        using var partial = h.Connect();
        partial.Send("GET /index.html HTTP/1.1\r\n");
        h.PumpUntil(() => h.Loop.ConnectionCount == 2 && h.Last.BytesReceived > 0, "the second client's bytes were read");

        long now = h.NowMs;
        h.Loop.RequestStop();
        Assert.False(h.Round(), "the loop went on with nothing left to do");
        Assert.Equal(now, h.NowMs);
        Assert.Equal(0, h.Loop.ConnectionCount);
        Assert.True(idle.WaitClosed(), "the idle keep-alive client never saw the close");
        Assert.True(partial.WaitClosed(), "the client with half a head never saw the close");
        Assert.Single(idle.Responses());
        Assert.Equal(0, partial.ReceivedCount);
        AssertNotListening(h.Port);
    }

    [Fact]
    public void ResponseInFlight_Finishes_ThenTheConnectionCloses_AndTheLoopIsDone()
    {
        using var h = new LoopHarness();
        h.AddFile("index.html", "hello");
        byte[] big = h.AddRandomFile("big.bin", 1 << 20);
        using var idle = h.Connect();
        idle.Send(Request);
        h.PumpUntil(() => idle.Poll() && idle.Responses().Count == 1, "the idle client's response arrived");
        using var downloading = h.Connect(receiveBufferSize: 16 * 1024);
        downloading.Send("GET /big.bin HTTP/1.1\r\nHost: h\r\n\r\n");
        h.PumpUntil(() => h.Transports.Count == 2 && h.Last.Blocked && h.Loop.ComputeTimeout() > 0, "the download blocked");

        h.Loop.RequestStop();
        Assert.True(h.Round());
        Assert.True(idle.WaitClosed(), "the idle client was not closed at once");
        Assert.Equal(1, h.Loop.ConnectionCount);
        AssertNotListening(h.Port);

        // The download goes on as the client reads, to its last byte; then the loop is done.
        h.PumpUntil(() => { downloading.Poll(); return h.Loop.ConnectionCount == 0; }, "the download finished");
        Assert.False(h.Running, "RunOnce still said true with no connection left");
        Assert.True(downloading.WaitClosed());
        Response response = Assert.Single(downloading.Responses());
        Assert.Equal(200, response.Status);
        // Its head went out before the stop, so it still says keep-alive; the close follows the body.
        Assert.Null(response.Header("Connection"));
        Assert.Equal(big, response.Body);
        Assert.Equal(response.Head.Length + 4 + big.Length, downloading.ReceivedCount);
    }

    [Fact]
    public void StuckResponse_IsCutAtTheShutdownDeadline()
    {
        using var h = new LoopHarness(new Limits { SendTimeoutSeconds = 60 }, shutdownTimeoutSeconds: 3);
        h.AddRandomFile("big.bin", 4 << 20);
        using var stuck = h.Connect(receiveBufferSize: 4096);
        stuck.Send("GET /big.bin HTTP/1.1\r\nHost: h\r\n\r\n");
        h.PumpUntil(() => h.Transports.Count == 1 && h.Last.Blocked && h.Loop.ComputeTimeout() > 0, "the download blocked");

        h.Loop.RequestStop();
        Assert.True(h.Round());
        long deadline = h.NowMs + 3000; // the stop began in this round

        // The deadline is checked every round, not only at sweeps.
        Assert.True(h.RoundAt(deadline - 1000));
        Assert.True(h.RoundAt(deadline - 1), "the loop gave up before the shutdown deadline");
        Assert.Equal(1, h.Loop.ConnectionCount);
        Assert.False(h.Last.IsClosed);

        Assert.False(h.RoundAt(deadline), "the loop went on past the shutdown deadline");
        // The loop thread closes what is left on its way out.
        h.Loop.CloseAll();
        Assert.True(h.Last.IsClosed);
        Assert.True(stuck.WaitClosed(), "the stuck client never saw the close");
        Assert.True(stuck.ReceivedCount < 4 << 20);
    }

    /// <summary>Nothing listens on 127.0.0.1:<paramref name="port"/> any more, read from /proc/net/tcp rather than
    /// probed with a connect (which, should another test's listener get the freed port, would land in its loop).</summary>
    private static void AssertNotListening(int port)
    {
        string local = $"0100007F:{port:X4}";
        bool listening = File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Any(f => f[1] == local && f[3] == "0A"); // TCP_LISTEN
        Assert.False(listening, $"127.0.0.1:{port} is still listening after the stop");
    }
}
