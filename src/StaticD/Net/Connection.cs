using System.Buffers;
using StaticD.Files;
using StaticD.Http;
using StaticD.Logging;
using StaticD.Site;
using StaticD.Interop;
using System.Diagnostics;

namespace StaticD.Net;

/// <summary>
/// One client connection, driven by its loop as an explicit state machine:
/// ReadingHead → Resolving (thread pool) → Sending → ReadingHead (keep-alive) | Lingering → Closed.
/// Every method runs on the owning loop's thread except <see cref="Execute"/>, which runs on the thread pool while
/// the connection is in Resolving or Producing and touches nothing but the request bytes, <see cref="_resource"/> and
/// the decoder.
/// Each handler moves on to the next state at once instead of waiting for another epoll round (darkhttpd).
/// </summary>
internal sealed unsafe partial class Connection : IThreadPoolWorkItem
{
    private enum State : byte { ReadingHead, Resolving, Sending, Producing, Lingering, Closed }

    // Bytes one sendfile() call may move, and bytes one connection may move before letting the others have the
    // loop: a 100 MiB download on loopback would otherwise keep the loop busy for tens of milliseconds.
    // How long a closing connection keeps reading (and discarding) so that the client sees our last response
    // rather than a reset caused by its unread pipelined bytes (nginx lingering_close).
    private const int LingerMs = 2000;

    private static readonly byte[] RootPath = "/"u8.ToArray();

    private readonly EventLoop _loop;
    /// <summary>The configuration of the current request (taken from the loop when its head arrives, so a reload
    /// never changes the rules in the middle of a response).</summary>
    private ServeContext _context;
    public readonly int Fd;
    private readonly SockAddrStorage _peer;
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
    /// <summary>_path* holds this request's decoded path (false until decoded; parse errors have none).</summary>
    private bool _pathValid;
    private bool _bodyDeclared;
    private byte[] _pathArray = RootPath;
    private int _pathStart, _pathLength;
    private Resource _resource;
    private bool _abortWhenResolved;

    public Connection(EventLoop loop, int fd, in SockAddrStorage peer)
    {
        _loop = loop;
        _context = loop.Context;
        Fd = fd;
        _peer = peer;
        _state = State.ReadingHead;
        Deadline = loop.NowMs + _context.Limits.HeaderTimeoutSeconds * 1000L;
        _resource.Reset();
    }

    /// <summary>Right after accept: with TCP_DEFER_ACCEPT the request has usually arrived already, so read it now
    /// rather than a round later. (If it has not, recv says EAGAIN and the edge-triggered EPOLLIN will come.)</summary>
    public void OnAccepted()
    {
        _readable = true;
        ProcessInput();
    }

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
            // Resolving, Producing: new bytes wait in the socket; requests are answered strictly in order.
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
        if (_state is State.Lingering or State.ReadingHead) CloseNow();
    }

    // ───────────────────────────── reading and parsing ─────────────────────────────

    private void ProcessInput()
    {
        while (true)
        {
            if (_recvEnd > _recvStart)
            {
                ReadOnlySpan<byte> input = new(_recv, _recvStart, _recvEnd - _recvStart);
                _context = _loop.Context;
                _head.Reset();
                ParseStatus status = RequestParser.TryParse(input, _context.ParserLimits, ref _head, out int consumed, out ParseError error);
                _requestStart = Stopwatch.GetTimestamp();
                _headParsed = status == ParseStatus.Complete;
                if (status == ParseStatus.Complete)
                {
                    _headLength = consumed;
                    HandleRequest();
                    return;
                }
                if (status == ParseStatus.Invalid)
                {
                    _pathValid = false;
                    RespondError(StatusFor(error), close: true);
                    return;
                }
                // Full: grow a small buffer; at the limit (or in a buffer rented before a reload changed it), refuse.
                if (_recvStart == 0 && _recvEnd == _recv!.Length && input.Length < _context.ParserLimits.MaxHeaderBytes &&
                    _recv.Length < _context.ParserLimits.MaxHeaderBytes)
                {
                    GrowReceiveBuffer();
                }
                else if (input.Length >= _context.ParserLimits.MaxHeaderBytes || (_recvStart == 0 && _recvEnd == _recv!.Length))
                {
                    _pathValid = false;
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
            if (_recvEnd == _recvStart) Deadline = _loop.NowMs + _context.Limits.HeaderTimeoutSeconds * 1000L;
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

    internal static int StatusFor(ParseError error) => error switch
    {
        ParseError.UriTooLong => 414,
        ParseError.HeadersTooLarge => 431,
        ParseError.VersionNotSupported => 505,
        _ => 400,
    };

    private void HandleRequest()
    {
        _loop.Requests++;
        _pathValid = false;
        _isHead = _head.Method == HttpMethod.Head;
        // A request body is never read: the connection closes after the response, so body bytes can never be
        // taken for the next request (no smuggling through an unread body).
        bool bodyFollows = _head.ContentLength > 0 || _head.HasTransferEncoding;
        _bodyDeclared = bodyFollows;
        _keepAlive = _head.KeepAlive && !bodyFollows && !_loop.Stopping &&
                     _context.Limits.KeepAliveTimeoutSeconds > 0;

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

        _pathValid = true;
        if (TryServeFromCache()) return;
        _state = State.Resolving;
        Deadline = long.MaxValue;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    // ───────────────────────────── teardown ─────────────────────────────

    private bool OnThreadPool => _state is State.Resolving or State.Producing;

    private void Abort()
    {
        if (OnThreadPool) _abortWhenResolved = true;
        else CloseNow();
    }

    public void CloseNow()
    {
        if (_state == State.Closed) return;
        if (OnThreadPool)
        {
            // The pool still reads the request bytes (or the decoder); finish when its work comes back.
            _abortWhenResolved = true;
            return;
        }
        if (_logPending) LogAccess(); // a response cut short (client gone, timeout) is logged with what was sent
        _state = State.Closed;
        ReleaseBody();
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
        _resource.Release();
        Syscall.Close(Fd);
    }


    /// <summary>A head outgrew the small buffer: move it to one that can hold MaxHeaderBytes.</summary>
    private void GrowReceiveBuffer()
    {
        byte[] large = _loop.RentLargeReceiveBuffer();
        Buffer.BlockCopy(_recv!, _recvStart, large, 0, _recvEnd - _recvStart);
        _recvEnd -= _recvStart;
        _recvStart = 0;
        _loop.ReturnReceiveBuffer(_recv!);
        _recv = large;
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
