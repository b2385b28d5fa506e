using System.Net.Sockets;

namespace StaticD.Interop;

/// <summary>
/// socket(2), bind(2), listen(2), getsockname(2), setsockopt(2)/getsockopt(2), shutdown(2), and span forms of
/// send and recv. socket, bind, listen, getsockname and the option calls never sleep, so they cannot be
/// interrupted and are made once; the rest retry EINTR as everything else here does.
/// </summary>
internal static unsafe partial class Syscall
{
    /// <summary>A non-blocking, close-on-exec TCP socket (AF_INET or AF_INET6), or -1.</summary>
    public static int OpenTcpSocket(AddressFamily family, out Errno errno)
    {
        int domain = family switch
        {
            AddressFamily.InterNetwork => Libc.AF_INET,
            AddressFamily.InterNetworkV6 => Libc.AF_INET6,
            _ => -1,
        };
        if (domain < 0)
        {
            errno = Errno.EAFNOSUPPORT;
            return -1;
        }
        return Socket(domain, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, out errno);
    }

    /// <summary>A close-on-exec AF_UNIX datagram socket, unbound and unconnected (for <see cref="SendMsg"/>), or -1.</summary>
    public static int OpenUnixDatagramSocket(bool nonBlocking, out Errno errno) =>
        Socket(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC | (nonBlocking ? Libc.SOCK_NONBLOCK : 0), out errno);

    /// <summary>A non-blocking, close-on-exec AF_UNIX stream socket (a listener at a path), or -1.</summary>
    public static int OpenUnixStreamSocket(out Errno errno) =>
        Socket(Libc.AF_UNIX, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, out errno);

    private static int Socket(int domain, int type, out Errno errno)
    {
        int fd = Libc.socket(domain, type, 0);
        errno = fd < 0 ? ErrnoExtensions.Last() : Errno.None;
        return fd;
    }

    /// <summary>Whether the kernel offers TLS offload (the "tls" TCP upper-layer protocol, module tls). Asked on a
    /// fresh unconnected socket: ENOENT means there is no such protocol; any other answer (ENOTCONN: it needs a
    /// connected socket) means there is. Without it, OpenSSL's kernel TLS option only costs every connection two
    /// failed setsockopt calls.</summary>
    public static bool KernelTlsOffered()
    {
        int fd = Socket(Libc.AF_INET, Libc.SOCK_STREAM | Libc.SOCK_CLOEXEC, out _);
        if (fd < 0) return true; // cannot tell: leave it to OpenSSL
        ReadOnlySpan<byte> name = "tls"u8;
        int r;
        fixed (byte* p = name) r = Libc.setsockopt(fd, Libc.IPPROTO_TCP, Libc.TCP_ULP, p, (uint)name.Length);
        Errno errno = r < 0 ? ErrnoExtensions.Last() : Errno.None;
        Close(fd);
        return errno != Errno.ENOENT;
    }

    public static Errno Bind(int fd, in SockAddrStorage address, uint length)
    {
        fixed (SockAddrStorage* a = &address)
            return Libc.bind(fd, a, length) < 0 ? ErrnoExtensions.Last() : Errno.None;
    }

    /// <summary>bind(2) to a sockaddr_un made by <see cref="SockAddr.UnixPath"/>.</summary>
    public static Errno Bind(int fd, in SockAddrUnix address, uint length)
    {
        fixed (SockAddrUnix* a = &address)
            return Libc.bind_unix(fd, a, length) < 0 ? ErrnoExtensions.Last() : Errno.None;
    }

    public static Errno Listen(int fd, int backlog) => Libc.listen(fd, backlog) < 0 ? ErrnoExtensions.Last() : Errno.None;

    /// <summary>The address a socket is bound to (an AF_INET or AF_INET6 one fits; decode it with <see cref="SockAddr"/>).</summary>
    public static Errno GetSockName(int fd, out SockAddrStorage address)
    {
        SockAddrStorage a;
        uint length = (uint)sizeof(SockAddrStorage);
        if (Libc.getsockname(fd, &a, &length) < 0)
        {
            address = default;
            return ErrnoExtensions.Last();
        }
        address = a;
        return Errno.None;
    }

