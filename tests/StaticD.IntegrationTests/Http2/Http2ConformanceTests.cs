using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using StaticD.IntegrationTests.Tls;
using Xunit;
using static StaticD.IntegrationTests.Http2.H2Kit;

namespace StaticD.IntegrationTests.Http2;

/// <summary>One server with HTTPS (h2 by ALPN, the default) and prior-knowledge h2c on its plain port.</summary>
public sealed class ConformanceFixture : IDisposable
{
    public static readonly byte[] Big = TestContent(1 << 20, 1);
    public static readonly byte[] Medium = TestContent(256 * 1024, 2);

    private readonly WebRoot _root = new();

    public ConformanceFixture()
    {
        _root.AddFile("index.html", "<!doctype html><title>h2</title>hello over h2\n");
        _root.AddFile("big.bin", Big);
        _root.AddFile("medium.bin", Medium);
        (Server, HttpsPort) = Start(_root, ["h2.test"]);
    }

    public StaticDProcess Server { get; }

    public int HttpsPort { get; }

    public string[] Tls => Target(HttpsPort, true, "h2.test");

    public string[] Cleartext => Target(Server.Port, false, "h2.test");

    /// <summary>Bytes that do not compress and differ at every offset, so a misplaced frame shows.</summary>
    public static byte[] TestContent(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public void Dispose()
    {
        Server.Dispose();
        _root.Dispose();
    }
}

/// <summary>
/// HTTP/2 as independent clients see it: python3-h2's state machine (which itself rejects a DATA frame past the
/// window, a frame over MAX_FRAME_SIZE or bad HPACK) and nghttp. Covers ALPN and h2c, SETTINGS, multiplexing on
/// one connection, flow control with a small client window, the frame size, the stream limit and GOAWAY on stop.
/// </summary>
public sealed class Http2ConformanceTests(ConformanceFixture fixture) : IClassFixture<ConformanceFixture>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task File_IsServed_OverTlsAndCleartext(bool tls)
    {
        (List<H2Response> r, JsonElement report) = await RequestsAsync(tls ? fixture.Tls : fixture.Cleartext,
            [new H2Request("GET", "/index.html"), new H2Request("GET", "/big.bin"), new H2Request("HEAD", "/big.bin"), new H2Request("GET", "/missing")]);
        Assert.True(r[0].Status == 200 && r[0].Ended, r[0].ToString());
        Assert.Equal("<!doctype html><title>h2</title>hello over h2\n", System.Text.Encoding.UTF8.GetString(r[0].Body));
        Assert.True(r[1].Status == 200 && r[1].Body.AsSpan().SequenceEqual(ConformanceFixture.Big), $"1 MiB file: {r[1]}");
        Assert.Equal(ConformanceFixture.Big.Length.ToString(CultureInfo.InvariantCulture), r[2].Header("content-length"));
        Assert.True(r[2].Status == 200 && r[2].Body.Length == 0, $"HEAD: {r[2]}");
        Assert.True(r[3].Status == 404, r[3].ToString());
        Assert.Equal(JsonValueKind.Null, report.GetProperty("goaway").ValueKind);
        // The advertised stream limit is the configured one (Limits:Http2MaxConcurrentStreams, 100 by default).
        Assert.Equal(100, report.GetProperty("settings").GetProperty("MAX_CONCURRENT_STREAMS").GetInt32());
    }

    [Fact]
    public async Task Http11_IsStillServed_ToAClientThatOffersOnlyHttp11()
    {
        // TlsClient offers only http/1.1 in ALPN: the HTTPS port must keep speaking it.
        HttpResponse r = await TlsKit.HttpsAsync(fixture.HttpsPort, "h2.test", TlsKit.HttpRequest("GET", "h2.test", "/index.html"));
        Assert.Equal("HTTP/1.1", r.Version);
        HttpAssert.Status(200, r);
    }

