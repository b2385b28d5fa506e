using System.Diagnostics;
using System.Text;
using StaticD.Files;
using StaticD.Http;
using StaticD.Interop;
using StaticD.Site;
using StaticD.Tests.Systemd;
using Xunit;

namespace StaticD.Tests.Files;

/// <summary>
/// The loop's file cache on a real temporary root with real descriptors and real inotify: files are resolved by
/// ResourceLookup exactly as the pool does (watch first, look second), stored and found as the loop does, and
/// changes are made on disk and delivered through <see cref="FileCache.DrainEvents"/>.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FileCacheTests : IDisposable
{
    // FileCache.RevalidateMs (private): every entry is looked at again after this long, inotify or not.
    private const long RevalidateMs = 5000;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    private readonly string _root;
    private readonly SiteRoot _siteRoot;
    private readonly SitePolicy _site;
    private readonly FileCache _cache = new();
    private readonly int _epollFd;
    // FileCache.EventCount when the last Lookup started, as a connection records it before the pool hop.
    private long _eventCountAtLookup;

    public FileCacheTests()
    {
        _root = Directory.CreateTempSubdirectory("staticd-cache-").FullName;
        File.WriteAllText(Path.Combine(_root, "a.txt"), "hello");
        File.WriteAllText(Path.Combine(_root, "b.txt"), "other");
        Directory.CreateDirectory(Path.Combine(_root, "sub"));
        File.WriteAllText(Path.Combine(_root, "sub", "c.txt"), "in sub");
        File.WriteAllText(Path.Combine(_root, "sub", "probe.txt"), "probe");
        File.WriteAllText(Path.Combine(_root, "big.bin"), new string('x', FileCache.SmallFileMax + 1));
        _siteRoot = SiteRoot.TryOpen(_root, out Errno errno) ?? throw new InvalidOperationException($"open {_root}: {errno}");
        _site = new SitePolicy { Root = _root };
        Assert.True(_cache.Enabled, "inotify_init1 failed");
        // What the loop does: the inotify descriptor in an epoll set, so a test can wait for events, not sleep.
        _epollFd = Syscall.EpollCreate(out _);
        Assert.Equal(Errno.None, Syscall.EpollAdd(_epollFd, _cache.InotifyFd, EpollEvents.In, 1));
    }

    public void Dispose()
    {
        _cache.Dispose();
        Syscall.Close(_epollFd);
        _siteRoot.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>The pool's side: watch the directory, then resolve (ResourceLookup does both, in that order).</summary>
    private Resource Lookup(string path, SiteRoot? root = null, SitePolicy? site = null, string? acceptEncoding = null)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(path);
        byte[] accept = acceptEncoding is null ? [] : Encoding.ASCII.GetBytes(acceptEncoding);
        Resource r = default;
        _eventCountAtLookup = _cache.EventCount;
        ResourceLookup.Lookup(site ?? _site, root ?? _siteRoot, bytes, 0, bytes.Length,
            new ResourceLookup.Request(accept, acceptEncoding is not null, wantsJson: false, _cache.InotifyFd), ref r);
        return r;
    }

    /// <summary>The loop's side after a resolution (of the last Lookup unless <paramref name="eventCount"/> says
    /// otherwise): Store, and the connection keeps the descriptor if the cache did not take it.</summary>
    private FileCache.CachedFile? Store(string path, ref Resource r, long nowMs = 0, SitePolicy? site = null, SiteRoot? root = null,
        long? eventCount = null)
    {
        FileCache.CachedFile? file = _cache.Store(Encoding.UTF8.GetBytes(path), Served(site, root), ref r, nowMs,
            eventCount ?? _eventCountAtLookup);
        if (file is null) r.Release();
        return file;
    }

    private FileCache.Entry? Find(string path, long nowMs = 0, SitePolicy? site = null, SiteRoot? root = null) =>
        _cache.Find(Encoding.UTF8.GetBytes(path), Served(site, root), nowMs);

    private readonly Dictionary<(SitePolicy, SiteRoot), ServedSite> _served = [];

    /// <summary>One ServedSite per (policy, root), all at index 0: another policy or root is the same site after a
    /// reload (the cache must tell the new ServedSite from the old one by identity, not only by index).</summary>
    private ServedSite Served(SitePolicy? site, SiteRoot? root)
    {
        (SitePolicy, SiteRoot) key = (site ?? _site, root ?? _siteRoot);
        if (!_served.TryGetValue(key, out ServedSite? served)) _served[key] = served = new ServedSite(0, key.Item1, key.Item2);
        return served;
    }

    /// <summary>Resolve, store, and finish the request (the connection releases its use).</summary>
    private FileCache.CachedFile Cached(string path, long nowMs = 0)
    {
        Resource r = Lookup(path);
        Assert.Equal(200, r.Status);
        FileCache.CachedFile file = Store(path, ref r, nowMs) ?? throw new InvalidOperationException($"{path} was not cached");
        file.Release();
        return file;
    }

    /// <summary>Drains inotify as the loop does, waiting on epoll between rounds, until the entry is gone.</summary>
    private bool DiesSoon(string path)
    {
        var clock = Stopwatch.StartNew();
        Span<EpollEvent> events = stackalloc EpollEvent[1];
        while (true)
        {
            _cache.DrainEvents();
            if (Find(path) is null) return true;
            int left = (int)(Deadline - clock.Elapsed).TotalMilliseconds;
            if (left <= 0) return false;
            Syscall.EpollWait(_epollFd, events, left, out _);
        }
    }

    /// <summary>Waits until the kernel has delivered every event queued so far, using an entry in
    /// <paramref name="directory"/> as a marker: touching its file queues one more event behind them.</summary>
    private void DrainEverythingQueued(string directory)
    {
        string probe = (directory == "/" ? "" : directory) + "/probe.txt";
        File.WriteAllText(Path.Combine(_root, probe.TrimStart('/')), "probe");
        Assert.True(DiesSoon(probe), "the probe's event never arrived");
    }

    private static bool IsOpenOn(int fd, (ulong, ulong) identity)
    {
        try
        {
            return TestLibc.Identity(fd) == identity; // a reused number would name another file
        }
        catch (InvalidOperationException)
        {
            return false; // EBADF
        }
    }

    [Fact]
    public void StoreThenFindHits()
    {
        Resource r = Lookup("/a.txt");
        Assert.Equal(200, r.Status);
        Assert.True(r.Watch >= 0);
        int fd = r.File.Fd;

        FileCache.CachedFile? file = Store("/a.txt", ref r, nowMs: 1000);
        Assert.NotNull(file);
        Assert.Equal(1, file.Users); // the storing connection
        Assert.Equal(fd, file.Fd);
        Assert.Equal(5, file.Length);
        Assert.Equal("hello", Encoding.ASCII.GetString(file.Body!));
        file.Release();
        Assert.Equal(0, file.Users); // unused but alive: the cache keeps it open
        Assert.False(file.Dead);

        FileCache.Entry? entry = Find("/a.txt", nowMs: 1001);
        Assert.NotNull(entry);
        Assert.Equal(200, entry.Status);
        Assert.False(entry.IsIndex);
        Assert.Equal(ContentCoding.Identity, entry.Available);
        Assert.Equal("/a.txt", Encoding.ASCII.GetString(entry.Name));
        Assert.Same(file, entry.Variants[FileCache.VariantIndex(ContentCoding.Identity)]);
        Assert.True(IsOpenOn(fd, TestLibc.Identity(fd)));

        Assert.Null(Find("/b.txt"));
        Assert.Null(Find("/a.txt/"));
    }

    [Fact]
    public void DirectoryIndexAndLargeFilesAreCached()
    {
        File.WriteAllText(Path.Combine(_root, "sub", "index.html"), "<p>index</p>");
        FileCache.CachedFile index = Cached("/sub/");
        Assert.True(Find("/sub/")!.IsIndex);
        Assert.Equal("<p>index</p>", Encoding.ASCII.GetString(index.Body!));

        FileCache.CachedFile big = Cached("/big.bin");
        Assert.Null(big.Body); // beyond SmallFileMax: sent from the descriptor
        Assert.Equal(FileCache.SmallFileMax + 1, big.Length);
        Assert.NotNull(Find("/big.bin"));
    }

    [Fact]
    public void AnotherSitePolicyOrSiteRootMissesAndDropsTheEntry()
    {
        FileCache.CachedFile file = Cached("/a.txt");
        (ulong, ulong) identity = TestLibc.Identity(file.Fd);

        // A reload compiles a new SitePolicy: the old answer may no longer hold (hidden files, error pages...).
        Assert.Null(Find("/a.txt", site: new SitePolicy { Root = _root }));
        Assert.True(file.Dead);
        Assert.False(IsOpenOn(file.Fd, identity)); // nobody was using it
        Assert.Null(Find("/a.txt")); // gone for the old policy too

        // A new SiteRoot (the root reopened, e.g. after a swap of the directory) misses the same way.
        Cached("/b.txt");
        using SiteRoot reopened = SiteRoot.TryOpen(_root, out _)!;
        Assert.Null(Find("/b.txt", root: reopened));
        Assert.Null(Find("/b.txt"));
    }

    [Fact]
    public void StoreUnderANewPolicyReplacesTheOldEntry()
    {
        FileCache.CachedFile old = Cached("/a.txt");
        var reloaded = new SitePolicy { Root = _root };
        Resource r = Lookup("/a.txt", site: reloaded);
        FileCache.CachedFile? file = Store("/a.txt", ref r, site: reloaded);
        Assert.NotNull(file);
        file.Release();
        Assert.True(old.Dead);
        Assert.Same(file, Find("/a.txt", site: reloaded)!.Variants[0]);
    }

    [Fact]
    public void EntriesExpireAfterRevalidateMsOfTheCallersClock()
    {
        FileCache.CachedFile file = Cached("/a.txt", nowMs: 10_000);
        Assert.NotNull(Find("/a.txt", nowMs: 10_000));
        Assert.NotNull(Find("/a.txt", nowMs: 10_000 + RevalidateMs - 1));
        Assert.Null(Find("/a.txt", nowMs: 10_000 + RevalidateMs));
        Assert.True(file.Dead);
        // Expiry removes it: an earlier clock does not bring it back.
        Assert.Null(Find("/a.txt", nowMs: 10_000));
    }

    [Theory]
    [InlineData("modify")]
    [InlineData("append")]
    [InlineData("replace")]   // the atomic deploy: write a temp file, rename it over
    [InlineData("rename")]    // moved away
    [InlineData("delete")]
    [InlineData("create")]    // a sibling appears
    [InlineData("chmod")]
    public void AChangeInTheWatchedDirectoryKillsTheEntry(string change)
    {
        FileCache.CachedFile file = Cached("/sub/c.txt");
        (ulong, ulong) identity = TestLibc.Identity(file.Fd);
        string path = Path.Combine(_root, "sub", "c.txt");
        switch (change)
        {
            case "modify": File.WriteAllText(path, "changed"); break;
            case "append": File.AppendAllText(path, "!"); break;
            case "replace":
                File.WriteAllText(path + ".tmp", "new version");
                File.Move(path + ".tmp", path, overwrite: true);
                break;
            case "rename": File.Move(path, path + ".old"); break;
            case "delete": File.Delete(path); break;
            case "create": File.WriteAllText(Path.Combine(_root, "sub", "new.txt"), "new"); break;
            case "chmod": File.SetUnixFileMode(path, UnixFileMode.UserRead); break;
        }

        Assert.True(DiesSoon("/sub/c.txt"), $"{change}: the entry survived");
        Assert.True(file.Dead);
        Assert.False(IsOpenOn(file.Fd, identity));
    }

    [Fact]
    public void AChangeElsewhereLeavesTheEntry()
    {
        Cached("/a.txt");
        Cached("/sub/probe.txt");
        // An event in /sub (the probe's directory) arrives, and nothing happened in / itself.
        DrainEverythingQueued("/sub");
        Assert.NotNull(Find("/a.txt"));
    }

    [Fact]
    public void AnEventKillsEveryEntryOfItsDirectory()
    {
        Cached("/a.txt");
        Cached("/b.txt");
        File.WriteAllText(Path.Combine(_root, "b.txt"), "changed");
        Assert.True(DiesSoon("/b.txt"));
        Assert.Null(Find("/a.txt"));
    }

    [Fact]
    public void AKilledFileInUseIsClosedOnlyAfterItsLastRelease()
    {
        Resource r = Lookup("/a.txt");
        FileCache.CachedFile file = Store("/a.txt", ref r)!;   // first connection, still sending
        (ulong, ulong) identity = TestLibc.Identity(file.Fd);
        file.Users++;                                          // a second connection served from the cache

        File.WriteAllText(Path.Combine(_root, "a.txt"), "changed");
        Assert.True(DiesSoon("/a.txt"));
        Assert.True(file.Dead);
        Assert.True(IsOpenOn(file.Fd, identity), "closed under a connection that is still sending");

        file.Release();
        Assert.True(IsOpenOn(file.Fd, identity));
        file.Release();
        Assert.Equal(0, file.Users);
        Assert.False(IsOpenOn(file.Fd, identity));
    }

    [Fact]
    public void ClearDropsEverythingAndClosesWhatIsUnused()
    {
        FileCache.CachedFile idle = Cached("/a.txt");
        (ulong, ulong) idleIdentity = TestLibc.Identity(idle.Fd);
        Resource r = Lookup("/b.txt");
        FileCache.CachedFile busy = Store("/b.txt", ref r)!;
        (ulong, ulong) busyIdentity = TestLibc.Identity(busy.Fd);
        Resource missing = Lookup("/missing.txt");
        Assert.Null(Store("/missing.txt", ref missing));
        Assert.NotNull(Find("/missing.txt"));

        _cache.Clear();
        Assert.Null(Find("/a.txt"));
        Assert.Null(Find("/b.txt"));
        Assert.Null(Find("/missing.txt"));
        Assert.True(idle.Dead && busy.Dead);
        Assert.False(IsOpenOn(idle.Fd, idleIdentity));
        Assert.True(IsOpenOn(busy.Fd, busyIdentity));
        busy.Release();
        Assert.False(IsOpenOn(busy.Fd, busyIdentity));

        // Still usable afterwards.
        Cached("/a.txt");
        Assert.NotNull(Find("/a.txt"));
    }

    [Fact]
    public void NotFoundIsCachedUntilTheFileAppears()
    {
        Resource r = Lookup("/sub/later.txt");
        Assert.Equal(404, r.Status);
        Assert.Equal(-1, r.File.Fd);
        Assert.Null(Store("/sub/later.txt", ref r)); // nothing to hand out, but the answer is kept
        FileCache.Entry? entry = Find("/sub/later.txt");
        Assert.NotNull(entry);
        Assert.Equal(404, entry.Status);
        Assert.All(entry.Variants, Assert.Null);

        File.WriteAllText(Path.Combine(_root, "sub", "later.txt"), "here now");
        Assert.True(DiesSoon("/sub/later.txt"));
        Resource again = Lookup("/sub/later.txt");
        Assert.Equal(200, again.Status);
        Store("/sub/later.txt", ref again)!.Release();
        Assert.Equal(200, Find("/sub/later.txt")!.Status);
    }

    [Fact]
    public void NotFoundInAMissingDirectoryIsNotCached()
    {
        // No directory to watch: a change could not be seen, so the answer is not kept.
        Resource r = Lookup("/nodir/x.txt");
        Assert.Equal(404, r.Status);
        Assert.Equal(-1, r.Watch);
        Assert.Null(Store("/nodir/x.txt", ref r));
        Assert.Null(Find("/nodir/x.txt"));
    }

    [Fact]
    public void VariantsShareOneEntry()
    {
        File.WriteAllText(Path.Combine(_root, "style.css"), "body{}");
        File.WriteAllBytes(Path.Combine(_root, "style.css.br"), [1, 2, 3]);

        Resource br = Lookup("/style.css", acceptEncoding: "br");
        Assert.Equal(ContentCoding.Brotli, br.Coding);
        FileCache.CachedFile brFile = Store("/style.css", ref br)!;
        brFile.Release();
        Resource identity = Lookup("/style.css", acceptEncoding: "identity");
        Assert.Equal(ContentCoding.Identity, identity.Coding);
        FileCache.CachedFile plain = Store("/style.css", ref identity)!;
        plain.Release();

        FileCache.Entry entry = Find("/style.css")!;
        Assert.Equal(ContentCoding.Brotli, entry.Available);
        Assert.Same(brFile, entry.Variants[FileCache.VariantIndex(ContentCoding.Brotli)]);
        Assert.Same(plain, entry.Variants[FileCache.VariantIndex(ContentCoding.Identity)]);
        Assert.Equal(3, brFile.Length);

        // A second resolution of a variant already held is not taken: the caller keeps (and closes) its fd.
        Resource twice = Lookup("/style.css", acceptEncoding: "br");
        Assert.Null(Store("/style.css", ref twice));
        Assert.Same(brFile, Find("/style.css")!.Variants[FileCache.VariantIndex(ContentCoding.Brotli)]);
    }

    [Fact]
    public void WithoutAWatchNothingIsStored()
    {
        byte[] path = "/a.txt"u8.ToArray();
        Resource r = default;
        ResourceLookup.Lookup(_site, _siteRoot, path, 0, path.Length, new ResourceLookup.Request(default, false, false, -1), ref r);
        Assert.Equal(200, r.Status);
        Assert.Equal(-1, r.Watch);
        Assert.Null(_cache.Store(path, Served(null, null), ref r, 0, _cache.EventCount));
        r.Release();
        Assert.Null(Find("/a.txt"));
    }

    // Regression: the pool has looked at the file, the file changes, and the loop drains that event (which finds
    // no entry to kill) before the resolution comes back. Storing it then kept the old body, length and validators
    // until RevalidateMs, although inotify had reported the change.
    [Theory]
    [InlineData("/sub/c.txt", "c.txt")]
    [InlineData("/sub/later.txt", "later.txt")] // a 404 that a new file makes wrong
    public void AChangeBetweenLookupAndStoreIsNotCached(string path, string file)
    {
        Cached("/sub/probe.txt");
        Resource r = Lookup(path);
        File.WriteAllText(Path.Combine(_root, "sub", file), "changed");
        DrainEverythingQueued("/sub");

        Store(path, ref r)?.Release();
        FileCache.Entry? entry = Find(path);
        Assert.True(entry is null, $"a resolution older than a change was cached: status {entry?.Status}, body \"" +
            Encoding.ASCII.GetString(entry?.Variants[0]?.Body ?? []) + "\" until the entry expires");

        // The next resolution, started after the event, is cached as usual.
        Resource again = Lookup(path);
        Store(path, ref again)!.Release();
        Assert.Equal("changed", Encoding.ASCII.GetString(Find(path)!.Variants[0]!.Body!));
    }

    [Fact]
    public void AChangeInAnotherDirectoryDuringTheLookupDoesNotPreventCaching()
    {
        Cached("/sub/probe.txt");
        Resource r = Lookup("/a.txt");
        DrainEverythingQueued("/sub");
        Assert.True(_cache.EventCount > _eventCountAtLookup);
        Assert.NotNull(Store("/a.txt", ref r));
        Assert.NotNull(Find("/a.txt"));
    }

    [Fact]
    public void AClearDoesNotForgetAChangeDuringTheLookup()
    {
        Cached("/sub/probe.txt");
        Resource r = Lookup("/sub/c.txt");
        File.WriteAllText(Path.Combine(_root, "sub", "c.txt"), "changed");
        DrainEverythingQueued("/sub");
        _cache.Clear(); // a reload, or the cache was full
        Assert.Null(Store("/sub/c.txt", ref r));
        Assert.Null(Find("/sub/c.txt"));

        // A lookup that started after the Clear, with no event since, is cached.
        Resource again = Lookup("/sub/c.txt");
        Assert.NotNull(Store("/sub/c.txt", ref again));
    }
}
