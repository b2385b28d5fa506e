using System.Text.Json.Nodes;
using Xunit;
using static StaticD.IntegrationTests.Sites.SitesKit;

namespace StaticD.IntegrationTests.Sites;

/// <summary>
/// Site A serves sites/r, site B serves sites/r/inner; h1 and h2 both serve sites/r, only h1 with hidden files. One
/// loop, so every request meets the same per-loop file cache: an entry stored for one site must never answer for
/// another, whichever site asked first. Each file exists in a small form (cached with its bytes) and a large one
/// (cached as an open descriptor, sent with sendfile).
/// </summary>
public sealed class NestedRootFixture() : ServerFixture(Populate, Configure)
{
    public const int Large = 200_000;

    public static string Big(char c) => new(c, Large);

    private static void Populate(WebRoot root)
    {
        root.AddFile("who.txt", "default");
        root.AddOutsideFile("sites/r/who.txt", "A");
        root.AddOutsideFile("sites/r/big.txt", Big('A'));
        root.AddOutsideFile("sites/r/only-a.txt", "only A");
        root.AddOutsideFile("sites/r/.secret", "hidden in r");
        root.AddOutsideFile("sites/r/.other", "other hidden in r");
        root.AddOutsideFile("sites/r/inner/who.txt", "B");
        root.AddOutsideFile("sites/r/inner/big.txt", Big('B'));
        root.AddOutsideFile("sites/r/inner/only-b.txt", "only B");
    }

    private static void Configure(JsonObject s)
    {
        s["Loops"] = 1;
        s["Sites"] = List(
            Site(["a.test"], ("Root", "sites/r")),
            Site(["b.test"], ("Root", "sites/r/inner")),
            Site(["h1.test"], ("Root", "sites/r"), ("ServeHiddenFiles", true)),
            Site(["h2.test"], ("Root", "sites/r"), ("ServeHiddenFiles", false)));
    }
}

public sealed class NestedRootTests(NestedRootFixture fixture) : IClassFixture<NestedRootFixture>
{
    private const int Rounds = 4;

    private static async Task Expect(RawHttpClient client, string host, string target, int status, string? body = null)
    {
        HttpResponse r = await client.RoundTripAsync(SitesKit.Get(host, target));
        Assert.True(r.Status == status, $"GET {target} with Host {host}: expected {status}, got {r.Status}\n{r.RawHead}");
        if (body is not null)
        {
            Assert.True(r.BodyText == body,
                $"GET {target} with Host {host}: wrong body ({r.Body.Length} bytes, starts \"{r.BodyText[..Math.Min(20, r.BodyText.Length)]}\")");
        }
    }

    /// <summary>Runs <paramref name="steps"/> <see cref="Rounds"/> times on one connection, then once more on a new one.</summary>
    private async Task Repeat(Func<RawHttpClient, Task> steps)
    {
        using (RawHttpClient client = await fixture.ConnectAsync())
        {
            for (int i = 0; i < Rounds; i++) await steps(client);
        }
        using RawHttpClient fresh = await fixture.ConnectAsync();
        await steps(fresh);
    }

    [Fact]
    public Task OuterSiteFirst_SamePathAnswersPerSite() => Repeat(async c =>
    {
        await Expect(c, "a.test", "/who.txt", 200, "A");
        await Expect(c, "b.test", "/who.txt", 200, "B");
        await Expect(c, "a.test", "/big.txt", 200, NestedRootFixture.Big('A'));
        await Expect(c, "b.test", "/big.txt", 200, NestedRootFixture.Big('B'));
    });

    [Fact]
    public Task InnerSiteFirst_SamePathAnswersPerSite() => Repeat(async c =>
    {
        await Expect(c, "b.test", "/big.txt", 200, NestedRootFixture.Big('B'));
        await Expect(c, "a.test", "/big.txt", 200, NestedRootFixture.Big('A'));
        await Expect(c, "b.test", "/who.txt", 200, "B");
        await Expect(c, "a.test", "/who.txt", 200, "A");
    });

    [Fact]
    public Task InnerFilesThroughTheOuterSite_AreTheOuterSitesPaths() => Repeat(async c =>
    {
        await Expect(c, "b.test", "/only-b.txt", 200, "only B");
        await Expect(c, "a.test", "/inner/only-b.txt", 200, "only B");
        await Expect(c, "a.test", "/only-b.txt", 404);
        await Expect(c, "a.test", "/inner/who.txt", 200, "B");
        await Expect(c, "a.test", "/inner/big.txt", 200, NestedRootFixture.Big('B'));
        await Expect(c, "b.test", "/inner/who.txt", 404);
    });

    [Fact]
    public Task OuterFilesThroughTheInnerSite_AreNotThere() => Repeat(async c =>
    {
        // B asks first, so a cached "not found" would be the wrong answer for A, and A's cached file for B.
        await Expect(c, "b.test", "/only-a.txt", 404);
        await Expect(c, "a.test", "/only-a.txt", 200, "only A");
        await Expect(c, "b.test", "/only-a.txt", 404);
        await Expect(c, "b.test", "/x/../only-a.txt", 404);
        await Expect(c, "a.test", "/inner/%2e%2e/only-a.txt", 200, "only A");
    });

    [Fact]
    public Task SameRoot_DifferentServeHiddenFiles_ServingSiteFirst() => Repeat(async c =>
    {
        await Expect(c, "h1.test", "/.secret", 200, "hidden in r");
        await Expect(c, "h2.test", "/.secret", 404);
        await Expect(c, "a.test", "/.secret", 404);
    });

    [Fact]
    public Task SameRoot_DifferentServeHiddenFiles_HidingSiteFirst() => Repeat(async c =>
    {
        await Expect(c, "h2.test", "/.other", 404);
        await Expect(c, "h1.test", "/.other", 200, "other hidden in r");
        await Expect(c, "h2.test", "/.other", 404);
    });

    [Fact]
    public Task SameRoot_VisibleFiles_SameBytesForBoth() => Repeat(async c =>
    {
        await Expect(c, "h1.test", "/who.txt", 200, "A");
        await Expect(c, "h2.test", "/who.txt", 200, "A");
        await Expect(c, "h2.test", "/big.txt", 200, NestedRootFixture.Big('A'));
        await Expect(c, "h1.test", "/big.txt", 200, NestedRootFixture.Big('A'));
    });

    [Fact]
    public async Task PipelinedAcrossSites_AnswersInOrderFromEachRoot()
    {
        using RawHttpClient client = await fixture.ConnectAsync();
        for (int round = 0; round < Rounds; round++)
        {
            await client.SendAsync(SitesKit.Get("a.test", "/who.txt") + SitesKit.Get("b.test", "/who.txt") +
                SitesKit.Get("h2.test", "/.secret") + SitesKit.Get("h1.test", "/.secret") + SitesKit.Get("unknown.test", "/who.txt"));
            Assert.Equal("A", (await client.ReadResponseAsync()).BodyText);
            Assert.Equal("B", (await client.ReadResponseAsync()).BodyText);
            Assert.Equal(404, (await client.ReadResponseAsync()).Status);
            Assert.Equal("hidden in r", (await client.ReadResponseAsync()).BodyText);
            Assert.Equal("default", (await client.ReadResponseAsync()).BodyText);
        }
    }
}
