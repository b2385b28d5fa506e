using StaticD.Net;
using Xunit;

namespace StaticD.Tests.Net;

/// <summary>
/// How connections end: the client going away (FIN mid-head, FIN after a request, a reset mid-download), the
/// server ending them after a response it cannot follow with another (a request body, a malformed request), and
/// the lingering close that protects such a last response: writes shut down, reading on, closed when the client
/// goes or 2 s later.
/// </summary>
public sealed class ClosePathTests
{
    private const string Request = "GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n";
    private const int LingerMs = 2000;

    public static TheoryData<int, bool> Boundary => new() { { -1, false }, { 0, true } };

    private static LoopHarness Site(Limits? limits = null)
    {
        var h = new LoopHarness(limits);
        h.AddFile("index.html", "hello");
        return h;
    }

    // ───────────────────────────── the client goes ─────────────────────────────

    [Fact]
    public void PeerClosesMidHead_IsClosedAtOnce()
    {
        using var h = Site();
        using var client = h.Connect();
        client.Send("GET /index.html HTTP/1.1\r\n");
        h.PumpUntil(() => h.Loop.ConnectionCount == 1 && h.Last.BytesReceived > 0, "the first bytes were read");

        client.ShutdownSend();
        long now = h.ClockMs;
        h.PumpUntil(() => h.Loop.ConnectionCount == 0, "the half-finished head was given up");
        Assert.Equal(now, h.NowMs); // not by a timeout
        Assert.True(client.WaitClosed());
        Assert.Equal(0, client.ReceivedCount);
    }

    [Fact]
    public void PeerClosesMidHead_WithTheLastBytesInTheSameEvent_IsClosedAtOnce()
    {
        // The rest of the head and the FIN arrive together, so one edge-triggered event reports both (EPOLLIN |
        // EPOLLRDHUP) and a short read takes the bytes: the end of the stream is still to be read then, and no
        // further event will announce it.
        using var h = Site();
        using var client = h.Connect();
        client.Send("GET /index.html HTTP/1.1\r\n");
        h.PumpUntil(() => h.Loop.ConnectionCount == 1 && h.Last.BytesReceived > 0, "the first bytes were read");

        client.Send("Host: h\r\n");
        client.ShutdownSend();
        long now = h.ClockMs;
        h.PumpUntil(() => h.Loop.ConnectionCount == 0, "the half-finished head was given up");
        Assert.Equal(now, h.NowMs);
        Assert.True(client.WaitClosed());
        Assert.Equal(0, client.ReceivedCount);
    }

    [Fact]
    public void PeerHalfClosesAfterARequest_GetsTheWholeResponse_ThenTheClose()
    {
        // "printf 'GET … ' | nc -N": the request and the FIN together on a keep-alive connection. The response must
        // come, and then the close at once, not after the keep-alive timeout.
        using var h = Site();
        using var client = h.Connect();
        client.Send(Request);
        h.PumpUntil(() => client.Poll() && client.Responses().Count == 1, "the first response arrived");

        client.Send(Request);
        client.ShutdownSend();
        long now = h.ClockMs;
        h.PumpUntil(() => h.Loop.ConnectionCount == 0, "the connection closed after the second response");
        Assert.Equal(now, h.NowMs);
        Assert.True(client.WaitClosed());
        Assert.Equal(["hello", "hello"], client.Responses().Select(r => r.BodyText));
    }

    [Fact]
    public void PeerResetsDuringASend_IsClosedAtOnce()
    {
        using var h = Site();
        h.AddRandomFile("big.bin", 4 << 20);
        var client = h.Connect(receiveBufferSize: 4096);
        client.Send("GET /big.bin HTTP/1.1\r\nHost: h\r\n\r\n");
        h.PumpUntil(() => h.Transports.Count == 1 && h.Last.Blocked && h.Loop.ComputeTimeout() > 0, "the send blocked");

        client.Reset();
        long now = h.ClockMs;
        h.PumpUntil(() => h.Loop.ConnectionCount == 0, "the reset connection was closed");
        Assert.Equal(now, h.NowMs);
        Assert.True(h.Last.IsClosed);
        Assert.Equal(0, h.Connections.Open);
    }

    // ───────────────────────────── the server ends it ─────────────────────────────

