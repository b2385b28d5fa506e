using Xunit;
using static StaticD.IntegrationTests.Compression.CompressionKit;

namespace StaticD.IntegrationTests.Compression;

/// <summary>
/// The life of a compressed result: the first request is answered at once as the file is, later ones get the
/// result; a change of content or mtime is a new version (identity at once again, never the old bytes); results
/// beyond CacheBytes are evicted least recently used first. One server per test, since the tests change files.
/// </summary>
public sealed class LifecycleTests : IDisposable
{
    private readonly WebRoot _root = new();
    private StaticDProcess? _server;

    public void Dispose()
    {
        _server?.Dispose();
        _root.Dispose();
    }

    private int Start(Action<System.Text.Json.Nodes.JsonObject>? configure = null)
    {
        _server = StaticDProcess.Start(_root, configure);
        return _server.Port;
    }

    [Fact]
    public async Task FirstRequest_IsAnsweredAsTheFileIs_ThenTheCompressedResultIsServed()
    {
        byte[] script = Script(64 * 1024, 10);
        _root.AddFile("first.js", script);
        int port = Start();

        HttpResponse first = await GetAsync(port, "/first.js", "br");
        HttpAssert.Status(200, first);
        HttpAssert.Absent("Content-Encoding", first); // not waiting for brotli 11
        HttpAssert.Body(script, first);
        HttpAssert.VaryIncludes("Accept-Encoding", first); // a later answer to the same request differs

        AssertEncodedFrom(script, "br", await PollUntilEncodedAsync(port, "/first.js", "br"));
    }

    [Fact]
    public async Task ChangedContent_IsNeverServedFromTheOldResult()
    {
        byte[] v1 = Script(40 * 1024, 20), v2 = Script(40 * 1024, 21); // same size, other bytes
        string path = _root.AddFile("app.js", v1, new DateTime(2024, 5, 1, 0, 0, 0, DateTimeKind.Utc));
        int port = Start(s => s["Loops"] = 1);
        HttpResponse old = await PollUntilEncodedAsync(port, "/app.js", "zstd");

        await File.WriteAllBytesAsync(path, v2);
        HttpResponse next = await GetAsync(port, "/app.js", "zstd");
        HttpAssert.Absent("Content-Encoding", next);
        HttpAssert.Body(v2, next);
        Assert.NotEqual(HttpAssert.StrongETag(old)[..^6], HttpAssert.StrongETag(next)[..^1]);

        HttpResponse compressed = await PollUntilEncodedAsync(port, "/app.js", "zstd");
        AssertEncodedFrom(v2, "zstd", compressed);
        Assert.NotEqual(HttpAssert.StrongETag(old), HttpAssert.StrongETag(compressed));
    }

    [Fact]
    public async Task ChangedMtimeAlone_IsANewVersionWithANewTag()
    {
        byte[] script = Script(40 * 1024, 30);
        string path = _root.AddFile("app.js", script, new DateTime(2024, 5, 1, 0, 0, 0, DateTimeKind.Utc));
        int port = Start(s => s["Loops"] = 1);
        HttpResponse old = await PollUntilEncodedAsync(port, "/app.js", "gzip");

        File.SetLastWriteTimeUtc(path, new DateTime(2024, 6, 1, 0, 0, 0, DateTimeKind.Utc));
        HttpResponse next = await GetAsync(port, "/app.js", "gzip");
        HttpAssert.Absent("Content-Encoding", next);
        HttpAssert.Header("Last-Modified", "Sat, 01 Jun 2024 00:00:00 GMT", next);

        HttpResponse compressed = await PollUntilEncodedAsync(port, "/app.js", "gzip");
        Assert.NotEqual(HttpAssert.StrongETag(old), HttpAssert.StrongETag(compressed));
        HttpAssert.Header("Last-Modified", "Sat, 01 Jun 2024 00:00:00 GMT", compressed);
        // A cache revalidating with the old version's tag gets the new representation, not a 304.
        HttpAssert.Status(200, await GetAsync(port, "/app.js", "gzip", "If-None-Match: " + HttpAssert.StrongETag(old)));
    }

    [Fact]
    public async Task BeyondCacheBytes_TheLeastRecentlyUsedResultIsEvicted()
    {
        // Random base64 compresses to about 3/4 with gzip: ~46 KB each, so 100,000 bytes hold two results.
        byte[][] files = [Base64Text(60_000, 40), Base64Text(60_000, 41), Base64Text(60_000, 42)];
        for (int i = 0; i < files.Length; i++) _root.AddFile($"f{i}.txt", files[i]);
        int port = Start(s => s["Compression"] = new System.Text.Json.Nodes.JsonObject
        {
            ["Encodings"] = new System.Text.Json.Nodes.JsonArray("gzip"),
            ["CacheBytes"] = 100_000,
        });

        await PollUntilEncodedAsync(port, "/f0.txt", "gzip");
        await PollUntilEncodedAsync(port, "/f1.txt", "gzip");
        await GetAsync(port, "/f1.txt", "gzip"); // f1 used again: f0 is the least recently used
        await PollUntilEncodedAsync(port, "/f2.txt", "gzip");

        HttpResponse evicted = await GetAsync(port, "/f0.txt", "gzip");
        HttpAssert.Absent("Content-Encoding", evicted);
        HttpAssert.Body(files[0], evicted);
        AssertEncodedFrom(files[2], "gzip", await GetAsync(port, "/f2.txt", "gzip"));
        // And f0 comes back when asked for again (evicting another).
        AssertEncodedFrom(files[0], "gzip", await PollUntilEncodedAsync(port, "/f0.txt", "gzip"));
    }

    [Fact]
    public async Task IncompressibleFile_IsSentAsItIs()
    {
        var noise = new byte[50_000];
        new Random(50).NextBytes(noise);
        _root.AddFile("noise.txt", noise);
        int port = Start();
        // Queued by the first request; once the job found it does not shrink, still identity (and no job again).
        for (int i = 0; i < 30; i++)
        {
            HttpResponse r = await GetAsync(port, "/noise.txt", "gzip");
            HttpAssert.Absent("Content-Encoding", r);
            HttpAssert.Body(noise, r);
        }
    }
}
