namespace StaticD.Interop;

/// <summary>The span-taking forms a connection's transport uses, so no code outside Interop/ pins buffers.</summary>
internal static unsafe partial class Syscall
{
    public static nint Recv(int fd, Span<byte> buffer, out Errno errno)
    {
        fixed (byte* p = buffer) return Recv(fd, p, buffer.Length, out errno);
    }

    public static nint Send(int fd, ReadOnlySpan<byte> data, bool more, out Errno errno)
    {
        fixed (byte* p = data) return Send(fd, p, data.Length, more, out errno);
    }

    /// <summary>A send that can never block or raise SIGPIPE, for a best-effort answer on a socket about to close.</summary>
    public static void SendOnce(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data) Libc.send(fd, p, (nuint)data.Length, Libc.MSG_NOSIGNAL | Libc.MSG_DONTWAIT);
    }

    /// <summary>pread(2) at an explicit offset (no shared file position: several connections read one cached
    /// descriptor). 0 means end of file.</summary>
    public static nint PRead(int fd, Span<byte> buffer, long offset, out Errno errno)
    {
        nint n;
        fixed (byte* p = buffer)
        {
            while ((n = Libc.pread(fd, p, (nuint)buffer.Length, offset)) < 0)
            {
                errno = ErrnoExtensions.Last();
                if (errno != Errno.EINTR) return -1;
            }
        }
        errno = Errno.None;
        return n;
    }

    public static void ShutdownWrite(int fd) => Libc.shutdown(fd, Libc.SHUT_WR);

    public static int Accept(int listenFd, out SockAddrStorage peer, out Errno errno)
    {
        fixed (SockAddrStorage* p = &peer) return Accept(listenFd, p, out errno);
    }
}
