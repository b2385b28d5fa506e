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
    /// <summary>One socket registered in every loop (EPOLLEXCLUSIVE) — a socket passed by systemd — rather than
    /// a loop's own SO_REUSEPORT socket. Loops never close a shared listener; the service does, once.</summary>
    public bool Shared { get; }

    private Listener(int fd, IPEndPoint endPoint, bool shared = false)
    {
        Fd = fd;
        EndPoint = endPoint;
        Shared = shared;
    }

    /// <summary>
    /// Options that accepted sockets inherit, so no connection pays a setsockopt: TCP_NODELAY (responses are
    /// written whole, never in dribbles Nagle would help with), and TCP_DEFER_ACCEPT, which lets the kernel hand
    /// over a connection only once its first bytes have arrived — the loop can read the request at once instead
    /// of waiting a round for it, and a client that connects and says nothing costs no descriptor meanwhile.
    /// TCP_NOTSENT_LOWAT keeps at most <see cref="NotSentLowWater"/> bytes queued beyond what TCP may send now.
    /// </summary>
    /// <remarks>
    /// Without a low-water mark, sendfile fills the whole (autotuned, megabytes) send buffer, and most of it goes
    /// out later from the ACK path, on whichever core the client's ACK lands on: measured on loopback, that moved
    /// the work onto the client's core and cut a 100 MiB download from 2.8 to 2.0 GB/s. Queuing little beyond the
    /// congestion window means data is transmitted by our own sendfile call and the kernel wakes us (EPOLLOUT)
    /// when it wants more. 16–32 KiB measured best; 128 KiB already gave most of the loss back.
    /// </remarks>
    internal const int NotSentLowWater = 32 * 1024;

    private static void Tune(int fd)
    {
        Syscall.SetInt(fd, Libc.IPPROTO_TCP, Libc.TCP_NODELAY, 1);
        Syscall.SetInt(fd, Libc.IPPROTO_TCP, Libc.TCP_DEFER_ACCEPT, 2);
        Syscall.SetInt(fd, Libc.IPPROTO_TCP, Libc.TCP_NOTSENT_LOWAT, NotSentLowWater);
    }

    /// <summary>Takes a listening socket passed by the service manager (already checked by ListenFds).</summary>
    public static unsafe Listener Adopt(int fd)
    {
        Tune(fd);
        SockAddrStorage addr;
        uint length = (uint)sizeof(SockAddrStorage);
        IPEndPoint endPoint = new(IPAddress.None, 0);
        if (Libc.getsockname(fd, &addr, &length) == 0) endPoint = FromSockAddr(addr);
        return new Listener(fd, endPoint, shared: true);
    }

    internal static unsafe IPEndPoint FromSockAddr(in SockAddrStorage addr)
    {
        fixed (SockAddrStorage* p = &addr)
        {
            var raw = new ReadOnlySpan<byte>(p, sizeof(SockAddrStorage));
            int port = (ushort)IPAddress.NetworkToHostOrder((short)addr.PortBigEndian);
            return addr.Family switch
            {
                Libc.AF_INET => new IPEndPoint(new IPAddress(raw.Slice(4, 4)), port),
                Libc.AF_INET6 => new IPEndPoint(new IPAddress(raw.Slice(8, 16), addr.ScopeId), port),
                _ => new IPEndPoint(IPAddress.None, 0),
            };
        }
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
            Tune(fd);
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
