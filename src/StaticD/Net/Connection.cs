using System.Buffers;
using StaticD.Files;
using StaticD.Hosting;
using StaticD.Http;
using StaticD.Interop;

namespace StaticD.Net;

/// <summary>
/// One client connection, driven by its loop as an explicit state machine:
/// ReadingHead → Resolving (thread pool) → Sending → ReadingHead (keep-alive) | Lingering → Closed.
/// Every method runs on the owning loop's thread except <see cref="Execute"/>, which runs on the thread pool while
/// the connection is in Resolving and touches nothing but the path bytes and <see cref="_resolution"/>.
/// Each handler moves on to the next state at once instead of waiting for another epoll round (darkhttpd).
/// </summary>
internal sealed unsafe class Connection : IThreadPoolWorkItem
{
    private enum State : byte { ReadingHead, Resolving, Sending, Lingering, Closed }

    // Bytes one sendfile() call may move, and bytes one connection may move before letting the others have the
    // loop: a 100 MiB download on loopback would otherwise keep the loop busy for tens of milliseconds.
    private const int SendFileChunk = 512 * 1024;
    private const int TurnBudget = 1024 * 1024;
    // How long a closing connection keeps reading (and discarding) so that the client sees our last response
    // rather than a reset caused by its unread pipelined bytes (nginx lingering_close).
    private const int LingerMs = 2000;

    private static readonly byte[] RootPath = "/"u8.ToArray();

    private readonly EventLoop _loop;
    private readonly ServerContext _context;
    public readonly int Fd;
    public int Slot;
    /// <summary>Loop clock (ms) at which this connection times out; long.MaxValue while resolving.</summary>
    public long Deadline;
    private State _state;

    private byte[]? _recv;
    private int _recvStart, _recvEnd;
    private bool _readable, _peerClosed;

    private RequestHead _head;
    private int _headLength;
    private bool _keepAlive, _isHead;
    private byte[] _pathArray = RootPath;
    private int _pathStart, _pathLength;
    private FileResolution _resolution;
    private bool _abortWhenResolved;

    private byte[]? _pending;
    private int _pendingOffset, _pendingEnd;
    private int _fileFd = -1;
    private long _fileOffset, _fileRemaining;

    public Connection(EventLoop loop, ServerContext context, int fd)
    {
        _loop = loop;
        _context = context;
        Fd = fd;
        _state = State.ReadingHead;
        Deadline = loop.NowMs + context.Options.Limits.HeaderTimeoutSeconds * 1000L;
        _resolution.Reset();
    }

    public bool IsIdle => _state == State.ReadingHead && _recvEnd == _recvStart;

    // ───────────────────────────── events from the loop ─────────────────────────────

    public void OnEvents(uint events)
    {
        if (_state == State.Closed) return;
        if ((events & (Libc.EPOLLERR | Libc.EPOLLHUP)) != 0)
        {
            Abort();
            return;
        }
        if ((events & (Libc.EPOLLIN | Libc.EPOLLRDHUP)) != 0) _readable = true;
        switch (_state)
        {
            case State.ReadingHead:
                if (_readable) ProcessInput();
                break;
            case State.Sending:
                if ((events & Libc.EPOLLOUT) != 0) ContinueSend();
                break;
            case State.Lingering:
                if (_readable) Linger();
                break;
            // Resolving: new bytes wait in the socket; requests are answered strictly in order.
        }
    }

    /// <summary>The loop gives a connection that used up its turn budget another turn.</summary>
    public void OnResumed()
    {
        if (_state == State.Sending) ContinueSend();
    }

    public void OnTimeout()
    {
        // Header, keep-alive, send and linger timeouts all end the same way: a silent close. A client that stopped
        // sending or reading would not read a 408 either.
        CloseNow();
    }

    /// <summary>Graceful stop: idle connections go now, busy ones after their current response.</summary>
    public void BeginShutdown()
    {
        _keepAlive = false;
        if (_state == State.Lingering || (_state == State.ReadingHead)) CloseNow();
    }

    // ───────────────────────────── reading and parsing ─────────────────────────────

