using System.Globalization;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using StaticD.IntegrationTests.Systemd;
using Xunit;
using static StaticD.IntegrationTests.AccessLog.AccessFileKit;
using static StaticD.IntegrationTests.Sites.SitesKit;

namespace StaticD.IntegrationTests.AccessLog;

/// <summary>
/// The AOT binary writing access log files: nginx's combined format byte for byte, JSON lines, the vhost prefix of a
/// configuration with Sites, a reopen on SIGUSR1 after a rename that loses no line, drops counted when the file
/// cannot keep up, and files that cannot be opened refused at start.
/// </summary>
public sealed class AccessLogFileTests
{
    private static void Populate(WebRoot root) => root.AddFile("hello.txt", "hello world\n");

    private static string Time(long unixSeconds) =>
        DateTimeOffset.FromUnixTimeSeconds(unixSeconds).ToString("dd/MMM/yyyy:HH:mm:ss +0000", CultureInfo.InvariantCulture);

    private static async Task<HttpResponse> SendBytesAsync(int port, byte[] request)
    {
        using RawHttpClient client = await RawHttpClient.ConnectAsync(port);
        await client.SendAsync(request);
        return await client.ReadResponseAsync();
    }

    /// <summary>The line expected for some second of [from, to] (the request was logged within it).</summary>
    private static void AssertLine(string actual, long from, long to, Func<string, string> expected)
    {
        var candidates = Enumerable.Range(0, (int)(to - from + 1)).Select(i => expected(Time(from + i))).ToList();
        Assert.True(candidates.Contains(actual), $"line:\n{actual}\nexpected one of:\n{string.Join('\n', candidates)}");
    }

    [Fact]
    public async Task CombinedIsNginxsFormatByteForByte_WrittenWithinASecondWithoutAStop()
    {
        using var server = new AccessFileServer(Populate);
        server.Start();
        long from = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        // A quote, a backslash and a byte above 0x7F in the user agent; a space in the referer.
        byte[] request = [.. Encoding.ASCII.GetBytes("GET /hello.txt?q=%22x%22 HTTP/1.1\r\nHost: example.test\r\nUser-Agent: probe \"1\" \\ "),
            0xE9, .. Encoding.ASCII.GetBytes("\r\nReferer: https://ref.example/a b\r\n\r\n")];
        HttpAssert.Status(200, await SendBytesAsync(server.Port, request));
        // Not stopped: the loop hands its lines over once a second.
        string[] lines = WaitForLines(server.LogPath, 1);
        long to = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        AssertLine(lines[0], from, to, t =>
            $"127.0.0.1 - - [{t}] \"GET /hello.txt?q=%22x%22 HTTP/1.1\" 200 12 \"https://ref.example/a b\" \"probe \\x221\\x22 \\x5C \\xE9\"");

        HttpResponse missing = await SendAsync(server.Port, "GET /missing HTTP/1.0\r\n\r\n");
        HttpAssert.Status(404, missing);
        HttpResponse bad = await SendAsync(server.Port, "GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n");
        HttpAssert.Status(400, bad);
        HttpResponse head = await SendAsync(server.Port, Request("HEAD", "/hello.txt", "example.test", "HTTP/1.1", "User-Agent: "), isHead: true);
        HttpAssert.Status(200, head);
        server.Stop();
        to = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        // Each loop writes its own chunks, so lines of different connections need not be in request order (as
        // with nginx's workers): each is found by its request.
        lines = Lines(server.LogPath);
        Assert.Equal(4, lines.Length);
        string Find(string fragment) => Assert.Single(lines, l => l.Contains(fragment, StringComparison.Ordinal));
        AssertLine(Find("/missing"), from, to, t => $"127.0.0.1 - - [{t}] \"GET /missing HTTP/1.0\" 404 {missing.Body.Length} \"-\" \"-\"");
        // A request line that does not parse has no method or target to log: "-".
        AssertLine(Find("\"-\" 400"), from, to, t => $"127.0.0.1 - - [{t}] \"-\" 400 {bad.Body.Length} \"-\" \"-\"");
        // HEAD sends no body; an empty User-Agent is "" (present), an absent Referer "-".
        AssertLine(Find("HEAD"), from, to, t => $"127.0.0.1 - - [{t}] \"HEAD /hello.txt HTTP/1.1\" 200 0 \"-\" \"\"");
    }

