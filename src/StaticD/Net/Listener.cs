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
    /// <summary>Connections accepted here speak TLS (HttpsPort, or the socket unit's "https" socket).</summary>
    public bool Tls { get; }

    private Listener(int fd, IPEndPoint endPoint, bool shared, bool tls)
    {
        Fd = fd;
        EndPoint = endPoint;
        Shared = shared;
        Tls = tls;
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
        Syscall.SetOption(fd, SocketOption.TcpNoDelay, 1);
        Syscall.SetOption(fd, SocketOption.TcpDeferAccept, 2);
        Syscall.SetOption(fd, SocketOption.TcpNotSentLowWater, NotSentLowWater);
    }

    /// <summary>Takes a listening socket passed by the service manager (already checked by ListenFds).</summary>
    public static Listener Adopt(int fd, bool tls = false)
    {
        Tune(fd);
        IPEndPoint endPoint = Syscall.GetSockName(fd, out SockAddrStorage addr) == Errno.None
            ? SockAddr.ToEndPoint(addr)
            : new IPEndPoint(IPAddress.None, 0);
        return new Listener(fd, endPoint, shared: true, tls);
    }

    public const int Backlog = 4096;

    /// <summary>Binds and listens; throws <see cref="ListenException"/> with the errno on failure.</summary>
    public static Listener Bind(IPEndPoint endPoint, bool reusePort, bool tls = false)
    {
        bool ipv6 = endPoint.AddressFamily == AddressFamily.InterNetworkV6;
        int fd = Syscall.OpenTcpSocket(ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, out Errno errno);
        if (fd < 0) throw new ListenException(endPoint, errno);
        try
        {
            // SO_REUSEADDR: restart at once even with connections of the previous run in TIME_WAIT.
            Syscall.SetOption(fd, SocketOption.ReuseAddress, 1);
            if (reusePort) Syscall.SetOption(fd, SocketOption.ReusePort, 1);
            // An IPv6 socket on [::] must not also claim IPv4: the default configuration binds 0.0.0.0 separately.
            if (ipv6) Syscall.SetOption(fd, SocketOption.IPv6Only, 1);
            Tune(fd);
            SockAddrStorage addr = SockAddr.FromEndPoint(endPoint, out uint length);
            errno = Syscall.Bind(fd, addr, length);
            if (errno == Errno.None) errno = Syscall.Listen(fd, Backlog);
            if (errno != Errno.None) throw new ListenException(endPoint, errno);
            return new Listener(fd, endPoint, shared: false, tls);
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

    public void Dispose()
    {
        Syscall.Close(Fd);
        Fd = -1;
    }
}

/// <summary>A listener that could not be made: the address (an IP end point, or a unix socket path for the metrics
/// listener) and the errno, in one line for the operator.</summary>
internal sealed class ListenException : Exception
{
    public ListenException(IPEndPoint endPoint, Errno errno)
        : base($"cannot listen on {Format(endPoint)}: {Explain(endPoint, errno)}") => Errno = errno;

    /// <summary>A unix socket at <paramref name="path"/>; <paramref name="problem"/> says what failed.</summary>
    public ListenException(string path, string problem, Errno errno)
        : base($"cannot listen on unix:{path}: {problem}") => Errno = errno;

    public Errno Errno { get; }

    /// <summary>strerror's words where they help; where they do not ("Cannot assign requested address"), ours.</summary>
    private static string Explain(IPEndPoint ep, Errno errno) => errno switch
    {
        Errno.EADDRNOTAVAIL => "not an address of this host (EADDRNOTAVAIL)",
        Errno.EACCES or Errno.EPERM when ep.Port < 1024 =>
            $"{errno.Describe()}; a port below 1024 needs root or CAP_NET_BIND_SERVICE",
        _ => errno.Describe(),
    };

    public static string Format(IPEndPoint ep) =>
        ep.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{ep.Address}]:{ep.Port}" : $"{ep.Address}:{ep.Port}";
}
