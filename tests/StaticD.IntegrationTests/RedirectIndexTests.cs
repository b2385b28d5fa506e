using Xunit;

namespace StaticD.IntegrationTests;

public sealed class RedirectIndexTests(SiteFixture site) : IClassFixture<SiteFixture>
{
    [Theory]
    [InlineData("/dir", "/dir/")]
    [InlineData("/dir?x=1", "/dir/?x=1")]
    [InlineData("/noindex", "/noindex/")]
    public async Task DirectoryWithoutSlash_RedirectsPermanently(string target, string location)
    {
        var r = await site.GetAsync(target);

        HttpAssert.Status(301, r);
        HttpAssert.Header("Location", location, r);
    }

    [Fact]
    public async Task Redirect_IsFramed_SoTheConnectionCanBeReused()
    {
        using var client = await site.ConnectAsync();
        HttpAssert.Status(301, await client.RoundTripAsync(Http.Get("/dir")));
        var r = await client.RoundTripAsync(Http.Get("/dir/"));
        HttpAssert.Status(200, r);
        HttpAssert.Body(Site.DirIndexHtml, r);
    }

    [Fact]
    public async Task DirectoryWithIndex_ServesIndexHtml()
    {
        var r = await site.GetAsync("/dir/");

        HttpAssert.Status(200, r);
        HttpAssert.Body(Site.DirIndexHtml, r);
        HttpAssert.Header("Content-Type", "text/html; charset=utf-8", r);
    }

    [Fact]
    public async Task RootDirectory_ServesIndexHtml()
    {
        var r = await site.GetAsync("/");

        HttpAssert.Status(200, r);
        HttpAssert.Body(Site.IndexHtml, r);
    }

    [Fact]
    public async Task DirectoryWithoutIndex_IsForbidden()
    {
        HttpAssert.Status(403, await site.GetAsync("/noindex/"));
    }

    [Theory]
    [InlineData("/missing.html")]
    [InlineData("/missing-dir/missing.html")]
    [InlineData("/dir/missing.html")]
    public async Task MissingFile_IsNotFound(string target)
    {
        HttpAssert.Status(404, await site.GetAsync(target));
    }
}
