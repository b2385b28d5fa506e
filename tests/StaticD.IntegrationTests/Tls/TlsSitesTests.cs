using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Xunit;
using static StaticD.IntegrationTests.Sites.SitesKit;
using static StaticD.IntegrationTests.Tls.TlsKit;

namespace StaticD.IntegrationTests.Tls;

/// <summary>
/// Three sites and a default one on one HTTPS port: a.test and *.w.test with certificates of their own, b.test
/// without (served with the default certificate), and the top-level certificate for default.test. Every root has
/// who.txt naming its site.
/// </summary>
public sealed class TlsSitesFixture : ServerFixture
{
    public const int LargeSize = 6 * 1024 * 1024 + 12_345;

    private static readonly CertificateFiles Default = TestPki.Shared.Issue(["default.test"]);
    private static readonly CertificateFiles A = TestPki.Shared.Issue(["a.test", "www.a.test"]);
    private static readonly CertificateFiles W = TestPki.Shared.Issue(["*.w.test"]);
    private static int _httpsPort;

    public TlsSitesFixture()
        : base(Populate, Configure)
    {
        HttpsPort = _httpsPort;
        DefaultCertificate = Default;
        ACertificate = A;
        WildcardCertificate = W;
    }

    public int HttpsPort { get; }
    public CertificateFiles DefaultCertificate { get; }
    public CertificateFiles ACertificate { get; }
    public CertificateFiles WildcardCertificate { get; }
    public byte[] Large => File.ReadAllBytes(Root.FullPath("large.bin"));

    private static void Populate(WebRoot root)
    {
        root.AddFile("who.txt", "default");
        root.AddFile("index.html", HostileIndex);
        root.AddFile("page.html", "<!doctype html><title>page</title><p>" + new string('x', 3000) + "</p>\n");
        root.AddRandomFile("large.bin", LargeSize);
        foreach (string dir in (string[])["a", "w", "b"]) SiteDirectory(root, dir);
    }

    private const string HostileIndex = "<!doctype html><title>staticd</title><p>hello</p>\n";

    private static void Configure(JsonObject section)
    {
        _httpsPort = StaticDProcess.FreePort();
        section["HttpsPort"] = _httpsPort;
        section["Tls"] = TlsSection(Default);
        section["Sites"] = List(
            Site(["a.test", "www.a.test"], ("Root", "sites/a"), ("Tls", TlsSection(A))),
            Site(["*.w.test"], ("Root", "sites/w"), ("Tls", TlsSection(W))),
            Site(["b.test"], ("Root", "sites/b")));
    }
}

public sealed class TlsSitesTests(TlsSitesFixture fixture) : IClassFixture<TlsSitesFixture>
{
    private int Https => fixture.HttpsPort;

    [Theory]
    [InlineData("a.test", "a")]
    [InlineData("www.a.test", "a")]
    [InlineData("x.w.test", "w")]
    [InlineData("deep.x.w.test", "w")]
    public async Task Sni_EachSiteGetsItsOwnCertificate_VerifiedAgainstTheTestCa(string name, string site)
    {
        CertificateFiles expected = site == "a" ? fixture.ACertificate : fixture.WildcardCertificate;
        // deep.x.w.test is served by the *.w.test site, but a wildcard certificate covers one label only (RFC 6125).
        await AssertServes(Https, name, expected, checkName: name != "deep.x.w.test");
        HttpResponse r = await HttpsAsync(Https, name, Get(name, "/who.txt"));
        HttpAssert.Status(200, r);
        Assert.Equal(site, r.BodyText);
    }

    [Fact]
    public async Task NoSni_GetsTheDefaultCertificate_AndAnyHostIsServed()
    {
        await AssertServes(Https, null, fixture.DefaultCertificate, checkName: false);
        await using TlsClient client = await TlsClient.ConnectAsync(Https, null);
        // Without SNI nothing was promised, so any site may be asked on the connection (no 421).
        foreach ((string host, string body) in new[] { ("a.test", "a"), ("x.w.test", "w"), ("b.test", "b"), ("other.test", "default") })
        {
            HttpResponse r = await client.RoundTripAsync(Get(host, "/who.txt"));
            HttpAssert.Status(200, r);
            Assert.Equal(body, r.BodyText);
        }
    }

    [Theory]
    [InlineData("unknown.test")]
    [InlineData("w.test")] // *.w.test does not cover its bare suffix
    [InlineData("default.test")]
    public Task UnknownName_GetsTheDefaultCertificate(string name) =>
        AssertServes(Https, name, fixture.DefaultCertificate, checkName: name == "default.test");

    [Fact]
    public async Task SiteWithoutItsOwnCertificate_IsServedWithTheDefault()
    {
        await AssertServes(Https, "b.test", fixture.DefaultCertificate, checkName: false);
        HttpResponse r = await HttpsAsync(Https, "b.test", Get("b.test", "/who.txt"));
        HttpAssert.Status(200, r);
        Assert.Equal("b", r.BodyText);
    }

