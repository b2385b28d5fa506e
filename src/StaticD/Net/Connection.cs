using System.Diagnostics;
using StaticD.Files;
using StaticD.Http;
using StaticD.Interop;
using StaticD.Site;

namespace StaticD.Net;

/// <summary>
/// One client connection, driven by its loop as an explicit state machine, in the order a request flows:
/// ReadingHead (this file) → Resolving on the thread pool, or straight from the file cache (Connection.Resolve.cs)
/// → Sending the head and body (Connection.Respond.cs, through <see cref="ITransport"/>) → ReadingHead again
/// (keep-alive, pipelined requests at once) | Lingering → Closed.
/// Every method runs on the owning loop's thread except <see cref="Execute"/>, which runs on the thread pool while
/// the connection is in Resolving or Producing and touches nothing but the request bytes, the resource and the
/// decoder. Each handler moves on to the next state at once instead of waiting for another epoll round
/// (darkhttpd). Time is the loop's clock (<see cref="EventLoop.NowMs"/>), never read here directly, so tests move it.
/// </summary>
internal sealed partial class Connection : IThreadPoolWorkItem
{
    private enum State : byte { ReadingHead, Resolving, Sending, Producing, Lingering, Http2, Closed }

    // How long a closing connection keeps reading (and discarding) so that the client sees our last response
    // rather than a reset caused by its unread pipelined bytes (nginx lingering_close).
    private const int LingerMs = 2000;

    private static readonly byte[] RootPath = "/"u8.ToArray();

    private readonly EventLoop _loop;
    private readonly ITransport _transport;
    private readonly SockAddrStorage _peer;
    /// <summary>The configuration of the current request (taken from the loop when its head arrives, so a reload
    /// never changes the rules in the middle of a response).</summary>
    private ServeContext _context;
    /// <summary>The site answering the current request, chosen by its host; null before that (a malformed
    /// request) and when no site takes the host (421).</summary>
    private ServedSite? _site;
    public int Slot;
    /// <summary>Loop clock (ms) at which this connection times out; long.MaxValue while on the thread pool.</summary>
    public long Deadline;
    private State _state;
    private bool _readable, _peerClosed;
    /// <summary>EPOLLRDHUP was reported: the client's FIN has arrived, so a short read no longer means the socket
    /// is drained. The end of the stream is still to be read, and no further edge will announce it.</summary>
    private bool _peerShutdown;

    // ── the request being answered ──
    private ReceiveBuffer _in;
    private RequestHead _head;
    private int _headLength;
    private bool _headParsed, _keepAlive, _isHead;
    /// <summary>The request declared a body (never read: the connection closes after the response).</summary>
    private bool _bodyDeclared;
    /// <summary>_path* holds this request's decoded path (false until decoded; parse errors have none).</summary>
    private bool _pathValid;
    private byte[] _pathArray = RootPath;
    private int _pathStart, _pathLength;
    /// <summary>Rented when the path needs decoding: decoding shrinks it in place, and the request line in the
    /// receive buffer must stay as the client sent it for the access log.</summary>
    private byte[]? _decodedPath;
    private Resource _resource;
    private bool _abortWhenResolved;
    /// <summary>The file cache's event count when the resolution went to the pool (see FileCache.Store).</summary>
    private long _cacheEventCount;

    // ── the response ──
    private ResponseBody _body = new();
    /// <summary>Which of the site's CORS origins the request's Origin is (CorsPolicy.Match), -1 for none: then
    /// no Access-Control-Allow-Origin.</summary>
    private int _corsMatch = -1;
    /// <summary>The kind's own fields already carried Vary (with Origin when the site needs it).</summary>
    private bool _varyWritten;
    private DecodedBody? _decoded;
    private ByteRange[]? _ranges;
    /// <summary>The site the TLS server name selects, under <see cref="_sniContext"/>.</summary>
    private ServedSite? _sniSite;
    private ServeContext? _sniContext;

    // ── the access log entry ──
    private int _status;
    private long _bytesSent;
    /// <summary>The head's share of <see cref="_bytesSent"/>: the rest is the body (nginx's $body_bytes_sent).</summary>
    private int _headBytes;
    private long _requestStart;
    private bool _logPending;

    public Connection(EventLoop loop, ITransport transport, in SockAddrStorage peer)
    {
        _loop = loop;
        _transport = transport;
        _context = loop.Context;
        _peer = peer;
        _state = State.ReadingHead;
        Deadline = loop.NowMs + _context.Limits.HeaderTimeoutSeconds * 1000L;
        _resource.Reset();
    }

    public int Fd => _transport.Fd;
    /// <summary>The port the connection was accepted on (the vhost prefix of a combined access log line).</summary>
    public int LocalPort { get; init; }
    public bool IsClosed => _state == State.Closed;

