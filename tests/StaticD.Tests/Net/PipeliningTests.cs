using StaticD.Net;
using Xunit;

namespace StaticD.Tests.Net;

/// <summary>
/// Several requests in one send: answered strictly in order on the one connection, each after the previous
/// response is complete, and nothing after a request that ends the connection.
/// </summary>
public sealed class PipeliningTests
{
    private static string Get(string path, string extra = "") => $"GET {path} HTTP/1.1\r\nHost: h\r\n{extra}\r\n";

    private static LoopHarness Site(Limits? limits = null, bool fileCache = false)
    {
        var h = new LoopHarness(limits, fileCache: fileCache);
        h.AddFile("one.txt", "first");
        h.AddFile("two.txt", "second");
        h.AddFile("three.txt", "third");
        return h;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // from the loop's file cache, without the thread pool
    public void ThreeRequestsInOneSend_AreAnsweredInOrder_OnOneConnection(bool fileCache)
    {
        using var h = Site(fileCache: fileCache);
        if (fileCache)
        {
            // Fill the cache first, on a connection of its own.
            using var warm = h.Connect();
            warm.Send(Get("/one.txt") + Get("/two.txt") + Get("/three.txt"));
            h.PumpUntil(() => warm.Poll() && warm.Responses().Count == 3, "the warm-up responses arrived");
        }

        using var client = h.Connect();
        client.Send(Get("/one.txt") + Get("/two.txt") + Get("/three.txt"));
        h.PumpUntil(() => client.Poll() && client.Responses().Count == 3, "three responses arrived");

        Assert.Equal(["first", "second", "third"], client.Responses().Select(r => r.BodyText));
        Assert.All(client.Responses(), r => Assert.Equal(200, r.Status));
        Assert.All(client.Responses(), r => Assert.Null(r.Header("Connection")));
        // Nothing more than the three responses, and the connection stays for the next request.
        Assert.Equal(client.Responses().Sum(r => r.Head.Length + 4 + r.Body.Length), client.ReceivedCount);
        h.PumpUntil(() => h.Loop.ConnectionCount == 1, "only this client's connection was left"); // the warm-up one went
        Assert.False(h.Transports[^1] is RecordingTransport { IsClosed: true });
        client.Send(Get("/two.txt"));
        h.PumpUntil(() => client.Poll() && client.Responses().Count == 4, "a fourth response arrived");
        Assert.Equal("second", client.Responses()[3].BodyText);
    }

    [Fact]
    public void AnErrorInTheMiddle_KeepsTheOrder_AndTheConnection()
    {
        using var h = Site();
        using var client = h.Connect();
        client.Send(Get("/one.txt") + Get("/missing.txt") + Get("/three.txt"));
        h.PumpUntil(() => client.Poll() && client.Responses().Count == 3, "three responses arrived");

        Assert.Equal([200, 404, 200], client.Responses().Select(r => r.Status));
        Assert.Equal("first", client.Responses()[0].BodyText);
        Assert.Equal("third", client.Responses()[2].BodyText);
        h.AssertOpen(client, "after a 404 between two pipelined requests");
    }

    [Fact]
    public void RequestsAfterAConnectionCloseOne_AreNotAnswered()
    {
        using var h = Site();
        using var client = h.Connect();
        client.Send(Get("/one.txt") + Get("/two.txt", "Connection: close\r\n") + Get("/three.txt"));

        // Two responses, then the end of the stream: the server shut down its side after the second.
        h.PumpUntil(() => !client.Poll(), "the client saw the end of the stream");
        List<Response> responses = client.Responses();
        Assert.Equal(["first", "second"], responses.Select(r => r.BodyText));
        Assert.Null(responses[0].Header("Connection"));
        Assert.Equal("close", responses[1].Header("Connection"));
        Assert.Equal(responses.Sum(r => r.Head.Length + 4 + r.Body.Length), client.ReceivedCount);
        Assert.DoesNotContain("third", client.Text);

        // The third request was unread: the server lingers (shut down writes, still reading) rather than reset
        // the connection under the response, until the client goes.
        Assert.True(h.Last.WriteShutdown);
        Assert.Equal(1, h.Loop.ConnectionCount);
        client.ShutdownSend();
        h.PumpUntil(() => h.Loop.ConnectionCount == 0, "the lingering connection closed after the client did");
        Assert.False(client.WasReset);
    }

    [Fact]
    public void RequestsSplitAcrossSends_AreAnsweredAsTheyComplete()
    {
        using var h = Site();
        using var client = h.Connect();
        string two = Get("/two.txt");
        client.Send(Get("/one.txt") + two[..10]);
        h.PumpUntil(() => client.Poll() && client.Responses().Count == 1, "the first response arrived");
        Assert.Equal("first", client.Responses()[0].BodyText);

        client.Send(two[10..] + Get("/three.txt"));
        h.PumpUntil(() => client.Poll() && client.Responses().Count == 3, "the other two responses arrived");
        Assert.Equal(["first", "second", "third"], client.Responses().Select(r => r.BodyText));
        h.AssertOpen(client, "after three requests split across sends");
    }
}
