namespace StaticD.Interop;

/// <summary>Opening a log file for appending.</summary>
internal static unsafe partial class Syscall
{
    /// <summary>
    /// open(2) with O_WRONLY | O_APPEND | O_CREAT (mode 0640, less the umask): every write lands at the end even if
    /// someone else appends too, and a file moved away by logrotate is created again. The open itself is
    /// O_NONBLOCK so that a FIFO with no reader fails at once (ENXIO) instead of hanging start-up; the flag is
    /// cleared afterwards, because the writer thread wants a write to wait for room rather than answer EAGAIN.
    /// </summary>
    public static int OpenAppend(string path, out Errno errno)
    {
        byte[] bytes = NulTerminated(path);
        const ulong Flags = Libc.O_WRONLY | Libc.O_APPEND | Libc.O_CREAT | Libc.O_CLOEXEC | Libc.O_NOCTTY | Libc.O_NONBLOCK;
        int fd;
        fixed (byte* p = bytes)
        {
            while ((fd = Libc.openat(Libc.AT_FDCWD, p, (int)Flags, 0x1A0 /* 0640 */)) < 0)
            {
                errno = ErrnoExtensions.Last();
                if (errno != Errno.EINTR) return -1;
            }
        }
        int flags = Libc.fcntl_int(fd, Libc.F_GETFL, 0);
        if (flags < 0 || Libc.fcntl_int(fd, Libc.F_SETFL, flags & ~(int)Libc.O_NONBLOCK) < 0)
        {
            errno = ErrnoExtensions.Last();
            Close(fd);
            return -1;
        }
        errno = Errno.None;
        return fd;
    }
}