    /// <summary>Right after accept: with TCP_DEFER_ACCEPT the request has usually arrived already, so read it now
    /// rather than a round later. (If it has not, recv says EAGAIN and the edge-triggered EPOLLIN will come.)</summary>
    public void OnAccepted()
    {
        _readable = true;
        ProcessInput();
    }

    // ───────────────────────────── events from the loop ─────────────────────────────

    public void OnEvents(EpollEvents events)
    {
        if (_state == State.Closed) return;
        if (_h2 is not null)
        {
            _h2.OnEvents(events);
            return;
        }
        if ((events & (EpollEvents.Error | EpollEvents.HangUp)) != 0)
        {
            Abort();
            return;
        }
        if ((events & (EpollEvents.In | EpollEvents.ReadHangUp)) != 0) _readable = true;
        if ((events & EpollEvents.ReadHangUp) != 0) _peerShutdown = true;
        // TLS can turn the direction around: a read that must first flush a handshake flight waits for EPOLLOUT,
        // a write that must first read waits for EPOLLIN.
        if ((events & EpollEvents.Out) != 0 && _transport.ReadNeedsWritable) _readable = true;
        switch (_state)
        {
            case State.ReadingHead:
                if (_readable) ProcessInput();
                break;
            case State.Sending:
                if ((events & EpollEvents.Out) != 0 || (events & EpollEvents.In) != 0 && _transport.WriteNeedsReadable) ContinueSend();
                break;
            case State.Lingering:
                if (_readable) Linger();
                break;
            default:
                // Resolving, Producing: new bytes wait in the socket; requests are answered strictly in order.
                break;
        }
    }

    /// <summary>The loop gives a connection that used up its turn budget another turn.</summary>
    public void OnResumed()
    {
        if (_h2 is not null) _h2.OnResumed();
        else if (_state == State.Sending) ContinueSend();
    }

    /// <summary>Header, keep-alive, send and linger timeouts all end the same way: a silent close. A client that
    /// stopped sending or reading would not read a 408 either.</summary>
    public void OnTimeout()
    {
        if (_h2 is not null) _h2.OnTimeout();
        else CloseNow();
    }

    /// <summary>Graceful stop: idle connections go now, busy ones after their current response.</summary>
    public void BeginShutdown()
    {
        if (_h2 is not null)
        {
            _h2.BeginShutdown();
            return;
        }
        _keepAlive = false;
        if (_state is State.Lingering or State.ReadingHead) CloseNow();
    }

    // ───────────────────────────── reading and parsing ─────────────────────────────

