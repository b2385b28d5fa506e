using StaticD.Net;
using Xunit;

namespace StaticD.Tests.Net;

/// <summary>
/// Header, keep-alive and send timeouts on the loop's clock, to the millisecond. The loop sweeps for timeouts
/// once a second, so each boundary is checked with a sweep exactly one millisecond before the deadline (the
/// connection must survive it) and one exactly at the deadline (it must close), each case on its own loop.
/// Nothing here sleeps: the fake clock jumps, and the rounds in between wait only for socket and pool events.
/// </summary>
public sealed class TimeoutTests
{
    private const string PartialHead = "GET /index.html HTTP/1.1\r\nHost: h\r\nX-Slow: ";

    /// <summary>Offset of the deciding sweep from the deadline, and whether the connection must then be gone.</summary>
    public static TheoryData<int, bool> Boundary => new() { { -1, false }, { 0, true } };

    private static void AssertAtBoundary(LoopHarness h, LoopClient client, bool closed, string what)
    {
        if (closed) h.AssertClosed(client, $"{what} at the deadline");
        else h.AssertOpen(client, $"{what} 1 ms before the deadline");
    }

    // ───────────────────────────── header timeout ─────────────────────────────

    [Theory]
    [MemberData(nameof(Boundary))]
    public void PartialHead_IsClosedAtTheHeaderDeadline(int offset, bool closed)
    {
        using var h = new LoopHarness(new Limits { HeaderTimeoutSeconds = 3 });
        h.AddFile("index.html", "hello");
        using var client = h.Connect();
        client.Send(PartialHead);
        h.PumpUntil(() => h.Loop.ConnectionCount == 1 && h.Last.BytesReceived == PartialHead.Length, "the partial head was read");
        long deadline = h.NowMs + 3000;

        h.SweepAt(deadline + offset);
        AssertAtBoundary(h, client, closed, "a head that never ends");
        // A timeout is a silent close: a client that stopped sending would not read a 408.
        Assert.Equal(0, client.ReceivedCount);
    }

    [Theory]
    [MemberData(nameof(Boundary))]
    public void TrickledHead_IsClosedAtTheDeadlineCountedFromItsFirstByte(int offset, bool closed)
    {
        // Slowloris: a byte every second (and one a millisecond before the last sweep) keeps the connection
        // busy, but the header deadline runs from the head's first byte, not from the latest one.
        using var h = new LoopHarness(new Limits { HeaderTimeoutSeconds = 5 });
        using var client = h.Connect();
        client.Send(PartialHead);
        h.PumpUntil(() => h.Loop.ConnectionCount == 1 && h.Last.BytesReceived == PartialHead.Length, "the first bytes were read");
        long start = h.NowMs, deadline = start + 5000;

        long received = PartialHead.Length;
        foreach (long at in new[] { start + 1000, start + 2000, start + 3000, start + 3999 })
        {
            h.RoundAt(at);
            client.Send("a");
            received++;
            h.PumpUntil(() => h.Last.BytesReceived == received, $"the byte sent at +{at - start} ms was read");
            h.AssertOpen(client, $"a trickled head at +{at - start} ms");
        }

        h.SweepAt(deadline + offset);
        AssertAtBoundary(h, client, closed, "a trickled head");
    }

    [Fact]
    public void PartialHead_RunLikeTheLoopThread_IsClosedWithinASweepAfterTheDeadline()
    {
        // The loop thread sleeps what ComputeTimeout says between rounds; played out on the fake clock, the close
        // comes at the first sweep at or after the deadline, less than a second late.
        using var h = new LoopHarness(new Limits { HeaderTimeoutSeconds = 2 });
        using var client = h.Connect();
        client.Send(PartialHead);
        h.PumpUntil(() => h.Loop.ConnectionCount == 1 && h.Last.BytesReceived > 0, "the partial head was read");
        long deadline = h.NowMs + 2000;

        h.IdleFor(5000, stopWhen: () => h.Loop.ConnectionCount == 0);
        Assert.Equal(0, h.Loop.ConnectionCount);
        Assert.InRange(h.NowMs, deadline, deadline + LoopHarness.SweepMs - 1);
        h.AssertClosed(client, "after the header timeout");
    }

    [Theory]
    [MemberData(nameof(Boundary))]
    public void SecondHeadOnAKeepAliveConnection_GetsTheHeaderDeadline_NotTheIdleOne(int offset, bool closed)
    {
        using var h = new LoopHarness(new Limits { HeaderTimeoutSeconds = 3, KeepAliveTimeoutSeconds = 30 });
        h.AddFile("index.html", "hello");
        using var client = h.Connect();
        const string request = "GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n";
        client.Send(request);
        h.PumpUntil(() => client.Poll() && client.Responses().Count == 1, "the first response arrived");

        // Ten idle seconds later (well within the keep-alive timeout) the next head starts, and stalls.
        long next = h.NowMs + 10_000;
        h.SweepAt(next);
        client.Send(PartialHead);
        h.PumpUntil(() => h.Last.BytesReceived == request.Length + PartialHead.Length, "the second head's first bytes were read");

        h.SweepAt(next + 3000 + offset);
        AssertAtBoundary(h, client, closed, "a stalled second head");
    }

    // ───────────────────────────── keep-alive timeout ─────────────────────────────

