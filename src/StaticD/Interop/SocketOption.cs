namespace StaticD.Interop;

/// <summary>The socket options staticd sets or reads, each a level and a name: (level &lt;&lt; 16) | name, unpacked by
/// <see cref="Syscall.SetOption"/> and <see cref="Syscall.GetOption"/>.</summary>
internal enum SocketOption
{
    ReuseAddress = Libc.SOL_SOCKET << 16 | Libc.SO_REUSEADDR,
    ReusePort = Libc.SOL_SOCKET << 16 | Libc.SO_REUSEPORT,
    Type = Libc.SOL_SOCKET << 16 | Libc.SO_TYPE,
    Error = Libc.SOL_SOCKET << 16 | Libc.SO_ERROR,
    SendBuffer = Libc.SOL_SOCKET << 16 | Libc.SO_SNDBUF,
    ReceiveBuffer = Libc.SOL_SOCKET << 16 | Libc.SO_RCVBUF,
    AcceptConnections = Libc.SOL_SOCKET << 16 | Libc.SO_ACCEPTCONN,
    Domain = Libc.SOL_SOCKET << 16 | Libc.SO_DOMAIN,
    TcpNoDelay = Libc.IPPROTO_TCP << 16 | Libc.TCP_NODELAY,
    TcpCork = Libc.IPPROTO_TCP << 16 | Libc.TCP_CORK,
    TcpDeferAccept = Libc.IPPROTO_TCP << 16 | Libc.TCP_DEFER_ACCEPT,
    TcpNotSentLowWater = Libc.IPPROTO_TCP << 16 | Libc.TCP_NOTSENT_LOWAT,
    IPv6Only = Libc.IPPROTO_IPV6 << 16 | Libc.IPV6_V6ONLY,
}
