using System.Text.Json.Nodes;
using Xunit;
using static StaticD.IntegrationTests.Sites.SitesKit;

namespace StaticD.IntegrationTests.Sites;

/// <summary>
/// Three sites on one directory (so every difference comes from the site, not the files): policy.test overrides
/// every per-site key, plain.test sets none and inherits the top level's, merge.test adds one error page to the
/// inherited ones.
/// </summary>
public sealed class SitePolicyFixture() : ServerFixture(Populate, Configure)
{
    public const string Policy = "policy.test", Plain = "plain.test", Merge = "merge.test";

    private static void Populate(WebRoot root)
    {
        root.AddFile("who.txt", "default");
        root.AddFile("top404.html", "default root's 404 page");
        string shared = Path.Combine("sites", "shared");
        void Add(string name, string content) => root.AddOutsideFile(Path.Combine(shared, name), content);
        Add("who.txt", "shared");
        Add("app.html", "spa app");
        Add("site404.html", "policy's own 404 page");
        Add("top404.html", "inherited 404 page");
        Add("site403.html", "merge's own 403 page");
        Add(".hidden.txt", "hidden content");
        Add("dir/one.txt", "one");
        Add("assets/a.css", "a {}");
        Add("inherited/b.css", "b {}");
        Add("plain.txt", "plain text");
        Add("x.foo", "foo");
        Add("x.bar", "bar");
        Add("x.baz", "baz");
        Add("p.js", "console.log('identity');");
        root.AddOutsideFile(Path.Combine(shared, "p.js.gz"), "pretend gzip bytes");
    }

    private static JsonObject Headers(params (string Name, string Value)[] headers)
    {
        var o = new JsonObject();
        foreach ((string name, string value) in headers) o[name] = value;
        return o;
    }

    private static JsonObject Rule(string path, string value) => new() { ["Path"] = path, ["Value"] = value };

    private static JsonObject PathHeader(string path, string name, string value) =>
        new() { ["Path"] = path, ["Headers"] = Headers((name, value)) };

    private static void Configure(JsonObject s)
    {
        s["Headers"] = Headers(("X-Top", "top"), ("X-Both", "top"), ("X-Removed", "inherited"));
        s["PathHeaders"] = List(PathHeader("/assets/**", "X-Rule", "top"));
        s["CacheControl"] = List(Rule("/assets/**", "public, max-age=100"), Rule("/inherited/**", "public, max-age=200"));
        s["DefaultCacheControl"] = "public, max-age=5";
        s["ErrorPages"] = new JsonObject { ["404"] = "/top404.html" };
        s["MimeTypes"] = new JsonObject { ["foo"] = "application/x-top", ["baz"] = "application/x-top-baz" };
        const string Shared = "sites/shared";
        s["Sites"] = List(
            Site([Policy],
                ("Root", Shared),
                ("DirectoryListing", true),
                ("ServeHiddenFiles", true),
                ("SpaFallback", "/app.html"),
                ("Precompressed", false),
                ("ErrorPages", new JsonObject { ["404"] = "/site404.html" }),
                ("Headers", Headers(("X-Both", "site"), ("X-Removed", ""), ("X-Site", "site"))),
                ("PathHeaders", List(PathHeader("/assets/**", "X-Rule", "site"))),
                ("CacheControl", List(Rule("/assets/**", "no-store"))),
                ("DefaultCacheControl", "public, max-age=7"),
                ("MimeTypes", new JsonObject { ["bar"] = "application/x-site", ["baz"] = "application/x-site-baz" })),
            Site([Plain], ("Root", Shared)),
            Site([Merge], ("Root", Shared), ("ErrorPages", new JsonObject { ["403"] = "/site403.html" })));
    }
}

public sealed class SitePolicyTests(SitePolicyFixture fixture) : IClassFixture<SitePolicyFixture>
{
    private const string Policy = SitePolicyFixture.Policy, Plain = SitePolicyFixture.Plain, Merge = SitePolicyFixture.Merge;

