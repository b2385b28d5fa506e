using System.Text;
using System.Text.Json.Nodes;
using StaticD.IntegrationTests.Compression;
using StaticD.IntegrationTests.Sites;
using StaticD.IntegrationTests.Tls;
using StaticD.IntegrationTests.Web;
using Xunit;
using static StaticD.IntegrationTests.Http2.H2Kit;

namespace StaticD.IntegrationTests.Http2;

/// <summary>
/// A site that exercises every per-site decision: ranges, validators, precompressed sidecars, on-the-fly
/// compression, a redirect rule, a directory without its slash, an error page, a hidden path; and a second site
/// (spa.test) with an SPA fallback. One certificate covers both names.
/// </summary>
public sealed class DifferentialFixture : IDisposable
{
    public static readonly byte[] Data = ConformanceFixture.TestContent(10_000, 3);
    public static readonly byte[] Style = CompressionKit.Script(20_000, 4);

    private readonly WebRoot _root = new();

    public DifferentialFixture()
    {
        _root.AddFile("index.html", "<!doctype html><title>diff</title>index\n");
        _root.AddFile("data.bin", Data);
        _root.AddFile("app.js", PrecompressedSite.AppJs);
        _root.AddFile("app.js.br", PrecompressedSite.AppJsBr);
        _root.AddFile("app.js.gz", PrecompressedSite.AppJsGz);
        _root.AddFile("style.css", Style);
        _root.AddFile("dir/index.html", "directory index\n");
        _root.AddFile("errors/404.html", "<!doctype html><title>not here</title>custom 404\n");
        _root.AddFile(".env", "SECRET=1\n");
        _root.AddOutsideFile("sites/spa/index.html", "<!doctype html><title>spa</title>app shell\n");
        _root.AddOutsideFile("sites/spa/errors/404.html", "spa 404\n"); // the site inherits ErrorPages
        (Server, HttpsPort) = Start(_root, ["h2.test", "spa.test"], section =>
        {
            section["ErrorPages"] = new JsonObject { ["404"] = "/errors/404.html" };
            section["Redirects"] = SitesKit.List(new JsonObject { ["From"] = "/old", ["To"] = "/index.html" });
            section["Sites"] = SitesKit.List(SitesKit.Site(["spa.test"], ("Root", "sites/spa"), ("SpaFallback", "/index.html")));
        });
    }

    public StaticDProcess Server { get; }

    public int HttpsPort { get; }

    public void Dispose()
    {
        Server.Dispose();
        _root.Dispose();
    }
}

/// <summary>
/// The same request over HTTP/1.1 and over HTTP/2 (same HTTPS port, ALPN deciding) must get the same status, the
/// same header fields (minus Date and the connection-specific ones HTTP/2 forbids) and the same body bytes: both
/// come from one set of per-site decisions. A multipart boundary is made per response, so it is compared as a
/// placeholder.
/// </summary>
public sealed class Http2DifferentialTests(DifferentialFixture fixture) : IClassFixture<DifferentialFixture>
{
    private static readonly HashSet<string> Ignored = ["date", "connection", "keep-alive", "transfer-encoding"];

    [Theory]
    [InlineData("GET", "h2.test", "/index.html")]
    [InlineData("HEAD", "h2.test", "/index.html")]
    [InlineData("GET", "h2.test", "/data.bin", "Range: bytes=100-199")]
    [InlineData("GET", "h2.test", "/data.bin", "Range: bytes=0-9,100-109,9000-")]
    [InlineData("GET", "h2.test", "/data.bin", "Range: bytes=20000-")]
    [InlineData("GET", "h2.test", "/index.html", "If-Match: \"not-it\"")]
    [InlineData("GET", "h2.test", "/app.js", "Accept-Encoding: br")]
    [InlineData("GET", "h2.test", "/app.js", "Accept-Encoding: gzip")]
    [InlineData("GET", "h2.test", "/app.js", "Accept-Encoding: identity")]
    [InlineData("GET", "h2.test", "/old")]
    [InlineData("GET", "h2.test", "/dir")]
    [InlineData("GET", "h2.test", "/dir/")]
    [InlineData("GET", "h2.test", "/missing")]
    [InlineData("POST", "h2.test", "/index.html")]
    [InlineData("GET", "h2.test", "/.env")]
    [InlineData("GET", "spa.test", "/some/client/route")]
    [InlineData("GET", "spa.test", "/index.html")]
    public Task SameAnswer_OverHttp11AndHttp2(string method, string host, string path, params string[] headers) =>
        Compare(method, host, path, headers);

