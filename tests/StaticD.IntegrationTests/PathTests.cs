using Xunit;

namespace StaticD.IntegrationTests;

public sealed class PathTests(SiteFixture site) : IClassFixture<SiteFixture>
{
    [Theory]
    [InlineData("/index.html?v=1")]
    [InlineData("/index.html?")]
    [InlineData("/index.html?a=%00&b=..%2f..")]
    public async Task QueryString_IsIgnored(string target)
    {
        var r = await site.GetAsync(target);
        HttpAssert.Status(200, r);
        HttpAssert.Body(Site.IndexHtml, r);
    }

    [Theory]
    [InlineData("/caf%C3%A9.txt", Site.CafeText)]
    [InlineData("/caf%c3%a9.txt", Site.CafeText)]
    [InlineData("/a%20b.txt", Site.SpaceText)]
    [InlineData("/%69ndex.html", Site.IndexHtml)]
    public async Task PercentEncodedNames_AreDecoded(string target, string body)
    {
        var r = await site.GetAsync(target);
        HttpAssert.Status(200, r);
        HttpAssert.Body(body, r);
    }

    [Theory]
    [InlineData("/%00")]
    [InlineData("/index.html%00")]
    [InlineData("/index.html%00.txt")]
    public async Task EncodedNul_Is400(string target)
    {
        HttpAssert.Status(400, await site.GetAsync(target));
    }

    [Theory]
    [InlineData("/%FF")]
    [InlineData("/caf%C3.txt")]
    [InlineData("/%C3%28")]
    public async Task InvalidUtf8_Is400(string target)
    {
        HttpAssert.Status(400, await site.GetAsync(target));
    }

    [Theory]
    [InlineData("/%C0%AE%C0%AE/secret")]
    [InlineData("/%C0%AF")]
    [InlineData("/%E0%80%AE")]
    public async Task OverlongUtf8_Is400(string target)
    {
        HttpAssert.Status(400, await site.GetAsync(target));
    }
}
