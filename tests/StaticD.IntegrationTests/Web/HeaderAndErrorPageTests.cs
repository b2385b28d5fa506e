using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;

namespace StaticD.IntegrationTests.Web;

public sealed class HeaderFixture() : ServerFixture(
    root =>
    {
        root.AddFile("index.html", Site.IndexHtml);
        root.AddFile("errors/404.html", HeaderFixture.NotFoundPage);
        root.AddFile("assets/app.js", Site.Js);
        root.AddFile("assets/sub/deep.css", Site.Css);
        root.AddFile("assets-other/x.js", Site.Js);
        root.AddFile("r.bin", TestContent.RandomBytes(100, seed: 7));
        root.AddFile("x.m3u8", "#EXTM3U\n");
        root.AddFile("data.staticdtest", "custom type\n");
        root.AddFile("noindex/a.txt", "a\n");
    },
    section =>
    {
        section["ErrorPages"] = new JsonObject { ["404"] = "/errors/404.html" };
        section["MimeTypes"] = new JsonObject
        {
            ["m3u8"] = "application/vnd.apple.mpegurl",
            ["html"] = HeaderFixture.HtmlType,
            ["staticdtest"] = "application/x-staticd-test",
        };
        section["Headers"] = new JsonObject { ["X-Frame-Options"] = "SAMEORIGIN" };
        section["PathHeaders"] = new JsonArray(new JsonObject
        {
            ["Path"] = "/assets/**",
            ["Headers"] = new JsonObject { ["Timing-Allow-Origin"] = "*" },
        });
    })
{
    public const string HtmlType = "text/html; charset=iso-8859-1";
    public const string NotFoundPage = "<!DOCTYPE html>\n<title>Not here</title>\n<p>custom 404 page of the test site</p>\n";
}

/// <summary>Security headers, configured headers, per-path headers, custom error pages, MIME overrides.</summary>
public sealed class HeaderAndErrorPageTests(HeaderFixture site) : IClassFixture<HeaderFixture>
{
    public enum Kind { Ok, NotFound, Partial, NotModified, Forbidden, Redirect, Asset }