    private void ProcessInput()
    {
        while (true)
        {
            if (_recvEnd > _recvStart)
            {
                ReadOnlySpan<byte> input = new(_recv, _recvStart, _recvEnd - _recvStart);
                _head.Reset();
                ParseStatus status = RequestParser.TryParse(input, _context.ParserLimits, ref _head, out int consumed, out ParseError error);
                if (status == ParseStatus.Complete)
                {
                    _headLength = consumed;
                    HandleRequest();
                    return;
                }
                if (status == ParseStatus.Invalid)
                {
                    RespondError(StatusFor(error), close: true);
                    return;
                }
                if (input.Length >= _context.ParserLimits.MaxHeaderBytes)
                {
                    RespondError(431, close: true);
                    return;
                }
            }
            if (_peerClosed)
            {
                // The client finished sending; a partial head can never complete.
                CloseNow();
                return;
            }
            if (!_readable)
            {
                if (_recvEnd == _recvStart) ReleaseReceiveBuffer();
                return;
            }
            if (!Receive()) return;
        }
    }

    /// <summary>One recv(); false if the connection was closed.</summary>
    private bool Receive()
    {
        if (_recv is null)
        {
            _recv = _loop.RentReceiveBuffer();
            _recvStart = _recvEnd = 0;
        }
        else if (_recvStart > 0)
        {
            // Keep the unparsed bytes at the front so a head can use the whole buffer.
            Buffer.BlockCopy(_recv, _recvStart, _recv, 0, _recvEnd - _recvStart);
            _recvEnd -= _recvStart;
            _recvStart = 0;
        }
        int space = _recv.Length - _recvEnd;
        nint n;
        Errno errno;
        fixed (byte* p = &_recv[_recvEnd])
            n = Syscall.Recv(Fd, p, space, out errno);
        if (n > 0)
        {
            // The header timeout runs from the first byte of a head: the whole head must arrive in time, not just
            // each byte (slowloris).
            if (_recvEnd == _recvStart) Deadline = _loop.NowMs + _context.Options.Limits.HeaderTimeoutSeconds * 1000L;
            _recvEnd += (int)n;
            // With edge-triggered epoll a short read means the socket is drained: new data brings a new event.
            if (n < space) _readable = false;
            return true;
        }
        _readable = false;
        if (n == 0)
        {
            _peerClosed = true;
            return true;
        }
        if (errno == Errno.EAGAIN) return true;
        CloseNow();
        return false;
    }

    private static int StatusFor(ParseError error) => error switch
    {
        ParseError.UriTooLong => 414,
        ParseError.HeadersTooLarge => 431,
        ParseError.VersionNotSupported => 505,
        _ => 400,
    };

    private void HandleRequest()
    {
        _isHead = _head.Method == HttpMethod.Head;
        // A request body is never read: the connection closes after the response, so body bytes can never be
        // taken for the next request (no smuggling through an unread body).
        bool bodyFollows = _head.ContentLength > 0 || _head.HasTransferEncoding;
        _keepAlive = _head.KeepAlive && !bodyFollows && !_loop.Stopping &&
                     _context.Options.Limits.KeepAliveTimeoutSeconds > 0;

        if (_head.Method != HttpMethod.Get && _head.Method != HttpMethod.Head)
        {
            RespondError(_head.Method == HttpMethod.Unknown ? 501 : 405, close: !_keepAlive);
            return;
        }

        if (_head.Path.Length <= 0)
        {
            // absolute-form without a path ("GET http://host HTTP/1.1") means "/".
            _pathArray = RootPath;
            _pathStart = 0;
            _pathLength = 1;
        }
        else
        {
            Span<byte> path = new(_recv, _recvStart + _head.Path.Start, _head.Path.Length);
            if (TargetDecoder.Decode(path, out int length) != DecodeStatus.Ok)
            {
                RespondError(400, close: true);
                return;
            }
            _pathArray = _recv!;
            _pathStart = _recvStart + _head.Path.Start;
            _pathLength = length;
        }

        _state = State.Resolving;
        Deadline = long.MaxValue;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    // ───────────────────────────── the thread-pool hop ─────────────────────────────

    /// <summary>Thread pool: open and stat the file, then hand the connection back to its loop.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        FileResolver.Resolve(_context.RootFd, new ReadOnlySpan<byte>(_pathArray, _pathStart, _pathLength), ref _resolution);
        _loop.Complete(this);
    }

    /// <summary>Loop: the resolution is back (the completion queue orders the pool's writes before this read).</summary>
    public void OnResolved()
    {
        if (_abortWhenResolved)
        {
            Syscall.Close(_resolution.Fd);
            _resolution.Fd = -1;
            CloseNow();
            return;
        }
        switch (_resolution.Status)
        {
            case 200:
                RespondFile();
                break;
            case 301:
                RespondRedirect();
                break;
            default:
                if (_resolution.Status == 500)
                    Log.ResolveFailed(_loop.Logger, PathString(), _resolution.Errno.Describe());
                RespondError(_resolution.Status, close: !_keepAlive);
                break;
        }
    }

