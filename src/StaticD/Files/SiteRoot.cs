using StaticD.Interop;

namespace StaticD.Files;

/// <summary>What <see cref="SiteRoot.Revalidate"/> found.</summary>
internal enum RootCheck
{
    /// <summary>The path still names the open directory.</summary>
    Unchanged,
    /// <summary>The path names another directory now; it is open and installed, <see cref="SiteRoot.Generation"/> bumped.</summary>
    Swapped,
    /// <summary>The path cannot be opened as a directory at the moment; the old descriptor keeps serving.</summary>
    Unavailable,
}

/// <summary>
/// A site's root directory as an open O_PATH descriptor: every file is opened relative to it (confinement with
/// RESOLVE_BENEATH), so a request never resolves the root's path itself.
///
/// The descriptor is not forever: a deploy that swaps a symlink (<c>ln -sfn releases/2 current.tmp &amp;&amp; mv -T
/// current.tmp current</c>) or replaces the directory leaves it pointing at the old release, so
/// <see cref="RootWatcher"/> calls <see cref="Revalidate"/> whenever the path may have changed. A swap installs the
/// new descriptor and bumps <see cref="Generation"/>; the per-loop file caches compare that int to drop what they
/// resolved under the old directory, with no syscall on the request path.
/// </summary>
internal sealed class SiteRoot : IDisposable
{
    /// <summary>One open directory, immutable, so a reader gets a descriptor and its generation from the same
    /// snapshot with one reference read.</summary>
    private sealed class Opened(int fd, ulong device, ulong inode, int generation)
    {
        public readonly int Fd = fd;
        public readonly ulong Device = device;
        public readonly ulong Inode = inode;
        public readonly int Generation = generation;
    }

    private volatile Opened _current;
    // Serialises Revalidate and Dispose (the watcher thread against a reload's delayed dispose); never taken on
    // the request path.
    private readonly Lock _gate = new();
    /// <summary>Replaced descriptors not closed yet: a pool thread may have read one just before the swap.</summary>
    private readonly HashSet<int> _retired = [];
    private bool _disposed;

    private readonly RootGroup? _group;

    /// <summary>The configuration's roots this one belongs to (null when opened alone).</summary>
    public RootGroup? Group => _group;

    private SiteRoot(string path, Opened opened, RootGroup? group)
    {
        Path = path;
        _current = opened;
        _group = group;
    }

    /// <summary>The directory as configured (it may be, or pass through, a symlink).</summary>
    public string Path { get; }

    /// <summary>The descriptor requests resolve against; -1 once disposed.</summary>
    public int Fd => _current.Fd;

    /// <summary>Bumped each time <see cref="Fd"/> is replaced by another directory. The swap publishes the new
    /// descriptor and its generation together, so a reader that reads Generation first and Fd after never pairs an
    /// old descriptor with a new generation: at worst a fresh answer is labelled old and is not cached.</summary>
    public int Generation => _current.Generation;

    /// <summary>Opens <paramref name="path"/>; null with the reason when it cannot be opened as a directory.</summary>
    /// <param name="group">Told of every swap, so caches can follow all roots of a configuration at once.</param>
    public static SiteRoot? TryOpen(string path, out Errno errno, RootGroup? group = null)
    {
        Opened? opened = Open(path, 0, out errno);
        return opened is null ? null : new SiteRoot(path, opened, group);
    }

    private static Opened? Open(string path, int generation, out Errno errno)
    {
        int fd = Syscall.OpenDirectoryPath(path, out errno);
        if (fd < 0) return null;
        if (!Syscall.StatFd(fd, out Statx st, out errno))
        {
            Syscall.Close(fd);
            return null;
        }
        return new Opened(fd, Device(st), st.Ino, generation);
    }

    private static ulong Device(in Statx st) => (ulong)st.DevMajor << 32 | st.DevMinor;

    /// <summary>
    /// Does <see cref="Path"/> still name the open directory? A stat by path (symlinks followed) answers the
    /// common case with one syscall; only when device or inode differ is the path opened, and the descriptor's
    /// own fstat decides (the path may have changed again between the two). The replaced descriptor is closed
    /// after <paramref name="retireAfter"/>: requests already on the thread pool may still be resolving against it.
    /// </summary>
    public RootCheck Revalidate(TimeSpan retireAfter, out Errno errno)
    {
        lock (_gate)
        {
            errno = Errno.None;
            if (_disposed) return RootCheck.Unchanged;
            Opened current = _current;
            if (!Syscall.StatPath(Path, out Statx st, out errno)) return RootCheck.Unavailable;
            if (Device(st) == current.Device && st.Ino == current.Inode) return RootCheck.Unchanged;

            Opened? next = Open(Path, current.Generation + 1, out errno);
            if (next is null) return RootCheck.Unavailable;
            if (next.Device == current.Device && next.Inode == current.Inode)
            {
                Syscall.Close(next.Fd); // swapped back meanwhile
                return RootCheck.Unchanged;
            }
            _current = next;
            _group?.CountSwap();
            Retire(current.Fd, retireAfter);
            return RootCheck.Swapped;
        }
    }

    /// <summary>Caller holds the lock. The same margin as a reload's old context: a resolution takes milliseconds,
    /// a minute is wide, and closing later costs one descriptor (and the old directory's inode) meanwhile.</summary>
    private void Retire(int fd, TimeSpan after)
    {
        if (after <= TimeSpan.Zero)
        {
            Syscall.Close(fd);
            return;
        }
        _retired.Add(fd);
        _ = Task.Delay(after).ContinueWith(_ =>
        {
            lock (_gate)
            {
                // Dispose may have closed it already (and the number may belong to another file by now).
                if (_retired.Remove(fd)) Syscall.Close(fd);
            }
        }, TaskScheduler.Default);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            Opened last = _current;
            _current = new Opened(-1, last.Device, last.Inode, last.Generation);
            Syscall.Close(last.Fd);
            foreach (int fd in _retired) Syscall.Close(fd);
            _retired.Clear();
        }
    }
}
