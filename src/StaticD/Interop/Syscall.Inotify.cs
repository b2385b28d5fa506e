namespace StaticD.Interop;

/// <summary>inotify_init1(2) and inotify_add_watch(2); read events with <see cref="Read"/> and walk them with
/// <see cref="InotifyEventReader"/>.</summary>
internal static unsafe partial class Syscall
{
    /// <summary>A non-blocking, close-on-exec inotify instance, or -1.</summary>
    public static int InotifyInit(out Errno errno)
    {
        int fd = Libc.inotify_init1(Libc.IN_NONBLOCK | Libc.IN_CLOEXEC);
        errno = fd < 0 ? ErrnoExtensions.Last() : Errno.None;
        return fd;
    }

    /// <summary>The watch descriptor for <paramref name="path"/> (NUL-terminated), or -1. An inode already watched
    /// gets its existing descriptor back, with <paramref name="mask"/> replacing the old one.</summary>
    public static int InotifyAddWatch(int inotifyFd, ReadOnlySpan<byte> path, InotifyMask mask, out Errno errno)
    {
        RequireNul(path);
        int wd;
        fixed (byte* p = path) wd = Libc.inotify_add_watch(inotifyFd, p, (uint)mask);
        errno = wd < 0 ? ErrnoExtensions.Last() : Errno.None;
        return wd;
    }

    /// <summary>The same for a path as a string (symlinks followed, as inotify_add_watch always does without
    /// IN_DONT_FOLLOW).</summary>
    public static int InotifyAddWatch(int inotifyFd, string path, InotifyMask mask, out Errno errno) =>
        InotifyAddWatch(inotifyFd, NulTerminated(path), mask, out errno);

    /// <summary>Removes a watch; EINVAL (the kernel already dropped it: IN_IGNORED is queued) is not an error
    /// worth reporting, so nothing is returned.</summary>
    public static void InotifyRemoveWatch(int inotifyFd, int watch)
    {
        if (inotifyFd >= 0 && watch >= 0) Libc.inotify_rm_watch(inotifyFd, watch);
    }
}
