using System.Globalization;
using Xunit;

namespace StaticD.IntegrationTests;

public sealed class GetHeadTests(SiteFixture site) : IClassFixture<SiteFixture>
{
    [Fact]
    public async Task Get_Index_ReturnsExactBodyAndEntityHeaders()
    {
        var r = await site.GetAsync("/index.html");

        HttpAssert.Status(200, r);
        HttpAssert.Body(Site.IndexHtml, r);
        HttpAssert.Header("Content-Type", "text/html; charset=utf-8", r);

        // Last-Modified must be the file's mtime rendered as IMF-fixdate.
        var expected = File.GetLastWriteTimeUtc(site.Root.FullPath("index.html")).ToString("r", CultureInfo.InvariantCulture);
        Assert.Equal(Site.IndexMtime.ToString("r", CultureInfo.InvariantCulture), expected);
        HttpAssert.Header("Last-Modified", expected, r);
        HttpAssert.ParseImfFixdate(r.Header("Last-Modified")!, r);
    }

    [Fact]
    public async Task Head_Index_SameHeadersAsGet_AndNoBodyBytes()
    {
        using var client = await site.ConnectAsync();

        // HEAD then GET on one connection: if HEAD leaked body bytes the GET response would
        // be misparsed (its status line would start with HTML), so this proves "no body".
        await client.SendAsync(Http.Head("/index.html") + Http.Get("/index.html"));
        var head = await client.ReadResponseAsync(isHead: true);
        var get = await client.ReadResponseAsync();

        HttpAssert.Status(200, head);
        HttpAssert.Status(200, get);
        HttpAssert.Body(Site.IndexHtml, get);
        foreach (var name in new[] { "Content-Type", "Content-Length", "Last-Modified" })
        {
            Assert.True(head.Header(name) == get.Header(name), $"{name}: HEAD '{head.Header(name)}' vs GET '{get.Header(name)}'\n{head}");
        }
    }

    [Theory]
    [InlineData("/style.css", "text/css; charset=utf-8")]
    [InlineData("/app.js", "text/javascript; charset=utf-8")]
    [InlineData("/data.json", "application/json; charset=utf-8")]
    [InlineData("/image.svg", "image/svg+xml; charset=utf-8")]
    [InlineData("/image.png", "image/png")]
    [InlineData("/font.woff2", "font/woff2")]
    [InlineData("/module.wasm", "application/wasm")]
    [InlineData("/blob.xyz", "application/octet-stream")]
    public async Task Get_UsesContentTypeForExtension(string target, string contentType)
    {
        var r = await site.GetAsync(target);

        HttpAssert.Status(200, r);
        HttpAssert.Header("Content-Type", contentType, r);
        HttpAssert.Body(File.ReadAllBytes(site.Root.FullPath(target)), r);
    }
}
