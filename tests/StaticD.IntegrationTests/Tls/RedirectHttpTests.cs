using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Xunit;
using static StaticD.IntegrationTests.Sites.SitesKit;
using static StaticD.IntegrationTests.Tls.TlsKit;

namespace StaticD.IntegrationTests.Tls;

/// <summary>
/// RedirectHttp and Hsts at the top level, a site that turns both off ("RedirectHttp": false, "Hsts": ""), and a site
/// with a stricter Hsts of its own.
/// </summary>
public sealed class RedirectHttpFixture : ServerFixture
{
    public const string TopHsts = "max-age=600";
    public const string StrictHsts = "max-age=31536000; includeSubDomains";
    private static int _httpsPort;

    public RedirectHttpFixture()
        : base(Populate, Configure) => HttpsPort = _httpsPort;

    public int HttpsPort { get; }

    private static void Populate(WebRoot root)
    {
        root.AddFile("index.html", "index");
        root.AddFile("a/b.html", "b");
        root.AddFile(".well-known/acme-challenge/token-1", "token-1.thumbprint");
        SiteDirectory(root, "plain");
        SiteDirectory(root, "strict");
    }

    private static void Configure(JsonObject section)
    {
        _httpsPort = StaticDProcess.FreePort();
        section["HttpsPort"] = _httpsPort;
        section["RedirectHttp"] = true;
        section["Hsts"] = TopHsts;
        section["Tls"] = TlsSection(TestPki.Shared.Issue(["staticd.test", "plain.test", "strict.test"]));
        section["Sites"] = List(
            Site(["plain.test"], ("Root", "sites/plain"), ("RedirectHttp", false), ("Hsts", "")),
            Site(["strict.test"], ("Root", "sites/strict"), ("Hsts", StrictHsts)));
    }
}

public sealed class RedirectHttpTests(RedirectHttpFixture fixture) : IClassFixture<RedirectHttpFixture>
{
    private int Http => fixture.Port;
    private int Https => fixture.HttpsPort;
    private string PortSuffix => ":" + Https.ToString(CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("GET", "staticd.test", "/a/b.html", "/a/b.html")]
    [InlineData("HEAD", "staticd.test", "/a/b.html", "/a/b.html")]
    [InlineData("GET", "staticd.test", "/", "/")]
    [InlineData("GET", "Staticd.TEST:8080", "/a/b.html?x=1&y=%2F", "/a/b.html?x=1&y=%2F")] // host normalised, query kept verbatim
    [InlineData("GET", "strict.test", "/missing?q", "/missing?q")] // the file need not exist: nothing of the site is looked at
    [InlineData("GET", "staticd.test", "/.well-known/acme-challengeX", "/.well-known/acme-challengeX")]
    [InlineData("GET", "staticd.test", "/.well-known/acme-challenge", "/.well-known/acme-challenge")] // not the challenge directory
    public async Task PlainHttp_Gets308ToTheSameUrlOnTheHttpsPort(string method, string host, string target, string expectedTarget)
    {
        string request = HttpRequest(method, host, target);
        HttpResponse r = await HttpAsync(Http, request, isHead: method == "HEAD");
        HttpAssert.Status(308, r);
        string expectedHost = host.Split(':')[0].ToLowerInvariant();
        HttpAssert.Header("Location", $"https://{expectedHost}{PortSuffix}{expectedTarget}", r);
        HttpAssert.Absent("Strict-Transport-Security", r); // never over plain HTTP (RFC 6797 §7.2)
    }

    [Fact]
    public async Task Curl_FollowsTheRedirect_ToTheSameFileOverHttps()
    {
        // --location with the name resolved for both ports, the CA trusted: what a browser does.
        Web.CurlResult r = await CurlAsync(Https, "staticd.test", "/a/b.html");
        Assert.True(r.ExitCode == 0 && r.Status == 200, r.ToString());
        string http = Http.ToString(CultureInfo.InvariantCulture);
        Web.CurlResult followed = await Web.Curl.GetAsync(Http, "/a/b.html", "-L", "--cacert", TestPki.Shared.CaPath,
            "--resolve", $"staticd.test:{Https.ToString(CultureInfo.InvariantCulture)}:127.0.0.1", "-H", "Host: staticd.test");
        Assert.True(followed.ExitCode == 0 && followed.Status == 200, $"curl -L from http://…:{http}:\n{followed}");
        Assert.Equal("b", System.Text.Encoding.UTF8.GetString(followed.Body));
        HttpAssert.Header("Strict-Transport-Security", RedirectHttpFixture.TopHsts, followed.Response!);
    }

    [Fact]
    public async Task AcmeChallenge_IsServedOverPlainHttp_NotRedirected()
    {
        HttpResponse r = await HttpAsync(Http, Get("staticd.test", "/.well-known/acme-challenge/token-1"));
        HttpAssert.Status(200, r);
        Assert.Equal("token-1.thumbprint", r.BodyText);
        HttpAssert.Absent("Strict-Transport-Security", r);
        HttpResponse missing = await HttpAsync(Http, Get("staticd.test", "/.well-known/acme-challenge/unknown"));
        HttpAssert.Status(404, missing);
    }