    private async Task<HttpResponse> RequestAsync(Kind kind)
    {
        switch (kind)
        {
            case Kind.Ok:
                return await site.GetAsync("/index.html");
            case Kind.NotFound:
                return await site.GetAsync("/missing.txt");
            case Kind.Partial:
                return await site.SendAsync(Http.Get("/r.bin", "Range: bytes=0-9"));
            case Kind.NotModified:
                var full = await site.GetAsync("/index.html");
                return await site.SendAsync(Http.Get("/index.html", "If-None-Match: " + HttpAssert.StrongETag(full)));
            case Kind.Forbidden:
                return await site.GetAsync("/noindex/");
            case Kind.Redirect:
                return await site.GetAsync("/noindex");
            case Kind.Asset:
                return await site.GetAsync("/assets/app.js");
            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    private static int StatusOf(Kind kind) => kind switch
    {
        Kind.Ok or Kind.Asset => 200,
        Kind.NotFound => 404,
        Kind.Partial => 206,
        Kind.NotModified => 304,
        Kind.Forbidden => 403,
        Kind.Redirect => 301,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    [Theory]
    [InlineData(Kind.Ok)]
    [InlineData(Kind.Asset)]
    [InlineData(Kind.NotFound)]
    [InlineData(Kind.Partial)]
    [InlineData(Kind.NotModified)]
    [InlineData(Kind.Forbidden)]
    [InlineData(Kind.Redirect)]
    public async Task NosniffAndConfiguredHeader_OnEveryResponse(Kind kind)
    {
        var r = await RequestAsync(kind);
        HttpAssert.Status(StatusOf(kind), r);

        // Exactly once each: the raw client joins repeated fields with ", ".
        HttpAssert.Header("X-Content-Type-Options", "nosniff", r);
        HttpAssert.Header("X-Frame-Options", "SAMEORIGIN", r);
    }

    [Theory]
    [InlineData("/assets/app.js", true)]
    [InlineData("/assets/sub/deep.css", true)]  // ** spans directories
    [InlineData("/index.html", false)]
    [InlineData("/assets-other/x.js", false)]   // a prefix of the name is not the directory
    [InlineData("/x.m3u8", false)]
    public async Task PathHeaders_OnlyUnderAssets(string target, bool expected)
    {
        var r = await site.GetAsync(target);
        HttpAssert.Status(200, r);
        if (expected)
        {
            HttpAssert.Header("Timing-Allow-Origin", "*", r);
        }
        else
        {
            HttpAssert.Absent("Timing-Allow-Origin", r);
        }

        HttpAssert.Header("X-Frame-Options", "SAMEORIGIN", r);
    }

    [Fact]
    public async Task MissingFileOutsideAssets_HasNoPathHeader()
    {
        // Whatever the server decides for a 404 under /assets/, a 404 elsewhere must not get it.
        var r = await site.GetAsync("/elsewhere/missing.js");
        HttpAssert.Status(404, r);
        HttpAssert.Absent("Timing-Allow-Origin", r);
    }

    [Theory]
    [InlineData("/missing.txt")]
    [InlineData("/a/b/c/missing.png")]
    [InlineData("/assets/missing.js")]
    public async Task MissingFile_Is404WithTheConfiguredErrorPage(string target)
    {
        var r = await site.RoundTripThenProbeAsync(Http.Get(target), "/index.html");
        HttpAssert.Status(404, r);
        HttpAssert.Body(Encoding.UTF8.GetBytes(HeaderFixture.NotFoundPage), r);
        HttpAssert.Header("Content-Type", HeaderFixture.HtmlType, r); // the page's type, after the override
        HttpAssert.Header("X-Content-Type-Options", "nosniff", r);
    }

    [Fact]
    public async Task MissingFile_Head_Is404WithPageLengthAndNoBody()
    {
        var r = await site.RoundTripThenProbeAsync(Http.Head("/missing.txt"), "/index.html", isHead: true);
        HttpAssert.Status(404, r);
        HttpAssert.Header("Content-Length", Encoding.UTF8.GetByteCount(HeaderFixture.NotFoundPage).ToString(CultureInfo.InvariantCulture), r);
    }

    [Theory]
    [InlineData("/x.m3u8", "application/vnd.apple.mpegurl")]
    [InlineData("/index.html", HeaderFixture.HtmlType)]                // the override replaces the built-in utf-8 type
    [InlineData("/errors/404.html", HeaderFixture.HtmlType)]
    [InlineData("/data.staticdtest", "application/x-staticd-test")]   // an extension the built-in table lacks
    [InlineData("/assets/app.js", "text/javascript; charset=utf-8")]  // untouched built-in
    public async Task MimeTypes_OverrideAndExtendTheBuiltInTable(string target, string contentType)
    {
        var r = await site.GetAsync(target);
        HttpAssert.Status(200, r);
        HttpAssert.Header("Content-Type", contentType, r);
        HttpAssert.Body(File.ReadAllBytes(site.Root.FullPath(target)), r);
    }
}

/// <summary>Without ErrorPages a 404 still carries nosniff and no configured headers.</summary>
public sealed class PlainHeaderFixture() : ServerFixture(root =>
{
    root.AddFile("index.html", Site.IndexHtml);
    root.AddFile("assets/app.js", Site.Js);
});

public sealed class DefaultHeaderTests(PlainHeaderFixture site) : IClassFixture<PlainHeaderFixture>
{
    [Theory]
    [InlineData("/index.html", 200)]
    [InlineData("/assets/app.js", 200)]
    [InlineData("/missing.txt", 404)]
    public async Task Nosniff_ByDefault_NoConfiguredHeaders(string target, int status)
    {
        var r = await site.GetAsync(target);
        HttpAssert.Status(status, r);
        HttpAssert.Header("X-Content-Type-Options", "nosniff", r);
        HttpAssert.Absent("X-Frame-Options", r);
        HttpAssert.Absent("Timing-Allow-Origin", r);
    }

    [Fact]
    public async Task Html_HasTheBuiltInUtf8Type_WithoutOverride()
    {
        var r = await site.GetAsync("/index.html");
        HttpAssert.Header("Content-Type", "text/html; charset=utf-8", r);
    }
}
