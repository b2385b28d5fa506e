using System.Net;
using System.Net.Sockets;
using StaticD.Interop;

namespace StaticD.Net;

/// <summary>A listening TCP socket owned by one event loop. Each loop binds its own socket per address with
/// SO_REUSEPORT, so the kernel spreads new connections across loops and no accept is ever contended.</summary>
internal sealed class Listener : IDisposable
{
    public int Fd { get; private set; }
    public IPEndPoint EndPoint { get; }

    private Listener(int fd, IPEndPoint endPoint)
    {
        Fd = fd;
        EndPoint = endPoint;
    }

    public const int Backlog = 4096;

    /// <summary>Binds and listens; throws <see cref="ListenException"/> with the errno on failure.</summary>
    public static unsafe Listener Bind(IPEndPoint endPoint, bool reusePort)
    {
        int family = endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? Libc.AF_INET6 : Libc.AF_INET;
        int fd = Libc.socket(family, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) throw new ListenException(endPoint, ErrnoExtensions.Last());
        try
        {
            // SO_REUSEADDR: restart at once even with connections of the previous run in TIME_WAIT.
            Syscall.SetInt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR, 1);
            if (reusePort) Syscall.SetInt(fd, Libc.SOL_SOCKET, Libc.SO_REUSEPORT, 1);
            // An IPv6 socket on [::] must not also claim IPv4: the default configuration binds 0.0.0.0 separately.
            if (family == Libc.AF_INET6) Syscall.SetInt(fd, Libc.IPPROTO_IPV6, Libc.IPV6_V6ONLY, 1);
            SockAddrStorage addr = ToSockAddr(endPoint, out uint length);
            if (Libc.bind(fd, &addr, length) < 0 || Libc.listen(fd, Backlog) < 0)
                throw new ListenException(endPoint, ErrnoExtensions.Last());
            return new Listener(fd, endPoint);
        }
        catch
        {
            Syscall.Close(fd);
            throw;
        }
    }

    /// <summary>
    /// SO_REUSEPORT has a trap: a second staticd (or anything else of the same user with SO_REUSEPORT) on the same
    /// port binds without error and silently takes half the traffic. Binding once without the option first makes
    /// "address already in use" loud, as an operator expects.
    /// </summary>
    public static void ProbeExclusive(IPEndPoint endPoint)
    {
        Bind(endPoint, reusePort: false).Dispose();
    }

    internal static unsafe SockAddrStorage ToSockAddr(IPEndPoint endPoint, out uint length)
    {
        SockAddrStorage addr = default;
        ushort portBe = (ushort)IPAddress.HostToNetworkOrder((short)endPoint.Port);
        Span<byte> raw = new(&addr, sizeof(SockAddrStorage));
        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
        {
            addr.Family = Libc.AF_INET6;
            addr.PortBigEndian = portBe;
            endPoint.Address.TryWriteBytes(raw.Slice(8, 16), out _);
            addr.ScopeId = (uint)endPoint.Address.ScopeId;
            length = 28;
        }
        else
        {
            addr.Family = Libc.AF_INET;
            addr.PortBigEndian = portBe;
            endPoint.Address.TryWriteBytes(raw.Slice(4, 4), out _);
            length = 16;
        }
        return addr;
    }

    public void Dispose()
    {
        Syscall.Close(Fd);
        Fd = -1;
    }
}

internal sealed class ListenException(IPEndPoint endPoint, Errno errno)
    : Exception($"cannot listen on {Format(endPoint)}: {errno.Describe()}")
{
    public Errno Errno { get; } = errno;
    public IPEndPoint EndPoint { get; } = endPoint;

    public static string Format(IPEndPoint ep) =>
        ep.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ep.Address}]:{ep.Port}" : $"{ep.Address}:{ep.Port}";
}
