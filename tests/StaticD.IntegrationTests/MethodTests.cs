using Xunit;

namespace StaticD.IntegrationTests;

public sealed class MethodTests(SiteFixture site) : IClassFixture<SiteFixture>
{
    [Theory]
    [InlineData("POST")]
    [InlineData("PUT")]
    [InlineData("DELETE")]
    [InlineData("OPTIONS")]
    [InlineData("PATCH")]
    public async Task KnownButUnsupportedMethod_Is405WithAllow(string method)
    {
        // Content-Length: 0 keeps the request unambiguous for methods that usually carry a body.
        var r = await site.SendAsync(Http.Request(method, "/index.html", "Content-Length: 0"));

        HttpAssert.Status(405, r);
        HttpAssert.Header("Allow", "GET, HEAD", r);
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