    [Fact]
    public void RequestWithABody_IsAnswered_ThenClosed_AndTheBodyIsNeverARequest()
    {
        // The body is never read as such; what looks like a request in it must not be answered.
        using var h = Site();
        h.AddFile("secret.txt", "SMUGGLED");
        using var client = h.Connect();
        const string smuggled = "GET /secret.txt HTTP/1.1\r\nHost: h\r\n\r\n";
        client.Send($"GET /index.html HTTP/1.1\r\nHost: h\r\nContent-Length: {smuggled.Length}\r\n\r\n{smuggled}");

        h.PumpUntil(() => !client.Poll(), "the client saw the end of the stream");
        Response response = Assert.Single(client.Responses());
        Assert.Equal(200, response.Status);
        Assert.Equal("close", response.Header("Connection"));
        Assert.DoesNotContain("SMUGGLED", client.Text);

        // Body bytes were unread: a lingering close, until the client goes.
        Assert.True(h.Last.WriteShutdown);
        client.ShutdownSend();
        h.PumpUntil(() => h.Loop.ConnectionCount == 0, "the connection closed after the client did");
    }

    [Theory]
    [InlineData("GET /index.html HTTP/1.1\r\nthis header has no colon\r\n\r\n")]
    [InlineData("garbage\r\n\r\n")]
    public void MalformedRequest_Is400_ThenClosed(string request)
    {
        using var h = Site();
        using var client = h.Connect();
        client.Send(request + Request); // what follows a framing error is never read as a request

        h.PumpUntil(() => !client.Poll(), "the client saw the end of the stream");
        Response response = Assert.Single(client.Responses());
        Assert.Equal(400, response.Status);
        Assert.Equal("close", response.Header("Connection"));
        Assert.DoesNotContain("hello", client.Text);
        client.ShutdownSend();
        h.PumpUntil(() => h.Loop.ConnectionCount == 0, "the connection closed after the client did");
    }

    // ───────────────────────────── lingering close ─────────────────────────────

    /// <summary>A "Connection: close" request with another one pipelined behind it: the response, then the
    /// server's FIN while the connection lingers. Returns once the client has seen that end of stream.</summary>
    private static LoopClient LingeringClose(LoopHarness h)
    {
        LoopClient client = h.Connect();
        client.Send("GET /index.html HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n" + Request);
        h.PumpUntil(() => !client.Poll(), "the client saw the end of the stream");
        Assert.Equal("hello", Assert.Single(client.Responses()).BodyText);
        Assert.True(h.Last.WriteShutdown, "no shutdown(SHUT_WR) before lingering");
        Assert.Equal(1, h.Loop.ConnectionCount);
        return client;
    }

    [Theory]
    [MemberData(nameof(Boundary))]
    public void LingeringClose_KeepsReading_UntilTwoSecondsAfterTheResponse(int offset, bool closed)
    {
        using var h = Site();
        using LoopClient client = LingeringClose(h);
        long deadline = h.NowMs + LingerMs; // the response ended in this round

        // The client may still be sending: those bytes are read and dropped (unread, they would turn our close
        // into a reset that can destroy the response on the client's side).
        long received = h.Last.BytesReceived;
        h.RoundAt(h.NowMs + 500);
        client.Send(Request + Request);
        h.PumpUntil(() => h.Last.BytesReceived == received + 2 * Request.Length, "the late bytes were read");
        Assert.Equal(1, h.Loop.ConnectionCount);

        h.SweepAt(deadline + offset);
        Assert.Equal(closed ? 0 : 1, h.Loop.ConnectionCount);
        Assert.Equal(closed, h.Last.IsClosed);
        Assert.Single(client.Responses());
    }

    [Fact]
    public void LingeringClose_EndsWhenTheClientCloses()
    {
        using var h = Site();
        using LoopClient client = LingeringClose(h);
        long now = h.NowMs;

        client.ShutdownSend();
        h.PumpUntil(() => h.Loop.ConnectionCount == 0, "the lingering connection closed after the client did");
        Assert.Equal(now, h.NowMs);
        Assert.True(h.Last.IsClosed);
    }

    [Fact]
    public void CleanConnectionClose_IsClosedAtOnce_WithoutLingering()
    {
        using var h = Site();
        using var client = h.Connect();
        client.Send("GET /index.html HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
        h.PumpUntil(() => h.Transports.Count == 1 && h.Loop.ConnectionCount == 0, "the connection closed");
        Assert.False(h.Last.WriteShutdown);
        Assert.True(client.WaitClosed());
        Assert.Equal("close", Assert.Single(client.Responses()).Header("Connection"));
        Assert.False(client.WasReset);
    }
}