    [Fact]
    public async Task JsonLinesCarryTheJournalsFields()
    {
        using var server = new AccessFileServer(Populate, format: "json");
        server.Start();
        HttpAssert.Status(200, await GetAsync(server.Port, "Example.Test:8080", "/hello.txt", "User-Agent: j\"son", "Referer: https://r.example/"));
        HttpAssert.Status(404, await GetAsync(server.Port, "example.test", "/nope"));
        server.Stop();

        // Two connections, maybe two loops: the lines are found by their path, not by their order.
        string[] lines = Lines(server.LogPath);
        Assert.Equal(2, lines.Length);
        using JsonDocument first = JsonDocument.Parse(Assert.Single(lines, l => l.Contains("\"/hello.txt\"", StringComparison.Ordinal)));
        JsonElement e = first.RootElement;
        Assert.Equal("127.0.0.1", e.GetProperty("CLIENT_ADDR").GetString());
        Assert.Equal("GET", e.GetProperty("HTTP_METHOD").GetString());
        Assert.Equal("/hello.txt", e.GetProperty("HTTP_PATH").GetString());
        Assert.Equal(200, e.GetProperty("HTTP_STATUS").GetInt32());
        Assert.True(e.GetProperty("HTTP_BYTES").GetInt64() > 12, "HTTP_BYTES counts the head too, as the journal's");
        Assert.True(e.GetProperty("HTTP_DURATION_USEC").GetInt64() >= 0);
        Assert.Equal("https://r.example/", e.GetProperty("HTTP_REFERER").GetString());
        Assert.Equal("j\"son", e.GetProperty("HTTP_USER_AGENT").GetString());
        Assert.Equal("example.test", e.GetProperty("HTTP_HOST").GetString());
        Assert.Equal("_", e.GetProperty("SITE").GetString());
        Assert.True(DateTimeOffset.TryParse(e.GetProperty("TIME").GetString(), CultureInfo.InvariantCulture, out DateTimeOffset time));
        Assert.InRange(time, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        using JsonDocument second = JsonDocument.Parse(Assert.Single(lines, l => l.Contains("\"/nope\"", StringComparison.Ordinal)));
        Assert.Equal(404, second.RootElement.GetProperty("HTTP_STATUS").GetInt32());
        Assert.Equal("", second.RootElement.GetProperty("HTTP_USER_AGENT").GetString());
    }

    [Fact]
    public async Task WithSitesLinesStartWithSiteAndPort_AndASiteMayHaveItsOwnFile()
    {
        using var server = new AccessFileServer(root =>
        {
            Populate(root);
            SiteDirectory(root, "a");
            SiteDirectory(root, "b");
        }, configure: (section, dir) => section["Sites"] = List(
            Site(["a.test"], ("Root", "sites/a")),
            Site(["b.test"], ("Root", "sites/b"), ("AccessLog", new JsonObject { ["Path"] = Path.Combine(dir, "b.log") }))));
        server.Start();
        HttpAssert.Status(200, await GetAsync(server.Port, "a.test", "/who.txt"));
        HttpAssert.Status(200, await GetAsync(server.Port, "unknown.test", "/hello.txt"));
        HttpAssert.Status(200, await GetAsync(server.Port, "b.test", "/who.txt"));
        server.Stop();

        string[] shared = Lines(server.LogPath);
        Assert.Equal(2, shared.Length);
        string a = Assert.Single(shared, l => l.StartsWith($"a.test:{server.Port} 127.0.0.1 - - [", StringComparison.Ordinal));
        Assert.EndsWith("\"GET /who.txt HTTP/1.1\" 200 1 \"-\" \"-\"", a);
        Assert.Single(shared, l => l.StartsWith($"_:{server.Port} 127.0.0.1 - - [", StringComparison.Ordinal));
        string[] own = Lines(Path.Combine(server.LogDirectory, "b.log"));
        Assert.Single(own);
        Assert.StartsWith($"b.test:{server.Port} 127.0.0.1 - - [", own[0]);
    }

    [Fact]
    public async Task Sigusr1AfterAMoveReopens_NoLineIsLost()
    {
        const int N = 300, SIGUSR1 = 10;
        using var server = new AccessFileServer(Populate);
        ChildProcess process = server.Start();
        using (RawHttpClient client = await RawHttpClient.ConnectAsync(server.Port))
        {
            for (int i = 0; i < N; i++) HttpAssert.Status(200, await client.RoundTripAsync(Http.Get($"/hello.txt?before={i}")));
        }
        string rotated = server.LogPath + ".1";
        File.Move(server.LogPath, rotated);
        process.Signal(SIGUSR1);
        process.WaitForStderr("reopened", LogDeadline);
        Assert.True(File.Exists(server.LogPath), "SIGUSR1 did not create the file again");
        using (RawHttpClient client = await RawHttpClient.ConnectAsync(server.Port))
        {
            for (int i = 0; i < N; i++) HttpAssert.Status(200, await client.RoundTripAsync(Http.Get($"/hello.txt?after={i}")));
        }
        // Every "after" line goes to the new file: the reopen happened before those requests.
        WaitForLines(server.LogPath, N);
        server.Stop();

        string[] before = Lines(rotated), after = Lines(server.LogPath);
        Assert.Equal(2 * N, before.Length + after.Length);
        Assert.Equal(N, before.Count(l => l.Contains("?before=", StringComparison.Ordinal)));
        Assert.Equal(N, after.Count(l => l.Contains("?after=", StringComparison.Ordinal)));
        Assert.Equal(0, process.CountStderr("cannot be opened again"));
    }

    /// <summary>A FIFO that someone opened and never reads: the pipe fills (64 KiB), the writer blocks in write(2),
    /// the 4 MiB of chunks fill, and lines are dropped and counted while requests go on being served.</summary>
    [Fact]
    public async Task AFileThatCannotKeepUpDropsAndCounts_RequestsAreStillServed()
    {
        int metricsPort = StaticDProcess.FreePort();
        using var server = new AccessFileServer(Populate, fileName: "access.fifo", configure: (section, _) =>
            section["Metrics"] = new JsonObject { ["Listen"] = $"127.0.0.1:{metricsPort}" });
        Assert.Equal(0, TestLibc.MkFifo(server.LogPath, Convert.ToUInt32("600", 8)));
        // Opening the read end waits for a writer (staticd); it is held open and never read.
        var reader = Task.Run(() => new FileStream(server.LogPath, FileMode.Open, FileAccess.Read));
        server.Start();
        using FileStream held = await reader.WaitAsync(LogDeadline);

        using var http = new HttpClient { Timeout = LogDeadline };
        async Task<long> Dropped()
        {
            string text = await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics");
            string line = text.Split('\n').Single(l => l.StartsWith("staticd_access_log_dropped_total ", StringComparison.Ordinal));
            return long.Parse(line.Split(' ')[1], CultureInfo.InvariantCulture);
        }
        await using (var load = new LoadClients(server.Port, "/hello.txt", clients: 4, keepAlive: true))
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (await Dropped() == 0)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"nothing dropped after {load.Succeeded} requests");
                await load.WaitForProgressAsync(5000);
            }
            Assert.Empty(load.Failures);
        }
        server.Stop();
        Assert.Contains(server.Process!.StderrLines, l => l.Contains($"access log {server.LogPath}: dropped", StringComparison.Ordinal)
            && l.Contains("could not keep up", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/nonexistent-dir/access.log", "json", "StaticD:AccessLog:Path: \"/nonexistent-dir/access.log\" cannot be opened for appending: No such file or directory (ENOENT)")]
    [InlineData("/tmp/staticd-a.log", "xml", "StaticD:AccessLog:Format: \"xml\" is not one of combined, json")]
    [InlineData("relative.log", "json", "StaticD:AccessLog:Path: \"relative.log\" is not an absolute file path")]
    public async Task AFileThatCannotBeOpenedOrABadValueStopsStartUp(string path, string format, string message)
    {
        using var root = new WebRoot();
        var section = StaticDProcess.DefaultSection(StaticDProcess.FreePort(), root.RootPath);
        section["AccessLog"] = new JsonObject { ["Path"] = path, ["Format"] = format };
        string config = StaticDProcess.WriteConfig(root, StaticDProcess.ConfigText(section));
        ProcessResult result = await StaticDProcess.RunAsync(TimeSpan.FromSeconds(10), "--config", config);
        Assert.True(result.ExitCode == 78, result.ToString());
        Assert.Contains(message, result.Stderr);
    }
}
