using StaticD.Hosting;
using StaticD.Tests.Hosting;
using Xunit;

namespace StaticD.Tests.Acme;

/// <summary>The Acme section and "Tls": "acme" as the loader checks them; every error names its key.</summary>
public sealed class AcmeConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("staticd-acme-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (string, string?)[] Valid() =>
    [
        ("StaticD:Port", "80"), ("StaticD:HttpsPort", "443"),
        ("StaticD:Acme:Directory", "https://acme.test/dir"), ("StaticD:Acme:AgreeToTerms", "true"),
        ("StaticD:Acme:StateDirectory", Path.Combine(_dir, "state")),
        ("StaticD:Sites:0:Hosts:0", "example.test"), ("StaticD:Sites:0:Hosts:1", "www.example.test"),
        ("StaticD:Sites:0:Root", _dir), ("StaticD:Sites:0:Tls", "acme"),
    ];

    private ServerOptions Load(params (string Key, string? Value)[] changes)
    {
        var values = Valid().ToDictionary(v => v.Item1, v => v.Item2);
        foreach ((string key, string? value) in changes)
        {
            if (value is null) values.Remove(key);
            else values[key] = value;
        }
        return InMemoryConfig.Load(_dir, [.. values.Select(v => (v.Key, v.Value))]);
    }

    private ConfigException Fails(params (string Key, string? Value)[] changes) => Assert.Throws<ConfigException>(() => Load(changes));

    [Fact]
    public void AValidSectionGivesTheSettingsAndDefaults()
    {
        ServerOptions options = Load();
        Assert.True(options.Sites[0].TlsAcme);
        Assert.True(options.HasCertificates);
        Assert.NotNull(options.Acme);
        Assert.Equal("https://acme.test/dir", options.Acme!.Directory);
        Assert.Equal(["http-01", "tls-alpn-01"], options.Acme.ChallengeTypes);
        Assert.False(options.Acme.SelfSignedStandIn);
        Assert.Equal(TimeSpan.FromHours(1), options.Acme.FailedOrderInterval);
        Assert.Equal(Path.Combine(_dir, "state"), options.Acme.StateDirectory);
    }

    [Fact]
    public void OptionsAreRead()
    {
        ServerOptions options = Load(("StaticD:Acme:StandIn", "self-signed"), ("StaticD:Acme:ChallengeTypes:0", "tls-alpn-01"),
            ("StaticD:Acme:FailedOrderInterval", "00:00:30"), ("StaticD:Acme:Email", "ops@example.test"));
        Assert.True(options.Acme!.SelfSignedStandIn);
        Assert.Equal(["tls-alpn-01"], options.Acme.ChallengeTypes);
        Assert.Equal(TimeSpan.FromSeconds(30), options.Acme.FailedOrderInterval);
        Assert.Equal("ops@example.test", options.Acme.Email);
    }

    [Fact]
    public void StateDefaultsToTheSystemdStateDirectory()
    {
        Assert.Equal("/var/lib/staticd/acme", StaticD.Acme.AcmeState.DefaultRoot(null));
        Assert.Equal("/var/lib/staticd/acme", StaticD.Acme.AcmeState.DefaultRoot("relative"));
        Assert.Equal("/srv/state/acme", StaticD.Acme.AcmeState.DefaultRoot("/srv/state:/other"));
    }

    [Theory]
    [InlineData("StaticD:Acme:Directory", null, "StaticD:Acme:Directory", "missing")]
    [InlineData("StaticD:Acme:Directory", "http://acme.test/dir", "StaticD:Acme:Directory", "https://")]
    [InlineData("StaticD:Acme:AgreeToTerms", "false", "StaticD:Acme:AgreeToTerms", "must be true")]
    [InlineData("StaticD:Acme:AgreeToTerms", null, "StaticD:Acme:AgreeToTerms", "must be true")]
    [InlineData("StaticD:HttpsPort", null, "StaticD:HttpsPort", "Acme")]
    [InlineData("StaticD:Acme:StandIn", "snakeoil", "StaticD:Acme:StandIn", "self-signed")]
    [InlineData("StaticD:Acme:ChallengeTypes:0", "dns-01", "StaticD:Acme:ChallengeTypes", "http-01")]
    [InlineData("StaticD:Acme:FailedOrderInterval", "soon", "StaticD:Acme:FailedOrderInterval", "01:00:00")]
    [InlineData("StaticD:Acme:Email", "nobody", "StaticD:Acme:Email", "email")]
    [InlineData("StaticD:Acme:Directry", "x", "StaticD:Acme:Directry", "")]
    [InlineData("StaticD:Sites:0:Hosts:1", "*.example.test", "StaticD:Sites:0:Tls", "wildcards cannot be validated over HTTP-01 or TLS-ALPN-01")]
    [InlineData("StaticD:Sites:0:Tls", "acmee", "StaticD:Sites:0:Tls", "")]
    public void ErrorsNameTheKey(string key, string? value, string expectedKey, string fragment)
    {
        ConfigException ex = Fails((key, value));
        ConfigException problem = new[] { ex }.Concat(ex.Others).FirstOrDefault(p => p.Key == expectedKey) ?? ex;
        Assert.Equal(expectedKey, problem.Key);
        Assert.Contains(fragment, problem.Message);
    }

    [Fact]
    public void AcmeSiteWithoutTheAcmeSectionIsRefused()
    {
        ConfigException ex = Fails(("StaticD:Acme:Directory", null), ("StaticD:Acme:AgreeToTerms", null), ("StaticD:Acme:StateDirectory", null));
        Assert.Equal("StaticD:Acme", ex.Key);
        Assert.Contains("Directory", ex.Message);
    }

    [Fact]
    public void TopLevelAcmeIsRefused()
    {
        ConfigException ex = Fails(("StaticD:Tls", "acme"), ("StaticD:Root", _dir));
        Assert.Equal("StaticD:Tls", ex.Key);
        Assert.Contains("per site", ex.Message);
    }

    [Fact]
    public void AnUnreadableCaCertificateIsRefused()
    {
        ConfigException ex = Fails(("StaticD:Acme:CaCertificate", "missing-ca.pem"));
        Assert.Equal("StaticD:Acme:CaCertificate", ex.Key);
        Assert.Contains("missing-ca.pem", ex.Message);
        File.WriteAllText(Path.Combine(_dir, "not-a-cert.pem"), "hello");
        Assert.Equal("StaticD:Acme:CaCertificate", Fails(("StaticD:Acme:CaCertificate", "not-a-cert.pem")).Key);
    }
}