    [Theory]
    [InlineData("a.test", "x.w.test")]
    [InlineData("x.w.test", "a.test")]
    [InlineData("a.test", "b.test")]
    [InlineData("a.test", "other.test")] // the default site
    [InlineData("unknown.test", "a.test")] // SNI chose the default site
    [InlineData("y.w.test", "b.test")]
    public async Task HostOfAnotherSiteThanTheSniName_Gets421(string serverName, string host)
    {
        await using TlsClient client = await TlsClient.ConnectAsync(Https, serverName);
        HttpResponse r = await client.RoundTripAsync(Get(host, "/who.txt"));
        HttpAssert.Status(421, r);
    }

    [Theory]
    [InlineData("a.test", "www.a.test", "a")] // another name of the same site
    [InlineData("x.w.test", "y.w.test", "w")] // the same wildcard site
    [InlineData("A.TEST", "a.test:8443", "a")] // case and port do not matter
    [InlineData("unknown.test", "other.test", "default")] // both fall to the default site
    public async Task HostOfTheSameSiteAsTheSniName_IsServed(string serverName, string host, string body)
    {
        await using TlsClient client = await TlsClient.ConnectAsync(Https, serverName);
        for (int i = 0; i < 2; i++)
        {
            HttpResponse r = await client.RoundTripAsync(Get(host, "/who.txt"));
            HttpAssert.Status(200, r);
            Assert.Equal(body, r.BodyText);
        }
    }

    /// <summary>Over TLS a file is answered with the same head (but the Date) and the same bytes as over plain HTTP.</summary>
    [Theory]
    [InlineData("GET", "/page.html")]
    [InlineData("HEAD", "/page.html")]
    [InlineData("GET", "/page.html", "Range: bytes=10-99")]
    [InlineData("GET", "/page.html", "Range: bytes=-5")]
    [InlineData("GET", "/large.bin", "Range: bytes=4000000-4000099")]
    [InlineData("GET", "/missing.html")]
    [InlineData("GET", "/")]
    public async Task SameResponseAsPlainHttp(string method, string target, params string[] headers)
    {
        bool head = method == "HEAD";
        string request = HttpRequest(method, "staticd.test", target, headers);
        HttpResponse plain = await HttpAsync(fixture.Port, request, head);
        HttpResponse tls = await HttpsAsync(Https, "default.test", request, head);
        Assert.Equal(Normalized(plain), Normalized(tls));
        Assert.True(plain.Body.AsSpan().SequenceEqual(tls.Body), $"bodies differ: {plain.Body.Length} plain bytes, {tls.Body.Length} TLS bytes");
    }

    [Fact]
    public async Task NotModified_SameAsPlainHttp()
    {
        HttpResponse first = await HttpsAsync(Https, "default.test", Get("staticd.test", "/page.html"));
        string etag = HttpAssert.StrongETag(first);
        string request = Get("staticd.test", "/page.html", "If-None-Match: " + etag);
        HttpResponse plain = await HttpAsync(fixture.Port, request);
        HttpResponse tls = await HttpsAsync(Https, "default.test", request);
        HttpAssert.Status(304, tls);
        Assert.Equal(Normalized(plain), Normalized(tls));
    }

    [Fact]
    public async Task LargeFile_ArrivesIntact_OverTheCopyPath()
    {
        byte[] expected = fixture.Large;
        await using TlsClient client = await TlsClient.ConnectAsync(Https, "default.test");
        // Twice on one connection: the second answer must start exactly where the first ended.
        for (int i = 0; i < 2; i++)
        {
            HttpResponse r = await client.RoundTripAsync(Get("staticd.test", "/large.bin"));
            HttpAssert.Status(200, r);
            Assert.Equal(expected.Length, r.Body.Length);
            Assert.Equal(SHA256.HashData(expected), SHA256.HashData(r.Body));
        }
    }

    [Fact]
    public async Task Curl_VerifiesEachSitesCertificate_AndGetsTheFile()
    {
        foreach ((string host, string body) in new[] { ("a.test", "a"), ("www.a.test", "a"), ("x.w.test", "w") })
        {
            Web.CurlResult r = await CurlAsync(Https, host, "/who.txt");
            Assert.True(r.ExitCode == 0 && r.Status == 200, $"{host}: {r}");
            Assert.Equal(body, System.Text.Encoding.UTF8.GetString(r.Body));
        }

        // b.test has no certificate of its own: the default one (default.test) does not name it, and curl says so.
        Web.CurlResult mismatch = await CurlAsync(Https, "b.test", "/who.txt");
        Assert.True(mismatch.ExitCode == 60, $"curl should refuse a certificate that does not name b.test (exit 60)\n{mismatch}");
    }

    [Fact]
    public async Task Curl_LargeFile_IntactOverTls()
    {
        Web.CurlResult r = await CurlAsync(Https, "default.test", "/large.bin");
        Assert.True(r.ExitCode == 0 && r.Status == 200, r.ToString());
        Assert.Equal(SHA256.HashData(fixture.Large), SHA256.HashData(r.Body));
    }

    /// <summary>The head with the Date line removed (the only field that may differ between two answers).</summary>
    private static string Normalized(HttpResponse r) =>
        string.Join("\r\n", r.RawHead.Split("\r\n").Where(l => !l.StartsWith("Date:", StringComparison.OrdinalIgnoreCase)));
}
