using System.Text.Json.Nodes;
using Xunit;
using static StaticD.IntegrationTests.Sites.SitesKit;

namespace StaticD.IntegrationTests.Sites;

/// <summary>r.test has Redirects; norules.test serves the same directory without any; www.r.test and old.r2.test
/// only redirect (RedirectTo, no Root); the top level has a rule of its own, for the default site only.</summary>
public sealed class RedirectFixture() : ServerFixture(Populate, Configure)
{
    private static void Populate(WebRoot root)
    {
        root.AddFile("who.txt", "default");
        root.AddOutsideFile("sites/r/new.html", "new");
        root.AddOutsideFile("sites/r/shadowed.txt", "a file a redirect hides");
        root.AddOutsideFile("sites/r/who.txt", "r");
        root.AddOutsideFile("sites/r/blogger", "not under /blog");
    }

    private static JsonObject Rule(string from, string to, int? status = null)
    {
        var rule = new JsonObject { ["From"] = from, ["To"] = to };
        if (status is { } s) rule["Status"] = s;
        return rule;
    }

    private static void Configure(JsonObject s)
    {
        s["Redirects"] = List(Rule("/top-only", "/who.txt"));
        s["Sites"] = List(
            Site(["r.test"], ("Root", "sites/r"), ("Redirects", List(
                Rule("/old.html", "/new.html"),
                Rule("/found", "/new.html", 302),
                Rule("/temp", "/new.html", 307),
                Rule("/perm", "/new.html", 308),
                Rule("/moved", "/new.html", 301),
                Rule("/blog/**", "https://blog.example.com/posts"),
                Rule("/docs/**", "/manual/"),
                Rule("/files/**", "/archive"),
                Rule("/q", "/target?from=q"),
                Rule("/old page.html", "/new%20page.html"),
                Rule("/shadowed.txt", "/new.html")))),
            Site(["norules.test"], ("Root", "sites/r")),
            Site(["www.r.test"], ("RedirectTo", "https://r.test")),
            Site(["old.r2.test"], ("RedirectTo", "http://r2.test:8443/")));
    }
}

public sealed class RedirectTests(RedirectFixture fixture) : IClassFixture<RedirectFixture>
{
    private async Task<HttpResponse> AssertRedirect(string host, string target, int status, string location, string method = "GET")
    {
        bool head = method == "HEAD";
        HttpResponse r = await SendAsync(fixture.Port, Request(method, target, host), head);
        HttpAssert.Status(status, r);
        HttpAssert.Header("Location", location, r);
        return r;
    }

    [Theory]
    [InlineData("/old.html", 301)]
    [InlineData("/moved", 301)]
    [InlineData("/found", 302)]
    [InlineData("/temp", 307)]
    [InlineData("/perm", 308)]
    public Task ExactRule_AnswersWithItsStatus(string path, int status) => AssertRedirect("r.test", path, status, "/new.html");

    [Fact]
    public async Task ExactRule_DoesNotMatchOtherPaths()
    {
        HttpAssert.Status(404, await GetAsync(fixture.Port, "r.test", "/old.html/x"));
        HttpAssert.Status(404, await GetAsync(fixture.Port, "r.test", "/old.htm"));
        HttpAssert.Status(404, await GetAsync(fixture.Port, "r.test", "/OLD.html"));
    }

    [Theory]
    [InlineData("/blog", "https://blog.example.com/posts")] // the prefix path itself
    [InlineData("/blog/2024/a.html", "https://blog.example.com/posts/2024/a.html")]
    [InlineData("/docs/x", "/manual/x")] // To ends in '/': still exactly one
    [InlineData("/docs/a/b/c.html", "/manual/a/b/c.html")]
    [InlineData("/docs", "/manual/")]
    [InlineData("/files/report.pdf", "/archive/report.pdf")] // To without '/': one is added
    [InlineData("/files/x/../y.txt", "/archive/y.txt")] // matched after normalisation, as files are
    public Task PrefixRule_AppendsTheRestWithOneSlash(string path, string location) => AssertRedirect("r.test", path, 301, location);

    [Fact]
    public async Task PrefixRule_StopsAtASegmentBoundary()
    {
        HttpResponse r = await GetAsync(fixture.Port, "r.test", "/blogger");
        HttpAssert.Status(200, r);
        Assert.Equal("not under /blog", r.BodyText);
    }

    [Theory]
    [InlineData("/files/a%20b.txt", "/archive/a%20b.txt")]
    [InlineData("/files/dir%20one/c%3Fd.txt", "/archive/dir%20one/c%3Fd.txt")]
    [InlineData("/files/caf%C3%A9.txt", "/archive/caf%C3%A9.txt")]
    [InlineData("/files/caf%c3%a9.txt", "/archive/caf%C3%A9.txt")]
    [InlineData("/files/a%23b", "/archive/a%23b")]
    [InlineData("/files/%7Euser", "/archive/~user")]
    public Task PrefixRule_RestStaysPercentEncoded(string path, string location) => AssertRedirect("r.test", path, 301, location);

