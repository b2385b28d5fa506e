namespace StaticD.Interop;

/// <summary>epoll_create1(2), epoll_ctl(2) and epoll_wait(2).</summary>
internal static unsafe partial class Syscall
{
    /// <summary>A close-on-exec epoll instance, or -1.</summary>
    public static int EpollCreate(out Errno errno)
    {
        int fd = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        errno = fd < 0 ? ErrnoExtensions.Last() : Errno.None;
        return fd;
    }

    /// <summary>Watches <paramref name="fd"/> for <paramref name="events"/>; <paramref name="data"/> comes back
    /// with each of its events.</summary>
    public static Errno EpollAdd(int epollFd, int fd, EpollEvents events, ulong data) =>
        EpollCtl(epollFd, Libc.EPOLL_CTL_ADD, fd, events, data);

    public static Errno EpollModify(int epollFd, int fd, EpollEvents events, ulong data) =>
        EpollCtl(epollFd, Libc.EPOLL_CTL_MOD, fd, events, data);

    public static Errno EpollDelete(int epollFd, int fd) => EpollCtl(epollFd, Libc.EPOLL_CTL_DEL, fd, EpollEvents.None, 0);

    // epoll_ctl does not sleep, so it is never interrupted. DEL ignores the event, but kernels before 2.6.9 wanted
    // a non-null pointer even then: one is always passed.
    private static Errno EpollCtl(int epollFd, int op, int fd, EpollEvents events, ulong data)
    {
        EpollEvent ev = new() { Events = (uint)events, Data = data };
        return Libc.epoll_ctl(epollFd, op, fd, &ev) < 0 ? ErrnoExtensions.Last() : Errno.None;
    }

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (-1: for ever, 0: not at all) and fills <paramref name="events"/>;
    /// returns how many, or -1 and the errno. A signal cutting the wait short (EINTR) is reported as 0 events — an
    /// early timeout — rather than retried: the caller's loop recomputes its timeout each round anyway.
    /// </summary>
    public static int EpollWait(int epollFd, Span<EpollEvent> events, int timeoutMs, out Errno errno)
    {
        int n;
        fixed (EpollEvent* p = events) n = Libc.epoll_wait(epollFd, p, events.Length, timeoutMs);
        if (n >= 0)
        {
            errno = Errno.None;
            return n;
        }
        errno = ErrnoExtensions.Last();
        if (errno != Errno.EINTR) return -1;
        errno = Errno.None;
        return 0;
    }
}
