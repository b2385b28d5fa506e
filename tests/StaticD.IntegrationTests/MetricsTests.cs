using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using StaticD.IntegrationTests.Systemd;
using Xunit;
using static StaticD.IntegrationTests.Sites.SitesKit;

namespace StaticD.IntegrationTests;

/// <summary>
/// StaticD:Metrics:Listen through the AOT binary: a separate listener answers GET /metrics in the Prometheus text
/// format; the counts match the requests sent, by site, method and status class; they survive a reload; the
/// sites' port knows nothing of /metrics; and promtool finds nothing to complain about.
/// </summary>
public sealed class MetricsTests : IDisposable
{
    private readonly Systemd.SiteConfig _config;
    private readonly int _metricsPort = StaticDProcess.FreePort();

    public MetricsTests()
    {
        _config = new Systemd.SiteConfig(root =>
        {
            root.AddFile("who.txt", "default");
            SiteDirectory(root, "a");
            SiteDirectory(root, "b");
            SiteDirectory(root, "c");
        });
        _config.Section["Sites"] = List(Site(["a.test", "www.a.test"], ("Root", "sites/a")), Site(["b.test"], ("Root", "sites/b")));
        _config.Section["Metrics"] = new JsonObject { ["Listen"] = $"127.0.0.1:{_metricsPort}" };
        _config.Save();
    }

    public void Dispose() => _config.Dispose();

    private ChildProcess Start()
    {
        ChildProcess server = ServiceProcess.StartStaticD(_config.Path);
        server.WaitForStderr("metrics: serving", Deadline);
        return server;
    }

    private static async Task<HttpResponse> Send(int port, string raw, bool isHead = false)
    {
        using RawHttpClient client = await RawHttpClient.ConnectAsync(port);
        return await client.RoundTripAsync(raw, isHead);
    }