    [Fact]
    public async Task Https_IsNotRedirected_AndCarriesHsts()
    {
        await using TlsClient client = await TlsClient.ConnectAsync(Https, "staticd.test");
        HttpResponse r = await client.RoundTripAsync(Get("staticd.test", "/a/b.html"));
        HttpAssert.Status(200, r);
        Assert.Equal("b", r.BodyText);
        HttpAssert.Header("Strict-Transport-Security", RedirectHttpFixture.TopHsts, r);
    }

    [Theory]
    [InlineData("/missing.html", new string[0], 404)]
    [InlineData("/a/b.html", new[] { "Range: bytes=100-200" }, 416)]
    [InlineData("/a", new string[0], 301)]
    [InlineData("/index.html", new[] { "If-None-Match: *" }, 304)]
    public async Task Hsts_IsOnEveryHttpsAnswer_ErrorsToo(string target, string[] headers, int status)
    {
        HttpResponse r = await HttpsAsync(Https, "staticd.test", Get("staticd.test", target, headers));
        HttpAssert.Status(status, r);
        HttpAssert.Header("Strict-Transport-Security", RedirectHttpFixture.TopHsts, r);
    }

    [Fact]
    public async Task Hsts_BadRequestOverHttps_StillCarriesIt()
    {
        HttpResponse r = await HttpsAsync(Https, "staticd.test", "GET /a/b.html HTTP/1.1\r\nHost: staticd.test\r\nBad Field: x\r\n\r\n");
        HttpAssert.Status(400, r);
        // A head the server could not parse has no site yet; the default site's HSTS still applies on this port.
        HttpAssert.Header("Strict-Transport-Security", RedirectHttpFixture.TopHsts, r);
    }

    [Fact]
    public async Task SiteThatTurnsBothOff_IsServedOverPlainHttp_AndHasNoHstsOverHttps()
    {
        HttpResponse plain = await HttpAsync(Http, Get("plain.test", "/who.txt"));
        HttpAssert.Status(200, plain);
        Assert.Equal("plain", plain.BodyText);
        HttpAssert.Absent("Strict-Transport-Security", plain);

        HttpResponse tls = await HttpsAsync(Https, "plain.test", Get("plain.test", "/who.txt"));
        HttpAssert.Status(200, tls);
        HttpAssert.Absent("Strict-Transport-Security", tls);
    }

    [Fact]
    public async Task SiteWithItsOwnHsts_SendsItsValue()
    {
        HttpResponse plain = await HttpAsync(Http, Get("strict.test", "/who.txt"));
        HttpAssert.Status(308, plain); // inherits RedirectHttp
        HttpAssert.Absent("Strict-Transport-Security", plain);

        HttpResponse tls = await HttpsAsync(Https, "strict.test", Get("strict.test", "/who.txt"));
        HttpAssert.Status(200, tls);
        Assert.Equal("strict", tls.BodyText);
        HttpAssert.Header("Strict-Transport-Security", RedirectHttpFixture.StrictHsts, tls);
    }
}

/// <summary>HttpsPort 443: the Location has no port, as browsers write it. Listens on an address of its own in
/// 127.0.0.0/8 so port 443 is free whatever else runs on this machine.</summary>
public sealed class RedirectToPort443Tests : IDisposable
{
    private readonly WebRoot _root = new();
    private readonly IPAddress _address = new([127, 44, (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(1, 255)]);

    public RedirectToPort443Tests() => _root.AddFile("p.html", "p");

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Location_LeavesOutPort443()
    {
        using StaticDProcess server = StaticDProcess.Start(_root, s =>
        {
            s["Listen"] = new JsonArray(_address.ToString());
            s["HttpsPort"] = 443;
            s["RedirectHttp"] = true;
            s["Tls"] = TlsSection(TestPki.Shared.Issue(["staticd.test"]));
        }, _address);

        using RawHttpClient plain = await RawHttpClient.ConnectAsync(server.Port, address: _address);
        HttpResponse r = await plain.RoundTripAsync(Get("staticd.test", "/p.html?a=b"));
        HttpAssert.Status(308, r);
        HttpAssert.Header("Location", "https://staticd.test/p.html?a=b", r);

        // And 443 is where HTTPS answers.
        await using TlsClient tls = await TlsClient.ConnectAsync(443, "staticd.test", address: _address);
        Assert.True(tls.Verified, tls.PolicyErrors.ToString());
        HttpResponse s = await tls.RoundTripAsync(Get("staticd.test", "/p.html?a=b"));
        HttpAssert.Status(200, s);
        Assert.Equal("p", s.BodyText);
    }
}
