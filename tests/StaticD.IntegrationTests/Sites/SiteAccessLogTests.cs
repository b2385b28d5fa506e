using System.Text.Json;
using System.Text.Json.Nodes;
using StaticD.IntegrationTests.Systemd;
using Xunit;
using static StaticD.IntegrationTests.Sites.SitesKit;

namespace StaticD.IntegrationTests.Sites;

/// <summary>
/// Access entries in a real journald carry HTTP_HOST (the host as sites are looked up by: lowercase, no port, no
/// trailing dot, the absolute-form authority over Host) and SITE (the answering site's first name, "_" for the
/// default site, "-" when no site answered), and MESSAGE ends with " HOST SITE".
/// </summary>
[Collection(JournaldCollection.Name)]
public sealed class SiteAccessLogTests
{
    private static Dictionary<string, string> UnderSystemd() => new() { ["INVOCATION_ID"] = Guid.NewGuid().ToString("N") };

    private static void Populate(WebRoot root)
    {
        root.AddFile("who.txt", "default");
        SiteDirectory(root, "a");
        SiteDirectory(root, "b");
    }

    private static JsonArray Sites() => List(
        Site(["a.test", "www.a.test"], ("Root", "sites/a")),
        Site(["*.b.test"], ("Root", "sites/b")),
        Site(["old.a.test"], ("RedirectTo", "https://a.test")));

    private static string Field(JsonElement entry, string name) =>
        JournaldFixture.Field(entry, name) ?? throw new Xunit.Sdk.XunitException($"journal entry has no {name}: {entry}");

    /// <summary>Sends each request on its own connection (a distinct path each, to find its entry), stops the
    /// server so every entry has been written, and returns the access entries by HTTP_PATH.</summary>
    private static async Task<Dictionary<string, JsonElement>> Serve(Systemd.SiteConfig site, (string Raw, int Status)[] requests)
    {
        var since = DateTimeOffset.UtcNow;
        using ChildProcess server = ServiceProcess.StartStaticD(site.Path, UnderSystemd());
        server.WaitUntilAccepting(site.Port, Deadline);
        foreach ((string raw, int status) in requests)
            HttpAssert.Status(status, await SendAsync(site.Port, raw));
        Kit.Stop(server);
        List<JsonElement> all = JournaldFixture.QueryPid(server.Pid, since, requests.Length);
        var access = all.Where(e => e.TryGetProperty("HTTP_STATUS", out _)).ToList();
        Assert.True(access.Count == requests.Length,
            $"expected {requests.Length} access entries, journal has:\n" + string.Join('\n', all.Select(e => JournaldFixture.Field(e, "MESSAGE"))));
        return access.ToDictionary(e => Field(e, "HTTP_PATH"));
    }

    private static void AssertHostAndSite(Dictionary<string, JsonElement> entries, string path, string host, string site)
    {
        Assert.True(entries.TryGetValue(path, out JsonElement e), $"no entry for {path}: have {string.Join(", ", entries.Keys)}");
        Assert.True(Field(e, "HTTP_HOST") == host, $"{path}: HTTP_HOST \"{Field(e, "HTTP_HOST")}\", expected \"{host}\"\n{e}");
        Assert.True(Field(e, "SITE") == site, $"{path}: SITE \"{Field(e, "SITE")}\", expected \"{site}\"\n{e}");
        string message = Field(e, "MESSAGE");
        Assert.True(message.EndsWith($"\" {host} {site}", StringComparison.Ordinal), $"{path}: MESSAGE does not end with \" {host} {site}\": {message}");
    }