    private Task<HttpResponse> Get(string host, string target, params string[] headers) => GetAsync(fixture.Port, host, target, headers);

    [Fact]
    public async Task DirectoryListing_OnlyWhereTheSiteTurnsItOn()
    {
        HttpResponse listed = await Get(Policy, "/dir/");
        HttpAssert.Status(200, listed);
        Assert.Contains("one.txt", listed.BodyText, StringComparison.Ordinal);
        HttpAssert.Status(403, await Get(Plain, "/dir/"));
    }

    [Fact]
    public async Task ServeHiddenFiles_OnlyWhereTheSiteTurnsItOn()
    {
        HttpResponse shown = await Get(Policy, "/.hidden.txt");
        HttpAssert.Status(200, shown);
        Assert.Equal("hidden content", shown.BodyText);
        HttpResponse hidden = await Get(Plain, "/.hidden.txt");
        HttpAssert.Status(404, hidden);
        Assert.DoesNotContain("hidden content", hidden.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SpaFallback_OnlyWhereTheSiteSetsIt()
    {
        HttpResponse route = await Get(Policy, "/some/client/route");
        HttpAssert.Status(200, route);
        Assert.Equal("spa app", route.BodyText);
        HttpAssert.Status(404, await Get(Plain, "/some/client/route"));
    }

    [Fact]
    public async Task ErrorPages_SiteOverridesInheritsAndMergesByStatus()
    {
        HttpResponse own = await Get(Policy, "/missing.txt");
        HttpAssert.Status(404, own);
        Assert.Equal("policy's own 404 page", own.BodyText);

        HttpResponse inherited = await Get(Plain, "/missing.txt");
        HttpAssert.Status(404, inherited);
        Assert.Equal("inherited 404 page", inherited.BodyText); // the top level's entry, looked up in the site's root

        // merge.test adds 403 and keeps the inherited 404.
        HttpResponse added = await Get(Merge, "/dir/");
        HttpAssert.Status(403, added);
        Assert.Equal("merge's own 403 page", added.BodyText);
        HttpResponse kept = await Get(Merge, "/missing.txt");
        HttpAssert.Status(404, kept);
        Assert.Equal("inherited 404 page", kept.BodyText);

        HttpResponse fromDefault = await Get("unknown.test", "/missing.txt");
        HttpAssert.Status(404, fromDefault);
        Assert.Equal("default root's 404 page", fromDefault.BodyText);
    }

    [Fact]
    public async Task Headers_TopLevelReachSites_SiteOverridesAndRemoves()
    {
        HttpResponse policy = await Get(Policy, "/who.txt");
        HttpAssert.Status(200, policy);
        HttpAssert.Header("X-Top", "top", policy);
        HttpAssert.Header("X-Both", "site", policy);
        HttpAssert.Header("X-Site", "site", policy);
        HttpAssert.Absent("X-Removed", policy);
        HttpAssert.Header("X-Content-Type-Options", "nosniff", policy);

        HttpResponse plain = await Get(Plain, "/who.txt");
        HttpAssert.Header("X-Top", "top", plain);
        HttpAssert.Header("X-Both", "top", plain);
        HttpAssert.Header("X-Removed", "inherited", plain);
        HttpAssert.Absent("X-Site", plain);
    }

    [Fact]
    public async Task Headers_AlsoOnTheSitesErrorAnswers()
    {
        HttpResponse policy = await Get(Policy, "/missing.txt");
        HttpAssert.Header("X-Both", "site", policy);
        HttpAssert.Absent("X-Removed", policy);
        HttpResponse plain = await Get(Plain, "/missing.txt");
        HttpAssert.Header("X-Both", "top", plain);
    }

    [Fact]
    public async Task CacheControl_SiteRulesFirstThenInherited()
    {
        HttpAssert.Header("Cache-Control", "no-store", await Get(Policy, "/assets/a.css"));
        HttpAssert.Header("Cache-Control", "public, max-age=200", await Get(Policy, "/inherited/b.css"));
        HttpAssert.Header("Cache-Control", "public, max-age=100", await Get(Plain, "/assets/a.css"));
        HttpAssert.Header("Cache-Control", "public, max-age=200", await Get(Plain, "/inherited/b.css"));
    }

    [Fact]
    public async Task DefaultCacheControl_SiteOverridesOrInherits()
    {
        HttpAssert.Header("Cache-Control", "public, max-age=7", await Get(Policy, "/plain.txt"));
        HttpAssert.Header("Cache-Control", "public, max-age=5", await Get(Plain, "/plain.txt"));
    }

    [Fact]
    public async Task PathHeaders_SiteRulesFirstThenInherited()
    {
        // Both rules match: both fields are sent, the site's first (RFC 9110 §5.3 combines them in that order).
        // Fails against 24c56f2: SiteConfig.Load collects PathHeaders top level first (layers.SelectMany), while
        // CacheControl (layers.Reverse()) and the documented rule put the site's rules first.
        HttpAssert.Header("X-Rule", "site, top", await Get(Policy, "/assets/a.css"));
        HttpAssert.Header("X-Rule", "top", await Get(Plain, "/assets/a.css"));
        HttpAssert.Absent("X-Rule", await Get(Policy, "/inherited/b.css"));
    }

    [Fact]
    public async Task MimeTypes_MergeByExtension()
    {
        HttpAssert.Header("Content-Type", "application/x-top", await Get(Policy, "/x.foo"));
        HttpAssert.Header("Content-Type", "application/x-site", await Get(Policy, "/x.bar"));
        HttpAssert.Header("Content-Type", "application/x-site-baz", await Get(Policy, "/x.baz"));
        HttpAssert.Header("Content-Type", "application/x-top", await Get(Plain, "/x.foo"));
        HttpAssert.Header("Content-Type", "application/x-top-baz", await Get(Plain, "/x.baz"));
        HttpResponse unmapped = await Get(Plain, "/x.bar");
        Assert.NotEqual("application/x-site", unmapped.Header("Content-Type"));
    }

    [Fact]
    public async Task Precompressed_SiteOverridesTheDefault()
    {
        HttpResponse plain = await Get(Plain, "/p.js", "Accept-Encoding: gzip");
        HttpAssert.Status(200, plain);
        HttpAssert.Header("Content-Encoding", "gzip", plain);
        Assert.Equal("pretend gzip bytes", plain.BodyText);

        HttpResponse policy = await Get(Policy, "/p.js", "Accept-Encoding: gzip");
        HttpAssert.Status(200, policy);
        HttpAssert.Absent("Content-Encoding", policy);
        Assert.Equal("console.log('identity');", policy.BodyText);
    }

    [Fact]
    public async Task SameFileTwiceOnOneConnection_EachSiteKeepsItsPolicy()
    {
        // The second round is answered from the per-loop file cache: it must still apply each site's own rules.
        using RawHttpClient client = await fixture.ConnectAsync();
        for (int round = 0; round < 3; round++)
        {
            HttpResponse policy = await client.RoundTripAsync(SitesKit.Get(Policy, "/.hidden.txt"));
            HttpAssert.Status(200, policy);
            HttpResponse plain = await client.RoundTripAsync(SitesKit.Get(Plain, "/.hidden.txt"));
            HttpAssert.Status(404, plain);
            HttpAssert.Header("Cache-Control", "no-store", await client.RoundTripAsync(SitesKit.Get(Policy, "/assets/a.css")));
            HttpAssert.Header("Cache-Control", "public, max-age=100", await client.RoundTripAsync(SitesKit.Get(Plain, "/assets/a.css")));
        }
    }
}
