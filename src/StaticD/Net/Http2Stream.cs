using System.Buffers;
using StaticD.Http;
using StaticD.Interop;

namespace StaticD.Net;

/// <summary>
/// One HTTP/2 stream as the <see cref="Net.Connection"/> that answers it sees it: a transport whose receive side
/// holds the request as an HTTP/1.1 head (<see cref="Http2RequestHead"/>) and whose send side turns the HTTP/1.1
/// response back into a HEADERS field list (<see cref="Http2ResponseHead"/>) and DATA frames. So every per-site
/// decision comes from the code that serves HTTP/1.1; only the framing differs. The pair (stream, connection) is
/// kept by its session and reused for later streams, as a keep-alive connection is for later requests.
/// Loop thread only.
/// </summary>
internal sealed class Http2Stream : ITransport
{
    /// <summary>The response head's fields as nghttp2 reads them (without copying): a typical head fits; a larger one
    /// is copied by nghttp2 instead.</summary>
    private const int FieldBufferBytes = 4096;

    /// <summary>Response bytes waiting for their DATA frames: ResponseBody's copy chunk, so one pread fills it.</summary>
    private const int BodyBufferBytes = 64 * 1024;

    private readonly Http2Session _session;
    private readonly ITransport _parent;
    private readonly EventLoop _loop;
    /// <summary>The request, built by the session's HPACK callbacks.</summary>
    public Http2RequestHead Request;
    private byte[]? _head;
    private int _headRead;
    private bool _headReady, _readerEof, _responseStarted, _hasBody;
    private byte[]? _body;
    private int _bodyStart, _bodyEnd;

    public Http2Stream(Http2Session session, ITransport parent, EventLoop loop, in SockAddrStorage peer, int localPort)
    {
        _session = session;
        _parent = parent;
        _loop = loop;
        Connection = new Connection(loop, this, peer) { LocalPort = localPort };
    }

    public Connection Connection { get; }
    /// <summary>On the pinned heap, so nghttp2 may point into it until the HEADERS frame is sent; reused by the
    /// stream's next response only after the stream closed.</summary>
    public byte[] FieldBuffer { get; } = GC.AllocateUninitializedArray<byte>(FieldBufferBytes, pinned: true);
    public int StreamId { get; private set; }
    /// <summary>nghttp2 still has the stream (false once it closed it: sent, reset or refused).</summary>
    public bool StreamOpen { get; private set; }
    /// <summary>The request went to <see cref="Connection"/>.</summary>
    public bool Started { get; set; }
    /// <summary>The second HEADERS block of the stream (trailers) is being decoded: ignored.</summary>
    public bool InTrailers { get; set; }
    /// <summary>The connection handed over the whole response.</summary>
    public bool ResponseEnded { get; private set; }
    /// <summary>The connection closed (its transport with it): it cannot answer another stream.</summary>
    public bool ConnectionClosed { get; private set; }
    /// <summary>A send found the body buffer full; the session wakes the connection when frames make room.</summary>
    public bool Blocked { get; set; }
    /// <summary>Loop clock of the last bytes taken into DATA frames (or of the request): a stream that makes no
    /// progress for SendTimeoutSeconds is reset.</summary>
    public long LastProgressMs { get; set; }
    public bool HasUnsentBody => _bodyEnd > _bodyStart || Blocked;
    /// <summary>The pair can answer another stream: its connection is idle, waiting for a head.</summary>
    public bool Reusable => !ConnectionClosed && (!Started || ResponseEnded);

    /// <summary>The last head translated into <see cref="FieldBuffer"/> (nothing else writes there), so the same head
    /// again is submitted without translating it.</summary>
    public HeadTranslation LastHead;

    public void Begin(int streamId, int headLimit, long nowMs)
    {
        StreamId = streamId;
        StreamOpen = true;
        Started = InTrailers = ResponseEnded = Blocked = false;
        _headReady = _readerEof = _responseStarted = _hasBody = false;
        _headRead = 0;
        _bodyStart = _bodyEnd = 0;
        LastProgressMs = nowMs;
        if (_head is null || _head.Length < 2 * headLimit)
        {
            ReturnHead();
            _head = RentHead(2 * headLimit);
        }
        Request.Begin(_head, headLimit);
    }

    /// <summary>The head is complete: the connection may read it.</summary>
    public void HeadReady() => _headReady = true;

    /// <summary>nghttp2 closed the stream: the buffers go back to the pool.</summary>
    public void OnStreamClosed()
    {
        StreamOpen = false;
        Blocked = false;
        ReleaseBuffers();
    }

    public void ReleaseBuffers()
    {
        ReturnHead();
        if (_body is not null)
        {
            ArrayPool<byte>.Shared.Return(_body);
            _body = null;
        }
        _bodyStart = _bodyEnd = 0;
    }

    /// <summary>At most this many head buffers wait in the loop's cache (the rest go back to ArrayPool).</summary>
    private const int CachedHeadBuffers = 16;

    private byte[] RentHead(int size)
    {
        while (_loop.Http2HeadBuffers.TryPop(out byte[]? cached))
        {
            if (cached.Length >= size) return cached;
            ArrayPool<byte>.Shared.Return(cached); // kept before a reload raised the limit
        }
        return ArrayPool<byte>.Shared.Rent(size);
    }

    private void ReturnHead()
    {
        if (_head is null) return;
        if (_loop.Http2HeadBuffers.Count < CachedHeadBuffers) _loop.Http2HeadBuffers.Push(_head);
        else ArrayPool<byte>.Shared.Return(_head);
        _head = null;
    }

