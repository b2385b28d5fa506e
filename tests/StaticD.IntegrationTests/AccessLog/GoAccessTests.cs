using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;
using static StaticD.IntegrationTests.AccessLog.AccessFileKit;
using static StaticD.IntegrationTests.Sites.SitesKit;

namespace StaticD.IntegrationTests.AccessLog;

/// <summary>
/// GoAccess (Debian's goaccess, installed by tests/install-deps.sh) reads what staticd wrote with its predefined
/// formats: COMBINED for a configuration without Sites, VCOMBINED (the vhost prefix) with Sites. Every line must
/// parse: GoAccess counts a line it cannot read as a failed request.
/// </summary>
public sealed class GoAccessTests
{
    private static void Populate(WebRoot root)
    {
        root.AddFile("index.html", "<h1>hi</h1>");
        root.AddFile("a b.txt", "spaced");
        SiteDirectory(root, "a");
    }

    /// <summary>A mix: 200, 404, 304, 206, HEAD, a 400 that never parsed, odd bytes in fields.</summary>
    private static async Task<int> SendMix(int port, string host)
    {
        var requests = new (string Raw, int Status)[]
        {
            (Get(host, "/"), 200),
            (Get(host, "/index.html", "User-Agent: Mozilla/5.0 (X11; Linux x86_64) \"quoted\" \\back", "Referer: https://ref.example/?q=1"), 200),
            (Get(host, "/a%20b.txt"), 200),
            (Get(host, "/missing.png"), 404),
            (Get(host, "/index.html", "If-None-Match: *"), 304),
            (Get(host, "/index.html", "Range: bytes=0-1"), 206),
            (Request("HEAD", "/index.html", host), 200),
            (Request("GET", "/index.html?x=%22y%22", null, "HTTP/1.0"), 200),
            ("GET /bad path HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        };
        foreach ((string raw, int status) in requests)
            HttpAssert.Status(status, await SendAsync(port, raw, isHead: raw.StartsWith("HEAD", StringComparison.Ordinal)));
        return requests.Length;
    }

    private static JsonElement GoAccess(string logPath, string format)
    {
        ProcessResult result = ChildProcess.Run("goaccess", [logPath, $"--log-format={format}", "-o", "json", "--no-progress", "--no-global-config"],
            TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Stdout).RootElement;
    }

    [Fact]
    public async Task CombinedParsesWithoutAFailedLine()
    {
        using var server = new AccessFileServer(Populate);
        server.Start();
        int sent = await SendMix(server.Port, "example.test");
        server.Stop();
        Assert.Equal(sent, Lines(server.LogPath).Length);

        JsonElement general = GoAccess(server.LogPath, "COMBINED").GetProperty("general");
        Assert.True(general.GetProperty("failed_requests").GetInt32() == 0, $"goaccess failed lines:\n{File.ReadAllText(server.LogPath)}\n{general}");
        Assert.Equal(sent, general.GetProperty("total_requests").GetInt32());
        Assert.Equal(sent, general.GetProperty("valid_requests").GetInt32());
    }

    [Fact]
    public async Task VhostCombinedParsesWithSites_AndGoAccessSeesEachSite()
    {
        using var server = new AccessFileServer(Populate, configure: (section, _) =>
            section["Sites"] = List(Site(["a.test"], ("Root", "sites/a"))));
        server.Start();
        int sent = await SendMix(server.Port, "example.test");
        HttpAssert.Status(200, await GetAsync(server.Port, "a.test", "/who.txt"));
        server.Stop();
        Assert.Equal(sent + 1, Lines(server.LogPath).Length);

        JsonElement report = GoAccess(server.LogPath, "VCOMBINED");
        JsonElement general = report.GetProperty("general");
        Assert.True(general.GetProperty("failed_requests").GetInt32() == 0, $"goaccess failed lines:\n{File.ReadAllText(server.LogPath)}\n{general}");
        Assert.Equal(sent + 1, general.GetProperty("valid_requests").GetInt32());
        var vhosts = report.GetProperty("vhosts").GetProperty("data").EnumerateArray()
            .ToDictionary(v => v.GetProperty("data").GetString()!, v => v.GetProperty("hits").GetProperty("count").GetInt32());
        Assert.Equal(1, vhosts["a.test"]);
        Assert.Equal(sent - 1, vhosts["_"]); // the 400 was answered before a site was chosen: "-"
        Assert.Equal(1, vhosts["-"]);
    }
}