    [Fact]
    public async Task EntriesNameTheHostAndTheAnsweringSite()
    {
        using var site = new Systemd.SiteConfig(Populate, doc => doc["StaticD"]!["Sites"] = Sites());
        Dictionary<string, JsonElement> entries = await Serve(site,
        [
            (Get("a.test", "/who.txt?1"), 200),
            (Get("WWW.A.Test.:8080", "/who.txt?2"), 200),
            (Get("X.Y.B.TEST", "/who.txt?3"), 200),
            (Get("unknown.test", "/who.txt?4"), 200),
            (Get("a.test", "/missing?5"), 404),
            (Request("GET", "http://x.b.test:81/who.txt?6", "a.test"), 200),
            (Get("old.a.test", "/p?7"), 301),
            (Request("POST", "/who.txt?8", "a.test", "HTTP/1.1", "Content-Length: 0"), 405),
        ]);
        AssertHostAndSite(entries, "/who.txt?1", "a.test", "a.test");
        AssertHostAndSite(entries, "/who.txt?2", "www.a.test", "a.test"); // the site's first name, not the one asked for
        AssertHostAndSite(entries, "/who.txt?3", "x.y.b.test", "*.b.test");
        AssertHostAndSite(entries, "/who.txt?4", "unknown.test", "_");
        AssertHostAndSite(entries, "/missing?5", "a.test", "a.test");
        AssertHostAndSite(entries, "http://x.b.test:81/who.txt?6", "x.b.test", "*.b.test");
        AssertHostAndSite(entries, "/p?7", "old.a.test", "old.a.test");
        AssertHostAndSite(entries, "/who.txt?8", "a.test", "a.test");
    }

    [Fact]
    public async Task Http10WithoutHost_DefaultSiteAndADashForTheHost()
    {
        // No host is logged as "-", like every other absent field of the entry.
        using var site = new Systemd.SiteConfig(Populate, doc => doc["StaticD"]!["Sites"] = Sites());
        Dictionary<string, JsonElement> entries = await Serve(site, [(Request("GET", "/who.txt?10", null, "HTTP/1.0"), 200)]);
        AssertHostAndSite(entries, "/who.txt?10", "-", "_");
    }

    [Fact]
    public async Task Misdirected_SiteIsDash()
    {
        using var site = new Systemd.SiteConfig(Populate, doc =>
        {
            doc["StaticD"]!.AsObject().Remove("Root");
            doc["StaticD"]!["Sites"] = Sites();
        });
        Dictionary<string, JsonElement> entries = await Serve(site,
        [
            (Get("Nobody.Test:8080", "/who.txt?20"), 421),
            (Get("b.test", "/who.txt?21"), 421),
            (Get("q.b.test", "/who.txt?22"), 200),
        ]);
        AssertHostAndSite(entries, "/who.txt?20", "nobody.test", "-");
        AssertHostAndSite(entries, "/who.txt?21", "b.test", "-");
        AssertHostAndSite(entries, "/who.txt?22", "q.b.test", "*.b.test");
    }

    [Fact]
    public async Task AccessLogFalseInOneSite_OnlyThatSiteIsSilent()
    {
        using var site = new Systemd.SiteConfig(Populate, doc =>
        {
            JsonArray sites = Sites();
            sites[1]!["AccessLog"] = false;
            doc["StaticD"]!["Sites"] = sites;
        });
        var since = DateTimeOffset.UtcNow;
        using ChildProcess server = ServiceProcess.StartStaticD(site.Path, UnderSystemd());
        server.WaitUntilAccepting(site.Port, Deadline);
        for (int i = 0; i < 3; i++) HttpAssert.Status(200, await GetAsync(site.Port, "x.b.test", $"/who.txt?silent{i}"));
        HttpAssert.Status(200, await GetAsync(site.Port, "a.test", "/who.txt?logged"));
        HttpAssert.Status(200, await GetAsync(site.Port, "other.test", "/who.txt?default"));
        Kit.Stop(server);
        List<JsonElement> access = JournaldFixture.QueryPid(server.Pid, since, 2).Where(e => e.TryGetProperty("HTTP_STATUS", out _)).ToList();
        string[] paths = access.Select(e => Field(e, "HTTP_PATH")).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["/who.txt?default", "/who.txt?logged"], paths);
    }
}
