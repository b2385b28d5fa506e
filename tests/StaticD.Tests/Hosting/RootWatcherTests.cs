using StaticD.Files;
using StaticD.Hosting;
using StaticD.Interop;
using StaticD.Tests.Files;
using Xunit;

namespace StaticD.Tests.Hosting;

/// <summary>
/// The watcher on real directories, doing what deploys do. Unless a test is about the periodic check, the
/// interval is an hour: the change must be noticed through inotify alone.
/// </summary>
public sealed class RootWatcherTests : IDisposable
{
    private static readonly TimeSpan Never = TimeSpan.FromHours(1);
    private const int SwappedEvent = 42, UnavailableEvent = 43, AvailableAgainEvent = 44, FailedEvent = 45;

    private readonly DeployLayout _layout = new();
    private readonly ListLogger _log = new();
    private readonly List<IDisposable> _owned = [];

    public void Dispose()
    {
        // The watcher first: it must not revalidate a root that is being closed.
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        _layout.Dispose();
    }

    private RootWatcher Watcher(TimeSpan interval)
    {
        var watcher = new RootWatcher(_log, interval, retireAfter: TimeSpan.Zero);
        _owned.Add(watcher);
        return watcher;
    }

    private SiteRoot Open(string path)
    {
        SiteRoot? root = SiteRoot.TryOpen(path, out Errno errno);
        Assert.True(root is not null, $"cannot open {path}: {errno}");
        _owned.Insert(0, root); // disposed after the watchers
        return root;
    }

    [Fact]
    public void SymlinkSwapByRename_IsNoticed()
    {
        _layout.Release("1", ("index.html", "one"));
        _layout.Release("2", ("index.html", "two"), ("new.txt", "only in two"));
        _layout.Release("3", ("index.html", "three"));
        _layout.PointLink("current", "releases/1");
        SiteRoot root = Open(_layout.PathOf("current"));
        Watcher(Never).Register(root);

        _layout.PointLink("current", "releases/2");
        RootAssert.GenerationReaches(root, 1);
        Assert.Equal("two", RootAssert.Read(root, "/index.html"));
        Assert.Equal("only in two", RootAssert.Read(root, "/new.txt"));

        // And again: the watches follow the new link (the old one was replaced, not modified).
        _layout.PointLink("current", "releases/3");
        RootAssert.GenerationReaches(root, 2);
        Assert.Equal("three", RootAssert.Read(root, "/index.html"));
        // The line is logged just after the new descriptor is installed: wait for it rather than race it.
        Assert.True(RootAssert.Eventually(() => _log.Count(SwappedEvent) == 2), "not one line per swap");
    }

    [Fact]
    public void RemovedAndCreatedAgain_IsNoticed()
    {
        string site = _layout.PathOf("site");
        Directory.CreateDirectory(site);
        File.WriteAllText(Path.Combine(site, "index.html"), "old");
        SiteRoot root = Open(site);
        Watcher(Never).Register(root);

        Directory.Delete(site, recursive: true);
        Directory.CreateDirectory(site);
        File.WriteAllText(Path.Combine(site, "index.html"), "new");

        RootAssert.GenerationReaches(root, 1);
        Assert.Equal("new", RootAssert.Read(root, "/index.html"));
    }

    [Fact]
    public void DirectoryReplacedByRename_IsNoticed()
    {
        string site = _layout.PathOf("site"), next = _layout.PathOf("site.new");
        Directory.CreateDirectory(site);
        File.WriteAllText(Path.Combine(site, "index.html"), "old");
        Directory.CreateDirectory(next);
        File.WriteAllText(Path.Combine(next, "index.html"), "new");
        SiteRoot root = Open(site);
        Watcher(Never).Register(root);

        TestLibc.Rename(site, _layout.PathOf("site.old"));
        TestLibc.Rename(next, site);

        RootAssert.GenerationReaches(root, 1);
        Assert.Equal("new", RootAssert.Read(root, "/index.html"));
    }

    [Fact]
    public void RenameOverAnEmptyDirectory_IsNoticed()
    {
        // rename(2) replaces an empty directory in one step: no moment without a root.
        string site = _layout.PathOf("site"), next = _layout.PathOf("site.new");
        Directory.CreateDirectory(site);
        Directory.CreateDirectory(next);
        File.WriteAllText(Path.Combine(next, "index.html"), "new");
        SiteRoot root = Open(site);
        Watcher(Never).Register(root);

        TestLibc.Rename(next, site);

        RootAssert.GenerationReaches(root, 1);
        Assert.Equal("new", RootAssert.Read(root, "/index.html"));
        Assert.Equal(0, _log.Count(UnavailableEvent));
    }

    [Fact]
    public void SwappedLinkAboveTheRoot_IsNoticed()
    {
        // Capistrano: Root is current/public, and "current" is what the deploy swaps.
        _layout.Release("1", ("public/index.html", "one"));
        _layout.Release("2", ("public/index.html", "two"));
        _layout.PointLink("current", "releases/1");
        SiteRoot root = Open(Path.Combine(_layout.PathOf("current"), "public"));
        Watcher(Never).Register(root);

        _layout.PointLink("current", "releases/2");

        RootAssert.GenerationReaches(root, 1);
        Assert.Equal("two", RootAssert.Read(root, "/index.html"));
    }

