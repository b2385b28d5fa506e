namespace StaticD.Interop;

/// <summary>sendmsg(2) of one datagram to an AF_UNIX address, optionally carrying descriptors (SCM_RIGHTS): what
/// both the journal's native protocol and sd_notify(3) need.</summary>
internal static unsafe partial class Syscall
{
    /// <summary>SCM_MAX_FD: the kernel refuses more descriptors in one message (EINVAL).</summary>
    private const int MaxFdsPerMessage = 253;

    /// <summary>
    /// Sends <paramref name="payload"/> (may be empty) as one datagram to <paramref name="address"/> on an unconnected
    /// datagram socket, with <paramref name="fds"/> as one SCM_RIGHTS message when there are any. MSG_NOSIGNAL, as
    /// every send in staticd; MSG_DONTWAIT when <paramref name="dontWait"/>, so a full receive queue is EAGAIN
    /// rather than a wait. EINTR is retried.
    /// </summary>
    public static Errno SendMsg(int fd, in SockAddrUnix address, uint addressLength, ReadOnlySpan<byte> payload,
        ReadOnlySpan<int> fds, bool dontWait)
    {
        if (fds.Length > MaxFdsPerMessage) return Errno.EINVAL;
        int controlLength = ControlSpace(fds.Length);
        byte* control = stackalloc byte[Math.Max(controlLength, 1)];
        if (controlLength > 0)
        {
            new Span<byte>(control, controlLength).Clear();
            var header = (CmsgHdr*)control;
            header->Length = (nuint)ControlDataLength(fds.Length);
            header->Level = Libc.SOL_SOCKET;
            header->Type = Libc.SCM_RIGHTS;
            fds.CopyTo(new Span<int>(control + sizeof(CmsgHdr), fds.Length));
        }
        int flags = Libc.MSG_NOSIGNAL | (dontWait ? Libc.MSG_DONTWAIT : 0);
        fixed (byte* data = payload)
        fixed (SockAddrUnix* name = &address)
        {
            IoVec iov = new() { Base = data, Length = (nuint)payload.Length };
            MsgHdr message = new()
            {
                Name = name,
                NameLength = addressLength,
                Iov = payload.IsEmpty ? null : &iov,
                IovLength = payload.IsEmpty ? 0u : 1u,
                Control = controlLength > 0 ? control : null,
                ControlLength = (nuint)controlLength,
            };
            while (Libc.sendmsg(fd, &message, flags) < 0)
            {
                Errno errno = ErrnoExtensions.Last();
                if (errno != Errno.EINTR) return errno;
            }
            return Errno.None;
        }
    }

    // internal for testing: CMSG_SPACE and CMSG_LEN of an SCM_RIGHTS message with n descriptors (the data after the
    // 16-byte cmsghdr is padded to 8 bytes in the space, not in the length).
    internal static int ControlSpace(int fdCount) => fdCount == 0 ? 0 : sizeof(CmsgHdr) + ((fdCount * sizeof(int) + 7) & ~7);

    internal static int ControlDataLength(int fdCount) => sizeof(CmsgHdr) + fdCount * sizeof(int);
}
