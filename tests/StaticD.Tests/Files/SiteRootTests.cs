using StaticD.Files;
using StaticD.Hosting;
using StaticD.Interop;
using Xunit;

namespace StaticD.Tests.Files;

/// <summary>
/// SiteRoot.Revalidate on real directories, called directly (the watcher's job is only to call it at the right
/// moments; <see cref="RootWatcherTests"/> covers that).
/// </summary>
public sealed class SiteRootTests : IDisposable
{
    private readonly DeployLayout _layout = new();

    public void Dispose() => _layout.Dispose();

    private static SiteRoot Open(string path)
    {
        SiteRoot? root = SiteRoot.TryOpen(path, out Errno errno);
        Assert.True(root is not null, $"cannot open {path}: {errno}");
        return root;
    }

    private static (ulong, ulong) Identity(string path)
    {
        Assert.True(Syscall.StatPath(path, out Statx st, out Errno errno), errno.ToString());
        return ((ulong)st.DevMajor << 32 | st.DevMinor, st.Ino);
    }

    /// <summary>What an fd refers to now, or null when it is closed.</summary>
    private static (ulong, ulong)? Identity(int fd) =>
        Syscall.StatFd(fd, out Statx st, out _) ? ((ulong)st.DevMajor << 32 | st.DevMinor, st.Ino) : null;

    [Fact]
    public void NothingMoved_IsUnchanged()
    {
        _layout.Release("1", ("index.html", "one"));
        _layout.PointLink("current", "releases/1");
        using SiteRoot root = Open(_layout.PathOf("current"));
        int fd = root.Fd;

        Assert.Equal(RootCheck.Unchanged, root.Revalidate(TimeSpan.Zero, out _));
        Assert.Equal(fd, root.Fd);
        Assert.Equal(0, root.Generation);
    }

    [Fact]
    public void SymlinkSwappedByRename_OpensTheNewRelease()
    {
        _layout.Release("1", ("index.html", "one"));
        _layout.Release("2", ("index.html", "two"), ("new.txt", "only in two"));
        _layout.PointLink("current", "releases/1");
        using SiteRoot root = Open(_layout.PathOf("current"));
        Assert.Equal("one", RootAssert.Read(root, "/index.html"));
        Assert.Null(RootAssert.Read(root, "/new.txt"));

        _layout.PointLink("current", "releases/2");
        // Before revalidation the descriptor is the old release: this is the bug when nothing revalidates.
        Assert.Equal("one", RootAssert.Read(root, "/index.html"));

        Assert.Equal(RootCheck.Swapped, root.Revalidate(TimeSpan.Zero, out _));
        Assert.Equal(1, root.Generation);
        Assert.Equal("two", RootAssert.Read(root, "/index.html"));
        Assert.Equal("only in two", RootAssert.Read(root, "/new.txt"));
        Assert.Equal(RootCheck.Unchanged, root.Revalidate(TimeSpan.Zero, out _));
        Assert.Equal(1, root.Generation);
    }

    [Fact]
    public void MissingPath_KeepsServingTheOldDirectory_UntilItIsBack()
    {
        _layout.Release("1", ("index.html", "one"));
        _layout.Release("2", ("index.html", "two"));
        _layout.PointLink("current", "releases/1");
        using SiteRoot root = Open(_layout.PathOf("current"));
        int fd = root.Fd;

        File.Delete(_layout.PathOf("current"));
        Assert.Equal(RootCheck.Unavailable, root.Revalidate(TimeSpan.Zero, out Errno errno));
        Assert.Equal(Errno.ENOENT, errno);
        Assert.Equal(fd, root.Fd);
        Assert.Equal(0, root.Generation);
        Assert.Equal("one", RootAssert.Read(root, "/index.html"));

        File.CreateSymbolicLink(_layout.PathOf("current"), "releases/2");
        Assert.Equal(RootCheck.Swapped, root.Revalidate(TimeSpan.Zero, out _));
        Assert.Equal("two", RootAssert.Read(root, "/index.html"));
    }

    [Fact]
    public void PathNamingAFile_IsUnavailable_AndTheOldDirectoryServes()
    {
        string site = _layout.Release("1", ("index.html", "one"));
        using SiteRoot root = Open(site);
        Directory.Delete(site, recursive: true);
        File.WriteAllText(site, "not a directory");

        Assert.Equal(RootCheck.Unavailable, root.Revalidate(TimeSpan.Zero, out Errno errno));
        Assert.Equal(Errno.ENOTDIR, errno);
        Assert.Equal(0, root.Generation);
    }

    [Fact]
    public void ReplacedDescriptor_StaysOpenForResolutionsInFlight_ThenIsClosed()
    {
        string one = _layout.Release("1", ("index.html", "one"));
        _layout.Release("2", ("index.html", "two"));
        _layout.PointLink("current", "releases/1");
        using SiteRoot root = Open(_layout.PathOf("current"));
        int old = root.Fd;
        (ulong, ulong) releaseOne = Identity(one);

        _layout.PointLink("current", "releases/2");
        Assert.Equal(RootCheck.Swapped, root.Revalidate(TimeSpan.FromMilliseconds(300), out _));
        // A pool thread that read the descriptor just before the swap still resolves against release 1.
        Assert.Equal(releaseOne, Identity(old));
        // Then it is closed. Other tests run in parallel, so the number may already name another file: what
        // matters is that it no longer holds release 1.
        Assert.True(RootAssert.Eventually(() => Identity(old) != releaseOne), "the replaced descriptor was never closed");
    }

    [Fact]
    public void Dispose_ClosesRetiredDescriptorsToo()
    {
        string one = _layout.Release("1", ("index.html", "one"));
        _layout.Release("2", ("index.html", "two"));
        _layout.PointLink("current", "releases/1");
        SiteRoot root = Open(_layout.PathOf("current"));
        int old = root.Fd;
        _layout.PointLink("current", "releases/2");
        Assert.Equal(RootCheck.Swapped, root.Revalidate(TimeSpan.FromHours(1), out _));

        root.Dispose();
        Assert.Equal(-1, root.Fd);
        Assert.NotEqual(Identity(one), Identity(old));
        Assert.Equal(RootCheck.Unchanged, root.Revalidate(TimeSpan.Zero, out _)); // a late watcher call is harmless
    }
}
