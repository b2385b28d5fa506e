using System.Text.Json.Nodes;
using Xunit;
using static StaticD.IntegrationTests.Compression.CompressionKit;

namespace StaticD.IntegrationTests.Compression;

/// <summary>With Compression:CacheDirectory, results are files there, named by the file version they code, and a
/// restarted server serves them at once.</summary>
public sealed class PersistenceTests : IDisposable
{
    private readonly WebRoot _root = new();
    private readonly string _cache;

    public PersistenceTests()
    {
        _cache = Path.Combine(_root.BasePath, "cache");
    }

    public void Dispose() => _root.Dispose();

    private StaticDProcess Start() => StaticDProcess.Start(_root, s => s["Compression"] = new JsonObject { ["CacheDirectory"] = _cache });

    [Fact]
    public async Task Results_AreFilesThatARestartedServerSendsAtOnce()
    {
        byte[] script = Script(300 * 1024, 60);
        _root.AddFile("app.js", script);
        HttpResponse made;
        using (StaticDProcess server = Start())
        {
            made = await PollUntilEncodedAsync(server.Port, "/app.js", "zstd");
            AssertEncodedFrom(script, "zstd", made);
            string[] files = Directory.GetFiles(_cache);
            string file = Assert.Single(files);
            Assert.EndsWith(".zst", file);
            Assert.Equal(made.Body, await File.ReadAllBytesAsync(file));
        }

        using (StaticDProcess again = Start())
        {
            HttpResponse first = await GetAsync(again.Port, "/app.js", "zstd"); // no identity first
            AssertEncodedFrom(script, "zstd", first);
            Assert.Equal(made.Body, first.Body);
            Assert.Equal(HttpAssert.StrongETag(made), HttpAssert.StrongETag(first));
        }
    }

    [Fact]
    public async Task ResultRemovedByHand_IsMadeAgain()
    {
        byte[] script = Script(30 * 1024, 61);
        _root.AddFile("app.js", script);
        using StaticDProcess server = Start();
        await PollUntilEncodedAsync(server.Port, "/app.js", "gzip", "gzip");
        foreach (string file in Directory.GetFiles(_cache)) File.Delete(file);
        // A second server shares nothing with the first's loops, so use a fresh one to reach the pool's check.
        using StaticDProcess other = Start();
        HttpResponse r = await GetAsync(other.Port, "/app.js", "gzip");
        HttpAssert.Absent("Content-Encoding", r);
        HttpAssert.Body(script, r);
        AssertEncodedFrom(script, "gzip", await PollUntilEncodedAsync(other.Port, "/app.js", "gzip"));
        Assert.Single(Directory.GetFiles(_cache));
    }
}
