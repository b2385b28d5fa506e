using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

namespace StaticD.IntegrationTests.Systemd;

/// <summary>
/// The AOT binary logging to a real systemd-journald: started with INVOCATION_ID (what systemd sets for every
/// unit) it must write native journal entries, and the access log must be queryable by field
/// (<c>journalctl _PID=… HTTP_STATUS=404</c>).
/// </summary>
[Collection(JournaldCollection.Name)]
public sealed class JournalTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static Dictionary<string, string> UnderSystemd() => new() { ["INVOCATION_ID"] = Guid.NewGuid().ToString("N") };

    private static void Populate(WebRoot root)
    {
        root.AddFile("index.html", "<h1>journal</h1>");
        root.AddFile("before.html", "before");
        root.AddFile("after.html", "after");
    }

    private static async Task<HttpResponse> GetAsync(int port, string target, params string[] headers)
    {
        using var client = await RawHttpClient.ConnectAsync(port);
        return await client.RoundTripAsync(Http.Get(target, headers));
    }

    /// <summary>SIGTERM and wait: staticd drains the access-log queue before "stopped", so after exit every
    /// entry it will ever write has been sent, and a missing entry is really missing.</summary>
    private static void Stop(ChildProcess server)
    {
        server.Signal(TestLibc.SIGTERM);
        Assert.True(server.WaitForExit(Timeout), "staticd did not exit on SIGTERM\n" + server.Output);
        Assert.Equal(0, server.ExitCode);
    }

    private static JsonElement WaitForEntry(int pid, DateTimeOffset since, string messagePrefix)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            List<JsonElement> all = JournaldFixture.QueryPid(pid, since, 0);
            foreach (JsonElement e in all)
            {
                if (JournaldFixture.Field(e, "MESSAGE")?.StartsWith(messagePrefix, StringComparison.Ordinal) == true) return e;
            }
            if (clock.Elapsed > Timeout)
                throw new TimeoutException($"no journal entry \"{messagePrefix}…\" from {pid}; have:\n" + string.Join("\n", all.Select(e => JournaldFixture.Field(e, "MESSAGE"))));
            Thread.Sleep(100);
        }
    }

    private static string Field(JsonElement entry, string name) =>
        JournaldFixture.Field(entry, name) ?? throw new Xunit.Sdk.XunitException($"journal entry has no {name}: {entry}");

    [Fact]
    public async Task StartupAndAccessEntriesCarryEveryField()
    {
        using var site = new SiteConfig(Populate);
        var since = DateTimeOffset.UtcNow;
        using var server = ServiceProcess.StartStaticD(site.Path, UnderSystemd());
        server.WaitUntilAccepting(site.Port, Timeout);

        HttpAssert.Status(200, await GetAsync(site.Port, "/index.html?v=1"));
        var missing = await GetAsync(site.Port, "/missing.html", "User-Agent: journal-test/1.0", "Referer: http://example.test/from");
        HttpAssert.Status(404, missing);
        HttpAssert.Status(404, await GetAsync(site.Port, "/also-missing.txt"));
        Stop(server);

        List<JsonElement> all = JournaldFixture.QueryPid(server.Pid, since, 5);
        string transcript = string.Join("\n", all.Select(e => JournaldFixture.Field(e, "MESSAGE")));

        // The start-up line went to the journal (not to stderr) as an Information entry of "staticd".
        JsonElement started = Assert.Single(all, e => JournaldFixture.Field(e, "MESSAGE")?.Contains("listening on", StringComparison.Ordinal) == true);
        Assert.Equal("staticd", Field(started, "SYSLOG_IDENTIFIER"));
        Assert.Equal("6", Field(started, "PRIORITY"));
        Assert.Equal("journal", Field(started, "_TRANSPORT"));
        Assert.DoesNotContain("listening on", server.Stderr, StringComparison.Ordinal);

        var access = all.Where(e => e.TryGetProperty("HTTP_STATUS", out _)).ToList();
        Assert.True(access.Count == 3, $"expected 3 access entries, journal has:\n{transcript}");

        // HTTP_PATH is the request target as sent, query included.
        JsonElement ok = Assert.Single(access, e => Field(e, "HTTP_PATH") == "/index.html?v=1");
        Assert.Equal("GET", Field(ok, "HTTP_METHOD"));
        Assert.Equal("200", Field(ok, "HTTP_STATUS"));

        JsonElement notFound = Assert.Single(access, e => Field(e, "HTTP_PATH") == "/missing.html");
        Assert.Equal("GET", Field(notFound, "HTTP_METHOD"));
        Assert.Equal("404", Field(notFound, "HTTP_STATUS"));
        Assert.Equal("127.0.0.1", Field(notFound, "CLIENT_ADDR"));
        Assert.Equal("journal-test/1.0", Field(notFound, "HTTP_USER_AGENT"));
        Assert.Equal("http://example.test/from", Field(notFound, "HTTP_REFERER"));
        Assert.Equal("6", Field(notFound, "PRIORITY"));
        Assert.Equal("staticd", Field(notFound, "SYSLOG_IDENTIFIER"));
        long bytes = long.Parse(Field(notFound, "HTTP_BYTES"), NumberStyles.None, CultureInfo.InvariantCulture);
        // What went on the wire: at least the head the client received.
        Assert.True(bytes >= missing.RawHead.Length + (missing.ContentLength ?? 0), $"HTTP_BYTES {bytes} < head {missing.RawHead.Length} + body {missing.ContentLength}");
        long usec = long.Parse(Field(notFound, "HTTP_DURATION_USEC"), NumberStyles.None, CultureInfo.InvariantCulture);
        Assert.InRange(usec, 0, 10_000_000);
        Assert.Equal(
            $"127.0.0.1 \"GET /missing.html\" 404 {bytes} {usec}us \"http://example.test/from\" \"journal-test/1.0\" {Http.Host} _",
            Field(notFound, "MESSAGE"));
        // The host as sites are looked up by, and the default site's name.
        Assert.Equal(Http.Host, Field(notFound, "HTTP_HOST"));
        Assert.Equal("_", Field(notFound, "SITE"));

        foreach (JsonElement entry in access)
        {
            foreach (string name in new[] { "HTTP_METHOD", "HTTP_PATH", "HTTP_STATUS", "HTTP_BYTES", "HTTP_DURATION_USEC", "CLIENT_ADDR", "HTTP_USER_AGENT", "HTTP_REFERER", "HTTP_HOST", "SITE" })
                Assert.True(entry.TryGetProperty(name, out _), $"access entry without {name}: {entry}");
            Assert.Matches(new Regex("^[0-9]+$"), Field(entry, "HTTP_DURATION_USEC"));
            Assert.Equal("127.0.0.1", Field(entry, "CLIENT_ADDR"));
        }

        // What an operator types: journalctl _PID=… HTTP_STATUS=404 gives exactly the two 404s.
        List<JsonElement> only404 = JournaldFixture.QueryPid(server.Pid, since, 2, "HTTP_STATUS=404");
        Assert.Equal(["/also-missing.txt", "/missing.html"], only404.Select(e => Field(e, "HTTP_PATH")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AccessLogFalseWritesNoAccessEntries()
    {
        using var site = new SiteConfig(Populate, c => c["StaticD"]!["AccessLog"] = false);
        var since = DateTimeOffset.UtcNow;
        using var server = ServiceProcess.StartStaticD(site.Path, UnderSystemd());
        server.WaitUntilAccepting(site.Port, Timeout);
        for (int i = 0; i < 5; i++) HttpAssert.Status(200, await GetAsync(site.Port, "/index.html"));
        HttpAssert.Status(404, await GetAsync(site.Port, "/missing.html"));
        Stop(server);

        List<JsonElement> all = JournaldFixture.QueryPid(server.Pid, since, 3);
        string transcript = string.Join("\n", all.Select(e => JournaldFixture.Field(e, "MESSAGE")));
        // The service did log (start-up and stop), just no request.
        Assert.Contains(all, e => JournaldFixture.Field(e, "MESSAGE") == "stopped");
        Assert.True(all.All(e => !e.TryGetProperty("HTTP_STATUS", out _)), "access entries with AccessLog false:\n" + transcript);
    }

    /// <summary>Warning suppresses the Information-level access log and start-up line; editing the file to
    /// Information and sending SIGHUP turns both on for what happens next.</summary>
    [Fact]
    public async Task LogLevelComesFromTheFileAndReloads()
    {
        using var site = new SiteConfig(Populate, c => c["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = "Warning" } });
        var since = DateTimeOffset.UtcNow;
        using var server = ServiceProcess.StartStaticD(site.Path, UnderSystemd());
        server.WaitUntilAccepting(site.Port, Timeout);
        for (int i = 0; i < 3; i++) HttpAssert.Status(200, await GetAsync(site.Port, "/before.html"));

        site.Document["Logging"]!["LogLevel"]!["Default"] = "Information";
        site.Save();
        server.Signal(TestLibc.SIGHUP);
        // The reload's own Information line is the sign that the new level is in force.
        JsonElement reloaded = WaitForEntry(server.Pid, since, "configuration reloaded");
        Assert.Equal("6", Field(reloaded, "PRIORITY"));

        for (int i = 0; i < 2; i++) HttpAssert.Status(200, await GetAsync(site.Port, "/after.html"));
        Stop(server);

        List<JsonElement> all = JournaldFixture.QueryPid(server.Pid, since, 3);
        string transcript = string.Join("\n", all.Select(e => JournaldFixture.Field(e, "MESSAGE")));
        // The start-up line ("staticd VERSION listening on …") is Information: suppressed by Warning.
        Assert.DoesNotContain(all, e => JournaldFixture.Field(e, "MESSAGE")?.StartsWith("staticd ", StringComparison.Ordinal) == true);
        Assert.DoesNotContain(all, e => JournaldFixture.Field(e, "HTTP_PATH") == "/before.html");
        Assert.True(all.Count(e => JournaldFixture.Field(e, "HTTP_PATH") == "/after.html") == 2, "expected two /after.html entries:\n" + transcript);
    }
}

/// <summary>
/// journald going away under a running staticd: requests keep being served and log lines go to stderr. Runs its
/// own journald in a private mount namespace (journal_namespace.py) so stopping it disturbs nobody else's.
/// </summary>
public sealed class JournalUnreachableTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ServerKeepsServingAndLogsToStderrWhenJournaldStops()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "still here"));
        using var helper = ServiceProcess.Start("unshare",
            ["--mount", "--propagation", "private", "python3", ServiceProcess.HelperPath("journal_namespace.py"), StaticDProcess.BinaryPath, "--config", site.Path],
            new Dictionary<string, string> { ["INVOCATION_ID"] = Guid.NewGuid().ToString("N") });
        helper.WaitForStdout("started ", Timeout);
        helper.WaitUntilAccepting(site.Port, Timeout);

        async Task<HttpResponse> Get(string target)
        {
            using var client = await RawHttpClient.ConnectAsync(site.Port);
            return await client.RoundTripAsync(Http.Get(target));
        }

        HttpAssert.Status(200, await Get("/index.html?while=journald"));
        // While journald runs, entries reach it and nothing reaches stderr.
        string[] entries = [];
        for (int attempt = 0; attempt < 20 && !entries.Any(e => e.Contains("while=journald", StringComparison.Ordinal)); attempt++)
        {
            int queries = helper.Stdout.Split('\n').Count(l => l == "end");
            helper.WriteLine("query");
            helper.WaitForStdout("end", Timeout, queries + 1);
            entries = helper.Stdout.Split('\n').Where(l => l.StartsWith("entry ", StringComparison.Ordinal)).ToArray();
            if (!entries.Any(e => e.Contains("while=journald", StringComparison.Ordinal))) await Task.Delay(100);
        }
        Assert.Contains(entries, e => e.Contains("listening on", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.StartsWith("entry 127.0.0.1 \"GET /index.html?while=journald\" 200 ", StringComparison.Ordinal));
        Assert.DoesNotContain("listening on", helper.Stderr, StringComparison.Ordinal);

        helper.WriteLine("stop-journald");
        helper.WaitForStdout("journald-stopped", Timeout);

        for (int i = 0; i < 20; i++) HttpAssert.Status(200, await Get($"/index.html?after={i}"));
        // The sink falls back per event, in sd-daemon's "<priority>message" form: nothing is lost.
        helper.WaitForStderr("/index.html?after=19", Timeout);
        string[] fallback = helper.Stderr.Split('\n').Where(l => l.Contains("/index.html?after=", StringComparison.Ordinal)).ToArray();
        Assert.Equal(20, fallback.Length);
        Assert.All(fallback, l => Assert.Matches(new Regex("^<6>127\\.0\\.0\\.1 \"GET /index\\.html\\?after=[0-9]+\" 200 [0-9]+ [0-9]+us \"\" \"\" staticd\\.test _$"), l));

        helper.WriteLine("quit");
        helper.WaitForStdout("exited ", Timeout);
        Assert.Equal("exited 0", helper.WaitForStdout("exited ", Timeout));
    }
}
