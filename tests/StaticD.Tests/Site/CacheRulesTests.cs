using System.Text;
using StaticD.Site;
using Xunit;

namespace StaticD.Tests.Site;

public class CacheRulesTests
{
    private const string Immutable = "public, max-age=31536000, immutable";
    private const string OneHour = "public, max-age=3600";

    private static string For(CacheRules rules, string path, string contentType) =>
        Encoding.ASCII.GetString(rules.For(Encoding.UTF8.GetBytes(path), Encoding.ASCII.GetBytes(contentType)));

    private static CacheRules Create(
        (string, string)[]? paths = null, (string, string)[]? types = null, string? fallback = null)
    {
        CacheRules rules = CacheRules.Create(paths ?? [], types ?? [], fallback, out string? error);
        Assert.Null(error);
        return rules;
    }

    [Theory]
    // Content-hashed names: lower-case hex.
    [InlineData("app.3f9a1c2b.js", true)]
    [InlineData("chunk-5e1d7a90.js", true)]
    [InlineData("3f9a1c2b.js", true)]
    [InlineData("main.abcdef12.chunk.js", true)]
    [InlineData("2.5f3a9c1d.chunk.js", true)]
    [InlineData("app.a1b2c3d4e5f6a7b8c9d0.js", true)]
    [InlineData("webpack-runtime-5e1d7a90.js", true)]
    [InlineData("style_0a1b2c3d.css", true)]
    [InlineData("main.3f9a1c2b.css.map", true)]
    [InlineData("a1b2c3d4.woff2", true)]
    // ... and base64url (Rollup / Vite).
    [InlineData("main-BQ4x7_Zk.css", true)]
    [InlineData("index-D8aF2kLm.js", true)]
    [InlineData("index-B-x9Y2kL.js", true)]
    [InlineData("vendor-Cv3mQ9zA.js", true)]
    [InlineData("logo.Xk9_bQ2m.svg", true)]
    // Ordinary names.
    [InlineData("jquery.min.js", false)]
    [InlineData("jquery-3.7.1.min.js", false)]
    [InlineData("bootstrap.bundle.js", false)]
    [InlineData("favicon.ico", false)]
    [InlineData("index.html", false)]
    [InlineData("my-long-filename.css", false)]
    [InlineData("2024-report.pdf", false)]
    [InlineData("v1.2.3.tar.gz", false)]
    [InlineData("Roboto-Regular.ttf", false)]
    [InlineData("materialdesignicons-webfont.woff2", false)]
    [InlineData("font-awesome-4.7.0.min.css", false)]
    [InlineData("chunk-vendors.js", false)]
    [InlineData("IMG_20240101_123456.jpg", false)]
    [InlineData("DSC01234.JPG", false)]
    [InlineData("photo_2024-01-01.png", false)]
    [InlineData("report.20240101.pdf", false)]
    [InlineData("12345678.js", false)]
    [InlineData("deadbeef.js", false)]
    [InlineData("ProductCard2.js", false)]
    [InlineData("Base64Encoder.js", false)]
    [InlineData("promo-iPhone15.png", false)]
    [InlineData("intro-Section1.js", false)]
    [InlineData("x86_64-linux.tar.gz", false)]
    [InlineData("3F9A1C2B.js", false)]
    [InlineData("3f9a1c2b", false)]
    [InlineData(".3f9a1c2b", false)]
    [InlineData("", false)]
    [InlineData("app.3f9a1c2.js", false)]
    [InlineData("550e8400-e29b-41d4-a716-446655440000.png", false)]
    public void DetectsContentHashes(string fileName, bool expected)
    {
        Assert.Equal(expected, HashedNames.LooksContentHashed(Encoding.UTF8.GetBytes(fileName)));
    }

    [Theory]
    [InlineData("/assets/app.3f9a1c2b.js", "text/javascript; charset=utf-8", Immutable)]
    [InlineData("/index.html", "text/html; charset=utf-8", "no-cache")]
    [InlineData("/index.html", "TEXT/HTML", "no-cache")]
    [InlineData("/index.html", " text/html ;charset=utf-8", "no-cache")]
    [InlineData("/page.3f9a1c2b.html", "text/html; charset=utf-8", Immutable)]
    [InlineData("/style.css", "text/css; charset=utf-8", OneHour)]
    [InlineData("/", "text/html; charset=utf-8", "no-cache")]
    [InlineData("/a/b", "application/octet-stream", OneHour)]
    [InlineData("/x.html", "text/htmlx", OneHour)]
    public void BuiltInDefaults(string path, string contentType, string expected)
    {
        Assert.Equal(expected, For(CacheRules.Default, path, contentType));
        Assert.Equal(expected, For(Create(), path, contentType));
    }

