using System.Text.Json.Nodes;
using Xunit;
using static StaticD.IntegrationTests.Compression.CompressionKit;

namespace StaticD.IntegrationTests.Compression;

/// <summary>Compression:Enabled and Types per site: a site may turn compression off or narrow the types, and
/// the top level may turn it off for every site that does not turn it back on.</summary>
public sealed class SiteOptOutTests : IDisposable
{
    private static readonly byte[] Script1 = Script(20 * 1024, 70);
    private static readonly byte[] Style1 = Script(20 * 1024, 71);
    private readonly WebRoot _root = new();
    private readonly StaticDProcess _server;

    public SiteOptOutTests()
    {
        _root.AddFile("app.js", Script1);
        _root.AddFile("style.css", Style1);
        _server = StaticDProcess.Start(_root, s =>
        {
            s["Compression"] = new JsonObject { ["Enabled"] = false };
            s["Sites"] = new JsonArray(
                new JsonObject { ["Hosts"] = new JsonArray("on.test"), ["Compression"] = new JsonObject { ["Enabled"] = true } },
                new JsonObject { ["Hosts"] = new JsonArray("css.test"), ["Compression"] = new JsonObject { ["Enabled"] = true, ["Types"] = new JsonArray("text/css") } },
                new JsonObject { ["Hosts"] = new JsonArray("off.test") });
        });
    }

    public void Dispose()
    {
        _server.Dispose();
        _root.Dispose();
    }

    private static string Get(string host, string path) =>
        $"GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: gzip\r\n\r\n";

    private async Task<HttpResponse> PollAsync(string host, string path)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            HttpResponse r = await Send(_server.Port, Get(host, path));
            if (r.Header("Content-Encoding") is not null || clock.Elapsed > TimeSpan.FromSeconds(30)) return r;
            await Task.Delay(20);
        }
    }

    private async Task AssertNeverCompressed(string host, string path)
    {
        for (int i = 0; i < 20; i++)
        {
            HttpResponse r = await Send(_server.Port, Get(host, path));
            HttpAssert.Status(200, r);
            HttpAssert.Absent("Content-Encoding", r);
            HttpAssert.Absent("Vary", r);
        }
    }

    [Fact]
    public async Task ASiteThatTurnsItOn_Compresses()
    {
        AssertEncodedFrom(Script1, "gzip", await PollAsync("on.test", "/app.js"));
    }

    [Fact]
    public async Task SitesThatInheritOff_AndTheDefaultSite_DoNotCompress()
    {
        await PollAsync("on.test", "/app.js"); // the same file is compressed for another site meanwhile
        await AssertNeverCompressed("off.test", "/app.js");
        await AssertNeverCompressed("unknown.test", "/app.js");
    }

    [Fact]
    public async Task ASiteWithItsOwnTypes_CompressesOnlyThose()
    {
        AssertEncodedFrom(Style1, "gzip", await PollAsync("css.test", "/style.css"));
        await AssertNeverCompressed("css.test", "/app.js");
    }
}
