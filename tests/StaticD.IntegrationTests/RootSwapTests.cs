using System.Diagnostics;
using System.Runtime.InteropServices;
using Xunit;

namespace StaticD.IntegrationTests;

/// <summary>
/// Deploys that change what the root path names while the server runs: the atomic symlink swap every CI pipeline
/// and Capistrano use (ln -sfn releases/2 current.tmp; mv -T current.tmp current), and the root directory
/// replaced by rename or removed and created again. The server must serve the new directory within a moment, as
/// nginx does — and its per-loop file cache must not keep answering with the old release's bytes. One loop, so
/// every request meets the cache that holds the old entries.
/// </summary>
public sealed partial class RootSwapTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);
    private readonly WebRoot _root = new();
    private StaticDProcess? _server;

    public void Dispose()
    {
        _server?.Dispose();
        _root.Dispose();
    }

    private string Base(string relative) => Path.Combine(_root.BasePath, relative);

    /// <summary>A release directory beside the served root: a small file (cached with its bytes), a large one
    /// (cached as an open descriptor), and whatever else is given.</summary>
    private string Release(string name, string tag, params string[] extraFiles)
    {
        string directory = Base(name);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "shared.txt"), $"shared {tag}");
        File.WriteAllText(Path.Combine(directory, "big.txt"), new string(tag[0], 100_000));
        foreach (string file in extraFiles) File.WriteAllText(Path.Combine(directory, file), $"{file} {tag}");
        return directory;
    }

    private void Start(string rootPath) =>
        _server = StaticDProcess.Start(_root, s =>
        {
            s["Root"] = rootPath;
            s["Loops"] = 1;
        });

    /// <summary>ln -sfn TARGET LINK.tmp &amp;&amp; mv -T LINK.tmp LINK</summary>
    private static void SwapLink(string link, string target)
    {
        File.CreateSymbolicLink(link + ".tmp", target);
        TestLibc.Rename(link + ".tmp", link);
    }

    private static async Task<HttpResponse> Get(RawHttpClient client, string path) => await client.RoundTripAsync(Http.Get(path));

    /// <summary>
    /// Waits (checking every 10 ms, up to <see cref="Deadline"/>) for the server to say it re-opened the root;
    /// the requests that follow decide pass or fail. Not a wait for a URL to answer 200: every "not found" on the
    /// way would itself be cached, and a wait that ends only when those entries expire (after 5 s) would hide
    /// exactly the stale-cache bug this checks.
    /// </summary>
    private void WaitForSwap()
    {
        var clock = Stopwatch.StartNew();
        while (!_server!.Output.Contains("now names another directory") && clock.Elapsed < Deadline) Thread.Sleep(10);
    }

    private void WaitForOutput(string text)
    {
        var clock = Stopwatch.StartNew();
        while (!_server!.Output.Contains(text))
        {
            Assert.True(clock.Elapsed < Deadline, $"no \"{text}\" after {Deadline.TotalSeconds} s\n{_server.Output}");
            Thread.Sleep(10);
        }
    }

    /// <summary>Release 1 is served and cached: each file twice, so the second answer came from the cache, and
    /// the file only release 2 has is a cached "not found".</summary>
    private static async Task ServeReleaseOneTwice(RawHttpClient client, string onlyInTwo)
    {
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal("shared 1", (await Get(client, "/shared.txt")).BodyText);
            Assert.Equal(new string('1', 100_000), (await Get(client, "/big.txt")).BodyText);
            Assert.Equal(404, (await Get(client, "/" + onlyInTwo)).Status);
        }
    }

    /// <summary>Once the root was re-opened, nothing of release 1 may come back — from the cache (the small file's
    /// bytes, the large file's descriptor, the "not found") or otherwise — on the open connection or a new one.</summary>
    private async Task AssertReleaseTwo(RawHttpClient client, string onlyInTwo)
    {
        WaitForSwap();
        HttpResponse added = await Get(client, "/" + onlyInTwo);
        Assert.True(added.Status == 200,
            $"/{onlyInTwo}, only in the new release: {added.Status} {Deadline.TotalSeconds} s after the deploy\n{_server!.Output}");
        Assert.Equal($"{onlyInTwo} 2", added.BodyText);
        Assert.Equal("shared 2", (await Get(client, "/shared.txt")).BodyText);
        Assert.Equal(new string('2', 100_000), (await Get(client, "/big.txt")).BodyText);
        using RawHttpClient other = await RawHttpClient.ConnectAsync(_server.Port);
        Assert.Equal("shared 2", (await Get(other, "/shared.txt")).BodyText);
    }

    [Fact]
    public async Task SymlinkSwappedByRename_ServesTheNewRelease()
    {
        Release("releases/1", "1");
        Release("releases/2", "2", "new.txt");
        string current = Base("current");
        File.CreateSymbolicLink(current, "releases/1");
        Start(current);
        using RawHttpClient client = await RawHttpClient.ConnectAsync(_server!.Port);
        await ServeReleaseOneTwice(client, "new.txt");

        SwapLink(current, "releases/2");

        await AssertReleaseTwo(client, "new.txt");
    }

    [Fact]
    public async Task SwappedLinkAboveTheRoot_ServesTheNewRelease()
    {
        // Capistrano's layout: Root is current/public, and "current" is the link the deploy swaps.
        Release("releases/1/public", "1");
        Release("releases/2/public", "2", "new.txt");
        string current = Base("current");
        File.CreateSymbolicLink(current, "releases/1");
        Start(Path.Combine(current, "public"));
        using RawHttpClient client = await RawHttpClient.ConnectAsync(_server!.Port);
        await ServeReleaseOneTwice(client, "new.txt");

        SwapLink(current, "releases/2");

        await AssertReleaseTwo(client, "new.txt");
    }

    [Fact]
    public async Task SwapAfterAReload_IsStillNoticed()
    {
        // The reload opens the root again and hands it to the watcher, then lets go of the old one: both on the
        // same path, so the watches they share must survive the old one's leaving.
        Release("releases/1", "1");
        Release("releases/2", "2", "new.txt");
        string current = Base("current");
        File.CreateSymbolicLink(current, "releases/1");
        Start(current);
        WaitForOutput("listening on"); // the SIGHUP handler is in place before this line
        _server!.Signal(1); // SIGHUP
        WaitForOutput("configuration reloaded");
        using RawHttpClient client = await RawHttpClient.ConnectAsync(_server.Port);
        await ServeReleaseOneTwice(client, "new.txt");

        SwapLink(current, "releases/2");

        await AssertReleaseTwo(client, "new.txt");
    }

    [Fact]
    public async Task RootDirectoryReplacedByRename_ServesTheNewDirectory()
    {
        string site = Release("site", "1");
        string staged = Release("site.new", "2", "new.txt");
        Start(site);
        using RawHttpClient client = await RawHttpClient.ConnectAsync(_server!.Port);
        await ServeReleaseOneTwice(client, "new.txt");

        TestLibc.Rename(site, Base("site.old"));
        TestLibc.Rename(staged, site);

        await AssertReleaseTwo(client, "new.txt");
    }

    [Fact]
    public async Task RootDirectoryRemovedAndCreatedAgain_ServesTheNewDirectory()
    {
        string site = Release("site", "1");
        Start(site);
        using RawHttpClient client = await RawHttpClient.ConnectAsync(_server!.Port);
        await ServeReleaseOneTwice(client, "new.txt");

        // rm -rf site && mkdir site && cp ...: the new directory is empty for a moment, and may be opened then.
        Directory.Delete(site, recursive: true);
        Release("site", "2", "new.txt");

        await AssertReleaseTwo(client, "new.txt");
    }
}