    /// <summary>accept4(2) into a non-blocking, close-on-exec socket; the peer's address in <paramref name="peer"/>.</summary>
    public static int Accept(int listenFd, out SockAddrStorage peer, out Errno errno)
    {
        SockAddrStorage p;
        int fd = Accept(listenFd, &p, out errno);
        peer = fd < 0 ? default : p;
        return fd;
    }

    public static Errno SetOption(int fd, SocketOption option, int value) =>
        Libc.setsockopt(fd, (int)option >> 16, (int)option & 0xFFFF, &value, sizeof(int)) < 0 ? ErrnoExtensions.Last() : Errno.None;

    /// <summary>An int option's value, or -1 (and the errno).</summary>
    public static int GetOption(int fd, SocketOption option, out Errno errno)
    {
        int value = 0;
        uint length = sizeof(int);
        if (Libc.getsockopt(fd, (int)option >> 16, (int)option & 0xFFFF, &value, &length) < 0)
        {
            errno = ErrnoExtensions.Last();
            return -1;
        }
        errno = Errno.None;
        return value;
    }

    /// <summary>Whether fd is a stream socket in the listening state (SO_TYPE, SO_ACCEPTCONN).</summary>
    public static bool IsListeningStreamSocket(int fd) =>
        GetOption(fd, SocketOption.Type, out _) == Libc.SOCK_STREAM && GetOption(fd, SocketOption.AcceptConnections, out _) == 1;

    /// <summary>A socket's address family (SO_DOMAIN): InterNetwork, InterNetworkV6, Unix, or Unknown for any
    /// other family and for an fd that is not a socket.</summary>
    public static AddressFamily GetSocketFamily(int fd) => GetOption(fd, SocketOption.Domain, out _) switch
    {
        Libc.AF_INET => AddressFamily.InterNetwork,
        Libc.AF_INET6 => AddressFamily.InterNetworkV6,
        Libc.AF_UNIX => AddressFamily.Unix,
        _ => AddressFamily.Unknown,
    };

    public static Errno Shutdown(int fd, SocketShutdown how)
    {
        int h = how switch
        {
            SocketShutdown.Receive => Libc.SHUT_RD,
            SocketShutdown.Send => Libc.SHUT_WR,
            _ => Libc.SHUT_RDWR,
        };
        return Libc.shutdown(fd, h) < 0 ? ErrnoExtensions.Last() : Errno.None;
    }

    public static nint Recv(int fd, Span<byte> buffer, out Errno errno)
    {
        fixed (byte* p = buffer) return Recv(fd, p, buffer.Length, out errno);
    }

    public static nint Send(int fd, ReadOnlySpan<byte> buffer, bool more, out Errno errno)
    {
        fixed (byte* p = buffer) return Send(fd, p, buffer.Length, more, out errno);
    }

    /// <summary>One send with MSG_DONTWAIT, even on a blocking socket: whatever the kernel takes at once, EAGAIN if
    /// it takes nothing. MSG_NOSIGNAL as in <see cref="Send(int, byte*, int, bool, out Errno)"/>.</summary>
    public static nint SendDontWait(int fd, ReadOnlySpan<byte> buffer, out Errno errno)
    {
        nint n;
        fixed (byte* p = buffer)
        {
            while ((n = Libc.send(fd, p, (nuint)buffer.Length, Libc.MSG_NOSIGNAL | Libc.MSG_DONTWAIT)) < 0)
            {
                errno = ErrnoExtensions.Last();
                if (errno != Errno.EINTR) return -1;
            }
        }
        errno = Errno.None;
        return n;
    }

    /// <summary>Looks at the first bytes waiting on the socket without taking them (MSG_PEEK): how the TLS port tells a
    /// ClientHello from a plain HTTP request.</summary>
    public static nint Peek(int fd, Span<byte> buffer, out Errno errno)
    {
        nint n;
        fixed (byte* p = buffer)
        {
            while ((n = Libc.recv(fd, p, (nuint)buffer.Length, Libc.MSG_PEEK)) < 0)
            {
                errno = ErrnoExtensions.Last();
                if (errno != Errno.EINTR) return -1;
            }
        }
        errno = Errno.None;
        return n;
    }
}