    [Fact]
    public async Task Nghttp_MultiplexesTenRequests_OnOneConnection()
    {
        string url = $"https://127.0.0.1:{fixture.HttpsPort.ToString(CultureInfo.InvariantCulture)}/medium.bin";
        ProcessResult r = await ChildProcess.RunAsync("/usr/bin/nghttp", ["-nv", "-m", "10", url], TimeSpan.FromSeconds(60));
        string all = r.Stdout + r.Stderr;
        Assert.True(r.ExitCode == 0 && !r.TimedOut, $"nghttp exit {r.ExitCode}\n{all}");
        Assert.Contains("SETTINGS_MAX_CONCURRENT_STREAMS(0x03):100", all, StringComparison.Ordinal);
        Assert.True(Regex.Matches(all, @"\] Connected").Count == 1, $"nghttp did not use exactly one connection\n{all[..Math.Min(all.Length, 4000)]}");
        // Ten streams, each answered 200, all on the one connection nghttp opened.
        var answered = Regex.Matches(all, @"recv \(stream_id=(\d+)\) :status: 200").Select(m => m.Groups[1].Value).Distinct().ToList();
        Assert.True(answered.Count == 10, $"expected 10 streams answered 200, got {answered.Count}\n{all[..Math.Min(all.Length, 4000)]}");
        // Multiplexed: the tenth request went out before the first response had ended.
        int lastRequest = all.LastIndexOf("send HEADERS frame", StringComparison.Ordinal);
        int firstEnd = all.IndexOf("flags=0x01, stream_id=", all.IndexOf("recv DATA frame", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.True(lastRequest < firstEnd, "nghttp did not have all ten streams open at once");
        Assert.DoesNotContain("recv GOAWAY", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SmallClientWindow_IsRespected_AndTheServerResumesOnWindowUpdate()
    {
        // 16 KiB stream window on a 256 KiB file: the server must stop at the window (python-h2 raises
        // FLOW_CONTROL_ERROR if one byte more comes) and continue after each WINDOW_UPDATE.
        JsonElement report = await RunAsync("window", fixture.Tls, "--path", "/medium.bin", "--initial-window", "16384");
        JsonElement response = report.GetProperty("response");
        Assert.True(response.GetProperty("status").GetInt32() == 200 && response.GetProperty("ended").GetBoolean()
            && response.GetProperty("length").GetInt32() == ConformanceFixture.Medium.Length, report.ToString());
        Assert.True(report.GetProperty("max_outstanding").GetInt32() <= 16384, report.ToString());
        Assert.True(report.GetProperty("stalls").GetInt32() >= 8, $"the server never waited for the window: {report}");
    }

    [Theory]
    [InlineData(16384)]
    [InlineData(65536)]
    public async Task DataFrames_NeverExceedTheClientsMaxFrameSize(int maxFrame)
    {
        (List<H2Response> r, JsonElement report) = await RequestsAsync(fixture.Tls, [new H2Request("GET", "/big.bin")],
            "--max-frame-size", maxFrame.ToString(CultureInfo.InvariantCulture), "--initial-window", "1048576");
        Assert.True(r[0].Status == 200 && r[0].Body.AsSpan().SequenceEqual(ConformanceFixture.Big), r[0].ToString());
        int largest = report.GetProperty("max_data_frame").GetInt32();
        Assert.True(largest is > 0 && largest <= 65536 && largest <= maxFrame, $"largest DATA frame {largest} B, MAX_FRAME_SIZE {maxFrame}");
    }

    [Fact]
    public async Task HundredConcurrentStreams_AreAllAnswered()
    {
        // A stream window of 0: none of the downloads can finish, so all 100 are open at once.
        JsonElement report = await RunAsync("streams", fixture.Tls, "--path", "/big.bin", "--count", "100", "--drain", "2");
        Assert.True(report.GetProperty("headers").GetInt32() == 100, $"expected 100 streams answered: {report}");
        Assert.True(report.GetProperty("goaway").ValueKind == JsonValueKind.Null && !report.GetProperty("closed").GetBoolean(), report.ToString());
    }

    [Fact]
    public async Task The101stConcurrentStream_IsNotOpened()
    {
        // RFC 9113 5.1.2: a stream error (PROTOCOL_ERROR or REFUSED_STREAM) for the stream past the limit; an
        // endpoint may treat it as a connection error (5.4.1), and then GOAWAY's last stream id must leave it out.
        JsonElement report = await RunAsync("streams", fixture.Tls, "--path", "/big.bin", "--count", "101", "--drain", "2");
        int answered = report.GetProperty("headers").GetInt32();
        int refused = report.GetProperty("resets").EnumerateObject().Where(p => p.Name is "REFUSED_STREAM" or "PROTOCOL_ERROR").Sum(p => p.Value.GetInt32());
        Assert.True(answered <= 100, $"more than 100 streams answered: {report}");
        JsonElement goaway = report.GetProperty("goaway");
        bool cutOff = goaway.ValueKind == JsonValueKind.Object && goaway.GetProperty("last_stream_id").GetInt32() == 199
            && goaway.GetProperty("code").GetString() is "PROTOCOL_ERROR" or "REFUSED_STREAM";
        Assert.True((answered == 100 && refused == 1) || cutOff, $"the 101st stream (id 201) was neither refused nor left unopened: {report}");
    }
}

/// <summary>Stopping the server (SIGTERM) sends each HTTP/2 client a GOAWAY naming the last stream it took.</summary>
public sealed class Http2GoAwayTests : IDisposable
{
    private readonly WebRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Stop_SendsGoAway_WithTheLastStreamId(bool tls)
    {
        _root.AddFile("index.html", "bye");
        (StaticDProcess server, int https) = Start(_root, ["h2.test"]);
        using (server)
        {
            string[] target = tls ? Target(https, true, "h2.test") : Target(server.Port, false, "h2.test");
            using ChildProcess client = ChildProcess.Start(Python, [Script, "goaway", .. target, "--path", "/index.html"]);
            string ready = client.WaitForStdout("{\"ready\"", TimeSpan.FromSeconds(20));
            Assert.Contains("\"status\": 200", ready, StringComparison.Ordinal);
            server.Signal(TestLibc.SIGTERM);
            Assert.True(client.WaitForExit(TimeSpan.FromSeconds(30)), "the client saw neither GOAWAY nor a close within 30 s");
            using JsonDocument doc = JsonDocument.Parse(client.WaitForStdout("{\"goaway\"", TimeSpan.FromSeconds(1)));
            JsonElement goaway = doc.RootElement.GetProperty("goaway");
            Assert.True(goaway.ValueKind == JsonValueKind.Object, $"closed without GOAWAY: {doc.RootElement}\n{client.Stderr}");
            Assert.Equal("NO_ERROR", goaway.GetProperty("code").GetString());
            Assert.Equal(1, goaway.GetProperty("last_stream_id").GetInt32());
        }
    }
}