    [Theory]
    [InlineData("/old.html?x=1&y=2", "/new.html?x=1&y=2")]
    [InlineData("/blog/a?page=2", "https://blog.example.com/posts/a?page=2")]
    [InlineData("/files/a%20b?v=%20", "/archive/a%20b?v=%20")]
    public Task RequestQuery_IsKept(string path, string location) => AssertRedirect("r.test", path, 301, location);

    [Theory]
    [InlineData("/q", "/target?from=q")]
    [InlineData("/q?a=1", "/target?from=q&a=1")]
    [InlineData("/q?a=1&b=2", "/target?from=q&a=1&b=2")]
    public Task TargetWithItsOwnQuery_JoinsWithAmpersand(string path, string location) => AssertRedirect("r.test", path, 301, location);

    [Theory]
    [InlineData("/old%20page.html")]
    [InlineData("/old page.html")] // raw space: rejected before lookup, or matched decoded; never a 200
    public async Task FromIsComparedDecoded(string path)
    {
        HttpResponse r = await SendAsync(fixture.Port, Request("GET", path, "r.test"));
        if (path.Contains(' ')) Assert.True(r.Status != 200, $"raw space served\n{r}");
        else HttpAssert.Header("Location", "/new%20page.html", r);
    }

    [Fact]
    public async Task Redirect_AnswersBeforeAnyFileLookup() => await AssertRedirect("r.test", "/shadowed.txt", 301, "/new.html");

    [Fact]
    public async Task Head_GetsTheRedirectWithoutBody()
    {
        HttpResponse r = await AssertRedirect("r.test", "/old.html", 301, "/new.html", "HEAD");
        Assert.Empty(r.Body);
    }

    [Theory]
    [InlineData("r.test", "/old.html")]
    [InlineData("r.test", "/blog/a")]
    [InlineData("www.r.test", "/a")]
    public async Task OtherMethods_Get405First(string host, string path)
    {
        HttpResponse r = await SendAsync(fixture.Port, Request("POST", path, host, "HTTP/1.1", "Content-Length: 0"));
        HttpAssert.Status(405, r);
        HttpAssert.Absent("Location", r);
    }

    [Fact]
    public async Task RedirectsAreNotInherited()
    {
        // The top-level rule is the default site's; r.test's rules are r.test's, even on the same root.
        await AssertRedirect("unknown.test", "/top-only", 301, "/who.txt");
        HttpAssert.Status(404, await GetAsync(fixture.Port, "r.test", "/top-only"));
        HttpAssert.Status(404, await GetAsync(fixture.Port, "norules.test", "/top-only"));
        HttpAssert.Status(404, await GetAsync(fixture.Port, "norules.test", "/old.html"));
        HttpResponse shadowed = await GetAsync(fixture.Port, "norules.test", "/shadowed.txt");
        HttpAssert.Status(200, shadowed);
        Assert.Equal("a file a redirect hides", shadowed.BodyText);
        HttpAssert.Status(404, await GetAsync(fixture.Port, "unknown.test", "/old.html"));
    }

    [Theory]
    [InlineData("/", "https://r.test/")]
    [InlineData("/a/b.html", "https://r.test/a/b.html")]
    [InlineData("/a/b.html?x=1&y=%20", "https://r.test/a/b.html?x=1&y=%20")]
    [InlineData("/caf%C3%A9/a%20b", "https://r.test/caf%C3%A9/a%20b")] // the raw path, not re-encoded
    [InlineData("/who.txt", "https://r.test/who.txt")]
    public Task RedirectTo_SendsPathAndQueryToTheOrigin(string target, string location) =>
        AssertRedirect("www.r.test", target, 301, location);

    [Fact]
    public Task RedirectTo_TrailingSlashOfTheOriginIsNotDoubled() => AssertRedirect("old.r2.test", "/x?y", 301, "http://r2.test:8443/x?y");

    [Fact]
    public Task RedirectTo_Head() => AssertRedirect("www.r.test", "/p", 301, "https://r.test/p", "HEAD");

    [Fact]
    public Task RedirectTo_AbsoluteFormWithoutPath() =>
        AssertRedirect("ignored.test", "http://www.r.test", 301, "https://r.test/");

    [Fact]
    public async Task RedirectAnswers_KeepTheConnection()
    {
        using RawHttpClient client = await fixture.ConnectAsync();
        for (int i = 0; i < 3; i++)
        {
            HttpAssert.Header("Location", "/new.html", await client.RoundTripAsync(SitesKit.Get("r.test", "/old.html")));
            HttpAssert.Header("Location", "https://r.test/z", await client.RoundTripAsync(SitesKit.Get("www.r.test", "/z")));
            HttpResponse file = await client.RoundTripAsync(SitesKit.Get("r.test", "/new.html"));
            Assert.Equal("new", file.BodyText);
        }
    }
}