    private void ProcessInput()
    {
        while (true)
        {
            if (_in.HasUnparsed && !_answered && !_transport.FramesBody && SpeaksHttp2(out bool wait))
            {
                if (!wait)
                {
                    BeginHttp2();
                    return;
                }
            }
            else if (_in.HasUnparsed)
            {
                ReadOnlySpan<byte> input = _in.Unparsed;
                _context = _loop.Context;
                _site = null;
                _corsMatch = -1;
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
                    RespondError(StatusCodes.ForParseError(error), close: true);
                    return;
                }
                // Full: grow a small buffer; at the limit (or in a buffer rented before a reload changed it), refuse.
                int max = _context.ParserLimits.MaxHeaderBytes;
                if (_in.IsFull && input.Length < max && _in.Array!.Length < max)
                {
                    _in.Grow(_loop.ReceiveBuffers);
                }
                else if (input.Length >= max || _in.IsFull)
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
                if (!_in.HasUnparsed) _in.Release(_loop.ReceiveBuffers);
                return;
            }
            if (!Receive()) return;
        }
    }

    /// <summary>One receive; false if the connection was closed.</summary>
    private bool Receive()
    {
        bool wasEmpty = !_in.HasUnparsed;
        nint n = _in.ReceiveFrom(_transport, _loop.ReceiveBuffers, out Errno errno, out bool filledSpace);
        if (n > 0)
        {
            // The header timeout runs from the first byte of a head: the whole head must arrive in time, not just
            // each byte (slowloris).
            if (wasEmpty) Deadline = _loop.NowMs + _context.Limits.HeaderTimeoutSeconds * 1000L;
            // With edge-triggered epoll a short read means the socket is drained: new data brings a new event.
            // Not after the client's FIN, though: recv() must still return 0, or a head cut short (or a request
            // followed by the FIN) would wait for a timeout instead of being closed at once.
            if (!filledSpace && !_peerShutdown) _readable = false;
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

    private void HandleRequest()
    {
        _loop.Requests++;
        _pathValid = false;
        _isHead = _head.Method == HttpMethod.Head;
        // A request body is never read: the connection closes after the response, so body bytes can never be
        // taken for the next request (no smuggling through an unread body).
        _bodyDeclared = _head.ContentLength > 0 || _head.HasTransferEncoding;
        _keepAlive = _head.KeepAlive && !_bodyDeclared && !_loop.Stopping && _context.Limits.KeepAliveTimeoutSeconds > 0;

        if (_transport.IsPlainHttpOnTlsPort)
        {
            RespondPlainHttpOnTlsPort();
            return;
        }
        Span<byte> host = stackalloc byte[HostBufferLength];
        host = host[..NormalizedHost(host)];
        _site = _context.FindSite(host);
        if (_site is null || _transport.IsTls && !MatchesServerName(_site))
        {
            // RFC 9110 §15.5.20: this server is not configured to answer for that host (or not on a connection
            // whose TLS server name chose another site's certificate).
            RespondError(421, close: !_keepAlive);
            return;
        }
        if (_site.Policy.RedirectHttp && !_transport.IsTls && !host.IsEmpty && !IsAcmeChallenge())
        {
            // Before anything else of the site: plain HTTP only says where the site is (nginx's
            // "return 308 https://$host$request_uri"), except what an ACME CA must fetch over plain HTTP.
            RespondHttpsRedirect(host);
            return;
        }

        if (_site.Policy.Cors is { } cors) _corsMatch = cors.Match(Field(_head.Origin), _head.Origin.IsPresent);
        if (_head.Method == HttpMethod.Options)
        {
            // Before RedirectTo and the path: a preflight must not be redirected, and OPTIONS is about the
            // server's methods, which do not depend on whether the resource exists (nginx answers the same way).
            RespondOptions();
            return;
        }

        if (_head.Method != HttpMethod.Get && _head.Method != HttpMethod.Head)
        {
            RespondError(_head.Method == HttpMethod.Unknown ? 501 : 405, close: !_keepAlive);
            return;
        }

        if (_site.Policy.RedirectTo is { } origin)
        {
            // Before the path is decoded in place: the Location carries the path exactly as the client sent it.
            RespondOriginRedirect(origin);
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
            Span<byte> raw = _in.Array.AsSpan(_in.Start + _head.Path.Start, _head.Path.Length);
            if (TargetDecoder.ChangesPath(raw))
            {
                _decodedPath = System.Buffers.ArrayPool<byte>.Shared.Rent(raw.Length);
                raw.CopyTo(_decodedPath);
                _pathArray = _decodedPath;
                _pathStart = 0;
            }
            else
            {
                _pathArray = _in.Array!;
                _pathStart = _in.Start + _head.Path.Start;
            }
            if (TargetDecoder.Decode(_pathArray.AsSpan(_pathStart, raw.Length), out int length) != DecodeStatus.Ok)
            {
                RespondError(400, close: true);
                return;
            }
            _pathLength = length;
        }

        _pathValid = true;
        if (_site.Policy.Redirects.Length > 0 &&
            Redirects.Match(_site.Policy.Redirects, new ReadOnlySpan<byte>(_pathArray, _pathStart, _pathLength), out int rest) is { } rule)
        {
            RespondPathRedirect(rule, rest);
            return;
        }
        if (TryServeFromCacheCounted()) return;
        _cacheEventCount = _loop.Cache.EventCount;
        _state = State.Resolving;
        Deadline = long.MaxValue;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    // ───────────────────────────── after the response ─────────────────────────────

    private void FinishResponse()
    {
        if (_transport.FramesBody) _transport.EndResponse();
        if (_logPending) LogAccess();
        _answered = true;
        ReleaseResponse();
        if (!_keepAlive)
        {
            // Linger only when the client may still be sending (nginx's lingering_close heuristic): closing with
            // unread bytes would reset the connection and could destroy the response. A clean "Connection:
            // close" request is closed at once, which saves a round of events per request for such clients.
            bool unread = !_headParsed || _bodyDeclared || !_peerClosed && _in.End > _in.Start + _headLength;
            if (unread) BeginLingeringClose();
            else CloseNow();
            return;
        }
        _in.Consume(_headLength);
        _headLength = 0;
        _state = State.ReadingHead;
        Deadline = _loop.NowMs + (_in.HasUnparsed
            ? _context.Limits.HeaderTimeoutSeconds
            : _context.Limits.KeepAliveTimeoutSeconds) * 1000L;
        // Pipelined requests may already be buffered: answer them now.
        ProcessInput();
    }

    private void ReleaseResponse()
    {
        if (_decodedPath is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(_decodedPath);
            _decodedPath = null;
            _pathArray = RootPath;
            _pathValid = false;
        }
        _body.Release();
        if (_decoded is not null)
        {
            _decoded.Dispose();
            _decoded = null;
        }
    }

    private void BeginLingeringClose()
    {
        _transport.ShutdownWrite();
        _state = State.Lingering;
        _in.Release(_loop.ReceiveBuffers);
        Deadline = _loop.NowMs + LingerMs;
        Linger();
    }

    /// <summary>Reads and discards until the client closes, so our last response is not destroyed by a reset
    /// caused by unread bytes (nginx lingering_close).</summary>
    private void Linger()
    {
        while (true)
        {
            nint n = _transport.Receive(_loop.Scratch, out Errno errno);
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
}
