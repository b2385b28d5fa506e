namespace StaticD.Interop;

internal static unsafe partial class Syscall
{
    /// <summary>A non-blocking, close-on-exec eventfd (a wake-up another thread can write), or -1 with the
    /// reason.</summary>
    public static int CreateEventFd(out Errno errno)
    {
        int fd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        errno = fd < 0 ? ErrnoExtensions.Last() : Errno.None;
        return fd;
    }

    /// <summary>Adds one to an eventfd, making it readable. A full counter (EAGAIN) is already readable.</summary>
    public static void SignalEventFd(int fd)
    {
        ulong one = 1;
        while (Libc.write(fd, &one, sizeof(ulong)) < 0 && ErrnoExtensions.Last() == Errno.EINTR) { }
    }

    /// <summary>Resets an eventfd to zero (not readable).</summary>
    public static void DrainEventFd(int fd)
    {
        ulong value;
        while (Libc.read(fd, &value, sizeof(ulong)) < 0 && ErrnoExtensions.Last() == Errno.EINTR) { }
    }

    /// <summary>
    /// Waits until <paramref name="first"/> or <paramref name="second"/> is readable or <paramref name="timeoutMs"/>
    /// passes (a negative descriptor is ignored, as poll(2) ignores it). EINTR counts as a timeout: the caller
    /// loops anyway. Returns false with the reason only for a real failure.
    /// </summary>
    public static bool WaitReadable(int first, int second, int timeoutMs, out bool firstReady, out bool secondReady, out Errno errno)
    {
        PollFd* fds = stackalloc PollFd[2];
        fds[0] = new PollFd { Fd = first, Events = Libc.POLLIN };
        fds[1] = new PollFd { Fd = second, Events = Libc.POLLIN };
        firstReady = secondReady = false;
        if (Libc.poll(fds, 2, timeoutMs) < 0)
        {
            errno = ErrnoExtensions.Last();
            if (errno != Errno.EINTR) return false;
            errno = Errno.None;
            return true;
        }
        errno = Errno.None;
        // POLLERR/POLLHUP also count: the read that follows reports what happened.
        firstReady = fds[0].Revents != 0;
        secondReady = fds[1].Revents != 0;
        return true;
    }
}
