namespace StaticD.Interop;

/// <summary>An epoll instance and the eventfd that wakes it: the calls an event loop makes, with typed results.
/// Registration failures are exceptions (they mean a broken descriptor, not a client's doing); epoll_wait returns
/// its count and leaves EINTR to the caller's next round.</summary>
internal static unsafe class Epoll
{
    public static int Create()
    {
        int fd = Libc.epoll_create1(Libc.EPOLL_CLOEXEC);
        if (fd < 0) throw new InvalidOperationException($"epoll_create1: {ErrnoExtensions.Last().Describe()}");
        return fd;
    }

    /// <summary>Adds <paramref name="fd"/>; false with the errno when the kernel refuses (ENOMEM, ENOSPC).</summary>
    public static bool TryAdd(int epollFd, int fd, uint events, ulong data, out Errno errno)
    {
        EpollEvent ev = new() { Events = events, Data = data };
        if (Libc.epoll_ctl(epollFd, Libc.EPOLL_CTL_ADD, fd, &ev) == 0)
        {
            errno = Errno.None;
            return true;
        }
        errno = ErrnoExtensions.Last();
        return false;
    }

    public static void Add(int epollFd, int fd, uint events, ulong data)
    {
        if (!TryAdd(epollFd, fd, events, data, out Errno errno))
            throw new InvalidOperationException($"epoll_ctl: {errno.Describe()}");
    }

    public static void Remove(int epollFd, int fd)
    {
        EpollEvent none = default;
        if (fd >= 0) Libc.epoll_ctl(epollFd, Libc.EPOLL_CTL_DEL, fd, &none);
    }

    /// <summary>Waits up to <paramref name="timeoutMs"/> (0: just poll). Returns the number of events, 0 on
    /// timeout or EINTR; throws on anything else (a loop cannot go on without its epoll).</summary>
    public static int Wait(int epollFd, Span<EpollEvent> events, int timeoutMs)
    {
        int n;
        fixed (EpollEvent* p = events) n = Libc.epoll_wait(epollFd, p, events.Length, timeoutMs);
        if (n >= 0) return n;
        Errno errno = ErrnoExtensions.Last();
        if (errno == Errno.EINTR) return 0;
        throw new InvalidOperationException($"epoll_wait: {errno.Describe()}");
    }

    /// <summary>A non-blocking eventfd for waking a loop from another thread.</summary>
    public static int CreateEventFd()
    {
        int fd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (fd < 0) throw new InvalidOperationException($"eventfd: {ErrnoExtensions.Last().Describe()}");
        return fd;
    }

    public static void Signal(int eventFd)
    {
        ulong one = 1;
        Libc.write(eventFd, &one, sizeof(ulong));
    }

    /// <summary>Resets the counter (non-blocking: nothing to read is fine).</summary>
    public static void Drain(int eventFd)
    {
        ulong value;
        Libc.read(eventFd, &value, sizeof(ulong));
    }
}
