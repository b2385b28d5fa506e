using System.Buffers;
using StaticD.Http;
using StaticD.Interop;
using StaticD.Logging;

namespace StaticD.Net;

/// <summary>
/// An HTTP/2 connection (RFC 9113): libnghttp2 does the framing, HPACK and flow control (<see cref="Nghttp2"/>);
/// each stream is answered by a pooled <see cref="Connection"/> over an <see cref="Http2Stream"/>, so the HTTP
/// decisions are those of HTTP/1.1. The session belongs to the connection that accepted the socket (its host) and
/// runs on its loop: <see cref="Run"/> reads and feeds the session, starts the requests that arrived, wakes the
/// streams whose body buffers have room, and writes the frames (HEADERS and DATA gathered into one write).
/// Work that a stream causes outside <see cref="Run"/> (a file resolved on the pool, a body refilled) schedules
/// another run through the loop's yield list, so nghttp2 is never re-entered from its own callbacks.
/// </summary>
internal sealed partial class Http2Session : IDisposable
{
    /// <summary>Frames gathered before one write: 64 KiB is four TLS records, which TlsTransport writes as one batch.</summary>
    private const int OutTarget = 64 * 1024;
    /// <summary>Bytes one session may send per turn before the loop's other connections get theirs.</summary>
    private const int TurnBudget = 1024 * 1024;
    /// <summary>The preface a client sends first (RFC 9113 §3.4).</summary>
    public static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;
    public const uint NoError = 0, ProtocolError = 1, InternalError = 2, Cancel = 8, EnhanceYourCalm = 0xb;

    private readonly EventLoop _loop;
    private readonly ITransport _transport;
    private readonly Connection _host;
    private readonly SockAddrStorage _peer;
    private readonly int _localPort;
    private readonly Limits _limits;
    private readonly Nghttp2 _ng;
    private readonly Dictionary<int, Http2Stream> _streams = [];
    private readonly Stack<Http2Stream> _idle = new();
    private List<Http2Stream> _ready = [], _readySpare = [], _wake = [], _wakeSpare = [];
    private readonly List<Http2Stream> _gone = [];
    private readonly int[] _fields = new int[Http2ResponseHead.Stride * 128];
    private Http2Budget _resets, _control;
    private byte[]? _out;
    private int _outStart, _outEnd;
    private long _sentThisTurn, _lastWriteMs;
    private bool _readable, _peerShutdown, _peerClosed, _writeBlocked;
    private bool _running, _again, _scheduled, _draining, _failed, _calm, _closed;

    public Http2Session(EventLoop loop, ITransport transport, Connection host, in SockAddrStorage peer, int localPort)
    {
        _loop = loop;
        _transport = transport;
        _host = host;
        _peer = peer;
        _localPort = localPort;
        _limits = loop.Context.Limits;
        _resets = new Http2Budget(_limits.Http2ResetBudget);
        _control = new Http2Budget(_limits.Http2ControlFrameBudget);
        // Enough CONTINUATION frames for a header list of the allowed size in small frames, never an unbounded run.
        _ng = new Nghttp2(this, Math.Max(8, _limits.Http2MaxHeaderListBytes / 1024));
        _lastWriteMs = loop.NowMs;
    }

    /// <summary>Streams in progress (for the connection-state gauge: none means idle).</summary>
    public bool HasStreams => _streams.Count > 0;

    /// <summary>Our SETTINGS, then the bytes the connection already read (the client's preface and first frames).</summary>
    public void Start(ReadOnlySpan<byte> received, bool moreToRead)
    {
        _loop.Metrics.Http2Connections++;
        // The receive window only limits request bodies, which are refused and discarded: the default 64 KiB is
        // plenty. The send windows are the client's to choose.
        int rv = _ng.SubmitSettings((uint)_limits.Http2MaxConcurrentStreams, 65535, (uint)_limits.Http2MaxHeaderListBytes, 65535);
        if (rv == 0 && !received.IsEmpty && _ng.Receive(received) < 0) _failed = true;
        _readable = moreToRead;
        Run();
    }

    // ───────────────────────────── events from the host connection ─────────────────────────────

