using System.Net.Sockets;
using StaticD.Interop;
using StaticD.Tls;

namespace StaticD.Net;

/// <summary>
/// A TLS session on a connection of an HTTPS listener, run by the loop like the plain socket: OpenSSL reads and
/// writes the non-blocking socket itself, and "would block" comes back as EAGAIN, so <see cref="Connection"/> waits
/// for the next edge exactly as it does for TCP. The handshake runs inside the first receives; its time counts
/// against the header timeout (the deadline set at accept), so a client that stalls mid-handshake is closed like
/// one that stalls mid-head.
/// </summary>
internal sealed class TlsTransport : ITransport
{
    private enum Phase : byte { Start, Handshake, Open, PlainHttp, Failed }

    /// <summary>Plaintext of one full TLS record. A send of more goes out as a batch (<see cref="SendBatch"/>).</summary>
    private const int RecordBytes = 16 * 1024;

    /// <summary>The batch buffer: the records of one 64 KiB copy chunk (<see cref="ResponseBody"/>), each with its
    /// header and AEAD tag, so a chunk leaves in one write() instead of four.</summary>
    private const int BatchBytes = 4 * (RecordBytes + 256);

    private readonly LoopMetrics _metrics;
    private readonly bool _kernelTlsAllowed;
    private nint _ssl;
    private Phase _phase;
    private bool _kernelSends;
    /// <summary>≥ 0 while a batch waits for the socket: the plaintext bytes its records hold, which the caller
    /// offers again (as after EAGAIN) and is told were taken once they are out.</summary>
    private int _batchTaken = -1;

    public TlsTransport(int fd, TlsSites sites, LoopMetrics metrics)
    {
        Fd = fd;
        _metrics = metrics;
        _kernelTlsAllowed = sites.KernelTls;
        _ssl = Ssl.NewSession(sites.Default.Handle, fd);
    }

    public int Fd { get; }
    public bool IsTls => _phase != Phase.PlainHttp;
    /// <summary>The client spoke plain HTTP to this TLS port: the connection answers 400 in plain text and closes
    /// (the transport passes bytes through unencrypted for that one answer, as nginx does).</summary>
    public bool IsPlainHttpOnTlsPort => _phase == Phase.PlainHttp;
    public bool ReadNeedsWritable { get; private set; }
    public bool WriteNeedsReadable { get; private set; }
    public ReadOnlySpan<byte> ServerName => _phase == Phase.Open ? Ssl.ServerName(_ssl) : default;
    public bool CanSendFile => _kernelSends;
    public bool NegotiatedHttp2 { get; private set; }

    public nint Receive(Span<byte> buffer, out Errno errno)
    {
        ReadNeedsWritable = false;
        if (_phase == Phase.PlainHttp) return Syscall.Recv(Fd, buffer, out errno);
        if (_phase == Phase.Failed)
        {
            errno = Errno.ECONNRESET;
            return -1;
        }
        if (_phase != Phase.Open)
        {
            nint step = Handshake(out errno);
            if (step <= 0) return step;
            if (_phase == Phase.PlainHttp) return Syscall.Recv(Fd, buffer, out errno);
        }
        // Read until OpenSSL wants the socket again, the socket is drained, or the buffer is full: the loop is
        // edge-triggered, so a record left in the socket (or plaintext left in OpenSSL) would otherwise wait for an
        // event that never comes. A drained socket ends the loop without the read() that would only say EAGAIN: the
        // short count tells Connection, as a short recv() does on a plain connection.
        int total = 0;
        TlsStatus status = TlsStatus.Ok;
        while (total < buffer.Length)
        {
            total += (int)Ssl.Read(_ssl, buffer[total..], out status, out bool drained);
            if (status != TlsStatus.Ok || drained) break;
        }
        errno = Errno.None;
        if (total > 0) return total; // a close or error after data is seen again on the next call
        switch (status)
        {
            case TlsStatus.WantRead or TlsStatus.WantWrite:
                return WaitToRead(status, out errno);
            case TlsStatus.Closed:
                return 0;
            default:
                errno = Errno.ECONNRESET;
                return -1;
        }
    }

    /// <summary>-1 with EAGAIN: a read (or the handshake) waits for the socket to be readable, or writable when TLS
    /// must first send what the socket could not take (<see cref="ReadNeedsWritable"/>).</summary>
    private nint WaitToRead(TlsStatus status, out Errno errno)
    {
        ReadNeedsWritable = status == TlsStatus.WantWrite;
        errno = Errno.EAGAIN;
        return -1;
    }

    /// <summary>1 once the session is open (or the client turned out to speak plain HTTP), else what
    /// <see cref="Receive"/> returns: -1 with EAGAIN to wait, 0 for a client that left, -1 with an error.</summary>
    private nint Handshake(out Errno errno)
    {
        errno = Errno.None;
        if (_phase == Phase.Start)
        {
            Span<byte> first = stackalloc byte[1];
            nint n = Syscall.Peek(Fd, first, out errno);
            if (n <= 0) return n;
            if (first[0] is >= (byte)'A' and <= (byte)'Z') // a method; a ClientHello record starts with 0x16
            {
                _phase = Phase.PlainHttp;
                Count(TlsHandshakeResult.PlainHttp);
                return 1;
            }
            _phase = Phase.Handshake;
        }
        if (_ssl == 0)
        {
            errno = Errno.ENOMEM;
            return -1;
        }
        TlsStatus status = Ssl.Handshake(_ssl);
        switch (status)
        {
            case TlsStatus.Ok:
                if (Ssl.IsChallengeSession(_ssl))
                {
                    // tls-alpn-01 (RFC 8737 §3): the handshake was the answer; no HTTP follows.
                    Count(TlsHandshakeResult.Ok);
                    Ssl.Shutdown(_ssl);
                    _phase = Phase.Failed;
                    return 0;
                }
                _phase = Phase.Open;
                NegotiatedHttp2 = Ssl.SelectedHttp2(_ssl);
                _kernelSends = _kernelTlsAllowed && Ssl.KernelSends(_ssl);
                if (_kernelSends) _metrics.KernelTlsSessions++;
                if (Ssl.SessionReused(_ssl)) _metrics.TlsResumed++;
                Count(TlsHandshakeResult.Ok);
                return 1;
            case TlsStatus.WantRead or TlsStatus.WantWrite:
                return WaitToRead(status, out errno);
            default:
                _phase = Phase.Failed;
                Count(TlsHandshakeResult.Failed);
                errno = Errno.ECONNRESET;
                return -1;
        }
    }

