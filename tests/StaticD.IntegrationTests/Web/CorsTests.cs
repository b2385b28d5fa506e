using System.Text.Json.Nodes;
using Xunit;
using static StaticD.IntegrationTests.Sites.SitesKit;

namespace StaticD.IntegrationTests.Web;

/// <summary>
/// The default site allows one origin with credentials; wild.test overrides with "*", inherit.test inherits the
/// top level's preset, off.test turns it off ("Cors": null).
/// </summary>
public sealed class CorsFixture() : ServerFixture(
    root =>
    {
        root.AddFile("index.html", Site.IndexHtml);
        root.AddFile("r.bin", TestContent.RandomBytes(100, seed: 3));
        root.AddFile("p.js", "console.log('identity');");
        root.AddFile("p.js.gz", "pretend gzip bytes");
    },
    section =>
    {
        section["Cors"] = new JsonObject
        {
            ["Origins"] = new JsonArray("https://app.example.com", "http://localhost:5173"),
            ["MaxAge"] = 900,
            ["Credentials"] = true,
        };
        section["Sites"] = List(
            Sites.SitesKit.Site(["wild.test"], ("Cors", new JsonObject { ["Origins"] = new JsonArray("*") })),
            Sites.SitesKit.Site(["inherit.test"]),
            Sites.SitesKit.Site(["off.test"], ("Cors", null)));
    })
{
    public const string App = "https://app.example.com";
}

public sealed class CorsTests(CorsFixture site) : IClassFixture<CorsFixture>
{
    private const string Origin = "Origin: " + CorsFixture.App;

    private static string Preflight(string host, string origin, string method, string? headers = null) =>
        Request("OPTIONS", "/index.html", host, "HTTP/1.1",
            headers is null ? [$"Origin: {origin}", $"Access-Control-Request-Method: {method}"]
                : [$"Origin: {origin}", $"Access-Control-Request-Method: {method}", $"Access-Control-Request-Headers: {headers}"]);

    private static int Count(string field, HttpResponse r) =>
        r.RawHead.Split("\r\n").Count(l => l.StartsWith(field + ":", StringComparison.OrdinalIgnoreCase));

