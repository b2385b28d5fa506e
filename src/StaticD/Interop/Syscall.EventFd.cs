namespace StaticD.Interop;

/// <summary>eventfd(2): a counter one thread adds to and another reads, waking it through epoll.</summary>
internal static unsafe partial class Syscall
{
    /// <summary>A non-blocking, close-on-exec eventfd with its counter at zero, or -1.</summary>
    public static int CreateEventFd(out Errno errno)
    {
        int fd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        errno = fd < 0 ? ErrnoExtensions.Last() : Errno.None;
        return fd;
    }

    /// <summary>Reads an eventfd's 8-byte counter (and resets it); EAGAIN on a non-blocking eventfd at zero.</summary>
    public static Errno ReadCounter(int fd, out ulong value)
    {
        ulong v = 0;
        nint n = Read(fd, new Span<byte>(&v, sizeof(ulong)), out Errno errno);
        value = n == sizeof(ulong) ? v : 0;
        return n < 0 ? errno : n == sizeof(ulong) ? Errno.None : Errno.EIO;
    }

    /// <summary>Adds <paramref name="value"/> to an eventfd's 8-byte counter; EAGAIN on a non-blocking eventfd whose
    /// counter would overflow.</summary>
    public static Errno WriteCounter(int fd, ulong value)
    {
        nint n = Write(fd, new ReadOnlySpan<byte>(&value, sizeof(ulong)), out Errno errno);
        return n < 0 ? errno : n == sizeof(ulong) ? Errno.None : Errno.EIO;
    }
}
