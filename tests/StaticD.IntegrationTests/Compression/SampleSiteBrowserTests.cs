using System.Text.Json;
using Xunit;
using static StaticD.IntegrationTests.Compression.CompressionKit;

namespace StaticD.IntegrationTests.Compression;

/// <summary>
/// The repository's own sample site (what `make run` serves) in a real browser: headless chromium loads its page with
/// the default configuration and receives the stylesheet and the script compressed (zstd, or br from a browser
/// without zstd), as its network log shows; the script ran (it adds the footer), so it was decoded right.
/// </summary>
public sealed class SampleSiteBrowserTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private static readonly string[] Assets = ["/assets/site.css", "/assets/app.js"];
    private readonly WebRoot _work = new(); // the chromium profile and its log; the site is sample-site/ itself
    private readonly StaticDProcess _server;

    public SampleSiteBrowserTests()
    {
        string sampleSite = Path.Combine(RepositoryRoot(), "sample-site");
        Assert.True(File.Exists(Path.Combine(sampleSite, "index.html")), $"no sample site at {sampleSite}");
        _server = StaticDProcess.Start(_work, s => s["Root"] = sampleSite);
    }

    /// <summary>The directory holding StaticD.sln, above the test assembly.</summary>
    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StaticD.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"no StaticD.sln above {AppContext.BaseDirectory}");
    }

    public void Dispose()
    {
        _server.Dispose();
        _work.Dispose();
    }

    [Fact]
    public async Task Chromium_GetsTheSampleSitesCssAndJsCompressed()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: tests/install-deps.sh installs Debian's chromium");
        // The first request for each file is answered as it is and queues its compression; a browser with an empty
        // cache then gets the result. Both are made before chromium starts (what Chromium sends: every coding).
        foreach (string asset in Assets) await PollUntilEncodedAsync(_server.Port, asset, "zstd", "gzip, deflate, br, zstd");

        string log = Path.Combine(_work.BasePath, "net-log.json");
        ProcessResult run = await ChildProcess.RunAsync(Chromium,
            ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
             $"--user-data-dir={Path.Combine(_work.BasePath, "chromium-profile")}", $"--log-net-log={log}",
             "--virtual-time-budget=5000", "--dump-dom", $"http://127.0.0.1:{_server.Port}/"],
            TimeSpan.FromSeconds(90));
        Assert.False(run.TimedOut, "chromium did not finish within 90 s");
        Assert.True(run.Stdout.Contains("Served by staticd in", StringComparison.Ordinal),
            $"the sample script did not run (no footer in the page chromium rendered, exit {run.ExitCode})\n{run.Stdout}\n{run.Stderr}");

        Dictionary<string, string[]> responses = ResponseHeadersByPath(log);
        foreach (string asset in Assets)
        {
            Assert.True(responses.TryGetValue(asset, out string[]? headers), $"chromium did not fetch {asset}: {string.Join(", ", responses.Keys)}");
            Assert.StartsWith("HTTP/1.1 200", headers[0], StringComparison.Ordinal);
            string? coding = headers.Select(h => h.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Content-Encoding", StringComparison.OrdinalIgnoreCase))
                .Select(p => p[1].Trim()).FirstOrDefault();
            Assert.True(coding is "zstd" or "br", $"{asset} reached chromium as {coding ?? "identity"}:\n{string.Join("\n", headers)}");
        }
    }

    /// <summary>From chromium's network log: each request's path (its request line) → the response head it got.</summary>
    private static Dictionary<string, string[]> ResponseHeadersByPath(string logPath)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(logPath));
        Dictionary<int, string> typeNames = doc.RootElement.GetProperty("constants").GetProperty("logEventTypes")
            .EnumerateObject().ToDictionary(p => p.Value.GetInt32(), p => p.Name);
        var pathBySource = new Dictionary<int, string>();
        var result = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (JsonElement e in doc.RootElement.GetProperty("events").EnumerateArray())
        {
            if (!e.TryGetProperty("params", out JsonElement p)) continue;
            int source = e.GetProperty("source").GetProperty("id").GetInt32();
            switch (typeNames.GetValueOrDefault(e.GetProperty("type").GetInt32()))
            {
                case "HTTP_TRANSACTION_SEND_REQUEST_HEADERS" when p.TryGetProperty("line", out JsonElement line):
                    string[] parts = (line.GetString() ?? "").Split(' ');
                    if (parts.Length >= 2) pathBySource[source] = parts[1];
                    break;
                case "HTTP_TRANSACTION_READ_RESPONSE_HEADERS" when pathBySource.TryGetValue(source, out string? path):
                    result[path] = [.. p.GetProperty("headers").EnumerateArray().Select(h => h.GetString() ?? "")];
                    break;
            }
        }
        return result;
    }
}
