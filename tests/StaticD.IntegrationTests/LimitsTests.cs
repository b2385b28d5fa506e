using System.Text.Json.Nodes;
using Xunit;

namespace StaticD.IntegrationTests;

/// <summary>Tiny limits, so each configured value is observably the one being enforced.</summary>
public sealed class TightLimitsFixture() : ServerFixture(
    root =>
    {
        root.AddFile("index.html", Site.IndexHtml);
        root.AddRandomFile("medium.bin", 16L * 1024 * 1024);
    },
    section => section["Limits"] = new JsonObject
    {
        ["MaxRequestLineBytes"] = 256,
        ["MaxHeaderBytes"] = 1024,
        ["MaxHeaderCount"] = 10,
        ["HeaderTimeoutSeconds"] = 1,
        ["KeepAliveTimeoutSeconds"] = 1,
        ["SendTimeoutSeconds"] = 1,
    });

public sealed class LimitsTests(TightLimitsFixture site) : IClassFixture<TightLimitsFixture>
{
    [Fact]
    public async Task RequestLineOverConfiguredLimit_Is414()
    {
        HttpAssert.Status(414, await site.GetAsync("/" + new string('a', 400)));
        HttpAssert.Status(404, await site.GetAsync("/" + new string('a', 150)));
    }

    [Fact]
    public async Task HeaderBytesOverConfiguredLimit_Is431()
    {
        HttpAssert.Status(431, await site.SendAsync(Http.Get("/index.html", "X-Big: " + new string('v', 2000))));
        HttpAssert.Status(200, await site.SendAsync(Http.Get("/index.html", "X-Small: " + new string('v', 300))));
    }

    [Fact]
    public async Task HeaderCountOverConfiguredLimit_Is431()
    {
        // Host counts as a field: Host + 15 > 10, Host + 8 <= 10.
        HttpAssert.Status(431, await site.SendAsync(Http.Get("/index.html", Enumerable.Range(0, 15).Select(i => $"X-{i}: v").ToArray())));
        HttpAssert.Status(200, await site.SendAsync(Http.Get("/index.html", Enumerable.Range(0, 8).Select(i => $"X-{i}: v").ToArray())));
    }

    // The timeouts' arithmetic (to the millisecond, on a fake clock) is unit-tested in StaticD.Tests/Net/TimeoutTests;
    // here the binary shows each configured value is the one enforced. Each waits for the effect with a deadline
    // fifteen times the configured 1 s, rather than sleeping or bounding it tightly, and still below every default
    // (20 s for heads, 60 s for keep-alive and sends), so a close within it is the configured timeout's doing.
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task IncompleteHeaderSection_IsDroppedAfterHeaderTimeout()
    {
        using var client = await site.ConnectAsync();
        client.ReadTimeout = Generous;
        await client.SendAsync("GET /index.html HTTP/1.1\r\nHost: staticd.test\r\n");

        // A 408 before closing is fine; silently closing is fine; staying open is not.
        try
        {
            var r = await client.ReadResponseAsync();
            HttpAssert.Status(408, r);
        }
        catch (IOException)
        {
            // Closed without a response.
        }

        Assert.True(await client.WaitForCloseAsync(Generous), "connection with an incomplete header was never closed");
    }

    [Fact]
    public async Task IdleKeepAliveConnection_IsClosedAfterKeepAliveTimeout()
    {
        using var client = await site.ConnectAsync();
        HttpAssert.Status(200, await client.RoundTripAsync(Http.Get("/index.html")));
        Assert.True(await client.WaitForCloseAsync(Generous), $"idle connection outlived KeepAliveTimeoutSeconds=1 by {Generous.TotalSeconds} s");
    }

    [Fact]
    public async Task ClientThatStopsReading_IsDroppedAfterSendTimeout()
    {
        using var client = await site.ConnectAsync(receiveBufferSize: 16 * 1024);
        await client.SendAsync(Http.Get("/medium.bin"));
        var head = await client.ReadResponseHeadAsync();
        HttpAssert.Status(200, head);

        // Read nothing: the server's send stalls, and SendTimeoutSeconds=1 must make it let the connection go.
        Assert.True(await Hostile.ServerSocketState.WaitReleasedAsync(site.Port, client.Socket, Generous),
            "the server still holds the stalled connection");
        var got = await client.ReadBodyAsync(head.ContentLength!.Value, _ => ValueTask.CompletedTask, throwOnEarlyClose: false);
        Assert.True(got < head.ContentLength, "the whole 16 MiB arrived: the stalled connection was never dropped");
    }

    [Fact]
    public async Task MaxConnections_ExtraClientGets503AndClose()
    {
        using var root = new WebRoot();
        root.AddFile("index.html", Site.IndexHtml);
        using var server = StaticDProcess.Start(root, s => s["Limits"] = new JsonObject { ["MaxConnections"] = 2 });

        // Served once the server has noticed that the readiness probe hung up (it counted toward the two).
        using (var a = await Hostile.HostileSupport.ConnectServedAsync(server.Port, TimeSpan.FromSeconds(10)))
        using (var b = await Hostile.HostileSupport.ConnectServedAsync(server.Port, TimeSpan.FromSeconds(10)))
        {

            // Two connections are open, so a third is over the limit: 503, then the server hangs up.
            using var c = await RawHttpClient.ConnectAsync(server.Port);
            c.ReadTimeout = TimeSpan.FromSeconds(3);
            await c.SendAsync(Http.Get("/index.html"));
            var r = await c.ReadResponseAsync();
            HttpAssert.Status(503, r);
            Assert.True(await c.WaitForCloseAsync(TimeSpan.FromSeconds(3)), "connection over MaxConnections was not closed after the 503");

            // The two admitted connections are unaffected.
            HttpAssert.Status(200, await a.RoundTripAsync(Http.Get("/index.html")));
        }

        // Once the two hang up, capacity is back.
        using var d = await Hostile.HostileSupport.ConnectServedAsync(server.Port, TimeSpan.FromSeconds(10));
    }
}
