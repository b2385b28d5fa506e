using System.Net.Sockets;
using StaticD.Interop;

namespace StaticD.Net;

/// <summary>
/// How a connection moves bytes: the plain socket (<see cref="SocketTransport"/>) or a TLS session (<see cref="TlsTransport"/>). The HTTP state machine only sees
/// this, so a transport plugs in without touching it. Results follow the Interop idiom: a count (0 from
/// <see cref="Receive"/> is end of stream), or -1 with the errno, where EAGAIN means "wait for the next event".
/// </summary>
internal interface ITransport
{
    /// <summary>The socket, for epoll registration.</summary>
    int Fd { get; }

    /// <summary>Bytes are encrypted (an HTTPS listener): HSTS applies, RedirectHttp does not.</summary>
    bool IsTls => false;

    /// <summary>A client sent plain HTTP to a TLS port; it is answered 400 in plain text.</summary>
    bool IsPlainHttpOnTlsPort => false;

    /// <summary>The TLS server name (SNI) the client asked for; empty on plain TCP or without SNI.</summary>
    ReadOnlySpan<byte> ServerName => default;

    /// <summary>The last <see cref="Receive"/> said EAGAIN because TLS must write first (a handshake flight the
    /// socket could not take): the reader resumes on EPOLLOUT, not EPOLLIN.</summary>
    bool ReadNeedsWritable => false;

    /// <summary>The last send said EAGAIN because TLS must read first: the writer resumes on EPOLLIN.</summary>
    bool WriteNeedsReadable => false;

    /// <summary>TLS chose HTTP/2 by ALPN ("h2"): the connection speaks HTTP/2 from its first byte.</summary>
    bool NegotiatedHttp2 => false;

    /// <summary>The transport frames the response body itself (an HTTP/2 stream): no chunked coding, no
    /// Connection fields that matter, and the end of the response is told with <see cref="EndResponse"/>.</summary>
    bool FramesBody => false;

    /// <summary>The whole response has been handed to <see cref="Send"/> (only called when <see cref="FramesBody"/>).</summary>
    void EndResponse() { }

    nint Receive(Span<byte> buffer, out Errno errno);

    /// <summary><paramref name="more"/>: more of the response follows at once, so a partial packet may wait
    /// for it (MSG_MORE).</summary>
    nint Send(ReadOnlySpan<byte> data, bool more, out Errno errno);

    /// <summary>Whether file bodies may go out with <see cref="SendFile"/>. When false the connection copies:
    /// pread into a pooled buffer, then <see cref="Send"/> (a TLS session without kernel TLS).</summary>
    bool CanSendFile { get; }

    /// <summary>Moves up to <paramref name="count"/> bytes of <paramref name="fileFd"/> from
    /// <paramref name="offset"/> (advanced by what was sent) without copying through user space.</summary>
    nint SendFile(int fileFd, ref long offset, long count, out Errno errno);

    /// <summary>No more bytes from us (lingering close keeps reading).</summary>
    void ShutdownWrite();

    /// <summary>Closes the socket; close() also removes it from the epoll set.</summary>
    void Close();
}

/// <summary>A plain TCP socket: every call is one syscall through Interop.</summary>
internal sealed class SocketTransport(int fd) : ITransport
{
    public int Fd { get; } = fd;

    public nint Receive(Span<byte> buffer, out Errno errno) => Syscall.Recv(Fd, buffer, out errno);

    public nint Send(ReadOnlySpan<byte> data, bool more, out Errno errno) => Syscall.Send(Fd, data, more, out errno);

    public bool CanSendFile => true;

    public nint SendFile(int fileFd, ref long offset, long count, out Errno errno) =>
        Syscall.SendFile(Fd, fileFd, ref offset, count, out errno);

    public void ShutdownWrite() => Syscall.Shutdown(Fd, SocketShutdown.Send);

    public void Close() => Syscall.Close(Fd);
}
