using System.Text.Json.Nodes;
using Xunit;
using static StaticD.IntegrationTests.Sites.SitesKit;

namespace StaticD.IntegrationTests;

/// <summary>
/// Where the metrics listener is, through the AOT binary: a unix socket (mode 0660, a stale file replaced at start,
/// the file removed at stop), moved by a reload (bound first; the old one stays when the new one cannot be bound),
/// and the connection-state gauge, exact at scrape time.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // file modes
public sealed class MetricsListenerTests : IDisposable
{
    private readonly Systemd.SiteConfig _config = new(root => root.AddFile("index.html", "hello"));
    private string SocketPath => Path.Combine(_config.Root.BasePath, "metrics.sock");

    public void Dispose() => _config.Dispose();

    private ChildProcess Start(string listen)
    {
        _config.Section["Metrics"] = new JsonObject { ["Listen"] = listen };
        _config.Save();
        ChildProcess server = Systemd.ServiceProcess.StartStaticD(_config.Path);
        server.WaitForStderr("metrics: serving", Deadline);
        return server;
    }

    private static async Task<Exposition> ScrapeUnix(string path)
    {
        using RawHttpClient client = await RawHttpClient.ConnectUnixAsync(path);
        HttpResponse r = await client.RoundTripAsync("GET /metrics HTTP/1.1\r\n\r\n");
        HttpAssert.Status(200, r);
        return new Exposition(r.BodyText);
    }

    private static async Task<Exposition> ScrapeTcp(int port)
    {
        using RawHttpClient client = await RawHttpClient.ConnectAsync(port);
        HttpResponse r = await client.RoundTripAsync("GET /metrics HTTP/1.1\r\n\r\n");
        HttpAssert.Status(200, r);
        return new Exposition(r.BodyText);
    }

    private static void Reload(ChildProcess server, bool succeeds)
    {
        string outcome = succeeds ? "configuration reloaded" : "reload failed";
        int before = server.CountStderr(outcome);
        server.Signal(TestLibc.SIGHUP);
        server.WaitForStderr(outcome, Deadline, before + 1);
    }

    [Fact]
    public async Task AUnixSocketServesTheScrape_ReplacesAStaleFile_AndIsRemovedAtStop()
    {
        // What a crashed server leaves behind: a socket file nobody listens on. (Made by python: a .NET Socket
        // removes the file of a socket it bound when it is disposed.)
        ProcessResult made = ChildProcess.Run("python3", ["-c", "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", SocketPath], Deadline);
        Assert.True(made.ExitCode == 0 && File.Exists(SocketPath), made.ToString());

        using ChildProcess server = Start("unix:" + SocketPath);
        Assert.Contains($"metrics: serving GET /metrics on unix:{SocketPath}", server.Stderr, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite,
            File.GetUnixFileMode(SocketPath));
        HttpAssert.Status(200, await SendOne(_config.Port, Get("x.test", "/index.html")));

        Exposition m = await ScrapeUnix(SocketPath);
        Assert.Equal(1, m["staticd_http_requests_total{site=\"_\",method=\"GET\",code=\"2xx\"}"]);

        Systemd.Kit.Stop(server);
        Assert.False(File.Exists(SocketPath), "the socket file outlived the server");
    }

    [Fact]
    public async Task AUnixSocketPathThatIsAFile_RefusesToStart()
    {
        File.WriteAllText(SocketPath, "not a socket");
        _config.Section["Metrics"] = new JsonObject { ["Listen"] = "unix:" + SocketPath };
        _config.Save();
        ProcessResult r = await StaticDProcess.RunAsync(Deadline, "--config", _config.Path);
        Assert.Equal(69, r.ExitCode);
        Assert.Equal([$"staticd: cannot listen on unix:{SocketPath}: the path exists and is not a socket; remove it or choose another"],
            r.StderrLines.Where(l => l.Length > 0 && !l.Contains(" INF ", StringComparison.Ordinal)).ToArray());
        Assert.Equal("not a socket", File.ReadAllText(SocketPath));
    }