    [Theory]
    // Path rules first, in order.
    [InlineData("/assets/app.js", "text/javascript", "public, max-age=600")]
    [InlineData("/assets/app.3f9a1c2b.js", "text/javascript", "public, max-age=600")]
    [InlineData("/assets/index.html", "text/html", "public, max-age=600")]
    [InlineData("/private/x.png", "image/png", "no-store")]
    [InlineData("/a/b/sw.js", "text/javascript", "no-cache, no-store")]
    // Then content-type rules: exact (parameters ignored, case-insensitive), prefix.
    [InlineData("/img/logo.png", "image/png", "public, max-age=86400")]
    [InlineData("/img/logo.svg", "IMAGE/svg+xml; charset=utf-8", "public, max-age=86400")]
    [InlineData("/data.json", "application/json; charset=utf-8", "no-cache")]
    [InlineData("/data.jsonx", "application/jsonx", "max-age=5")]
    // Then the defaults, with the configured catch-all.
    [InlineData("/app.3f9a1c2b.js", "text/javascript", Immutable)]
    [InlineData("/index.html", "text/html", "no-cache")]
    [InlineData("/readme.txt", "text/plain", "max-age=5")]
    public void RulesInOrder(string path, string contentType, string expected)
    {
        CacheRules rules = Create(
            [("/assets/**", "public, max-age=600"), ("/private/**", "no-store"), ("sw.js", "no-cache, no-store"), ("/assets/never", "private")],
            [("image/*", "public, max-age=86400"), ("Application/JSON", "no-cache"), ("image/png", "private")],
            "max-age=5");
        Assert.Equal(expected, For(rules, path, contentType));
    }

    [Fact]
    public void WildcardTypeRuleCatchesEverythingAfterPathRules()
    {
        CacheRules rules = Create([("*.html", "no-store")], [("*/*", "public, max-age=60")]);
        Assert.Equal("no-store", For(rules, "/a.html", "text/html"));
        Assert.Equal("public, max-age=60", For(rules, "/app.3f9a1c2b.js", "text/javascript"));
        Assert.Equal("public, max-age=60", For(rules, "/x", ""));
    }

    [Theory]
    [InlineData("no-cache")]
    [InlineData("public, max-age=600")]
    [InlineData("public,max-age=600,immutable")]
    [InlineData("  private ,  max-age=0  ")]
    [InlineData("no-cache=\"Set-Cookie, X-Foo\"")]
    [InlineData("private=\"a\\\"b\", s-maxage=10")]
    [InlineData("stale-while-revalidate=30, max-age=1")]
    [InlineData("x-ext=token, x-other=\"quoted value\"")]
    public void AcceptsValidValues(string value)
    {
        CacheRules rules = Create(fallback: value);
        Assert.Equal(value.Trim(), For(rules, "/x.bin", "application/octet-stream"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("max-age=1h")]
    [InlineData("max-age")]
    [InlineData("max-age=\"60\"")]
    [InlineData("max-age = 60")]
    [InlineData("public,")]
    [InlineData("public,,max-age=1")]
    [InlineData(",public")]
    [InlineData("public max-age=1")]
    [InlineData("public;max-age=1")]
    [InlineData("no-cache=\"unterminated")]
    [InlineData("public\r\nX-Injected: 1")]
    [InlineData("public\tprivate")]
    [InlineData("café")]
    [InlineData("x=")]
    public void RejectsInvalidValuesNamingThem(string value)
    {
        CacheRules rules = CacheRules.Create([], [], value, out string? error);
        Assert.NotNull(error);
        Assert.Contains(value, error);
        Assert.Same(CacheRules.Default, rules);

        CacheRules.Create([("/a/**", value)], [], null, out error);
        Assert.NotNull(error);
        Assert.Contains("/a/**", error);

        CacheRules.Create([], [("text/html", value)], null, out error);
        Assert.NotNull(error);
        Assert.Contains("text/html", error);
    }

    [Theory]
    [InlineData("text")]
    [InlineData("text/")]
    [InlineData("/html")]
    [InlineData("*/html")]
    [InlineData("text/html; charset=utf-8")]
    [InlineData("te xt/html")]
    [InlineData("")]
    public void RejectsInvalidContentTypes(string type)
    {
        CacheRules.Create([], [(type, "no-cache")], null, out string? error);
        Assert.NotNull(error);
        Assert.Contains($"\"{type}\"", error);
    }

    [Fact]
    public void RejectsInvalidPathPatterns()
    {
        CacheRules rules = CacheRules.Create([("/a/***", "no-cache")], [], null, out string? error);
        Assert.NotNull(error);
        Assert.Contains("/a/***", error);
        Assert.Same(CacheRules.Default, rules);
    }

    [Fact]
    public void LookupDoesNotAllocate()
    {
        CacheRules rules = Create(
            [("/assets/**", "public, max-age=600"), ("*.map", "no-store")],
            [("image/*", "public, max-age=86400"), ("application/json", "no-cache")]);
        byte[] hashed = "/static/js/main-D8aF2kLm.js"u8.ToArray();
        byte[] page = "/docs/guide/index.html"u8.ToArray();
        byte[] js = "text/javascript; charset=utf-8"u8.ToArray();
        byte[] html = "text/html; charset=utf-8"u8.ToArray();
        rules.For(hashed, js);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            rules.For(hashed, js);
            rules.For(page, html);
            CacheRules.Default.For(page, html);
            HashedNames.LooksContentHashed("bootstrap.bundle.min.js"u8);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