    private string PathString() => System.Text.Encoding.UTF8.GetString(_pathArray, _pathStart, _pathLength);

    // ───────────────────────────── writing responses ─────────────────────────────

    private ResponseWriter BeginHead(int status)
    {
        var writer = new ResponseWriter(_loop.Scratch);
        writer.Write(StatusCodes.Line(status));
        writer.Write("Server: staticd\r\n"u8);
        writer.Write(_loop.DateHeader);
        return writer;
    }

    private void EndHead(ref ResponseWriter writer)
    {
        if (!_keepAlive) writer.Write("Connection: close\r\n"u8);
        else if (_head.VersionMinor == 0) writer.Write("Connection: keep-alive\r\n"u8);
        writer.Write("\r\n"u8);
    }

    private void RespondFile()
    {
        ref FileResolution r = ref _resolution;
        ResponseWriter w = BeginHead(200);
        ReadOnlySpan<byte> name = r.IsIndex ? FileResolver.IndexFile : new ReadOnlySpan<byte>(_pathArray, _pathStart, _pathLength);
        w.Write("Content-Type: "u8);
        w.Write(MimeTypes.ForFileName(name));
        w.Write("\r\nContent-Length: "u8);
        w.WriteDecimal(r.Length);
        w.Write("\r\nLast-Modified: "u8);
        w.WriteHttpDate(r.MtimeSeconds);
        w.Write("\r\n"u8);
        EndHead(ref w);

        if (_isHead || r.Length == 0)
        {
            Syscall.Close(r.Fd);
        }
        else
        {
            _fileFd = r.Fd;
            _fileOffset = 0;
            _fileRemaining = r.Length;
        }
        r.Fd = -1;
        SendHead(w.Length);
    }

    private void RespondRedirect()
    {
        ReadOnlySpan<byte> body = StatusCodes.ErrorBody(301);
        ResponseWriter w = BeginHead(301);
        w.Write("Location: "u8);
        w.WritePathEncoded(new ReadOnlySpan<byte>(_pathArray, _pathStart, _pathLength));
        w.Write("/"u8);
        if (_head.Query.IsPresent)
        {
            w.Write("?"u8);
            w.Write(new ReadOnlySpan<byte>(_recv, _recvStart + _head.Query.Start, _head.Query.Length));
        }
        w.Write("\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: "u8);
        w.WriteDecimal(body.Length);
        w.Write("\r\n"u8);
        EndHead(ref w);
        if (!_isHead) w.Write(body);
        SendHead(w.Length);
    }

    private void RespondError(int status, bool close)
    {
        if (close) _keepAlive = false;
        ReadOnlySpan<byte> body = StatusCodes.ErrorBody(status);
        ResponseWriter w = BeginHead(status);
        if (status == 405) w.Write("Allow: GET, HEAD\r\n"u8);
        if (status == 503) w.Write("Retry-After: 5\r\n"u8);
        w.Write("Content-Type: text/html; charset=utf-8\r\nContent-Length: "u8);
        w.WriteDecimal(body.Length);
        w.Write("\r\n"u8);
        EndHead(ref w);
        if (!_isHead) w.Write(body);
        SendHead(w.Length);
    }

    /// <summary>Sends the head from the loop's scratch buffer; only if the socket cannot take it all at once are
    /// the remaining bytes copied into a buffer of the connection's own.</summary>
    private void SendHead(int length)
    {
        _state = State.Sending;
        bool more = _fileRemaining > 0;
        nint n;
        Errno errno;
        fixed (byte* p = _loop.Scratch)
            n = Syscall.Send(Fd, p, length, more, out errno);
        if (n == length)
        {
            ContinueSend();
            return;
        }
        if (n < 0 && errno != Errno.EAGAIN)
        {
            CloseNow();
            return;
        }
        int sent = n > 0 ? (int)n : 0;
        _pending = ArrayPool<byte>.Shared.Rent(length - sent);
        Buffer.BlockCopy(_loop.Scratch, sent, _pending, 0, length - sent);
        _pendingOffset = 0;
        _pendingEnd = length - sent;
        Deadline = _loop.NowMs + _context.Options.Limits.SendTimeoutSeconds * 1000L;
    }

