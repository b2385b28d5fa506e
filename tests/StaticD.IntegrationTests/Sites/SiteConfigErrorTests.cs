using System.Text.Json.Nodes;
using Xunit;
using static StaticD.IntegrationTests.Sites.SitesKit;

namespace StaticD.IntegrationTests.Sites;

/// <summary>
/// A broken StaticD:Sites exits with EX_CONFIG (78) and names the exact key on stderr: one line per problem,
/// each broken site's first problem, so one run of --check-config lists every site to fix.
/// </summary>
public sealed class SiteConfigErrorTests : IDisposable
{
    private readonly WebRoot _root = new();

    public SiteConfigErrorTests()
    {
        _root.AddFile("who.txt", "default");
        SiteDirectory(_root, "a");
        SiteDirectory(_root, "b");
    }

    public void Dispose() => _root.Dispose();

    private JsonObject Section(params JsonNode?[] sites)
    {
        JsonObject s = StaticDProcess.DefaultSection(StaticDProcess.FreePort(), _root.RootPath);
        s["Sites"] = List(sites);
        return s;
    }

    private static JsonObject Valid(string host, string dir = "a") => Site([host], ("Root", Path.Combine("sites", dir)));

    private Task<string[]> Rejected(JsonObject section, bool checkOnly = false) => ConfigRejection.LinesAsync(_root, section, checkOnly);

    private Task<string> RejectedWith(JsonObject section, string key, params string[] fragments) =>
        ConfigRejection.OneLineAsync(_root, section, checkOnly: false, key, StringComparison.Ordinal, fragments);

    [Theory]
    [InlineData("Port", "8080")]
    [InlineData("Listen", "[\"127.0.0.1\"]")]
    [InlineData("Loops", "2")]
    [InlineData("ShutdownTimeoutSeconds", "5")]
    [InlineData("Limits", "{\"MaxConnections\": 5}")]
    [InlineData("FileCache", "false")]
    [InlineData("Sites", "[]")]
    [InlineData("Sites", "[{\"Hosts\": [\"inner.test\"]}]")]
    public async Task ServerWideKeyInASite_NamesTheKey(string key, string json)
    {
        JsonObject broken = Valid("b.test", "b");
        broken[key] = JsonNode.Parse(json);
        await RejectedWith(Section(Valid("a.test"), broken), $"StaticD:Sites:1:{key}", $"\"{key}\" is server-wide and cannot be set per site");
    }

    [Fact]
    public Task ServerWideKeyInASite_SpelledInAnotherCase_IsStillRefused()
    {
        JsonObject broken = Valid("a.test");
        broken["port"] = 81;
        return RejectedWith(Section(broken), "StaticD:Sites:0:port", "\"Port\" is server-wide");
    }

    [Theory]
    [InlineData("dup.test", "dup.test")]
    [InlineData("dup.test", "DUP.Test.")] // one name once normalised
    [InlineData("*.dup.test", "*.DUP.test")]
    public Task DuplicateNameAcrossSites_NamesBothKeys(string first, string second) =>
        RejectedWith(Section(Site(["a.test", first], ("Root", "sites/a")), Site([second], ("Root", "sites/b"))),
            "StaticD:Sites:1:Hosts:0", "is already claimed by StaticD:Sites:0:Hosts:1");

    [Fact]
    public Task DuplicateNameWithinASite_NamesBothKeys() =>
        RejectedWith(Section(Site(["a.test", "A.TEST"], ("Root", "sites/a"))), "StaticD:Sites:0:Hosts:1", "is already claimed by StaticD:Sites:0:Hosts:0");

    [Fact]
    public async Task WildcardAndExactOfTheSameSuffix_AreDifferentNames()
    {
        string path = StaticDProcess.WriteConfig(_root, StaticDProcess.ConfigText(Section(Valid("x.test"), Valid("*.x.test", "b"))));
        ProcessResult r = await StaticDProcess.RunAsync(Deadline, "--check-config", "--config", path);
        Assert.True(r.ExitCode == 0, $"x.test and *.x.test are two names\n{r}");
    }

    [Theory]
    [InlineData("a.test:8080")]
    [InlineData("*")]
    [InlineData("a.*.test")]
    [InlineData("*a.test")]
    [InlineData("exa mple.test")]
    [InlineData("a..test")]
    [InlineData("http://a.test")]
    [InlineData("a.test/path")]
    [InlineData("")]
    [InlineData("caf%C3%A9.test")]
    public Task InvalidHostName_NamesTheEntry(string host) =>
        RejectedWith(Section(Site(["ok.test", host], ("Root", "sites/a"))), "StaticD:Sites:0:Hosts:1", "expected a host name");

    [Fact]
    public Task SiteWithoutHosts_NamesTheKey() =>
        RejectedWith(Section(Valid("a.test"), new JsonObject { ["Root"] = "sites/b" }), "StaticD:Sites:1:Hosts", "missing");