    public void OnEvents(EpollEvents events)
    {
        if (_closed) return;
        if ((events & (EpollEvents.Error | EpollEvents.HangUp)) != 0)
        {
            _host.CloseNow();
            return;
        }
        if ((events & (EpollEvents.In | EpollEvents.ReadHangUp)) != 0) _readable = true;
        if ((events & EpollEvents.ReadHangUp) != 0) _peerShutdown = true;
        if ((events & EpollEvents.Out) != 0)
        {
            if (_transport.ReadNeedsWritable) _readable = true;
            _writeBlocked = false;
        }
        if ((events & EpollEvents.In) != 0 && _transport.WriteNeedsReadable) _writeBlocked = false;
        Run();
    }

    public void OnResumed()
    {
        _scheduled = false;
        Run();
    }

    /// <summary>Graceful stop: GOAWAY naming the last stream taken, which may finish; then close.</summary>
    public void BeginShutdown()
    {
        if (_closed || _draining) return;
        _draining = true;
        _ng.SubmitGoAway(_ng.LastProcessedStreamId, NoError);
        _loop.Metrics.Http2GoAway[(int)Http2GoAwayReason.Shutdown]++;
        Run();
    }

    /// <summary>The host's deadline passed: the idle timeout with no stream open, else the once-a-second check of
    /// streams that made no progress for SendTimeoutSeconds (reset with CANCEL) and of a socket that took nothing.</summary>
    public void OnTimeout()
    {
        if (_closed) return;
        long now = _loop.NowMs;
        long sendTimeout = _limits.SendTimeoutSeconds * 1000L;
        if (_streams.Count == 0 && _outStart == _outEnd)
        {
            _loop.Metrics.Http2GoAway[(int)Http2GoAwayReason.Idle]++;
            _ng.Terminate(NoError);
            _failed = true; // only the GOAWAY goes out now
        }
        else if (_writeBlocked && now - _lastWriteMs >= sendTimeout)
        {
            _host.CloseNow(); // the client reads nothing at all
            return;
        }
        else
        {
            foreach (Http2Stream s in _streams.Values)
            {
                if (s.HasUnsentBody && now - s.LastProgressMs >= sendTimeout)
                {
                    s.LastProgressMs = now; // reset once
                    _ng.SubmitReset(s.StreamId, Cancel);
                }
            }
        }
        Run();
    }

    // ───────────────────────────── the pump ─────────────────────────────

    /// <summary>A stream has work for the session (body bytes, the end of a response): run now if not already
    /// running, else once more before this run ends, else after this round of the loop.</summary>
    private void Schedule()
    {
        if (_running)
        {
            _again = true;
            return;
        }
        if (_scheduled || _closed) return;
        _scheduled = true;
        _loop.Yield(_host);
    }

    private void Run()
    {
        if (_closed) return;
        if (_running)
        {
            _again = true;
            return;
        }
        _running = true;
        _sentThisTurn = 0;
        try
        {
            do
            {
                _again = false;
                DropGone();
                if (_readable && !_failed) ReadInput();
                if (_closed) return;
                StartRequests();
                WakeWriters();
                if (!Flush()) return;
                DropGone();
            }
            while (_again && !_writeBlocked && _sentThisTurn < TurnBudget && !_closed);
        }
        finally
        {
            _running = false;
        }
        if (_closed) return;
        if (_again && !_writeBlocked) Schedule();
        bool flushed = _outStart == _outEnd;
        if (flushed && (_failed || _peerClosed || !_ng.WantRead && !_ng.WantWrite || _draining && _streams.Count == 0))
        {
            // The last frame is a GOAWAY (ours for an error or a spent budget, or the one nghttp2 queued itself, e.g.
            // for a stream past the limit) to a client that may still be sending (a flood): closing over its unread
            // bytes would reset the connection and destroy the GOAWAY before it is read.
            if (!_peerClosed) _host.LingerAfterHttp2();
            else _host.CloseNow();
            return;
        }
        _host.Deadline = _streams.Count == 0 && flushed
            ? _loop.NowMs + _limits.Http2IdleTimeoutSeconds * 1000L
            : _loop.NowMs + 1000;
    }