    private async Task<Exposition> Scrape()
    {
        HttpResponse r = await Send(_metricsPort, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        HttpAssert.Status(200, r);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", r.Header("Content-Type"));
        Assert.Contains("close", r.ConnectionTokens);
        return new Exposition(r.BodyText);
    }

    /// <summary>7 GETs (200) to a.test, 3 GETs (404) to b.test, 2 HEADs (200) to a.test, 1 malformed request, 1 GET
    /// to an unknown host (the default site).</summary>
    private async Task SendTheMix(int port)
    {
        for (int i = 0; i < 7; i++) HttpAssert.Status(200, await Send(port, Get(i % 2 == 0 ? "a.test" : "www.a.test", "/who.txt")));
        for (int i = 0; i < 3; i++) HttpAssert.Status(404, await Send(port, Get("b.test", "/missing")));
        for (int i = 0; i < 2; i++) HttpAssert.Status(200, await Send(port, Request("HEAD", "/who.txt", "a.test"), isHead: true));
        HttpAssert.Status(400, await Send(port, "GET /who.txt HTTP/1.1 junk\r\nHost: a.test\r\n\r\n"));
        HttpAssert.Status(200, await Send(port, Get("unknown.test", "/who.txt")));
    }

    [Fact]
    public async Task CountsMatchTheRequestsSent_WithNamesTypesAndLabels()
    {
        using ChildProcess server = Start();
        await SendTheMix(_config.Port);
        Exposition m = await Scrape();

        foreach ((string name, string type) in Expected)
        {
            Assert.True(m.Types.TryGetValue(name, out string? t), $"no # TYPE for {name}\n{m.Text}");
            Assert.Equal(type, t);
            Assert.True(m.Helps.Contains(name), $"no # HELP for {name}");
        }
        Assert.Equal(7, m["staticd_http_requests_total{site=\"a.test\",method=\"GET\",code=\"2xx\"}"]);
        Assert.Equal(2, m["staticd_http_requests_total{site=\"a.test\",method=\"HEAD\",code=\"2xx\"}"]);
        Assert.Equal(3, m["staticd_http_requests_total{site=\"b.test\",method=\"GET\",code=\"4xx\"}"]);
        Assert.Equal(1, m["staticd_http_requests_total{site=\"-\",method=\"other\",code=\"4xx\"}"]);
        Assert.Equal(1, m["staticd_http_requests_total{site=\"_\",method=\"GET\",code=\"2xx\"}"]);
        Assert.Equal(14, m.Sum("staticd_http_requests_total{"));
        Assert.Equal(14, m["staticd_http_request_duration_seconds_count"]);
        Assert.Equal(14, m["staticd_http_request_duration_seconds_bucket{le=\"+Inf\"}"]);
        Assert.Equal(17 + 1, m.Samples.Keys.Count(k => k.StartsWith("staticd_http_request_duration_seconds_bucket{", StringComparison.Ordinal)));
        Assert.True(m["staticd_http_request_duration_seconds_bucket{le=\"0.00005\"}"] <= m["staticd_http_request_duration_seconds_bucket{le=\"10\"}"]);
        Assert.True(m["staticd_http_response_bytes_total{site=\"a.test\"}"] > 9 * "a".Length);
        Assert.True(m["staticd_http_response_bytes_total{site=\"b.test\"}"] > 0);
        Assert.Equal(14, m["staticd_connections_accepted_total"]);
        Assert.Equal(0, m["staticd_connections_rejected_total{reason=\"max_connections\"}"]);
        Assert.Equal(1, m["staticd_build_info{version=\"" + m.Version + "\"}"]);
        Assert.Equal(0, m["staticd_config_reloads_total{result=\"success\"}"]);
        Assert.Equal(0, m["staticd_config_reloads_total{result=\"failure\"}"]);
        Assert.InRange(m["staticd_config_last_reload_success_timestamp_seconds"],
            DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 120, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal(0, m["staticd_access_log_dropped_total"]);
        Assert.True(m["staticd_file_cache_hits_total"] + m["staticd_file_cache_misses_total"] >= 9);
        foreach (string state in new[] { "reading", "writing", "idle" })
            Assert.True(m.Samples.ContainsKey($"staticd_connections{{state=\"{state}\"}}"), state);
        // Labels only from configuration: a site label is a first host name, "_" or "-".
        foreach (string key in m.Samples.Keys.Where(k => k.Contains("site=\"", StringComparison.Ordinal)))
            Assert.Matches("site=\"(a\\.test|b\\.test|_|-)\"", key);
        Assert.False(server.HasExited, server.Output);
    }

    [Fact]
    public async Task TheMetricsListenerIsNotTheSitesPort()
    {
        using ChildProcess server = Start();
        // On the sites' port, /metrics is a path like any other: a.test has no such file.
        HttpResponse onSite = await Send(_config.Port, Get("a.test", "/metrics"));
        HttpAssert.Status(404, onSite);
        Assert.DoesNotContain("staticd_", onSite.BodyText, StringComparison.Ordinal);
        // The metrics port serves only GET (and HEAD) /metrics.
        HttpAssert.Status(404, await Send(_metricsPort, "GET /who.txt HTTP/1.1\r\nHost: x\r\n\r\n"));
        HttpResponse post = await Send(_metricsPort, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        HttpAssert.Status(405, post);
        Assert.Equal("GET, HEAD", post.Header("Allow"));
        HttpAssert.Status(400, await Send(_metricsPort, "nonsense\r\n\r\n"));
        HttpResponse query = await Send(_metricsPort, "GET /metrics?x=1 HTTP/1.1\r\n\r\n");
        HttpAssert.Status(200, query);
        // A request head larger than the bound gets no answer, only a close.
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync("127.0.0.1", _metricsPort);
            NetworkStream stream = tcp.GetStream();
            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nX: " + new string('a', 8000) + "\r\n\r\n"));
            }
            catch (IOException)
            {
                // reset while writing: closed, as expected
            }
            var buffer = new byte[256];
            int n;
            try
            {
                n = await stream.ReadAsync(buffer).AsTask().WaitAsync(Deadline);
            }
            catch (IOException)
            {
                n = 0;
            }
            Assert.Equal(0, n);
        }
        // Not on the sites' port's connection count, and the server is still fine.
        Exposition m = await Scrape();
        Assert.Equal(1, m["staticd_connections_accepted_total"]);
        Assert.Equal(1, m["staticd_http_requests_total{site=\"a.test\",method=\"GET\",code=\"4xx\"}"]);
        Assert.False(server.HasExited, server.Output);
    }

    [Fact]
    public async Task AReload_KeepsTheCountsOfSitesThatStay_AndCountsReloads()
    {
        using ChildProcess server = Start();
        await SendTheMix(_config.Port);

        // b.test goes, c.test comes; a.test stays (at another place in the list).
        _config.Section["Sites"] = List(Site(["c.test"], ("Root", "sites/c")), Site(["a.test", "www.a.test"], ("Root", "sites/a")));
        _config.Save();
        int before = server.CountStderr("configuration reloaded");
        server.Signal(TestLibc.SIGHUP);
        server.WaitForStderr("configuration reloaded", Deadline, before + 1);
        HttpAssert.Status(200, await Send(_config.Port, Get("a.test", "/who.txt")));
        HttpAssert.Status(200, await Send(_config.Port, Get("c.test", "/who.txt")));

        Exposition m = await Scrape();
        Assert.Equal(8, m["staticd_http_requests_total{site=\"a.test\",method=\"GET\",code=\"2xx\"}"]);
        Assert.Equal(2, m["staticd_http_requests_total{site=\"a.test\",method=\"HEAD\",code=\"2xx\"}"]);
        Assert.Equal(3, m["staticd_http_requests_total{site=\"b.test\",method=\"GET\",code=\"4xx\"}"]);
        Assert.Equal(1, m["staticd_http_requests_total{site=\"c.test\",method=\"GET\",code=\"2xx\"}"]);
        Assert.Equal(16, m["staticd_http_request_duration_seconds_count"]);
        Assert.Equal(1, m["staticd_config_reloads_total{result=\"success\"}"]);

        // A reload that fails is counted as such and changes nothing else.
        _config.Write("{ \"StaticD\": { \"Port\": \"no\" } }");
        int failedBefore = server.CountStderr("reload failed");
        server.Signal(TestLibc.SIGHUP);
        server.WaitForStderr("reload failed", Deadline, failedBefore + 1);
        m = await Scrape();
        Assert.Equal(1, m["staticd_config_reloads_total{result=\"failure\"}"]);
        Assert.Equal(1, m["staticd_config_reloads_total{result=\"success\"}"]);
        Assert.Equal(8, m["staticd_http_requests_total{site=\"a.test\",method=\"GET\",code=\"2xx\"}"]);
        Assert.False(server.HasExited, server.Output);
    }

    [Fact]
    public async Task PromtoolChecksARealScrape()
    {
        string? promtool = Environment.GetEnvironmentVariable("PATH")?.Split(':')
            .Select(d => Path.Combine(d, "promtool")).FirstOrDefault(File.Exists);
        Assert.True(promtool is not null, "promtool is not installed: `make deps-test` installs it (Debian package prometheus)");
        using ChildProcess server = Start();
        await SendTheMix(_config.Port);
        HttpResponse r = await Send(_metricsPort, "GET /metrics HTTP/1.1\r\n\r\n");
        string file = Path.Combine(_config.Root.BasePath, "scrape.txt");
        await File.WriteAllBytesAsync(file, r.Body);
        ProcessResult check = ChildProcess.Run("sh", ["-c", $"promtool check metrics < '{file}'"], Deadline);
        Assert.True(check.ExitCode == 0 && check.Stdout.Trim().Length == 0 && check.Stderr.Trim().Length == 0,
            $"promtool check metrics: exit {check.ExitCode}\n{check.Stdout}{check.Stderr}\n--- scrape ---\n{r.BodyText}");
    }

    private static readonly (string Name, string Type)[] Expected =
    [
        ("staticd_http_requests_total", "counter"),
        ("staticd_http_response_bytes_total", "counter"),
        ("staticd_http_request_duration_seconds", "histogram"),
        ("staticd_connections", "gauge"),
        ("staticd_connections_accepted_total", "counter"),
        ("staticd_connections_rejected_total", "counter"),
        ("staticd_file_cache_hits_total", "counter"),
        ("staticd_file_cache_misses_total", "counter"),
        ("staticd_access_log_dropped_total", "counter"),
        ("staticd_build_info", "gauge"),
        ("staticd_config_reloads_total", "counter"),
        ("staticd_config_last_reload_success_timestamp_seconds", "gauge"),
    ];
}
