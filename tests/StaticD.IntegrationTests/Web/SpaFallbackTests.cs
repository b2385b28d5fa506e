using System.Text;
using Xunit;

namespace StaticD.IntegrationTests.Web;

public sealed class SpaFixture() : ServerFixture(
    root =>
    {
        root.AddFile("index.html", SpaFixture.IndexHtml);
        root.AddFile("assets/app.js", Site.Js);
        root.AddFile("style.css", Site.Css);
        root.AddFile("docs/index.html", SpaFixture.DocsIndex);
    },
    section => section["SpaFallback"] = "/index.html")
{
    public const string IndexHtml = "<!DOCTYPE html>\n<div id=\"app\"></div><script src=\"/assets/app.js\"></script>\n";
    public const string DocsIndex = "<!DOCTYPE html>\n<p>docs index</p>\n";
}

/// <summary>SpaFallback: extension-less paths that do not exist are client-side routes and get the app shell.</summary>
public sealed class SpaFallbackTests(SpaFixture site) : IClassFixture<SpaFixture>
{
    [Theory]
    [InlineData("/some/client/route")]
    [InlineData("/about")]
    [InlineData("/users/42/edit")]
    [InlineData("/some/client/route?tab=settings")]
    public async Task MissingExtensionlessPath_Gets200WithTheShell(string target)
    {
        var r = await site.RoundTripThenProbeAsync(Http.Get(target), "/style.css");
        HttpAssert.Status(200, r);
        HttpAssert.Body(Encoding.UTF8.GetBytes(SpaFixture.IndexHtml), r);
        HttpAssert.Header("Content-Type", "text/html; charset=utf-8", r);
    }

    [Fact]
    public async Task Head_OnClientRoute_Is200WithoutBody()
    {
        var r = await site.RoundTripThenProbeAsync(Http.Head("/some/client/route"), "/style.css", isHead: true);
        HttpAssert.Status(200, r);
        HttpAssert.Header("Content-Length", Encoding.UTF8.GetByteCount(SpaFixture.IndexHtml).ToString(System.Globalization.CultureInfo.InvariantCulture), r);
    }

    [Theory]
    [InlineData("/assets/missing.js")]
    [InlineData("/missing.css")]
    [InlineData("/images/logo.png")]
    public async Task MissingFileWithExtension_Is404(string target)
    {
        var r = await site.GetAsync(target);
        HttpAssert.Status(404, r);
        Assert.DoesNotContain("id=\"app\"", r.BodyText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/style.css", Site.Css, "text/css; charset=utf-8")]
    [InlineData("/assets/app.js", Site.Js, "text/javascript; charset=utf-8")]
    [InlineData("/docs/", SpaFixture.DocsIndex, "text/html; charset=utf-8")]
    [InlineData("/", SpaFixture.IndexHtml, "text/html; charset=utf-8")]
    public async Task ExistingFiles_AreStillServedNormally(string target, string body, string contentType)
    {
        var r = await site.GetAsync(target);
        HttpAssert.Status(200, r);
        HttpAssert.Body(body, r);
        HttpAssert.Header("Content-Type", contentType, r);
    }
}
