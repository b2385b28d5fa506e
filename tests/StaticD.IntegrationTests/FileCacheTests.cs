using System.Text;
using Xunit;

namespace StaticD.IntegrationTests;

/// <summary>
/// The per-loop file cache must never serve stale content once a change on disk has completed: every test
/// changes a file the server has just served (so it is cached) and expects the very next request to see the
/// change. One loop, so every request lands on the loop that holds the entry.
/// </summary>
public sealed class FileCacheTests : IDisposable
{
    private readonly WebRoot _root = new();
    private readonly StaticDProcess _server;

    public FileCacheTests()
    {
        _root.AddFile("page.html", "version 1");
        _root.AddFile("sub/deep.txt", "deep 1");
        _root.AddFile("big.bin", new byte[200_000]);
        _server = StaticDProcess.Start(_root, s => s["Loops"] = 1);
    }

    public void Dispose()
    {
        _server.Dispose();
        _root.Dispose();
    }

    private async Task<HttpResponse> Get(RawHttpClient client, string path) => await client.RoundTripAsync(Http.Get(path));

    [Fact]
    public async Task OverwriteInPlace_IsSeenByTheNextRequest()
    {
        using RawHttpClient client = await RawHttpClient.ConnectAsync(_server.Port);
        for (int i = 2; i < 200; i++)
        {
            Assert.Equal($"version {i - 1}", (await Get(client, "/page.html")).BodyText);
            File.WriteAllText(_root.FullPath("page.html"), $"version {i}");
            Assert.Equal($"version {i}", (await Get(client, "/page.html")).BodyText);
        }
    }

    [Fact]
    public async Task ReplaceByRename_IsSeenByTheNextRequest()
    {
        using RawHttpClient client = await RawHttpClient.ConnectAsync(_server.Port);
        for (int i = 0; i < 50; i++)
        {
            await Get(client, "/sub/deep.txt");
            string temp = _root.FullPath($"sub/.tmp-{i}");
            File.WriteAllText(temp, $"renamed {i}");
            File.Move(temp, _root.FullPath("sub/deep.txt"), overwrite: true);
            HttpResponse after = await Get(client, "/sub/deep.txt");
            Assert.Equal($"renamed {i}", after.BodyText);
        }
    }

    [Fact]
    public async Task DeleteAndCreate_AreSeenByTheNextRequest()
    {
        using RawHttpClient client = await RawHttpClient.ConnectAsync(_server.Port);
        _root.AddFile("comes-and-goes.txt", "here");
        HttpAssert.Status(200, await Get(client, "/comes-and-goes.txt"));
        File.Delete(_root.FullPath("comes-and-goes.txt"));
        HttpAssert.Status(404, await Get(client, "/comes-and-goes.txt"));
        HttpAssert.Status(404, await Get(client, "/comes-and-goes.txt")); // now from the negative cache
        File.WriteAllText(_root.FullPath("comes-and-goes.txt"), "back");
        HttpResponse back = await Get(client, "/comes-and-goes.txt");
        HttpAssert.Status(200, back);
        Assert.Equal("back", back.BodyText);
    }

    [Fact]
    public async Task LargeFileRewritten_SendsTheNewBytesAndLength()
    {
        using RawHttpClient client = await RawHttpClient.ConnectAsync(_server.Port);
        Assert.Equal(200_000, (await Get(client, "/big.bin")).Body.Length);
        byte[] next = Encoding.ASCII.GetBytes(new string('x', 150_000));
        File.WriteAllBytes(_root.FullPath("big.bin"), next);
        HttpResponse after = await Get(client, "/big.bin");
        Assert.Equal(next, after.Body);
    }

    [Fact]
    public async Task ETagChangesWithTheFile()
    {
        using RawHttpClient client = await RawHttpClient.ConnectAsync(_server.Port);
        _root.AddFile("tagged.txt", "one");
        // Same inode and size after the rewrite, so only the mtime tells the versions apart: put the first one in the
        // past, or two writes within one timestamp tick (coarse on older kernels) would share it.
        File.SetLastWriteTimeUtc(_root.FullPath("tagged.txt"), DateTime.UtcNow.AddSeconds(-10));
        string? first = (await Get(client, "/tagged.txt")).Header("ETag");
        File.WriteAllText(_root.FullPath("tagged.txt"), "two");
        HttpResponse second = await client.RoundTripAsync(Http.Get("/tagged.txt", $"If-None-Match: {first}"));
        HttpAssert.Status(200, second);
        Assert.NotEqual(first, second.Header("ETag"));
        Assert.Equal("two", second.BodyText);
    }
}
