using Microsoft.Extensions.Configuration;
using StaticD.Hosting;
using StaticD.Site;
using Xunit;

namespace StaticD.Tests.Hosting;

/// <summary>The Cors key as the loader reads it: defaults, inheritance by sites, and every refusal named by its key.</summary>
public sealed class CorsConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("staticd-cors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ServerOptions Load(params (string Key, string? Value)[] values) =>
        InMemoryConfig.Load(_dir, [("StaticD:Port", "80"), ("StaticD:Root", _dir), .. values]);

    private ConfigException Fails(params (string Key, string? Value)[] values) => Assert.Throws<ConfigException>(() => Load(values));

    [Fact]
    public void AbsentMeansNoCors() => Assert.Null(Load().Site.Cors);

    [Fact]
    public void DefaultsAreNoCredentialsAndTenMinutes()
    {
        CorsPolicy cors = Load(("StaticD:Cors:Origins:0", "https://App.example.com")).Site.Cors!;
        Assert.Equal(["https://app.example.com"], cors.Origins);
        Assert.False(cors.Credentials);
        Assert.Equal(600, cors.MaxAge);
    }

    [Fact]
    public void OneStringIsAListOfOne()
    {
        CorsPolicy cors = Load(("StaticD:Cors:Origins", "*"), ("StaticD:Cors:MaxAge", "0")).Site.Cors!;
        Assert.True(cors.AnyOrigin);
        Assert.Equal(0, cors.MaxAge);
    }

    [Fact]
    public void EmptyOriginsTurnCorsOff() =>
        // What the JSON provider makes of "Origins": [] (the key, no value).
        Assert.Null(Load(("StaticD:Cors:Origins", null)).Site.Cors);

    [Fact]
    public void WildcardWithCredentialsIsRefusedNamingCredentials()
    {
        ConfigException ex = Fails(("StaticD:Cors:Origins:0", "*"), ("StaticD:Cors:Credentials", "true"));
        Assert.Equal("StaticD:Cors:Credentials", ex.Key);
        Assert.Equal("true is not allowed with \"Origins\": [\"*\"]: the Fetch standard forbids a wildcard origin with credentials; list the origins that may send credentials", ex.Message);
    }

    [Fact]
    public void BadOriginIsNamedByItsIndex()
    {
        ConfigException ex = Fails(("StaticD:Cors:Origins:0", "https://a.example"), ("StaticD:Cors:Origins:1", "https://b.example/app"));
        Assert.Equal("StaticD:Cors:Origins:1", ex.Key);
        Assert.Contains("has a path", ex.Message);
    }

    [Theory]
    [InlineData("StaticD:Cors:MaxAge", "-1", "StaticD:Cors:MaxAge", "expected an integer from 0 to 86400")]
    [InlineData("StaticD:Cors:MaxAge", "86401", "StaticD:Cors:MaxAge", "expected an integer from 0 to 86400")]
    [InlineData("StaticD:Cors:Credentials", "yes", "StaticD:Cors:Credentials", "expected true or false")]
    [InlineData("StaticD:Cors:Origin", "x", "StaticD:Cors:Origin", "unknown key; allowed keys are Origins, MaxAge, Credentials")]
    [InlineData("StaticD:Cors", "https://a.example", "StaticD:Cors", "expected an object")]
    [InlineData("StaticD:Cors:MaxAge", "60", "StaticD:Cors:Origins", "missing")]
    public void ProblemsNameTheirKey(string key, string value, string expectedKey, string message)
    {
        ConfigException ex = Fails((key, value));
        Assert.Equal(expectedKey, ex.Key);
        Assert.Contains(message, ex.Message);
    }

    [Theory]
    [InlineData("Access-Control-Allow-Origin")]
    [InlineData("access-control-max-age")]
    public void CorsFieldsAreStaticdsOnASiteWithCors(string name)
    {
        ConfigException ex = Fails(("StaticD:Cors:Origins:0", "*"), ($"StaticD:Headers:{name}", "*"));
        Assert.Equal($"StaticD:Headers:{name}", ex.Key);
        Assert.Contains("is set by staticd itself on a site with \"Cors\"", ex.Message);
        ex = Fails(("StaticD:Cors:Origins:0", "*"), ("StaticD:PathHeaders:0:Path", "/a/**"), ($"StaticD:PathHeaders:0:Headers:{name}", "*"));
        Assert.Equal($"StaticD:PathHeaders:0:Headers:{name}", ex.Key);
        // Inherited Cors counts too: the site's own header would contradict it.
        ex = Fails(("StaticD:Cors:Origins:0", "*"), ("StaticD:Sites:0:Hosts", "a.test"), ($"StaticD:Sites:0:Headers:{name}", "*"));
        Assert.Equal($"StaticD:Sites:0:Headers:{name}", ex.Key);
    }

    [Fact]
    public void WithoutCorsTheFieldsMayBeSetByHandPerPath()
    {
        ServerOptions o = Load(("StaticD:PathHeaders:0:Path", "/fonts/**"), ("StaticD:PathHeaders:0:Headers:Access-Control-Allow-Origin", "*"),
            ("StaticD:Sites:0:Hosts", "a.test"));
        Assert.Null(o.Site.Cors);
        Assert.Equal("Access-Control-Allow-Origin: *\r\n", System.Text.Encoding.ASCII.GetString(o.Site.PathHeaders[0].Headers));
        Assert.Equal("Access-Control-Allow-Origin: *\r\n", System.Text.Encoding.ASCII.GetString(o.Sites[0].PathHeaders[0].Headers));
        // A site that adds Cors cannot also inherit the hand-written field.
        ConfigException ex = Fails(("StaticD:PathHeaders:0:Path", "/fonts/**"), ("StaticD:PathHeaders:0:Headers:Access-Control-Allow-Origin", "*"),
            ("StaticD:Sites:0:Hosts", "a.test"), ("StaticD:Sites:0:Cors:Origins:0", "https://app.test"));
        Assert.Equal("StaticD:PathHeaders:0:Headers:Access-Control-Allow-Origin", ex.Key);
    }

    [Fact]
    public void VaryIsNeverConfigurable()
    {
        ConfigException ex = Fails(("StaticD:Headers:Vary", "*"));
        Assert.Equal("StaticD:Headers:Vary", ex.Key);
        Assert.Contains("is set by staticd itself", ex.Message);
    }

    [Fact]
    public void SitesInheritTheObjectWholeOrReplaceIt()
    {
        ServerOptions o = Load(
            ("StaticD:Cors:Origins:0", "https://top.example"), ("StaticD:Cors:Credentials", "true"), ("StaticD:Cors:MaxAge", "60"),
            ("StaticD:Sites:0:Hosts", "inherits.test"),
            ("StaticD:Sites:1:Hosts", "overrides.test"), ("StaticD:Sites:1:Cors:Origins:0", "*"),
            ("StaticD:Sites:2:Hosts", "off.test"), ("StaticD:Sites:2:Cors", null),
            ("StaticD:Sites:3:Hosts", "empty.test"), ("StaticD:Sites:3:Cors:Origins", null));
        Assert.Equal(["https://top.example"], o.Sites[0].Cors!.Origins);
        Assert.True(o.Sites[0].Cors!.Credentials);
        // The site's own object replaces the top level's: no inherited Credentials (which "*" would refuse) or MaxAge.
        Assert.True(o.Sites[1].Cors!.AnyOrigin);
        Assert.False(o.Sites[1].Cors!.Credentials);
        Assert.Equal(600, o.Sites[1].Cors!.MaxAge);
        Assert.Null(o.Sites[2].Cors); // "Cors": null
        Assert.Null(o.Sites[3].Cors); // "Cors": { "Origins": [] }
    }

    [Fact]
    public void ASiteProblemNamesTheSiteKey()
    {
        ConfigException ex = Fails(("StaticD:Sites:0:Hosts", "a.test"),
            ("StaticD:Sites:0:Cors:Origins", "*"), ("StaticD:Sites:0:Cors:Credentials", "true"));
        Assert.Equal("StaticD:Sites:0:Cors:Credentials", ex.Key);
    }
}