    [Theory]
    [InlineData("/a", "/b", "/b", "/a")]
    [InlineData("/x", "/x", null, null)]
    [InlineData("/a/**", "/a/b/", null, null)]
    [InlineData("/a/**", "/b/", "/b/**", "/a")] // /a/x → /b/x → /a/x
    [InlineData("/a", "/b?q=1", "/b", "/a?r=2")] // a query does not make a path different
    [InlineData("/a%20b", "/c", "/c", "/a%20b")] // percent-encoded in To is the decoded path
    public Task RedirectLoop_NamesTheSitesRedirects(string from1, string to1, string? from2, string? to2)
    {
        JsonArray rules = List(new JsonObject { ["From"] = from1, ["To"] = to1 });
        if (from2 is not null) rules.Add(new JsonObject { ["From"] = from2, ["To"] = to2 });
        return RejectedWith(Section(Valid("a.test"), Site(["b.test"], ("Root", "sites/b"), ("Redirects", rules))),
            "StaticD:Sites:1:Redirects", "loop");
    }

    [Fact]
    public async Task RedirectChainThatLeavesTheSite_IsNoLoop()
    {
        JsonArray rules = List(
            new JsonObject { ["From"] = "/a", ["To"] = "https://a.test/a" },
            new JsonObject { ["From"] = "/b/**", ["To"] = "/c/" },
            new JsonObject { ["From"] = "/c", ["To"] = "/d" });
        string path = StaticDProcess.WriteConfig(_root, StaticDProcess.ConfigText(Section(Site(["a.test"], ("Root", "sites/a"), ("Redirects", rules)))));
        ProcessResult r = await StaticDProcess.RunAsync(Deadline, "--check-config", "--config", path);
        Assert.True(r.ExitCode == 0, $"no loop here\n{r}");
    }

    [Fact]
    public Task SiteWithoutRoot_NoTopLevelRoot_NamesTheSitesRoot()
    {
        JsonObject section = Section(Valid("a.test"), Site(["b.test"]));
        section.Remove("Root");
        return RejectedWith(section, "StaticD:Sites:1:Root", "missing");
    }

    [Fact]
    public async Task SiteWithoutRoot_InheritsTheTopLevelRoot()
    {
        using StaticDProcess server = StaticDProcess.Start(_root, s => s["Sites"] = List(Site(["b.test"])));
        await AssertServes(server.Port, "b.test", "/who.txt", "default");
    }

    [Fact]
    public async Task RedirectToSite_NeedsNoRoot()
    {
        using StaticDProcess server = StaticDProcess.Start(_root, s =>
        {
            s.Remove("Root");
            s["Sites"] = List(Valid("a.test"), Site(["www.a.test"], ("RedirectTo", "https://a.test")));
        });
        HttpAssert.Header("Location", "https://a.test/x", await GetAsync(server.Port, "www.a.test", "/x"));
    }

    [Fact]
    public Task SiteRootThatDoesNotExist_NamesTheSitesRoot() =>
        RejectedWith(Section(Site(["a.test"], ("Root", "sites/none"))), "StaticD:Sites:0:Root", "does not exist");

    [Fact]
    public Task UnknownKeyInASite_NamesIt() =>
        RejectedWith(Section(Site(["a.test"], ("Root", "sites/a"), ("DirectoryListng", true))), "StaticD:Sites:0:DirectoryListng", "unknown key");

    [Fact]
    public Task RedirectToOwnHost_NamesIt() =>
        RejectedWith(Section(Site(["a.test"], ("RedirectTo", "https://a.test"))), "StaticD:Sites:0:RedirectTo", "a.test");

    [Fact]
    public async Task CheckConfig_TwoBrokenSites_OneLineEach()
    {
        JsonObject first = Valid("one.test");
        first["Port"] = 81;
        first["Hosts"] = List("bad:host"); // a second problem of the same site: only its first is reported
        JsonObject third = Site(["three.test", "a..test"], ("Root", "sites/b"));
        string[] lines = await Rejected(Section(first, Valid("two.test", "b"), third), checkOnly: true);
        string all = string.Join('\n', lines);
        Assert.True(lines.Length == 2, $"expected two lines (one per broken site):\n{all}");
        Assert.Contains(": StaticD:Sites:0:Port: ", lines[0], StringComparison.Ordinal);
        Assert.Contains(": StaticD:Sites:2:Hosts:1: ", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain("Sites:1", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckConfig_BrokenSiteAndDuplicateName_OneLineEach()
    {
        JsonObject broken = Valid("one.test");
        broken["Loops"] = 1;
        string[] lines = await Rejected(Section(broken, Valid("two.test"), Valid("two.test", "b")), checkOnly: true);
        string all = string.Join('\n', lines);
        Assert.True(lines.Length == 2, $"expected two lines:\n{all}");
        Assert.Contains(lines, l => l.Contains(": StaticD:Sites:0:Loops: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(": StaticD:Sites:2:Hosts:0: ", StringComparison.Ordinal) &&
            l.Contains("already claimed by StaticD:Sites:1:Hosts:0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CheckConfig_ValidSites_Exits0()
    {
        JsonObject section = Section(Valid("a.test"), Valid("*.a.test", "b"), Site(["www.b.test"], ("RedirectTo", "https://b.test")));
        section.Remove("Root");
        string path = StaticDProcess.WriteConfig(_root, StaticDProcess.ConfigText(section));
        ProcessResult r = await StaticDProcess.RunAsync(Deadline, "--check-config", "--config", path);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("configuration is valid", r.Stdout, StringComparison.Ordinal);
    }
}