    private static void NoCors(HttpResponse r)
    {
        Assert.DoesNotContain("\r\nAccess-Control-", r.RawHead, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Preflight_AllowedOriginAndMethod_GetsTheAccessControlFields()
    {
        HttpResponse r = await site.SendAsync(Preflight(Http.Host, CorsFixture.App, "GET", "x-requested-with, range"));
        Assert.StartsWith(
            "HTTP/1.1 204 No Content\r\n", r.RawHead, StringComparison.Ordinal);
        Assert.Contains(
            "\r\nAllow: GET, HEAD, OPTIONS\r\n" +
            "Access-Control-Allow-Origin: https://app.example.com\r\n" +
            "Access-Control-Allow-Credentials: true\r\n" +
            "Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n" +
            "Access-Control-Max-Age: 900\r\n" +
            "Access-Control-Allow-Headers: x-requested-with, range\r\n" +
            "Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers\r\n" +
            "X-Content-Type-Options: nosniff\r\n", r.RawHead, StringComparison.Ordinal);
        HttpAssert.Absent("Content-Length", r);
        Assert.Equal(1, Count("Vary", r));
    }

    [Fact]
    public async Task Preflight_WithoutRequestedHeaders_HasNoAllowHeaders()
    {
        HttpResponse r = await site.SendAsync(Preflight(Http.Host, "http://localhost:5173", "HEAD"));
        HttpAssert.Status(204, r);
        HttpAssert.Header("Access-Control-Allow-Origin", "http://localhost:5173", r);
        HttpAssert.Absent("Access-Control-Allow-Headers", r);
    }

    [Theory]
    [InlineData("https://evil.example", "GET")]
    [InlineData("https://app.example.com.evil.example", "GET")]
    [InlineData("http://app.example.com", "GET")]
    [InlineData("null", "GET")]
    [InlineData(CorsFixture.App, "POST")]
    [InlineData(CorsFixture.App, "DELETE")]
    [InlineData(CorsFixture.App, "get")]
    public async Task Preflight_RefusedOriginOrMethod_IsA204WithoutAccessControlFields(string origin, string method)
    {
        HttpResponse r = await site.SendAsync(Preflight(Http.Host, origin, method));
        HttpAssert.Status(204, r);
        HttpAssert.Header("Allow", "GET, HEAD, OPTIONS", r);
        NoCors(r);
        HttpAssert.VaryIncludes("Origin", r);
    }

    [Theory]
    [InlineData("GET", "/index.html", 200)]
    [InlineData("HEAD", "/index.html", 200)]
    [InlineData("GET", "/missing.html", 404)]
    [InlineData("GET", "/r.bin", 206)]
    [InlineData("POST", "/index.html", 405)]
    [InlineData("OPTIONS", "/index.html", 204)]   // no Access-Control-Request-Method: not a preflight
    public async Task ActualRequest_AllowedOrigin_CarriesAllowOriginAndVary(string method, string target, int status)
    {
        string[] headers = status == 206 ? [Origin, "Range: bytes=0-9"] : method == "POST" ? [Origin, "Content-Length: 0"] : [Origin];
        HttpResponse r = await site.SendAsync(Http.Request(method, target, headers), isHead: method == "HEAD");
        HttpAssert.Status(status, r);
        HttpAssert.Header("Access-Control-Allow-Origin", CorsFixture.App, r);
        HttpAssert.Header("Access-Control-Allow-Credentials", "true", r);
        HttpAssert.Absent("Access-Control-Allow-Methods", r);
        Assert.Equal(1, Count("Vary", r));
        HttpAssert.VaryIncludes("Origin", r);
    }

    [Fact]
    public async Task NotModified_CarriesAllowOriginAndVary()
    {
        HttpResponse full = await site.SendAsync(Http.Get("/index.html", Origin));
        HttpResponse r = await site.SendAsync(Http.Get("/index.html", Origin, "If-None-Match: " + HttpAssert.StrongETag(full)));
        HttpAssert.Status(304, r);
        HttpAssert.Header("Access-Control-Allow-Origin", CorsFixture.App, r);
        HttpAssert.Header("Vary", "Origin", r);
    }

    [Theory]
    [InlineData("Accept-Encoding: gzip", 200)]
    [InlineData("Accept-Encoding: identity", 200)]
    public async Task NegotiableFile_OneVaryWithBothNames(string acceptEncoding, int status)
    {
        HttpResponse r = await site.SendAsync(Http.Get("/p.js", Origin, acceptEncoding));
        HttpAssert.Status(status, r);
        Assert.Equal(1, Count("Vary", r));
        HttpAssert.Header("Vary", "Accept-Encoding, Origin", r);
        HttpAssert.Header("Access-Control-Allow-Origin", CorsFixture.App, r);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Origin: https://evil.example")]
    public async Task NoOrOtherOrigin_NoAllowOrigin_ButStillVary(string? origin)
    {
        HttpResponse r = await site.SendAsync(origin is null ? Http.Get("/index.html") : Http.Get("/index.html", origin));
        HttpAssert.Status(200, r);
        NoCors(r);
        HttpAssert.Header("Vary", "Origin", r);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Origin: https://anyone.example")]
    public async Task Wildcard_AllowsEveryOriginWithoutVary(string? origin)
    {
        HttpResponse r = await SendAsync(site.Port, origin is null ? Get("wild.test", "/index.html") : Get("wild.test", "/index.html", origin));
        HttpAssert.Status(200, r);
        HttpAssert.Header("Access-Control-Allow-Origin", "*", r);
        HttpAssert.Absent("Access-Control-Allow-Credentials", r);
        HttpAssert.Absent("Vary", r);
    }

    [Fact]
    public async Task Wildcard_Preflight()
    {
        HttpResponse r = await SendAsync(site.Port, Preflight("wild.test", "https://anyone.example", "GET", "authorization"));
        HttpAssert.Status(204, r);
        HttpAssert.Header("Access-Control-Allow-Origin", "*", r);
        HttpAssert.Header("Access-Control-Allow-Headers", "authorization", r);
        HttpAssert.Header("Access-Control-Max-Age", "600", r); // the site's own object: no inherited MaxAge
        HttpAssert.Header("Vary", "Access-Control-Request-Method, Access-Control-Request-Headers", r);
        HttpAssert.Absent("Access-Control-Allow-Credentials", r);
    }

    [Fact]
    public async Task SiteInheritsTheTopLevelPreset()
    {
        HttpResponse r = await SendAsync(site.Port, Get("inherit.test", "/missing.html", Origin));
        HttpAssert.Status(404, r);
        HttpAssert.Header("Access-Control-Allow-Origin", CorsFixture.App, r);
        HttpAssert.Header("Access-Control-Allow-Credentials", "true", r);
        HttpAssert.Header("Vary", "Origin", r);
        r = await SendAsync(site.Port, Preflight("inherit.test", CorsFixture.App, "GET"));
        HttpAssert.Header("Access-Control-Max-Age", "900", r);
    }

    [Fact]
    public async Task SiteWithCorsNull_HasNone()
    {
        HttpResponse r = await SendAsync(site.Port, Get("off.test", "/index.html", Origin));
        HttpAssert.Status(200, r);
        NoCors(r);
        HttpAssert.Absent("Vary", r);
        r = await SendAsync(site.Port, Preflight("off.test", CorsFixture.App, "GET"));
        HttpAssert.Status(204, r);
        HttpAssert.Header("Allow", "GET, HEAD, OPTIONS", r);
        NoCors(r);
    }
}

/// <summary>A preset the Fetch standard forbids stops the server at load: EX_CONFIG and one exact line.</summary>
public sealed class CorsConfigErrorTests : IDisposable
{
    private readonly WebRoot _root = new();

    public CorsConfigErrorTests() => _root.AddFile("index.html", Site.IndexHtml);

    public void Dispose() => _root.Dispose();

    private async Task<string> RejectedLine(Action<JsonObject> configure)
    {
        JsonObject s = StaticDProcess.DefaultSection(StaticDProcess.FreePort(), _root.RootPath);
        configure(s);
        string path = StaticDProcess.WriteConfig(_root, StaticDProcess.ConfigText(s));
        ProcessResult r = await StaticDProcess.RunAsync(Deadline, "--config", path);
        Assert.False(r.TimedOut, $"staticd kept running with a bad configuration\n{r}");
        Assert.True(r.ExitCode == 78, $"expected EX_CONFIG (78)\n{r}");
        string[] lines = r.StderrLines.Where(l => !string.IsNullOrWhiteSpace(l)).ToArray();
        Assert.True(lines.Length == 1, $"expected one line, got:\n{string.Join('\n', lines)}");
        return lines[0].Replace(path, "CONFIG", StringComparison.Ordinal);
    }

    [Fact]
    public async Task WildcardWithCredentials_Exits78NamingTheKey()
    {
        string line = await RejectedLine(s => s["Cors"] = new JsonObject { ["Origins"] = new JsonArray("*"), ["Credentials"] = true });
        Assert.Equal(
            "staticd: CONFIG: StaticD:Cors:Credentials: true is not allowed with \"Origins\": [\"*\"]: the Fetch standard forbids a wildcard origin with credentials; list the origins that may send credentials",
            line);
    }

    [Fact]
    public async Task WildcardWithCredentialsInASite_NamesTheSite()
    {
        string line = await RejectedLine(s => s["Sites"] = List(
            Sites.SitesKit.Site(["a.test"], ("Cors", new JsonObject { ["Origins"] = "*", ["Credentials"] = true }))));
        Assert.StartsWith("staticd: CONFIG: StaticD:Sites:0:Cors:Credentials: true is not allowed", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OriginWithAPath_Exits78NamingTheEntry()
    {
        string line = await RejectedLine(s => s["Cors"] = new JsonObject { ["Origins"] = new JsonArray("https://app.example.com/") });
        Assert.Equal(
            "staticd: CONFIG: StaticD:Cors:Origins:0: \"https://app.example.com/\" has a path; an origin is scheme://host[:port] only (a browser's Origin never has one), e.g. \"https://app.example.com\"",
            line);
    }

    [Fact]
    public async Task AccessControlHeaderInHeadersOfASiteWithCors_Exits78PointingToCors()
    {
        string line = await RejectedLine(s =>
        {
            s["Cors"] = new JsonObject { ["Origins"] = new JsonArray("*") };
            s["Headers"] = new JsonObject { ["Access-Control-Allow-Origin"] = "*" };
        });
        Assert.Contains("StaticD:Headers:Access-Control-Allow-Origin: \"Access-Control-Allow-Origin\" is set by staticd itself on a site with \"Cors\"", line, StringComparison.Ordinal);
    }
}
