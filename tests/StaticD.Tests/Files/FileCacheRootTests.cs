using System.Text;
using StaticD.Files;
using StaticD.Interop;
using StaticD.Site;
using Xunit;

namespace StaticD.Tests.Files;

/// <summary>The file cache against root swaps: nothing resolved under an older generation of the root is
/// answered from the cache, or stored in it, once the root was re-opened on another directory.</summary>
public sealed class FileCacheRootTests : IDisposable
{
    private readonly DeployLayout _layout = new();
    private readonly FileCache _cache = new();
    private readonly SitePolicy _site = new();
    private readonly SiteRoot _root;
    private readonly ServedSite _served;

    public FileCacheRootTests()
    {
        _layout.Release("1", ("index.html", "one"));
        _layout.Release("2", ("index.html", "two"));
        _layout.PointLink("current", "releases/1");
        _root = SiteRoot.TryOpen(_layout.PathOf("current"), out _)!;
        _served = new ServedSite(0, _site, _root);
        Assert.True(_cache.Enabled);
    }

    public void Dispose()
    {
        _cache.Dispose();
        _root.Dispose();
        _layout.Dispose();
    }

    private static readonly byte[] Path = Encoding.ASCII.GetBytes("/missing.txt");

    /// <summary>A "not found" answer as the pool hands it back (a 404 is cached without any descriptor).</summary>
    private static Resource NotFound(int generation)
    {
        Resource r = default;
        r.Reset();
        r.Status = 404;
        r.Watch = 1; // any watch: the cache only needs one to be invalidated by
        r.RootGeneration = generation;
        return r;
    }

    private void Swap()
    {
        _layout.PointLink("current", "releases/2");
        Assert.Equal(RootCheck.Swapped, _root.Revalidate(TimeSpan.Zero, out _));
    }

    [Fact]
    public void EntryFromBeforeASwap_IsNotAnswered()
    {
        Resource r = NotFound(_root.Generation);
        Assert.Null(_cache.Store(Path, _served, ref r, nowMs: 0, eventCount: _cache.EventCount));
        Assert.NotNull(_cache.Find(Path, _served, nowMs: 1));

        Swap();

        Assert.Null(_cache.Find(Path, _served, nowMs: 2));
    }

    [Fact]
    public void AnswerResolvedBeforeASwap_IsNotStoredAfterIt()
    {
        // The request was on the thread pool, resolving against release 1, while the root was swapped.
        Resource r = NotFound(_root.Generation);
        Swap();

        Assert.Null(_cache.Store(Path, _served, ref r, nowMs: 0, eventCount: _cache.EventCount));
        Assert.Null(_cache.Find(Path, _served, nowMs: 1));

        Resource fresh = NotFound(_root.Generation);
        _cache.Store(Path, _served, ref fresh, nowMs: 2, eventCount: _cache.EventCount);
        Assert.NotNull(_cache.Find(Path, _served, nowMs: 3));
    }
}
