using StaticD.Net;
using Xunit;

namespace StaticD.Tests.Net;

/// <summary>MaxConnections: a client over the limit gets a one-shot 503 and a close; a place freed by a closed
/// connection is taken by the next client.</summary>
public sealed class CapacityTests
{
    private const string Request = "GET /index.html HTTP/1.1\r\nHost: h\r\n\r\n";

    [Fact]
    public void OverMaxConnections_Gets503AndClose_AndAFreedPlaceIsTakenAgain()
    {
        using var h = new LoopHarness(new Limits { MaxConnections = 1 });
        h.AddFile("index.html", "hello");

        using var first = h.Connect();
        first.Send(Request);
        h.PumpUntil(() => first.Poll() && first.Responses().Count == 1, "the first client was served");
        Assert.Equal(1, h.Connections.Open);

        // TCP_DEFER_ACCEPT: the second client is accepted once its request has arrived.
        using var second = h.Connect();
        second.Send(Request);
        h.PumpUntil(() => !second.Poll(), "the second client saw the end of the stream");
        Assert.StartsWith("HTTP/1.1 503 Service Unavailable\r\n", second.Text);
        Response busy = Assert.Single(second.Responses());
        Assert.Equal("close", busy.Header("Connection"));
        Assert.Equal("5", busy.Header("Retry-After"));
        Assert.Equal("0", busy.Header("Content-Length"));
        Assert.Single(h.Transports); // never a connection of the loop
        Assert.Equal(1, h.Connections.Open);

        // The first client is unaffected.
        first.Send(Request);
        h.PumpUntil(() => first.Poll() && first.Responses().Count == 2, "the first client was served again");

        // Once it has gone, its place is free again.
        first.ShutdownSend();
        h.PumpUntil(() => h.Loop.ConnectionCount == 0, "the first connection closed");
        Assert.Equal(0, h.Connections.Open);

        using var third = h.Connect();
        third.Send(Request);
        h.PumpUntil(() => third.Poll() && third.Responses().Count == 1, "the third client was served");
        Assert.Equal(200, third.Responses()[0].Status);
        Assert.Equal("hello", third.Responses()[0].BodyText);
        Assert.Equal(1, h.Connections.Open);
    }

    [Fact]
    public void TimedOutConnection_FreesItsPlace()
    {
        using var h = new LoopHarness(new Limits { MaxConnections = 1, HeaderTimeoutSeconds = 2 });
        h.AddFile("index.html", "hello");
        using var stalled = h.Connect();
        stalled.Send("GET /index.html HTTP/1.1\r\n");
        h.PumpUntil(() => h.Loop.ConnectionCount == 1 && h.Last.BytesReceived > 0, "the stalled client was accepted");

        h.SweepAt(h.NowMs + 2000);
        h.AssertClosed(stalled, "at the header deadline");
        Assert.Equal(0, h.Connections.Open);

        using var next = h.Connect();
        next.Send(Request);
        h.PumpUntil(() => next.Poll() && next.Responses().Count == 1, "the next client was served");
        Assert.Equal(200, next.Responses()[0].Status);
    }
}
