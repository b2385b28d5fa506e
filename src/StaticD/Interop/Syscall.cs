namespace StaticD.Interop;

/// <summary>
/// Thin wrappers with one retry idiom: EINTR is retried here and never seen by callers; EAGAIN is returned as an
/// Errno like any other, because for a non-blocking fd it is not an error but "register interest and come back".
/// </summary>
internal static unsafe partial class Syscall
{
    public static nint Recv(int fd, byte* buffer, int length, out Errno errno)
    {
        nint n;
        while ((n = Libc.recv(fd, buffer, (nuint)length, 0)) < 0)
        {
            errno = ErrnoExtensions.Last();
            if (errno != Errno.EINTR) return -1;
        }
        errno = Errno.None;
        return n;
    }

    /// <summary>MSG_NOSIGNAL: a peer that went away must give EPIPE, not kill the daemon with SIGPIPE.</summary>
    public static nint Send(int fd, byte* buffer, int length, bool more, out Errno errno)
    {
        int flags = Libc.MSG_NOSIGNAL | (more ? Libc.MSG_MORE : 0);
        nint n;
        while ((n = Libc.send(fd, buffer, (nuint)length, flags)) < 0)
        {
            errno = ErrnoExtensions.Last();
            if (errno != Errno.EINTR) return -1;
        }
        errno = Errno.None;
        return n;
    }

    public static nint SendFile(int socketFd, int fileFd, ref long offset, long count, out Errno errno)
    {
        nint n;
        fixed (long* off = &offset)
        {
            while ((n = Libc.sendfile(socketFd, fileFd, off, (nuint)count)) < 0)
            {
                errno = ErrnoExtensions.Last();
                if (errno != Errno.EINTR) return -1;
            }
        }
        errno = Errno.None;
        return n;
    }

    public static int Accept(int listenFd, SockAddrStorage* peer, out Errno errno)
    {
        int fd;
        uint length = (uint)sizeof(SockAddrStorage);
        while ((fd = Libc.accept4(listenFd, peer, &length, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC)) < 0)
        {
            errno = ErrnoExtensions.Last();
            if (errno != Errno.EINTR) return -1;
        }
        errno = Errno.None;
        return fd;
    }

    /// <summary>Set once openat2 has answered ENOSYS (old kernel, or a seccomp filter such as systemd's
    /// RestrictSUIDSGID): from then on the component-by-component walk gives the same confinement.</summary>
    private static volatile bool s_noOpenat2;

    public static int OpenBeneath(int dirFd, byte* path, ulong flags, out Errno errno)
    {
        if (s_noOpenat2) return BeneathWalk.Open(dirFd, path, flags, out errno);
        // RESOLVE_BENEATH makes the kernel refuse any resolution that leaves dirFd ("..", absolute symlinks,
        // symlinks pointing outside) with EXDEV; RESOLVE_NO_MAGICLINKS blocks /proc-style links.
        OpenHow how = new() { Flags = flags | Libc.O_CLOEXEC, Resolve = Libc.RESOLVE_BENEATH | Libc.RESOLVE_NO_MAGICLINKS };
        int fd;
        while ((fd = Libc.openat2(dirFd, path, &how)) < 0)
        {
            errno = ErrnoExtensions.Last();
            // EAGAIN is only returned with RESOLVE_CACHED (not used) or a racing rename; retrying is what the man page advises.
            if (errno == Errno.ENOSYS)
            {
                s_noOpenat2 = true;
                return BeneathWalk.Open(dirFd, path, flags, out errno);
            }
            if (errno != Errno.EINTR && errno != Errno.EAGAIN) return -1;
        }
        errno = Errno.None;
        return fd;
    }

    // internal for testing: the walk is exercised directly, as it would run without openat2.
    internal static bool ForceBeneathWalk { set => s_noOpenat2 = value; }

    public static bool StatFd(int fd, out Statx result, out Errno errno)
    {
        Statx st;
        byte empty = 0;
        if (Libc.statx(fd, &empty, Libc.AT_EMPTY_PATH, Libc.STATX_BASIC, &st) < 0)
        {
            errno = ErrnoExtensions.Last();
            result = default;
            return false;
        }
        errno = Errno.None;
        result = st;
        return true;
    }

    /// <summary>statx of a path, following symlinks (the path's final target is what is described).</summary>
    public static bool StatPath(string path, out Statx result, out Errno errno) =>
        StatPath(NulTerminated(path), out result, out errno);

    /// <summary>realpath(3): the absolute path with every symlink, "." and ".." resolved, or null with the reason
    /// (ENOENT when a component is missing).</summary>
    public static string? RealPath(string path, out Errno errno)
    {
        const int PathMax = 4096; // PATH_MAX: realpath writes at most this much into a caller's buffer
        byte[] bytes = NulTerminated(path);
        byte* resolved = stackalloc byte[PathMax];
        fixed (byte* p = bytes)
        {
            if (Libc.realpath(p, resolved) is null)
            {
                errno = ErrnoExtensions.Last();
                return null;
            }
        }
        errno = Errno.None;
        return System.Text.Encoding.UTF8.GetString(System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpanFromNullTerminated(resolved));
    }

    /// <summary>An O_PATH descriptor for a directory named by an absolute or cwd-relative path. Plain openat, not
    /// RESOLVE_BENEATH: a site's root is the operator's choice and may well be reached through symlinks.</summary>
    public static int OpenDirectoryPath(string path, out Errno errno)
    {
        byte[] bytes = NulTerminated(path);
        int fd;
        fixed (byte* p = bytes)
        {
            while ((fd = Libc.openat(Libc.AT_FDCWD, p, (int)(Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC), 0)) < 0)
            {
                errno = ErrnoExtensions.Last();
                if (errno != Errno.EINTR) return -1;
            }
        }
        errno = Errno.None;
        return fd;
    }

    /// <summary>close(2) is never retried on EINTR: on Linux the fd is released even then, and a retry could close
    /// an fd another thread just got.</summary>
    public static void Close(int fd)
    {
        if (fd >= 0) Libc.close(fd);
    }
}