    private void ContinueSend()
    {
        long now = _loop.NowMs;
        long sendTimeout = _context.Options.Limits.SendTimeoutSeconds * 1000L;
        if (_pending is not null)
        {
            nint n;
            Errno errno;
            fixed (byte* p = &_pending[_pendingOffset])
                n = Syscall.Send(Fd, p, _pendingEnd - _pendingOffset, _fileRemaining > 0, out errno);
            if (n < 0)
            {
                if (errno == Errno.EAGAIN) return;
                CloseNow();
                return;
            }
            _pendingOffset += (int)n;
            Deadline = now + sendTimeout;
            if (_pendingOffset < _pendingEnd) return;
            ReturnPending();
        }

        long sentThisTurn = 0;
        while (_fileRemaining > 0)
        {
            nint n = Syscall.SendFile(Fd, _fileFd, ref _fileOffset, Math.Min(_fileRemaining, SendFileChunk), out Errno errno);
            if (n > 0)
            {
                _fileRemaining -= n;
                sentThisTurn += n;
                Deadline = now + sendTimeout;
                if (sentThisTurn >= TurnBudget && _fileRemaining > 0)
                {
                    _loop.Yield(this);
                    return;
                }
                continue;
            }
            if (n == 0)
            {
                // The file shrank after its length went out in Content-Length: the response cannot be completed,
                // and closing is the only way to tell the client (nginx logs "file was truncated" the same way).
                Log.FileTruncated(_loop.Logger, PathString(), _fileOffset);
                CloseNow();
                return;
            }
            if (errno == Errno.EAGAIN)
            {
                Deadline = now + sendTimeout;
                return;
            }
            CloseNow(); // EPIPE, ECONNRESET: the client went away.
            return;
        }
        FinishResponse();
    }

    private void FinishResponse()
    {
        if (_fileFd >= 0)
        {
            Syscall.Close(_fileFd);
            _fileFd = -1;
        }
        if (!_keepAlive)
        {
            BeginLingeringClose();
            return;
        }
        _recvStart += _headLength;
        _headLength = 0;
        if (_recvStart == _recvEnd) _recvStart = _recvEnd = 0;
        _state = State.ReadingHead;
        Deadline = _loop.NowMs + (_recvEnd > _recvStart
            ? _context.Options.Limits.HeaderTimeoutSeconds
            : _context.Options.Limits.KeepAliveTimeoutSeconds) * 1000L;
        // Pipelined requests may already be buffered: answer them now.
        ProcessInput();
    }

    private void BeginLingeringClose()
    {
        Libc.shutdown(Fd, Libc.SHUT_WR);
        _state = State.Lingering;
        ReleaseReceiveBuffer();
        Deadline = _loop.NowMs + LingerMs;
        Linger();
    }

    private void Linger()
    {
        while (true)
        {
            nint n;
            Errno errno;
            fixed (byte* p = _loop.Scratch)
                n = Syscall.Recv(Fd, p, _loop.Scratch.Length, out errno);
            if (n > 0) continue;
            if (n < 0 && errno == Errno.EAGAIN)
            {
                _readable = false;
                return;
            }
            CloseNow(); // EOF or error: the client has everything it is going to read.
            return;
        }
    }

    // ───────────────────────────── teardown ─────────────────────────────

    private void Abort()
    {
        if (_state == State.Resolving) _abortWhenResolved = true;
        else CloseNow();
    }

    public void CloseNow()
    {
        if (_state == State.Closed) return;
        if (_state == State.Resolving)
        {
            // The pool still reads the path from the receive buffer; finish when the resolution comes back.
            _abortWhenResolved = true;
            return;
        }
        _state = State.Closed;
        if (_fileFd >= 0)
        {
            Syscall.Close(_fileFd);
            _fileFd = -1;
        }
        ReturnPending();
        ReleaseReceiveBuffer();
        // close() also removes the fd from the epoll set (no other descriptor refers to the socket).
        Syscall.Close(Fd);
        _loop.Remove(this);
    }

    /// <summary>Loop exit after the shutdown timeout: close whatever is left, even mid-resolution (the pool's
    /// completion will then find a closed connection and a loop that no longer drains: harmless).</summary>
    public void ForceClose()
    {
        if (_state == State.Closed) return;
        _state = State.Closed;
        if (_fileFd >= 0) Syscall.Close(_fileFd);
        _fileFd = -1;
        Syscall.Close(Fd);
    }

    private void ReturnPending()
    {
        if (_pending is null) return;
        ArrayPool<byte>.Shared.Return(_pending);
        _pending = null;
    }

    /// <summary>Idle keep-alive connections hold no receive buffer (nginx ngx_http_set_keepalive): 10,000 idle
    /// clients cost 10,000 small objects, not 10,000 buffers.</summary>
    private void ReleaseReceiveBuffer()
    {
        if (_recv is null) return;
        _loop.ReturnReceiveBuffer(_recv);
        _recv = null;
        _recvStart = _recvEnd = 0;
    }
}