    public nint Send(ReadOnlySpan<byte> data, bool more, out Errno errno)
    {
        WriteNeedsReadable = false;
        if (_phase == Phase.PlainHttp) return Syscall.Send(Fd, data, more, out errno);
        if (_phase != Phase.Open || _ssl == 0)
        {
            errno = Errno.EPIPE;
            return -1;
        }
        if (_batchTaken >= 0)
        {
            nint finished = FinishBatch(out errno);
            if (finished != 0) return finished;
        }
        if (data.IsEmpty)
        {
            errno = Errno.None;
            return 0;
        }
        if (data.Length > RecordBytes && !_kernelSends) return SendBatch(data, out errno);
        nint n = Ssl.Write(_ssl, data, out TlsStatus status);
        return Result(n, status, out errno);
    }

    /// <summary>Several records at once: each SSL_write makes one record (partial writes), the batch buffer
    /// collects them and one flush writes them out. The bytes OpenSSL took are reported only once they have left
    /// the buffer: until then Send answers EAGAIN and the caller offers the same bytes again.</summary>
    private nint SendBatch(ReadOnlySpan<byte> data, out Errno errno)
    {
        if (!Ssl.BeginBatch(_ssl, BatchBytes))
        {
            nint n = Ssl.Write(_ssl, data, out TlsStatus single);
            return Result(n, single, out errno);
        }
        int taken = 0;
        TlsStatus status = TlsStatus.Ok;
        while (taken < data.Length)
        {
            nint n = Ssl.Write(_ssl, data[taken..], out status);
            if (status != TlsStatus.Ok) break;
            taken += (int)n;
        }
        // WantWrite: the buffer filled and the socket is full, a record is left inside OpenSSL to be offered again.
        // WantRead (a key update) and failures end the batch too; what was taken still goes out first.
        _batchTaken = taken;
        nint finished = FinishBatch(out errno);
        if (finished != 0) return finished;
        return Result(0, status == TlsStatus.Ok ? TlsStatus.WantWrite : status, out errno);
    }

    /// <summary>Flushes a pending batch: the bytes it held (> 0) once they are out, -1 with EAGAIN (socket full)
    /// or EPIPE, or 0 for a batch that held nothing (the caller then writes as usual).</summary>
    private nint FinishBatch(out Errno errno)
    {
        errno = Errno.None;
        switch (Ssl.FlushBatch(_ssl))
        {
            case TlsStatus.WantWrite:
                errno = Errno.EAGAIN;
                return -1;
            case TlsStatus.Ok:
                Ssl.EndBatch(_ssl);
                int taken = _batchTaken;
                _batchTaken = -1;
                return taken;
            default:
                Ssl.EndBatch(_ssl);
                _batchTaken = -1;
                errno = Errno.EPIPE;
                return -1;
        }
    }

    public nint SendFile(int fileFd, ref long offset, long count, out Errno errno)
    {
        WriteNeedsReadable = false;
        nint n = Ssl.SendFile(_ssl, fileFd, offset, count, out TlsStatus status);
        if (status == TlsStatus.Ok) offset += n;
        return Result(n, status, out errno);
    }

    private nint Result(nint n, TlsStatus status, out Errno errno)
    {
        errno = Errno.None;
        switch (status)
        {
            case TlsStatus.Ok:
                return n;
            case TlsStatus.WantWrite:
                errno = Errno.EAGAIN;
                return -1;
            case TlsStatus.WantRead:
                // TLS may need to read before it can write (a key update); the connection then resumes on EPOLLIN.
                WriteNeedsReadable = true;
                errno = Errno.EAGAIN;
                return -1;
            default:
                errno = Errno.EPIPE;
                return -1;
        }
    }

    public void ShutdownWrite()
    {
        if (_phase == Phase.Open && _ssl != 0) Ssl.Shutdown(_ssl);
        Syscall.Shutdown(Fd, SocketShutdown.Send);
    }

    public void Close()
    {
        if (_ssl != 0)
        {
            if (_phase is Phase.Start or Phase.Handshake) Count(TlsHandshakeResult.Incomplete);
            else if (_phase == Phase.Open) Ssl.Shutdown(_ssl); // close_notify, best effort: never waits
            Ssl.FreeSession(_ssl);
            _ssl = 0;
        }
        Syscall.Close(Fd);
    }

    private void Count(TlsHandshakeResult result) => _metrics.TlsHandshakes[(int)result]++;
}

/// <summary>How a TLS handshake ended, for <c>staticd_tls_handshakes_total{result}</c>.</summary>
internal enum TlsHandshakeResult : byte
{
    Ok,
    /// <summary>A protocol error: a version or suite we refuse, a malformed hello, a certificate the client rejected.</summary>
    Failed,
    /// <summary>The connection closed (client gone, or the header timeout) before the handshake finished.</summary>
    Incomplete,
    /// <summary>A plain HTTP request on the TLS port (answered 400).</summary>
    PlainHttp,
}