    private void ReadInput()
    {
        byte[] buffer = _loop.Scratch;
        while (_readable && !_failed)
        {
            nint n = _transport.Receive(buffer, out Errno errno);
            if (n > 0)
            {
                // A short read drained the socket (edge-triggered), unless the client's FIN is pending.
                if (n < buffer.Length && !_peerShutdown) _readable = false;
                nint rv = _ng.Receive(buffer.AsSpan(0, (int)n));
                if (rv < 0)
                {
                    Log.Http2SessionFailed(_loop.Logger, Nghttp2.Describe((int)rv));
                    // nghttp2 queues no GOAWAY for a fatal receive error; RFC 9113 5.4.1 asks for one before the
                    // close, so the client learns why (a flood nghttp2 caught before our budgets: ENHANCE_YOUR_CALM).
                    _ng.Terminate(rv is LibNghttp2.ErrTooManyContinuations or LibNghttp2.ErrFlooded ? EnhanceYourCalm : ProtocolError);
                    _failed = true;
                }
                else if (_lowerStream != 0 && _ng.WantRead)
                {
                    _ng.Terminate(Nghttp2.ProtocolError);
                    _failed = true;
                }
                continue;
            }
            _readable = false;
            if (n == 0) _peerClosed = true;
            else if (errno != Errno.EAGAIN) _failed = _peerClosed = true;
        }
    }

    /// <summary>Requests whose head is complete go to their connections (after nghttp2 returned: a connection
    /// answering from the cache submits its response at once).</summary>
    private void StartRequests()
    {
        if (_ready.Count == 0) return;
        (_ready, _readySpare) = (_readySpare, _ready);
        foreach (Http2Stream s in _readySpare)
        {
            if (!s.StreamOpen || s.ConnectionClosed) continue; // reset before it started
            s.Started = true;
            s.Connection.OnAccepted();
        }
        _readySpare.Clear();
    }

    /// <summary>Connections blocked on a full body buffer that frames have since emptied send their next bytes.</summary>
    private void WakeWriters()
    {
        if (_wake.Count == 0) return;
        (_wake, _wakeSpare) = (_wakeSpare, _wake);
        foreach (Http2Stream s in _wakeSpare)
        {
            if (!s.ConnectionClosed) s.Connection.OnEvents(EpollEvents.Out);
        }
        _wakeSpare.Clear();
    }

    /// <summary>Streams nghttp2 closed: a connection still answering one (the client reset it) is closed, an idle
    /// one goes back to the pool.</summary>
    private void DropGone()
    {
        if (_gone.Count == 0) return;
        for (int i = 0; i < _gone.Count; i++)
        {
            Http2Stream s = _gone[i];
            if (s.Started && !s.ResponseEnded && !s.ConnectionClosed) s.Connection.CloseNow();
            if (s.Reusable && !_closed) _idle.Push(s);
        }
        _gone.Clear();
    }

    /// <summary>Gathers frames into the output buffer and writes them; false if the connection closed.</summary>
    private bool Flush()
    {
        while (true)
        {
            if (_outStart == _outEnd)
            {
                _outStart = _outEnd = 0;
                Fill();
                if (_outEnd == 0)
                {
                    if (_out is not null)
                    {
                        ArrayPool<byte>.Shared.Return(_out);
                        _out = null;
                    }
                    return true;
                }
            }
            if (_writeBlocked) return true;
            nint n = _transport.Send(_out.AsSpan(_outStart, _outEnd - _outStart), false, out Errno errno);
            if (n > 0)
            {
                _outStart += (int)n;
                _sentThisTurn += n;
                _lastWriteMs = _loop.NowMs;
                if (_sentThisTurn >= TurnBudget && _outStart == _outEnd)
                {
                    _again = true;
                    return true;
                }
                continue;
            }
            if (n < 0 && errno == Errno.EAGAIN)
            {
                _writeBlocked = true;
                return true;
            }
            _host.CloseNow();
            return false;
        }
    }

    private void Fill()
    {
        while (_outEnd < OutTarget)
        {
            nint n = _ng.NextOutput(out ReadOnlySpan<byte> data);
            if (n <= 0)
            {
                if (n < 0) _failed = true;
                return;
            }
            Reserve(data.Length);
            data.CopyTo(_out.AsSpan(_outEnd));
            _outEnd += data.Length;
        }
    }

    // ───────────────────────────── what streams ask of the session ─────────────────────────────

