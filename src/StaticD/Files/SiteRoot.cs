using StaticD.Interop;

namespace StaticD.Files;

/// <summary>
/// A site's root directory as an open O_PATH descriptor: every file is opened relative to it (confinement with
/// RESOLVE_BENEATH), so a request never resolves the root's path itself.
/// </summary>
internal sealed class SiteRoot : IDisposable
{
    private int _fd;

    private SiteRoot(string path, int fd)
    {
        Path = path;
        _fd = fd;
    }

    /// <summary>The directory as configured (it may be, or pass through, a symlink).</summary>
    public string Path { get; }

    /// <summary>The descriptor requests resolve against.</summary>
    public int Fd => Volatile.Read(ref _fd);

    /// <summary>Opens <paramref name="path"/>; null with the reason when it cannot be opened as a directory.</summary>
    public static SiteRoot? TryOpen(string path, out Errno errno)
    {
        int fd = Syscall.OpenDirectoryPath(path, out errno);
        return fd < 0 ? null : new SiteRoot(path, fd);
    }

    public void Dispose()
    {
        Syscall.Close(Interlocked.Exchange(ref _fd, -1));
    }
}
