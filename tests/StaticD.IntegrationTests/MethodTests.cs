using Xunit;

namespace StaticD.IntegrationTests;

public sealed class MethodTests(SiteFixture site) : IClassFixture<SiteFixture>
{
    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("PATCH")]
    [InlineData("TRACE")]
    public async Task KnownButUnsupportedMethod_Is405WithAllow(string method)
    {
        // Content-Length: 0 keeps the request unambiguous for methods that usually carry a body.
        var r = await site.SendAsync(Http.Request(method, "/index.html", "Content-Length: 0"));

        HttpAssert.Status(405, r);
        HttpAssert.Header("Allow", "GET, HEAD, OPTIONS", r);
    }

    [Theory]
    [InlineData("*")]
    [InlineData("/index.html")]
    [InlineData("/missing.html")]             // not looked up: OPTIONS is about the server's methods
    [InlineData("/no/such/dir/?q=1")]
    [InlineData("http://staticd.test/index.html")]
    public async Task Options_Is204WithAllowAndNoContent(string target)
    {
        // Followed by a GET on the same connection: a 204 that carried a body would garble it.
        var r = await site.RoundTripThenProbeAsync(Http.Request("OPTIONS", target), "/index.html");

        Assert.StartsWith("HTTP/1.1 204 No Content\r\n", r.RawHead, StringComparison.Ordinal);
        HttpAssert.Header("Allow", "GET, HEAD, OPTIONS", r);
        HttpAssert.Absent("Content-Length", r);   // RFC 9110 §8.6: never in a 204
        HttpAssert.Absent("Content-Type", r);
        HttpAssert.Absent("Access-Control-Allow-Origin", r); // no Cors configured
        HttpAssert.Header("X-Content-Type-Options", "nosniff", r);
        Assert.Empty(r.Body);
    }

    [Fact]
    public async Task Options_WithABody_IsAnsweredAndTheConnectionClosed()
    {
        using var client = await site.ConnectAsync();
        var r = await client.RoundTripAsync(Http.Request("OPTIONS", "/", "Content-Length: 3") + "abc");
        HttpAssert.Status(204, r);
        Assert.Contains("close", r.ConnectionTokens);
    }

    [Fact]
    public async Task AsteriskWithAnotherMethod_Is400()
    {
        HttpAssert.Status(400, await site.SendAsync(Http.Get("*")));
    }

    [Fact]
    public async Task MethodTokenLongerThanTheRequestLine_Is501NotUriTooLong()
    {
        // The default MaxRequestLineBytes is 8192: the method alone fills it, the URI is never reached.
        var r = await site.SendAsync(Http.Request(new string('M', 9000), "/index.html"));
        HttpAssert.Status(501, r);
        Assert.Contains("close", r.ConnectionTokens);
    }

    [Fact]
    public async Task LongMethodTokenWithAnInvalidByte_Is400()
    {
        HttpAssert.Status(400, await site.SendAsync(Http.Request(new string('M', 100) + "(" + new string('M', 9000), "/index.html")));
    }

    [Fact]
    public async Task UnknownMethodToken_Is501()
    {
        HttpAssert.Status(501, await site.SendAsync(Http.Request("BREW", "/index.html")));
    }

    [Theory]
    [InlineData("GET")]
    [InlineData("HEAD")]
    public async Task GetAndHead_AreAllowed(string method)
    {
        HttpAssert.Status(200, await site.SendAsync(Http.Request(method, "/index.html"), isHead: method == "HEAD"));
    }
}