    /// <summary>The response head a stream's connection wrote: submitted as HEADERS. Returns 1 when DATA follows, 0
    /// when the head ends the stream (HEAD, 1xx/204/304, an empty body), -1 when the stream is gone.</summary>
    public int SubmitHead(Http2Stream stream, ReadOnlySpan<byte> head)
    {
        if (_closed || !stream.StreamOpen) return -1;
        // The same head as this stream's last one (the same file again within the second, as a client fetching a
        // page's parts on many streams asks): its translation is still in the pinned buffer, untouched since.
        ref HeadTranslation last = ref stream.LastHead;
        if (last.Matches(head)) return Submit(stream, stream.FieldBuffer, last.Status, last.ContentLength, last.Fields, true);
        // The head's fields are shorter than the head: a head that fits the stream's pinned buffer is translated
        // into it and not copied again; a larger one (many configured fields) goes through a pooled copy.
        bool pinned = head.Length <= stream.FieldBuffer.Length;
        byte[] names = pinned ? stream.FieldBuffer : ArrayPool<byte>.Shared.Rent(head.Length);
        if (pinned) last.Forget(); // its translation is about to be overwritten
        try
        {
            int status = Http2ResponseHead.Translate(head, names, _fields, out int count, out long contentLength);
            if (status < 0) return -1;
            ReadOnlySpan<int> fields = _fields.AsSpan(0, count * Http2ResponseHead.Stride);
            if (pinned) last.Remember(head, status, contentLength, fields);
            return Submit(stream, names, status, contentLength, fields, pinned);
        }
        finally
        {
            if (!pinned) ArrayPool<byte>.Shared.Return(names);
        }
    }

    private int Submit(Http2Stream stream, byte[] names, int status, long contentLength, ReadOnlySpan<int> fields, bool pinned)
    {
        bool hasBody = !stream.Request.IsHead && status >= 200 && status != 204 && status != 304 && contentLength != 0;
        if (_ng.SubmitResponse(stream.StreamId, names, fields, hasBody, pinned) != 0) return -1;
        Schedule();
        return hasBody ? 1 : 0;
    }

    /// <summary>How many more body bytes <paramref name="stream"/> may buffer: no more than the client's flow-control
    /// windows allow to be sent now, so a client that opens many streams and reads none of them (a zero-window
    /// stall) pins no body buffers; its connections wait (until SendTimeoutSeconds resets them).</summary>
    public int BodyRoom(Http2Stream stream, int buffered) =>
        _closed || !stream.StreamOpen ? 0 : Math.Max(0, _ng.SendWindow(stream.StreamId) - buffered);

    /// <summary>Body bytes (or the end of the response) are ready for DATA frames.</summary>
    public void Resume(Http2Stream stream)
    {
        if (_closed || !stream.StreamOpen) return;
        _ng.ResumeData(stream.StreamId);
        Schedule();
    }

    /// <summary>A stream's connection closed: a response it left unfinished is reset (the client must not take a
    /// cut-short body for a whole one).</summary>
    public void OnConnectionClosed(Http2Stream stream)
    {
        if (_closed || !stream.StreamOpen) return;
        if (!stream.ResponseEnded)
        {
            _ng.SubmitReset(stream.StreamId, InternalError);
            Schedule();
        }
    }

    /// <summary>The host connection is closing: every stream's connection closes with it.</summary>
    public void Dispose()
    {
        if (_closed) return;
        _closed = true;
        foreach (Http2Stream s in _streams.Values)
        {
            if (s.Started && !s.ConnectionClosed) s.Connection.CloseNow();
            s.ReleaseBuffers();
        }
        foreach (Http2Stream s in _gone)
        {
            if (s.Started && !s.ResponseEnded && !s.ConnectionClosed) s.Connection.CloseNow();
        }
        _streams.Clear();
        _gone.Clear();
        _idle.Clear();
        if (_out is not null)
        {
            ArrayPool<byte>.Shared.Return(_out);
            _out = null;
        }
        _ng.Dispose();
    }
}

/// <summary>Why a GOAWAY was sent, for <c>staticd_http2_goaway_total{reason}</c>.</summary>
internal enum Http2GoAwayReason : byte
{
    /// <summary>The server is stopping (graceful: open streams finish).</summary>
    Shutdown,
    /// <summary>No stream for Http2IdleTimeoutSeconds.</summary>
    Idle,
    /// <summary>A reset or control-frame budget was spent (ENHANCE_YOUR_CALM).</summary>
    Calm,
}