    [Fact]
    public async Task AReloadMovesTheListener_AndKeepsTheOldOneWhenTheNewOneCannotBeBound()
    {
        int port = StaticDProcess.FreePort();
        using ChildProcess server = Start($"127.0.0.1:{port}");
        HttpAssert.Status(200, await SendOne(_config.Port, Get("x.test", "/index.html")));

        _config.Section["Metrics"] = new JsonObject { ["Listen"] = "unix:" + SocketPath };
        _config.Save();
        Reload(server, succeeds: true);
        Assert.True(Systemd.Kit.IsRefused(port), "the old metrics port still accepts");
        Exposition m = await ScrapeUnix(SocketPath);
        Assert.Equal(1, m["staticd_http_requests_total{site=\"_\",method=\"GET\",code=\"2xx\"}"]);
        Assert.Equal(1, m["staticd_config_reloads_total{result=\"success\"}"]);

        // A directory that does not exist: the new socket cannot be made, so the reload fails and the old one stays.
        string missing = Path.Combine(_config.Root.BasePath, "no-such-dir", "m.sock");
        _config.Section["Metrics"] = new JsonObject { ["Listen"] = "unix:" + missing };
        _config.Save();
        Reload(server, succeeds: false);
        Assert.Contains($"StaticD:Metrics:Listen: cannot listen on unix:{missing}: No such file or directory (ENOENT)", server.Stderr, StringComparison.Ordinal);
        m = await ScrapeUnix(SocketPath);
        Assert.Equal(1, m["staticd_config_reloads_total{result=\"failure\"}"]);

        // Back to TCP, then off: the unix socket's file goes with it.
        _config.Section["Metrics"] = new JsonObject { ["Listen"] = $"127.0.0.1:{port}" };
        _config.Save();
        Reload(server, succeeds: true);
        Assert.False(File.Exists(SocketPath), "the replaced unix socket's file is still there");
        Assert.Equal(2, (await ScrapeTcp(port))["staticd_config_reloads_total{result=\"success\"}"]);
        _config.Section.Remove("Metrics");
        _config.Save();
        Reload(server, succeeds: true);
        Assert.True(Systemd.Kit.IsRefused(port), "metrics still served after Metrics was removed");
        Assert.False(server.HasExited, server.Output);
    }

    [Fact]
    public async Task TheConnectionGaugeIsExactAtScrapeTime()
    {
        const int K = 7;
        using ChildProcess server = Start("unix:" + SocketPath);
        var clients = new List<RawHttpClient>();
        try
        {
            for (int i = 0; i < K; i++)
            {
                RawHttpClient client = await RawHttpClient.ConnectAsync(_config.Port);
                clients.Add(client);
                HttpAssert.Status(200, await client.RoundTripAsync(Get("x.test", "/index.html")));
            }
            // Every response has been read, so each connection is idle now: no wait for a sample.
            Exposition m = await ScrapeUnix(SocketPath);
            Assert.Equal(K, m["staticd_connections{state=\"idle\"}"]);
            Assert.Equal(0, m["staticd_connections{state=\"reading\"}"]);
            Assert.Equal(0, m["staticd_connections{state=\"writing\"}"]);

            // Half a head on one of them: reading.
            await clients[0].SendAsync("GET /index.html HTTP/1.1\r\n");
            await Eventually(async () => (await ScrapeUnix(SocketPath))["staticd_connections{state=\"reading\"}"] == 1,
                () => "the half-sent head is not counted as reading");
            Assert.Equal(K - 1, (await ScrapeUnix(SocketPath))["staticd_connections{state=\"idle\"}"]);
        }
        finally
        {
            foreach (RawHttpClient client in clients) client.Dispose();
        }
        // The server sees each close as an event; the gauge follows it without a timeout sweep.
        await Eventually(async () =>
        {
            Exposition after = await ScrapeUnix(SocketPath);
            return after["staticd_connections{state=\"idle\"}"] + after["staticd_connections{state=\"reading\"}"] +
                   after["staticd_connections{state=\"writing\"}"] == 0;
        }, () => "connections still counted after every client closed");
        Assert.False(server.HasExited, server.Output);
    }

    private static async Task<HttpResponse> SendOne(int port, string raw)
    {
        using RawHttpClient client = await RawHttpClient.ConnectAsync(port);
        return await client.RoundTripAsync(raw);
    }
}
