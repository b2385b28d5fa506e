using StaticD.Hosting;
using StaticD.Site;
using Xunit;

namespace StaticD.Tests.Hosting;

/// <summary>The HTTPS keys as the loader reads them (files are not opened here: that happens when a configuration is
/// opened, and the integration tests cover it with real certificates).</summary>
public sealed class TlsConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("staticd-tls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ServerOptions Load(params (string Key, string? Value)[] values) =>
        InMemoryConfig.Load(_dir, [("StaticD:Port", "80"), ("StaticD:Root", _dir), .. values]);

    private ConfigException Fails(params (string Key, string? Value)[] values) => Assert.Throws<ConfigException>(() => Load(values));

    private static readonly (string, string?)[] Certificate = [("StaticD:Tls:Certificate", "site.pem"), ("StaticD:Tls:Key", "site.key")];

    [Fact]
    public void NothingMeansNoHttps()
    {
        ServerOptions options = Load();
        Assert.Equal(0, options.HttpsPort);
        Assert.False(options.HasCertificates);
        Assert.False(options.Site.RedirectHttp);
        Assert.Null(options.Site.Hsts);
        Assert.True(options.KernelTls);
    }

    [Fact]
    public void RelativeFilesAreTakenFromTheConfigurationDirectory()
    {
        ServerOptions options = Load([("StaticD:HttpsPort", "443"), .. Certificate]);
        Assert.Equal(443, options.HttpsPort);
        Assert.Equal(Path.Combine(_dir, "site.pem"), options.Site.TlsCertificate);
        Assert.Equal(Path.Combine(_dir, "site.key"), options.Site.TlsKey);
    }

    [Fact]
    public void CredentialsDirectoryIsExpanded()
    {
        string? before = Environment.GetEnvironmentVariable("CREDENTIALS_DIRECTORY");
        try
        {
            Environment.SetEnvironmentVariable("CREDENTIALS_DIRECTORY", "/run/credentials/staticd.service");
            ServerOptions options = Load(("StaticD:Tls:Certificate", "/etc/staticd/a.pem"), ("StaticD:Tls:Key", "${CREDENTIALS_DIRECTORY}/a.key"));
            Assert.Equal("/run/credentials/staticd.service/a.key", options.Site.TlsKey);
            Environment.SetEnvironmentVariable("CREDENTIALS_DIRECTORY", null);
            ConfigException ex = Fails(("StaticD:Tls:Certificate", "/etc/staticd/a.pem"), ("StaticD:Tls:Key", "$CREDENTIALS_DIRECTORY/a.key"));
            Assert.Equal("StaticD:Tls:Key", ex.Key);
            Assert.Contains("LoadCredential=", ex.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("CREDENTIALS_DIRECTORY", before);
        }
    }

    [Fact]
    public void HttpsPortNeedsACertificate()
    {
        ConfigException ex = Fails(("StaticD:HttpsPort", "443"));
        Assert.Equal("StaticD:HttpsPort", ex.Key);
        Assert.Contains("needs a certificate", ex.Message);
    }

    [Fact]
    public void HttpsPortMustDifferFromPort()
    {
        ConfigException ex = Fails([("StaticD:HttpsPort", "80"), .. Certificate]);
        Assert.Equal("StaticD:HttpsPort", ex.Key);
        Assert.Contains("also \"Port\"", ex.Message);
    }

    [Fact]
    public void RedirectHttpWithoutAnyCertificateIsRefused()
    {
        ConfigException ex = Fails(("StaticD:RedirectHttp", "true"));
        Assert.Equal("StaticD:RedirectHttp", ex.Key);
    }

    [Theory]
    [InlineData("StaticD:Tls:Certificate", "StaticD:Tls:Key")]
    [InlineData("StaticD:Tls:Key", "StaticD:Tls:Certificate")]
    public void CertificateAndKeyComeTogether(string given, string missing)
    {
        ConfigException ex = Fails((given, "x.pem"));
        Assert.Equal(missing, ex.Key);
        Assert.StartsWith("missing", ex.Message);
    }

    [Fact]
    public void TlsIsAnObject()
    {
        ConfigException ex = Fails(("StaticD:Tls", "on"));
        Assert.Equal("StaticD:Tls", ex.Key);
    }

    [Theory]
    [InlineData("auto", true)]
    [InlineData("OFF", false)]
    public void KtlsIsAutoOrOff(string value, bool kernelTls) =>
        Assert.Equal(kernelTls, Load([.. Certificate, ("StaticD:Tls:Ktls", value)]).KernelTls);

    [Fact]
    public void KtlsMaybeIsRefused() => Assert.Equal("StaticD:Tls:Ktls", Fails([.. Certificate, ("StaticD:Tls:Ktls", "maybe")]).Key);

    [Fact]
    public void KtlsIsServerWide()
    {
        ConfigException ex = Fails([.. Certificate, ("StaticD:Sites:0:Hosts:0", "a.example"),
            ("StaticD:Sites:0:Tls:Certificate", "a.pem"), ("StaticD:Sites:0:Tls:Key", "a.key"), ("StaticD:Sites:0:Tls:Ktls", "off")]);
        Assert.Equal("StaticD:Sites:0:Tls:Ktls", ex.Key);
        Assert.Contains("server-wide", ex.Message);
    }

    [Fact]
    public void HstsNeedsMaxAge()
    {
        Assert.Equal("StaticD:Hsts", Fails(("StaticD:Hsts", "includeSubDomains")).Key);
        Assert.Equal("StaticD:Hsts", Fails(("StaticD:Hsts", "max-age=soon")).Key);
        Assert.Equal("Strict-Transport-Security: max-age=600; includeSubDomains\r\n"u8.ToArray(),
            Load(("StaticD:Hsts", "max-age=600; includeSubDomains")).Site.Hsts);
    }

    [Fact]
    public void SitesInheritRedirectAndHstsButNotTheCertificate()
    {
        ServerOptions options = Load([.. Certificate, ("StaticD:RedirectHttp", "true"), ("StaticD:Hsts", "max-age=60"),
            ("StaticD:Sites:0:Hosts:0", "a.example"),
            ("StaticD:Sites:1:Hosts:0", "b.example"), ("StaticD:Sites:1:Hsts", ""), ("StaticD:Sites:1:RedirectHttp", "false")]);
        SitePolicy a = options.Sites[0], b = options.Sites[1];
        Assert.True(a.RedirectHttp);
        Assert.NotNull(a.Hsts);
        Assert.Null(a.TlsCertificate); // served with the default certificate
        Assert.False(b.RedirectHttp);
        Assert.Null(b.Hsts);
    }
}
