using System.Text.Json.Nodes;
using Xunit;
using static StaticD.IntegrationTests.Sites.SitesKit;

namespace StaticD.IntegrationTests.Acme;

/// <summary>
/// An acme site that cannot work is refused by <c>--check-config</c> (what <c>systemctl reload</c> runs) with
/// EX_CONFIG (78) and one stderr line naming the key: a wildcard host (it cannot be validated over http-01 or
/// tls-alpn-01), terms not agreed to, no directory. No pebble is needed: the check never contacts the directory.
/// </summary>
public sealed class AcmeConfigErrorTests : IDisposable
{
    private readonly WebRoot _root = new();

    public AcmeConfigErrorTests()
    {
        _root.AddFile("index.html", "hello");
        SiteDirectory(_root, "a");
    }

    public void Dispose() => _root.Dispose();

    /// <summary>A valid acme configuration that each test breaks one way.</summary>
    private JsonObject Section()
    {
        JsonObject s = StaticDProcess.DefaultSection(StaticDProcess.FreePort(), _root.RootPath);
        s["HttpsPort"] = StaticDProcess.FreePort();
        s["Acme"] = new JsonObject
        {
            ["Directory"] = "https://127.0.0.1:14000/dir",
            ["Email"] = "ops@staticd.example.org",
            ["AgreeToTerms"] = true,
            ["StateDirectory"] = Path.Combine(_root.BasePath, "acme-state"),
        };
        s["Sites"] = List(Site(["a.test", "www.a.test"], ("Root", "sites/a"), ("Tls", "acme")));
        return s;
    }

    private async Task<ProcessResult> Check(JsonObject section) => (await ConfigRejection.RunAsync(_root, section, checkOnly: true)).Result;

    /// <summary>Exit 78 and one stderr line "staticd: FILE.json: KEY: …" that says every fragment.</summary>
    private Task RejectedWith(JsonObject section, string key, params string[] fragments) =>
        ConfigRejection.OneLineAsync(_root, section, checkOnly: true, key, StringComparison.OrdinalIgnoreCase, fragments);

    [Fact]
    public async Task TheValidConfigurationPasses()
    {
        ProcessResult r = await Check(Section());
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.False(Directory.Exists(Path.Combine(_root.BasePath, "acme-state")), "--check-config created the state directory");
    }

    [Fact]
    public Task WildcardHostInAnAcmeSite()
    {
        JsonObject s = Section();
        s["Sites"] = List(Site(["a.test", "*.a.test"], ("Root", "sites/a"), ("Tls", "acme")));
        return RejectedWith(s, "StaticD:Sites:0:Tls", "*.a.test", "wildcard");
    }

    [Fact]
    public Task TermsNotAgreedTo()
    {
        JsonObject s = Section();
        s["Acme"]!.AsObject().Remove("AgreeToTerms");
        return RejectedWith(s, "StaticD:Acme:AgreeToTerms");
    }

    [Fact]
    public Task TermsRefused()
    {
        JsonObject s = Section();
        s["Acme"]!["AgreeToTerms"] = false;
        return RejectedWith(s, "StaticD:Acme:AgreeToTerms");
    }

    [Fact]
    public Task NoDirectory()
    {
        JsonObject s = Section();
        s["Acme"]!.AsObject().Remove("Directory");
        return RejectedWith(s, "StaticD:Acme:Directory");
    }

    [Fact]
    public Task AcmeSiteWithoutHttpsPort()
    {
        JsonObject s = Section();
        s.Remove("HttpsPort");
        return RejectedWith(s, "StaticD:HttpsPort");
    }
}
