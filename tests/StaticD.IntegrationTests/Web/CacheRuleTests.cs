using System.Text.Json.Nodes;
using Xunit;

namespace StaticD.IntegrationTests.Web;

public static class CacheSite
{
    public const string Immutable = "public, max-age=31536000, immutable";
    public const string ConfiguredDefault = "public, max-age=120";

    public static void Populate(WebRoot root)
    {
        root.AddFile("index.html", Site.IndexHtml);
        root.AddFile("app.3f9a1c2b.js", "console.log('hashed');\n");
        root.AddFile("main-BQ4x7_Zk.css", "body { margin: 0 }\n");
        root.AddFile("app.js", Site.Js);
        root.AddFile("vendor.min.js", "/* vendor */\n");
        root.AddFile("doc.pdf", "%PDF-1.4 fake\n");
        root.AddFile("pic.png", Site.Png);
        root.AddFile("image.svg", Site.Svg);
        root.AddFile("plain.txt", "plain text\n");
    }
}

public sealed class CacheRuleFixture() : ServerFixture(CacheSite.Populate, section =>
{
    section["CacheControl"] = new JsonArray(
        new JsonObject { ["Path"] = "*.pdf", ["Value"] = "public, max-age=600" },
        new JsonObject { ["ContentType"] = "image/*", ["Value"] = "public, max-age=86400" });
    section["DefaultCacheControl"] = CacheSite.ConfiguredDefault; // not the built-in default, to prove the key is honoured
});

/// <summary>No CacheControl rules: only the built-ins (fingerprinted → immutable, HTML → no-cache) and the default.</summary>
public sealed class CacheDefaultFixture() : ServerFixture(CacheSite.Populate);

public sealed class CacheRuleTests(CacheRuleFixture site) : IClassFixture<CacheRuleFixture>
{
    [Theory]
    [InlineData("/app.3f9a1c2b.js", CacheSite.Immutable)]      // hex fingerprint
    [InlineData("/main-BQ4x7_Zk.css", CacheSite.Immutable)]    // Vite-style base64url fingerprint
    [InlineData("/index.html", "no-cache")]
    [InlineData("/", "no-cache")]                               // the index served for a directory
    [InlineData("/doc.pdf", "public, max-age=600")]             // path rule
    [InlineData("/pic.png", "public, max-age=86400")]           // content-type rule
    [InlineData("/image.svg", "public, max-age=86400")]         // image/svg+xml; charset=utf-8 is image/*
    [InlineData("/plain.txt", CacheSite.ConfiguredDefault)]     // DefaultCacheControl
    [InlineData("/app.js", CacheSite.ConfiguredDefault)]
    [InlineData("/vendor.min.js", CacheSite.ConfiguredDefault)] // "min" is not a fingerprint
    public async Task CacheControl_FollowsRules(string target, string expected)
    {
        var r = await site.GetAsync(target);
        HttpAssert.Status(200, r);
        HttpAssert.Header("Cache-Control", expected, r);

        // The same value on a 304 revalidation.
        var notModified = await site.SendAsync(Http.Get(target, "If-None-Match: " + HttpAssert.StrongETag(r)));
        HttpAssert.Status(304, notModified);
        HttpAssert.Header("Cache-Control", expected, notModified);
    }
}

public sealed class CacheDefaultTests(CacheDefaultFixture site) : IClassFixture<CacheDefaultFixture>
{
    [Theory]
    [InlineData("/app.3f9a1c2b.js", CacheSite.Immutable)]
    [InlineData("/main-BQ4x7_Zk.css", CacheSite.Immutable)]
    [InlineData("/index.html", "no-cache")]
    [InlineData("/doc.pdf", "public, max-age=3600")]  // rules are configuration, not built in
    [InlineData("/pic.png", "public, max-age=3600")]
    [InlineData("/plain.txt", "public, max-age=3600")]  // the built-in DefaultCacheControl
    public async Task WithoutRules_BuiltInsAndDefault(string target, string expected)
    {
        var r = await site.GetAsync(target);
        HttpAssert.Status(200, r);
        HttpAssert.Header("Cache-Control", expected, r);
    }
}
