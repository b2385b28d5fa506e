using Xunit;

namespace StaticD.IntegrationTests;

public sealed class KeepAliveTests(SiteFixture site) : IClassFixture<SiteFixture>
{
    [Fact]
    public async Task Http11_IsPersistentByDefault()
    {
        using var client = await site.ConnectAsync();
        foreach (var (target, body) in new[] { ("/index.html", Site.IndexHtml), ("/style.css", Site.Css), ("/app.js", Site.Js) })
        {
            var r = await client.RoundTripAsync(Http.Get(target));
            HttpAssert.Status(200, r);
            HttpAssert.Body(body, r);
            Assert.DoesNotContain("close", r.ConnectionTokens);
        }
    }

    [Fact]
    public async Task Http11_IdleConnection_StaysOpenWellWithinDefaultKeepAliveTimeout()
    {
        // Default KeepAliveTimeoutSeconds is 60: a 2 s pause must not cost the connection.
        using var client = await site.ConnectAsync();
        HttpAssert.Status(200, await client.RoundTripAsync(Http.Get("/index.html")));
        Assert.False(await client.WaitForCloseAsync(TimeSpan.FromSeconds(2)), "server closed an idle keep-alive connection after < 2 s");
        HttpAssert.Status(200, await client.RoundTripAsync(Http.Get("/style.css")));
    }

    [Fact]
    public async Task Http11_ConnectionClose_IsEchoedAndServerCloses()
    {
        using var client = await site.ConnectAsync();
        var r = await client.RoundTripAsync(Http.Get("/index.html", "Connection: close"));

        HttpAssert.Status(200, r);
        HttpAssert.Body(Site.IndexHtml, r);
        Assert.Contains("close", r.ConnectionTokens);
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "server kept the connection open after Connection: close");
    }

    [Fact]
    public async Task Http10_WithoutKeepAlive_ServerClosesAfterResponse()
    {
        using var client = await site.ConnectAsync();
        var r = await client.RoundTripAsync("GET /index.html HTTP/1.0\r\n\r\n");

        HttpAssert.Status(200, r);
        Assert.Equal(Site.IndexHtml, r.BodyText);
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "server kept an HTTP/1.0 connection open without keep-alive");
    }

    [Fact]
    public async Task Http10_WithKeepAlive_IsEchoedAndConnectionStaysOpen()
    {
        using var client = await site.ConnectAsync();
        var first = await client.RoundTripAsync("GET /index.html HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");

        HttpAssert.Status(200, first);
        HttpAssert.Body(Site.IndexHtml, first);
        Assert.Contains("keep-alive", first.ConnectionTokens);

        // A second request on the same socket proves the server really kept it open.
        var second = await client.RoundTripAsync("GET /style.css HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        HttpAssert.Status(200, second);
        HttpAssert.Body(Site.Css, second);
        Assert.Contains("keep-alive", second.ConnectionTokens);
    }
}