    /// <summary>For nghttp2's next DATA frame: how many body bytes (at most <paramref name="max"/>) it takes;
    /// <paramref name="eof"/> when they are the last of the response.</summary>
    public int BodyReady(int max, out bool eof)
    {
        int n = Math.Min(max, _bodyEnd - _bodyStart);
        eof = ResponseEnded && n == _bodyEnd - _bodyStart;
        return n;
    }

    /// <summary>The DATA frame is written: its body bytes (those <see cref="BodyReady"/> promised) are copied into
    /// <paramref name="destination"/> and leave the buffer.</summary>
    public void TakeBody(Span<byte> destination)
    {
        _body.AsSpan(_bodyStart, destination.Length).CopyTo(destination);
        _bodyStart += destination.Length;
        if (_bodyStart == _bodyEnd) _bodyStart = _bodyEnd = 0;
    }

    // ───────────────────────────── ITransport, as the connection uses it ─────────────────────────────

    public int Fd => _parent.Fd;
    public bool IsTls => _parent.IsTls;
    public ReadOnlySpan<byte> ServerName => _parent.ServerName;
    public bool FramesBody => true;
    public bool CanSendFile => false;

    public nint Receive(Span<byte> buffer, out Errno errno)
    {
        errno = Errno.None;
        if (_headReady && _head is not null && _headRead < Request.Length)
        {
            int n = Math.Min(buffer.Length, Request.Length - _headRead);
            _head.AsSpan(_headRead, n).CopyTo(buffer);
            _headRead += n;
            if (_headRead == Request.Length)
            {
                // The connection has the head now: a stream waiting on a slow client holds no request buffer.
                ReturnHead();
            }
            return n;
        }
        // After a response that ended the "connection" (lingering close), the request side is over.
        if (_readerEof) return 0;
        errno = Errno.EAGAIN;
        return -1;
    }

    /// <summary>The first bytes are the HTTP/1.1 head (the connection sends a head whole): it becomes HEADERS. The
    /// rest is body, buffered for DATA frames; a full buffer answers EAGAIN, and the session wakes the connection
    /// (as EPOLLOUT would) once frames have taken bytes.</summary>
    public nint Send(ReadOnlySpan<byte> data, bool more, out Errno errno)
    {
        errno = Errno.None;
        if (!StreamOpen || ConnectionClosed)
        {
            errno = Errno.EPIPE;
            return -1;
        }
        int taken = 0;
        if (!_responseStarted)
        {
            int headLength = LastHead.Matches(data) ? LastHead.HeadLength : data.IndexOf("\r\n\r\n"u8) + 4;
            int submitted = headLength < 4 ? -1 : _session.SubmitHead(this, data[..headLength]);
            if (submitted < 0)
            {
                errno = Errno.EPIPE;
                return -1;
            }
            _responseStarted = true;
            _hasBody = submitted > 0;
            taken = headLength;
            // Without a body (HEAD, 304, 204, empty) whatever follows is not part of the message.
            if (!_hasBody) return data.Length;
        }
        else if (!_hasBody)
        {
            return data.Length;
        }
        int offered = Math.Min(data.Length - taken, _session.BodyRoom(this, _bodyEnd - _bodyStart));
        if (offered == 0)
        {
            // The client's window is shut: nothing is buffered until a WINDOW_UPDATE or SETTINGS opens it. Like a
            // socket that took part of a send, the connection then waits to be woken (its EPOLLOUT).
            Blocked = true;
            if (taken > 0) return taken;
            errno = Errno.EAGAIN;
            return -1;
        }
        if (_body is null)
        {
            // A small body (a cached file, an error page) arrives whole with its head: a buffer its size will do.
            _body = ArrayPool<byte>.Shared.Rent(Math.Clamp(offered, 4096, BodyBufferBytes));
        }
        else if (_body.Length < BodyBufferBytes && _body.Length - (_bodyEnd - _bodyStart) < offered)
        {
            byte[] bigger = ArrayPool<byte>.Shared.Rent(BodyBufferBytes);
            _body.AsSpan(_bodyStart, _bodyEnd - _bodyStart).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_body);
            _body = bigger;
            _bodyEnd -= _bodyStart;
            _bodyStart = 0;
        }
        if (_bodyEnd == _body.Length && _bodyStart > 0)
        {
            _body.AsSpan(_bodyStart, _bodyEnd - _bodyStart).CopyTo(_body);
            _bodyEnd -= _bodyStart;
            _bodyStart = 0;
        }
        int n = Math.Min(_body.Length - _bodyEnd, offered);
        data.Slice(taken, n).CopyTo(_body.AsSpan(_bodyEnd));
        _bodyEnd += n;
        taken += n;
        if (n > 0) _session.Resume(this);
        if (taken < data.Length) Blocked = true;
        if (taken == 0)
        {
            Blocked = true;
            errno = Errno.EAGAIN;
            return -1;
        }
        return taken;
    }

    public nint SendFile(int fileFd, ref long offset, long count, out Errno errno)
    {
        // CanSendFile is false: ResponseBody copies through Send instead.
        errno = Errno.EPIPE;
        return -1;
    }

    public void EndResponse()
    {
        ResponseEnded = true;
        if (_hasBody) _session.Resume(this);
    }

    public void ShutdownWrite() => _readerEof = true;

    public void Close()
    {
        if (ConnectionClosed) return;
        ConnectionClosed = true;
        _readerEof = true;
        _session.OnConnectionClosed(this);
    }
}
