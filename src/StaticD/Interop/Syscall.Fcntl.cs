namespace StaticD.Interop;

/// <summary>fcntl(2) descriptor and status flags.</summary>
internal static partial class Syscall
{
    /// <summary>Sets FD_CLOEXEC (the only descriptor flag).</summary>
    public static Errno SetCloseOnExec(int fd) =>
        Libc.fcntl_int(fd, Libc.F_SETFD, Libc.FD_CLOEXEC) < 0 ? ErrnoExtensions.Last() : Errno.None;

    /// <summary>Adds O_NONBLOCK to the file status flags, keeping the others.</summary>
    public static Errno SetNonBlocking(int fd)
    {
        int flags = Libc.fcntl_int(fd, Libc.F_GETFL, 0);
        if (flags < 0) return ErrnoExtensions.Last();
        return Libc.fcntl_int(fd, Libc.F_SETFL, flags | (int)Libc.O_NONBLOCK) < 0 ? ErrnoExtensions.Last() : Errno.None;
    }

    /// <summary>A second descriptor for the same open file (F_DUPFD_CLOEXEC), so work queued for later can read
    /// the file after the request that opened it has closed its own; -1 on failure.</summary>
    public static int Duplicate(int fd)
    {
        int copy = Libc.fcntl_int(fd, Libc.F_DUPFD_CLOEXEC, 0);
        return copy < 0 ? -1 : copy;
    }
}