    [Fact]
    public async Task NotModified_IsTheSame()
    {
        HttpResponse first = await Http11("GET", "h2.test", "/index.html", []);
        string etag = first.Header("ETag") ?? throw new InvalidOperationException("no ETag\n" + first);
        await Compare("GET", "h2.test", "/index.html", ["If-None-Match: " + etag]);
    }

    [Fact]
    public async Task OnTheFlyCompression_IsTheSame_OnceTheCompressedCopyExists()
    {
        // The first request queues the compression; once it is made both protocols must get the same bytes.
        await CompressionKit.PollUntilEncodedAsync(fixture.Server.Port, "/style.css", "gzip");
        HttpResponse h1 = await Compare("GET", "h2.test", "/style.css", ["Accept-Encoding: gzip"]);
        HttpAssert.Header("Content-Encoding", "gzip", h1);
    }

    private async Task<HttpResponse> Http11(string method, string host, string path, string[] headers)
    {
        string[] all = method == "POST" ? [.. headers, "Content-Length: 0"] : headers;
        return await TlsKit.HttpsAsync(fixture.HttpsPort, host, TlsKit.HttpRequest(method, host, path, all), method == "HEAD");
    }

    private async Task<HttpResponse> Compare(string method, string host, string path, string[] headers)
    {
        HttpResponse h1 = await Http11(method, host, path, headers);
        (string, string)[] fields = [.. headers.Select(h => h.Split(':', 2)).Select(p => (p[0].Trim(), p[1].Trim()))];
        H2Response h2 = (await RequestsAsync(Target(fixture.HttpsPort, true, host), [new H2Request(method, path, fields)])).Responses[0];
        string what = $"{method} {host}{path} {string.Join("; ", headers)}";
        Assert.True(h2.Status == h1.Status, $"{what}: HTTP/1.1 {h1.Status}, HTTP/2 {h2.Status}\n{h1.RawHead}\n--\n{h2}");
        Assert.True(h2.Ended && h2.Reset is null, $"{what}: the HTTP/2 stream did not end cleanly\n{h2}");

        string? boundary = Boundary(h1.Header("Content-Type"));
        string? boundary2 = Boundary(h2.Header("content-type"));
        List<string> fields1 = Normalise(Http11Fields(h1.RawHead), boundary);
        List<string> fields2 = Normalise(h2.Headers, boundary2);
        Assert.True(fields1.SequenceEqual(fields2),
            $"{what}: header fields differ\nHTTP/1.1:\n  {string.Join("\n  ", fields1)}\nHTTP/2:\n  {string.Join("\n  ", fields2)}");

        byte[] body1 = Replace(h1.Body, boundary), body2 = Replace(h2.Body, boundary2);
        Assert.True(body1.AsSpan().SequenceEqual(body2), $"{what}: bodies differ ({h1.Body.Length} B over HTTP/1.1, {h2.Body.Length} B over HTTP/2)");
        return h1;
    }

    /// <summary>Every field line of an HTTP/1.1 head, in order, repeated names kept apart.</summary>
    private static IEnumerable<(string Name, string Value)> Http11Fields(string rawHead) =>
        rawHead.Split("\r\n").Skip(1).Where(l => l.Length > 0).Select(l => l.Split(':', 2)).Select(p => (p[0], p[1].Trim()));

    private static List<string> Normalise(IEnumerable<(string Name, string Value)> fields, string? boundary) =>
        [.. fields.Select(f => (Name: f.Name.ToLowerInvariant(), f.Value))
            .Where(f => !Ignored.Contains(f.Name))
            .Select(f => f.Name + ": " + (boundary is null ? f.Value : f.Value.Replace(boundary, "BOUNDARY", StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal)];

    private static string? Boundary(string? contentType)
    {
        int at = contentType?.IndexOf("boundary=", StringComparison.Ordinal) ?? -1;
        return at < 0 ? null : contentType![(at + "boundary=".Length)..].Trim('"');
    }

    private static byte[] Replace(byte[] body, string? boundary) =>
        boundary is null ? body : Encoding.Latin1.GetBytes(Encoding.Latin1.GetString(body).Replace(boundary, "BOUNDARY", StringComparison.Ordinal));
}
