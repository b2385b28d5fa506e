using System.Text.Json.Nodes;
using Xunit;
using static StaticD.IntegrationTests.Sites.SitesKit;

namespace StaticD.IntegrationTests.Sites;

/// <summary>
/// Eight sites and a default one; every root has who.txt naming its site, so each answer says which site gave it.
/// Site roots are relative paths (resolved against the config file's directory) beside the default root.
/// </summary>
public sealed class HostLookupFixture() : ServerFixture(Populate, Configure)
{
    private static readonly (string Dir, string[] Hosts)[] Table =
    [
        ("a", ["a.test", "www.a.test"]),
        ("b", ["*.b.test"]),
        ("deepb", ["*.deep.b.test"]), // longer wildcard listed after the shorter one
        ("exactb", ["exact.b.test"]),
        ("longd", ["*.long.d.test"]), // longer wildcard listed before the shorter one
        ("d", ["*.d.test"]),
        ("c", ["*.c.test"]),
        ("ip", ["127.0.0.1"]),
    ];

    private static void Populate(WebRoot root)
    {
        root.AddFile("who.txt", "default");
        root.AddFile("index.html", "default index");
        foreach ((string dir, _) in Table) SiteDirectory(root, dir);
    }

    private static void Configure(JsonObject section) =>
        section["Sites"] = List(Table.Select(t => (JsonNode?)Site(t.Hosts, ("Root", Path.Combine("sites", t.Dir)))).ToArray());
}

public sealed class HostLookupTests(HostLookupFixture fixture) : IClassFixture<HostLookupFixture>
{
    private int Port => fixture.Port;

    [Theory]
    [InlineData("a.test", "a")]
    [InlineData("www.a.test", "a")]
    [InlineData("exact.b.test", "exactb")]
    [InlineData("127.0.0.1", "ip")]
    public Task ExactName_ServesThatSitesRoot(string host, string site) => AssertServes(Port, host, "/who.txt", site);

    [Theory]
    [InlineData("x.b.test", "b")]
    [InlineData("www.c.test", "c")]
    [InlineData("x.d.test", "d")]
    public Task Wildcard_MatchesOneLabel(string host, string site) => AssertServes(Port, host, "/who.txt", site);

    [Theory]
    [InlineData("x.y.b.test", "b")]
    [InlineData("p.q.r.c.test", "c")]
    [InlineData("deep.x.d.test", "d")]
    public Task Wildcard_MatchesSeveralLabels(string host, string site) => AssertServes(Port, host, "/who.txt", site);

    [Theory]
    [InlineData("x.deep.b.test", "deepb")] // *.deep.b.test over *.b.test (listed first)
    [InlineData("y.x.deep.b.test", "deepb")]
    [InlineData("x.long.d.test", "longd")] // *.long.d.test over *.d.test (listed after)
    [InlineData("a.b.long.d.test", "longd")]
    [InlineData("deep.b.test", "b")] // *.deep.b.test does not take deep.b.test itself; *.b.test does
    [InlineData("long.d.test", "d")]
    public Task LongestWildcardWins_WhateverTheOrder(string host, string site) => AssertServes(Port, host, "/who.txt", site);

    [Theory]
    [InlineData("exact.b.test", "exactb")]
    [InlineData("sub.exact.b.test", "b")] // the exact name does not cover names below it
    public Task ExactBeatsWildcard(string host, string site) => AssertServes(Port, host, "/who.txt", site);

    [Theory]
    [InlineData("b.test")]
    [InlineData("c.test")]
    [InlineData("d.test")]
    public Task WildcardDoesNotMatchItsBareSuffix_DefaultSiteAnswers(string host) => AssertServes(Port, host, "/who.txt", "default");

    [Theory]
    [InlineData("unknown.test")]
    [InlineData("a.test.example")]
    [InlineData("xa.test")]
    [InlineData("127.0.0.2")]
    public Task UnknownHost_DefaultSiteAnswers(string host) => AssertServes(Port, host, "/who.txt", "default");

    [Fact]
    public async Task Http10WithoutHost_DefaultSiteAnswers()
    {
        HttpResponse r = await SendAsync(Port, Request("GET", "/who.txt", host: null, "HTTP/1.0"));
        HttpAssert.Status(200, r);
        Assert.Equal("default", r.BodyText);
    }

    [Theory]
    [InlineData("A.TEST", "a")]
    [InlineData("Www.A.Test", "a")]
    [InlineData("a.test:8080", "a")]
    [InlineData("a.test.", "a")]
    [InlineData("WWW.A.TEST.:80", "a")]
    [InlineData("X.Deep.B.Test:1", "deepb")]
    [InlineData("EXACT.B.TEST.", "exactb")]
    [InlineData("Q.C.TEST.:65535", "c")]
    [InlineData("127.0.0.1:8080", "ip")]
    public Task HostIsLowercasedWithoutPortAndTrailingDot(string host, string site) => AssertServes(Port, host, "/who.txt", site);

    [Fact]
    public async Task TwoTrailingDots_AreNotOneName()
    {
        // Only one trailing dot is dropped: "a.test.." is not a.test.
        HttpResponse r = await GetAsync(Port, "a.test..", "/who.txt");
        Assert.False(r.Status == 200 && r.BodyText == "a", $"\"a.test..\" was served as a.test\n{r}");
    }