    [Fact]
    public void TargetRenamedUnderAnUnchangedLink_IsNoticed()
    {
        // The link stays; the directory it names is renamed away and another takes its name.
        _layout.Release("live", ("index.html", "old"));
        _layout.Release("staged", ("index.html", "new"));
        _layout.PointLink("current", "releases/live");
        SiteRoot root = Open(_layout.PathOf("current"));
        Watcher(Never).Register(root);

        TestLibc.Rename(_layout.PathOf("releases/live"), _layout.PathOf("releases/previous"));
        TestLibc.Rename(_layout.PathOf("releases/staged"), _layout.PathOf("releases/live"));

        RootAssert.GenerationReaches(root, 1);
        Assert.Equal("new", RootAssert.Read(root, "/index.html"));
    }

    [Fact]
    public void ChangeInotifyCannotSee_IsCaughtByThePeriodicCheck()
    {
        // current -> sites/app, and "sites" is itself a link that is swapped: nothing on the watched path
        // ("current" in its directory, the resolved directory itself) changes, so only the periodic stat sees it.
        Directory.CreateDirectory(_layout.PathOf("a/app"));
        File.WriteAllText(_layout.PathOf("a/app/index.html"), "a");
        Directory.CreateDirectory(_layout.PathOf("b/app"));
        File.WriteAllText(_layout.PathOf("b/app/index.html"), "b");
        _layout.PointLink("sites", "a");
        _layout.PointLink("current", "sites/app");
        SiteRoot root = Open(_layout.PathOf("current"));
        Watcher(TimeSpan.FromMilliseconds(100)).Register(root);

        _layout.PointLink("sites", "b");

        RootAssert.GenerationReaches(root, 1);
        Assert.Equal("b", RootAssert.Read(root, "/index.html"));
    }

    [Fact]
    public void MissingMidSwap_KeepsTheOldDirectory_WarnsOnce_AndFollowsWhenItIsBack()
    {
        _layout.Release("1", ("index.html", "one"));
        _layout.Release("2", ("index.html", "two"));
        _layout.PointLink("current", "releases/1");
        SiteRoot root = Open(_layout.PathOf("current"));
        int fd = root.Fd;
        // A short interval: many checks happen while the path is missing, and still one warning is logged.
        Watcher(TimeSpan.FromMilliseconds(20)).Register(root);

        File.Delete(_layout.PathOf("current"));
        Assert.True(RootAssert.Eventually(() => _log.Count(UnavailableEvent) == 1), "no warning about the missing root");
        // A negative cannot be polled for: give the watcher about ten more checks in which it could warn again.
        Thread.Sleep(200);
        Assert.Equal(1, _log.Count(UnavailableEvent));
        Assert.Equal(fd, root.Fd);
        Assert.Equal(0, root.Generation);
        Assert.Equal("one", RootAssert.Read(root, "/index.html"));

        File.CreateSymbolicLink(_layout.PathOf("current"), "releases/2");
        RootAssert.GenerationReaches(root, 1);
        Assert.Equal("two", RootAssert.Read(root, "/index.html"));
        Assert.True(RootAssert.Eventually(() => _log.Count(SwappedEvent) == 1), "no line about the swap");
    }

    [Fact]
    public void BackAsTheSameDirectory_SaysSoAndKeepsTheGeneration()
    {
        _layout.Release("1", ("index.html", "one"));
        _layout.PointLink("current", "releases/1");
        SiteRoot root = Open(_layout.PathOf("current"));
        Watcher(Never).Register(root);

        File.Delete(_layout.PathOf("current"));
        Assert.True(RootAssert.Eventually(() => _log.Count(UnavailableEvent) == 1), "no warning about the missing root");
        File.CreateSymbolicLink(_layout.PathOf("current"), "releases/1");
        Assert.True(RootAssert.Eventually(() => _log.Count(AvailableAgainEvent) == 1), "no line saying the root is back");
        Assert.Equal(0, root.Generation);
    }

    [Fact]
    public void TwoRootsOnOnePath_BothFollow_AndUnregisteringOneKeepsTheOther()
    {
        // A reload registers the new context's root before it unregisters the old one: same path, same inotify
        // watches, which must outlive the old root's leaving.
        _layout.Release("1", ("index.html", "one"));
        _layout.Release("2", ("index.html", "two"));
        _layout.Release("3", ("index.html", "three"));
        _layout.PointLink("current", "releases/1");
        SiteRoot old = Open(_layout.PathOf("current")), current = Open(_layout.PathOf("current"));
        RootWatcher watcher = Watcher(Never);
        watcher.Register(old);
        watcher.Register(current);

        _layout.PointLink("current", "releases/2");
        RootAssert.GenerationReaches(old, 1);
        RootAssert.GenerationReaches(current, 1);

        watcher.Unregister(old);
        _layout.PointLink("current", "releases/3");
        RootAssert.GenerationReaches(current, 2);
        Assert.Equal("three", RootAssert.Read(current, "/index.html"));
        Assert.Equal(1, old.Generation);
    }

    [Fact]
    public void RootOfTheFileSystem_CanBeWatched()
    {
        // No parent directory, so nothing for inotify: the periodic check alone. Registering must not fail.
        SiteRoot root = Open("/");
        RootWatcher watcher = Watcher(TimeSpan.FromMilliseconds(20));
        watcher.Register(root);
        Thread.Sleep(200); // a negative again: about ten checks, none of which may swap or complain
        Assert.Equal(0, root.Generation);
        Assert.Equal(0, _log.Count(FailedEvent));
        Assert.Equal(0, _log.Count(UnavailableEvent));
    }

    [Fact]
    public void AfterDispose_UnregisterAndRegisterAreHarmless()
    {
        _layout.Release("1", ("index.html", "one"));
        SiteRoot root = Open(_layout.PathOf("releases/1"));
        RootWatcher watcher = Watcher(Never);
        watcher.Register(root);
        watcher.Dispose();
        watcher.Unregister(root);
        watcher.Register(root);
        watcher.Dispose();
    }
}
