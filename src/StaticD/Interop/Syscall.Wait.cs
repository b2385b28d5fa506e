namespace StaticD.Interop;

internal static unsafe partial class Syscall
{
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

    /// <summary>Waits until <paramref name="fd"/> can take more bytes (POLLOUT; an error or hang-up also ends the
    /// wait, and the send that follows reports it). False when <paramref name="timeoutMs"/> passed first.</summary>
    public static bool WaitWritable(int fd, int timeoutMs)
    {
        PollFd one = new() { Fd = fd, Events = Libc.POLLOUT };
        int n;
        while ((n = Libc.poll(&one, 1, timeoutMs)) < 0 && ErrnoExtensions.Last() == Errno.EINTR) { }
        return n > 0;
    }
}