    [Theory]
    [InlineData("http://a.test/who.txt", "x.b.test", "a")]
    [InlineData("http://A.TEST:8080/who.txt", "unknown.test", "a")]
    [InlineData("https://x.deep.b.test./who.txt", "a.test", "deepb")]
    [InlineData("http://unknown.test/who.txt", "a.test", "default")]
    public async Task AbsoluteFormTarget_WinsOverHost(string target, string host, string site)
    {
        HttpResponse r = await SendAsync(Port, Request("GET", target, host));
        HttpAssert.Status(200, r);
        Assert.True(r.BodyText == site, $"GET {target} with Host: {host}: expected site {site}, got \"{r.BodyText}\"");
    }

    [Fact]
    public async Task SiteDoesNotServeTheDefaultRootsFiles()
    {
        // index.html exists only in the default root.
        HttpAssert.Status(404, await GetAsync(Port, "a.test", "/index.html"));
        HttpAssert.Status(403, await GetAsync(Port, "x.b.test", "/")); // no index.html, no listing
        HttpAssert.Status(200, await GetAsync(Port, "unknown.test", "/index.html"));
    }

    [Fact]
    public async Task KeepAliveConnection_EachRequestChoosesItsOwnSite()
    {
        using RawHttpClient client = await fixture.ConnectAsync();
        foreach ((string host, string site) in new[] { ("a.test", "a"), ("x.b.test", "b"), ("nobody.test", "default"), ("exact.b.test", "exactb"), ("a.test", "a") })
        {
            HttpResponse r = await client.RoundTripAsync(Get(host, "/who.txt"));
            HttpAssert.Status(200, r);
            Assert.True(r.BodyText == site, $"Host {host}: expected {site}, got {r.BodyText}");
        }
    }

    [Fact]
    public void StartLine_NamesTheSitesAndTheDefaultSite()
    {
        string line = fixture.Server.WaitForStderr("listening on", Deadline);
        string expected = $"serving 9 sites: a.test, *.b.test, *.deep.b.test, exact.b.test, *.long.d.test and 3 more; the default site (root {fixture.Root.RootPath})";
        Assert.True(line.Contains(expected, StringComparison.Ordinal), $"expected \"{expected}\" in: {line}");
    }
}

/// <summary>Only Sites, no top-level Root: a host no site names has no one to answer it.</summary>
public sealed class NoDefaultSiteFixture() : ServerFixture(Populate, Configure)
{
    private static void Populate(WebRoot root)
    {
        root.AddFile("who.txt", "top-level directory, not a site");
        SiteDirectory(root, "a");
        SiteDirectory(root, "b");
    }

    private static void Configure(JsonObject section)
    {
        section.Remove("Root");
        section["Sites"] = List(Site(["a.test"], ("Root", "sites/a")), Site(["*.b.test"], ("Root", "sites/b")));
    }
}

public sealed class NoDefaultSiteTests(NoDefaultSiteFixture fixture) : IClassFixture<NoDefaultSiteFixture>
{
    private int Port => fixture.Port;

    private static void Assert421(HttpResponse r)
    {
        Assert.True(r.RawHead.StartsWith("HTTP/1.1 421 Misdirected Request\r\n", StringComparison.Ordinal), $"expected 421 Misdirected Request\n{r}");
        HttpAssert.Status(421, r);
    }

    [Theory]
    [InlineData("unknown.test")]
    [InlineData("b.test")]
    [InlineData("a.test.example")]
    public async Task UnknownHost_Gets421(string host) => Assert421(await GetAsync(Port, host, "/who.txt"));

    [Theory]
    [InlineData("*")]
    [InlineData("/who.txt")]
    public async Task OptionsForAnUnknownHost_Gets421(string target) =>
        Assert421(await SendAsync(Port, Request("OPTIONS", target, "unknown.test")));

    [Fact]
    public async Task Http10WithoutHost_Gets421() =>
        Assert421(await SendAsync(Port, Request("GET", "/who.txt", host: null, "HTTP/1.0")));

    [Fact]
    public async Task Misdirected_KeepsTheConnectionUsable()
    {
        using RawHttpClient client = await fixture.ConnectAsync();
        for (int i = 0; i < 3; i++)
        {
            HttpResponse misdirected = await client.RoundTripAsync(Get("unknown.test", "/who.txt"));
            Assert421(misdirected);
            Assert.DoesNotContain("close", misdirected.ConnectionTokens);
            HttpResponse served = await client.RoundTripAsync(Get("a.test", "/who.txt"));
            HttpAssert.Status(200, served);
            Assert.Equal("a", served.BodyText);
            HttpResponse wildcard = await client.RoundTripAsync(Get("x.b.test", "/who.txt"));
            Assert.Equal("b", wildcard.BodyText);
        }
        Assert.False(await client.WaitForCloseAsync(TimeSpan.FromMilliseconds(200)), "the server closed the keep-alive connection after a 421");
    }

    [Fact]
    public async Task Misdirected_PipelinedBetweenServedRequests_AnswersInOrder()
    {
        using RawHttpClient client = await fixture.ConnectAsync();
        await client.SendAsync(Get("a.test", "/who.txt") + Get("nobody.test", "/who.txt") + Get("x.b.test", "/who.txt"));
        Assert.Equal("a", (await client.ReadResponseAsync()).BodyText);
        Assert421(await client.ReadResponseAsync());
        Assert.Equal("b", (await client.ReadResponseAsync()).BodyText);
    }

    [Fact]
    public void StartLine_SaysUnnamedHostsGet421()
    {
        string line = fixture.Server.WaitForStderr("listening on", Deadline);
        Assert.True(line.Contains("serving 2 sites: a.test, *.b.test; hosts no site names get 421", StringComparison.Ordinal), line);
    }
}