    [Theory]
    [MemberData(nameof(Boundary))]
    public void IdleKeepAliveConnection_IsClosedAtTheKeepAliveDeadline(int offset, bool closed)
    {
        // The header timeout is shorter, and must not apply between requests.
        using var h = new LoopHarness(new Limits { HeaderTimeoutSeconds = 2, KeepAliveTimeoutSeconds = 4 });
        h.AddFile("index.html", "hello");
        using var client = h.Connect();
        client.Send("GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n");
        h.PumpUntil(() => client.Poll() && client.Responses().Count == 1, "the response arrived");
        Response response = client.Responses()[0];
        Assert.Equal(200, response.Status);
        Assert.Equal("hello", response.BodyText);
        Assert.Null(response.Header("Connection"));
        long deadline = h.NowMs + 4000; // the response finished in this round

        h.SweepAt(deadline + offset);
        AssertAtBoundary(h, client, closed, "an idle keep-alive connection");
    }

    [Fact]
    public void KeepAliveTimeoutZero_ClosesRightAfterTheResponse()
    {
        using var h = new LoopHarness(new Limits { KeepAliveTimeoutSeconds = 0 });
        h.AddFile("index.html", "hello");
        using var client = h.Connect();
        client.Send("GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n");
        long start = h.ClockMs;

        h.PumpUntil(() => h.Loop.ConnectionCount == 0 && h.Transports.Count == 1, "the connection was closed");
        Assert.Equal(start, h.NowMs); // no time had to pass
        Assert.True(client.WaitClosed(), "the client never saw the close");
        Response response = Assert.Single(client.Responses());
        Assert.Equal(200, response.Status);
        Assert.Equal("close", response.Header("Connection"));
        Assert.False(h.Last.WriteShutdown, "a clean request needs no lingering close");
    }

    // ───────────────────────────── send timeout ─────────────────────────────

    /// <summary>A client that asked for a large file with a tiny receive window and reads nothing: the server's
    /// send stops at EAGAIN. Returns once the loop is idle in that state.</summary>
    private static LoopClient StalledDownload(LoopHarness h)
    {
        h.AddRandomFile("big.bin", 4 << 20);
        LoopClient client = h.Connect(receiveBufferSize: 4096);
        client.Send("GET /big.bin HTTP/1.1\r\nHost: h\r\n\r\n");
        WaitUntilBlocked(h);
        return client;
    }

    private static void WaitUntilBlocked(LoopHarness h) =>
        h.PumpUntil(() => h.Transports.Count == 1 && h.Last.Blocked && h.Loop.ComputeTimeout() > 0, "the send blocked");

    /// <summary>
    /// The deciding sweep for the send timeout: SendTimeoutSeconds after the connection's last send call. The
    /// kernel may still move a little data after the client stopped reading (its delayed ACK opens the window, the
    /// server's queue drains, EPOLLOUT follows), and the server rightly counts that wake-up as progress. When one
    /// lands in the deciding round, the deadline has moved with it: decide again at the new one. Returns the
    /// deadline that held.
    /// </summary>
    private static long SweepAtSendDeadline(LoopHarness h, int offset, int timeoutMs)
    {
        for (int attempt = 0; attempt < 10; attempt++)
        {
            long deadline = h.Last.LastSendCallMs + timeoutMs;
            h.SweepAt(deadline + offset);
            if (h.Last.LastSendCallMs + timeoutMs == deadline) return deadline;
        }
        Assert.Fail("the send kept moving although the client read nothing");
        return 0;
    }

    [Theory]
    [MemberData(nameof(Boundary))]
    public void ClientThatStopsReading_IsDroppedAtTheSendDeadline(int offset, bool closed)
    {
        using var h = new LoopHarness(new Limits { SendTimeoutSeconds = 4 });
        using LoopClient client = StalledDownload(h);

        SweepAtSendDeadline(h, offset, 4000);
        Assert.Equal(closed ? 0 : 1, h.Loop.ConnectionCount);
        Assert.Equal(closed, h.Last.IsClosed);
        if (closed)
        {
            Assert.True(client.WaitClosed(), "the client never saw the close");
            Assert.True(client.ReceivedCount < 4 << 20, "the whole file arrived: the connection was not dropped");
        }
    }

    [Theory]
    [MemberData(nameof(Boundary))]
    public void SendProgress_MovesTheSendDeadline(int offset, bool closed)
    {
        using var h = new LoopHarness(new Limits { SendTimeoutSeconds = 4 });
        using LoopClient client = StalledDownload(h);
        long first = h.Last.LastSendCallMs + 4000;

        // Three seconds in, the client reads what it has; the window opens and the server sends more.
        h.SweepAt(first - 1000);
        long sent = h.Last.BytesSent;
        h.PumpUntil(() => { client.Poll(); return h.Last.BytesSent > sent; }, "the server sent more after the client read");
        Assert.Equal(first + 3000, h.Last.LastSendCallMs + 4000);
        WaitUntilBlocked(h);

        // The first deadline passes harmlessly: the progress moved it.
        h.SweepAt(first);
        Assert.Equal(1, h.Loop.ConnectionCount);
        Assert.False(h.Last.IsClosed, "closed at the deadline the progress had moved");

        long deadline = SweepAtSendDeadline(h, offset, 4000);
        Assert.True(deadline >= first + 3000);
        Assert.Equal(closed ? 0 : 1, h.Loop.ConnectionCount);
        Assert.Equal(closed, h.Last.IsClosed);
    }
}
