using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using StaticD.IntegrationTests.Tls;
using Xunit;

namespace StaticD.IntegrationTests.Http2;

/// <summary>One server with HTTPS (h2 by ALPN, the default) and prior-knowledge h2c on its plain port.</summary>
public sealed class Http2Fixture : ServerFixture
{
    private static int _httpsPort;

    public static readonly byte[] Big = RandomNumberGenerator.GetBytes(6 * 1024 * 1024);

    public Http2Fixture()
        : base(root =>
        {
            root.AddFile("index.html", "<!doctype html><p>hello over h2</p>");
            root.AddFile("big.bin", Big);
            for (int i = 0; i < 20; i++) root.AddFile($"f{i}.txt", new string((char)('a' + i), 1000 + i * 37));
        }, section =>
        {
            _httpsPort = StaticDProcess.FreePort();
            section["HttpsPort"] = _httpsPort;
            section["Http2Cleartext"] = true;
            section["Tls"] = TlsKit.TlsSection(TestPki.Shared.Issue(["localhost"]));
        }) => HttpsPort = _httpsPort;

    public int HttpsPort { get; }

    public string Https(string path) => string.Create(CultureInfo.InvariantCulture, $"https://localhost:{HttpsPort}{path}");
}

/// <summary>
/// HTTP/2 end to end against the AOT binary: curl and .NET's HttpClient (HTTP/2 only, no fallback) over TLS, many
/// streams on one connection, a 6 MiB body through the flow-control windows, HEAD, 304, a range, a 404, a POST,
/// prior-knowledge h2c, and HTTP/1.1 by ALPN when Http2 is false.
/// </summary>
public sealed class Http2BasicTests(Http2Fixture fixture) : IClassFixture<Http2Fixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static HttpClient Client()
    {
        var handler = new SocketsHttpHandler
        {
            // The certificate chain is the TLS tests' business; here the protocol is.
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
            EnableMultipleHttp2Connections = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        return new HttpClient(handler)
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Timeout,
        };
    }

    private static Task<ProcessResult> Curl(params string[] args) =>
        ChildProcess.RunAsync("/usr/bin/curl", ["-s", "-S", "--max-time", "20", .. args], Timeout);

    [Fact]
    public async Task Curl_GetsAFileOverHttp2()
    {
        ProcessResult r = await Curl("-k", "--http2", "-w", "\n%{http_version} %{http_code}", fixture.Https("/index.html"));
        Assert.Equal("<!doctype html><p>hello over h2</p>\n2 200", r.Stdout);
    }

    [Fact]
    public async Task HttpClient_MultiplexesConcurrentGetsOnOneConnection()
    {
        using HttpClient client = Client();
        // Twice over, so the second round reuses the streams' pooled connections.
        for (int round = 0; round < 2; round++)
        {
            HttpResponseMessage[] responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => client.GetAsync(fixture.Https($"/f{i}.txt"))));
            for (int i = 0; i < responses.Length; i++)
            {
                using HttpResponseMessage response = responses[i];
                Assert.Equal(HttpVersion.Version20, response.Version);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal(new string((char)('a' + i), 1000 + i * 37), await response.Content.ReadAsStringAsync());
            }
        }
    }

    [Fact]
    public async Task H2load_TenStreamsAtOnceOnOneConnection_AllSucceed()
    {
        ProcessResult r = await ChildProcess.RunAsync("/usr/bin/h2load", ["-n", "400", "-c", "1", "-m", "10", fixture.Https("/f3.txt")], Timeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("400 succeeded, 0 failed, 0 errored", r.Stdout, StringComparison.Ordinal);
        Assert.Contains("400 2xx", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SmallFlowControlWindows_TenLargeBodiesAtOnce_AllSucceed()
    {
        // 64 KiB stream windows and a 1 MiB connection window: the bodies wait for the client's WINDOW_UPDATEs (some
        // two hundred per file), which must neither stall the streams nor be taken for a control-frame flood.
        ProcessResult r = await ChildProcess.RunAsync("/usr/bin/h2load",
            ["-n", "20", "-c", "1", "-m", "10", "-w", "16", "-W", "20", fixture.Https("/big.bin")], Timeout);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("20 succeeded, 0 failed, 0 errored", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ASixMebibyteFile_ArrivesWhole()
    {
        using HttpClient client = Client();
        using HttpResponseMessage response = await client.GetAsync(fixture.Https("/big.bin"));
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Http2Fixture.Big.Length, response.Content.Headers.ContentLength);
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(body.AsSpan().SequenceEqual(Http2Fixture.Big), "the 6 MiB body differs");
    }

    [Fact]
    public async Task Head_HasTheLengthAndNoBody()
    {
        using HttpClient client = Client();
        using HttpResponseMessage response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, fixture.Https("/big.bin")));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Http2Fixture.Big.Length, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task AMatchingETag_Gets304()
    {
        using HttpClient client = Client();
        using HttpResponseMessage first = await client.GetAsync(fixture.Https("/index.html"));
        EntityTagHeaderValue etag = first.Headers.ETag!;
        Assert.NotNull(etag);
        var request = new HttpRequestMessage(HttpMethod.Get, fixture.Https("/index.html"));
        request.Headers.IfNoneMatch.Add(etag);
        using HttpResponseMessage second = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Equal(etag, second.Headers.ETag);
        Assert.Empty(await second.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task ARange_Gets206WithThoseBytes()
    {
        using HttpClient client = Client();
        var request = new HttpRequestMessage(HttpMethod.Get, fixture.Https("/big.bin"));
        request.Headers.Range = new RangeHeaderValue(1_000_000, 1_000_099);
        using HttpResponseMessage response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal("bytes 1000000-1000099/6291456", response.Content.Headers.ContentRange!.ToString());
        Assert.Equal(Http2Fixture.Big.AsSpan(1_000_000, 100).ToArray(), await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task AMissingFile_Gets404_AndNoConnectionFields()
    {
        using HttpClient client = Client();
        using HttpResponseMessage response = await client.GetAsync(fixture.Https("/nope.html"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Empty(response.Headers.Connection);
        Assert.Contains("404", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task APost_Gets405_AndTheConnectionServesOn()
    {
        using HttpClient client = Client();
        using HttpResponseMessage post = await client.PostAsync(fixture.Https("/index.html"), new ByteArrayContent(new byte[100_000]));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        using HttpResponseMessage get = await client.GetAsync(fixture.Https("/index.html"));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }

    [Fact]
    public async Task AHeadOverTheHeaderListLimit_Gets431()
    {
        // 17,000 bytes of one field: over the default Http2MaxHeaderListBytes (MaxHeaderBytes, 16384), so HPACK
        // sends it in HEADERS plus CONTINUATION frames and the server refuses the stream, not the connection.
        string big = "x-big: " + new string('b', 17_000);
        ProcessResult r = await Curl("-k", "--http2", "-H", big, "-o", "/dev/null", "-w", "%{http_version} %{http_code}", fixture.Https("/index.html"));
        Assert.Equal("2 431", r.Stdout);
        // Just under the limit is served.
        string fits = "x-big: " + new string('b', 15_000);
        ProcessResult ok = await Curl("-k", "--http2", "-H", fits, "-o", "/dev/null", "-w", "%{http_version} %{http_code}", fixture.Https("/index.html"));
        Assert.Equal("2 200", ok.Stdout);
    }

    [Fact]
    public async Task PriorKnowledge_OnThePlainPort_SpeaksHttp2()
    {
        string url = string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{fixture.Port}/index.html");
        ProcessResult h2c = await Curl("--http2-prior-knowledge", "-w", "\n%{http_version} %{http_code}", url);
        Assert.Equal("<!doctype html><p>hello over h2</p>\n2 200", h2c.Stdout);
        // HTTP/1.1 on the same port is untouched.
        ProcessResult http11 = await Curl("--http1.1", "-o", "/dev/null", "-w", "%{http_version} %{http_code}", url);
        Assert.Equal("1.1 200", http11.Stdout);
    }

    [Fact]
    public async Task Sigterm_LetsAStreamInFlightFinish_ThenTheServerExits()
    {
        using var root = new WebRoot();
        root.AddFile("big.bin", Http2Fixture.Big);
        int https = StaticDProcess.FreePort();
        using StaticDProcess server = StaticDProcess.Start(root, section =>
        {
            section["HttpsPort"] = https;
            section["Tls"] = TlsKit.TlsSection(TestPki.Shared.Issue(["localhost"]));
        });
        using HttpClient client = Client();
        string url = string.Create(CultureInfo.InvariantCulture, $"https://localhost:{https}/big.bin");
        using HttpResponseMessage response = await client.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpVersion.Version20, response.Version);
        await using Stream body = await response.Content.ReadAsStreamAsync();
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int n = await body.ReadAsync(buffer);
        received.Write(buffer, 0, n);
        server.Signal(TestLibc.SIGTERM);
        await body.CopyToAsync(received);
        Assert.True(received.ToArray().AsSpan().SequenceEqual(Http2Fixture.Big), "the body in flight at SIGTERM was cut or changed");
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(10)), "the server did not exit after its last stream");
        Assert.Equal(0, server.ExitCode);
    }

    [Fact]
    public async Task WithHttp2False_AlpnGivesHttp11_AndThePlainPortRefusesThePreface()
    {
        using var root = new WebRoot();
        root.AddFile("index.html", "one point one");
        int https = StaticDProcess.FreePort();
        using StaticDProcess server = StaticDProcess.Start(root, section =>
        {
            section["HttpsPort"] = https;
            section["Http2"] = false;
            section["Tls"] = TlsKit.TlsSection(TestPki.Shared.Issue(["localhost"]));
        });
        ProcessResult r = await Curl("-k", "--http2", "-w", "\n%{http_version} %{http_code}",
            string.Create(CultureInfo.InvariantCulture, $"https://localhost:{https}/index.html"));
        Assert.Equal("one point one\n1.1 200", r.Stdout);
        // Http2Cleartext is off by default: the preface is not an HTTP/2 connection, so curl's prior knowledge fails.
        ProcessResult h2c = await Curl("--http2-prior-knowledge", "-o", "/dev/null", "-w", "%{http_version}",
            string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{server.Port}/index.html"));
        Assert.NotEqual("2", h2c.Stdout);
    }
}
