using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using StaticD.Interop;
using StaticD.Logging;

namespace StaticD.Net;

/// <summary>
/// What nghttp2 reports while it decodes: header fields become the stream's HTTP/1.1 head, a complete HEADERS block
/// queues the request, closed streams are collected, and the budgets are charged. Nothing here calls back into the
/// session or a connection: <see cref="Run"/> acts on what these collect once nghttp2 has returned.
/// </summary>
internal sealed partial class Http2Session : IHttp2Handler
{
    private const byte FlagEndStream = LibNghttp2.FlagEndStream;

    /// <summary>WINDOW_UPDATE frames the DATA frames sent so far entitle the client to (two per frame, capped).</summary>
    private int _windowCredit;
    private const int MaxWindowCredit = 1 << 16;

    /// <summary>The highest stream a client's HEADERS named, and a HEADERS under it for no open stream.</summary>
    private int _highestStream, _lowerStream;

    /// <summary>RFC 9113 §5.1.1: a new stream's identifier must be greater than every one before it. nghttp2 ignores a
    /// HEADERS below the highest for a stream it no longer knows of; it is noted here, and <see cref="ReadInput"/>
    /// ends the connection with PROTOCOL_ERROR unless nghttp2 already did (a stream it knows as closed).</summary>
    public int OnBeginFrame(byte type, int streamId)
    {
        if (type != LibNghttp2.Headers || (streamId & 1) == 0) return 0;
        if (streamId > _highestStream) _highestStream = streamId;
        else if (!_streams.ContainsKey(streamId)) _lowerStream = streamId;
        return 0;
    }

    public int OnBeginHeaders(int streamId)
    {
        if (_streams.TryGetValue(streamId, out Http2Stream? existing))
        {
            existing.InTrailers = true; // a second block on the stream: trailers, which say nothing to a static server
            _decoding = null;
            return 0;
        }
        Http2Stream s = _idle.Count > 0 ? _idle.Pop() : new Http2Stream(this, _transport, _loop, _peer, _localPort);
        s.Begin(streamId, _limits.Http2MaxHeaderListBytes, _loop.NowMs);
        _streams.Add(streamId, s);
        _decoding = s;
        _loop.Metrics.Http2Streams++;
        return 0;
    }

    /// <summary>The stream whose request head is being decoded (a header block is never interleaved with another
    /// frame, RFC 9113 §4.3), so each field costs no lookup.</summary>
    private Http2Stream? _decoding;

    public int OnHeader(int streamId, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        Http2Stream? s = _decoding is { StreamOpen: true } d && d.StreamId == streamId ? d : null;
        if (s is null && _streams.TryGetValue(streamId, out Http2Stream? found)) s = found;
        if (s is not null && !s.InTrailers) s.Request.Add(name, value);
        return 0;
    }

    public int OnFrameReceived(byte type, byte flags, int streamId, long length, uint errorCode)
    {
        switch (type)
        {
            case LibNghttp2.Headers:
                if (_streams.TryGetValue(streamId, out Http2Stream? s) && !s.InTrailers && !s.Started && !_ready.Contains(s))
                {
                    if (s.Request.Finish())
                    {
                        s.HeadReady();
                        _ready.Add(s);
                    }
                    else
                    {
                        RefuseTooLarge(s);
                    }
                }
                break;
            case LibNghttp2.Data:
                // An empty DATA frame that does not end the stream carries nothing but work for us.
                if (length == 0 && (flags & FlagEndStream) == 0) Charge(ref _control);
                break;
            case LibNghttp2.RstStream:
                Charge(ref _resets);
                break;
            case LibNghttp2.WindowUpdate:
                // A client that reads a large body returns window as it goes (a stream's and the connection's, up to
                // two per DATA frame we sent): those are free; only the ones beyond are charged.
                if (_windowCredit > 0) _windowCredit--;
                else Charge(ref _control);
                WakeBlocked(streamId);
                break;
            case LibNghttp2.Settings or LibNghttp2.Ping or LibNghttp2.Priority:
                Charge(ref _control);
                // SETTINGS_INITIAL_WINDOW_SIZE may have opened windows: streams waiting for one may send.
                if (type == LibNghttp2.Settings) WakeBlocked(streamId);
                break;
        }
        return 0;
    }

    public int OnStreamClosed(int streamId, uint errorCode)
    {
        if (_streams.Remove(streamId, out Http2Stream? s))
        {
            s.OnStreamClosed();
            _gone.Add(s);
            _again = true;
        }
        return 0;
    }

    /// <summary>nghttp2 answers an invalid frame itself (RST_STREAM or GOAWAY); each still costs us a reply, so it
    /// is charged like a reset.</summary>
    public int OnInvalidFrame(byte type, int streamId, int libraryError)
    {
        Charge(ref _resets);
        return 0;
    }

    public int ReadData(int streamId, int maxLength, out bool eof)
    {
        eof = false;
        if (!_streams.TryGetValue(streamId, out Http2Stream? s)) return LibNghttp2.ErrTemporalCallbackFailure;
        int n = s.BodyReady(maxLength, out eof);
        if (n == 0 && !eof) return LibNghttp2.ErrDeferred;
        if (n > 0)
        {
            if (_windowCredit < MaxWindowCredit) _windowCredit += 2;
            s.LastProgressMs = _loop.NowMs;
        }
        return n;
    }

    public int SendData(int streamId, ReadOnlySpan<byte> frameHeader, int length)
    {
        if (!_streams.TryGetValue(streamId, out Http2Stream? s)) return LibNghttp2.ErrTemporalCallbackFailure;
        // Fill stops gathering at OutTarget; nghttp2 writes several DATA frames in one call, so stop them here too.
        if (_outEnd >= OutTarget) return LibNghttp2.ErrWouldBlock;
        Reserve(frameHeader.Length + length);
        frameHeader.CopyTo(_out.AsSpan(_outEnd));
        s.TakeBody(_out.AsSpan(_outEnd + frameHeader.Length, length));
        _outEnd += frameHeader.Length + length;
        if (s.Blocked) Wake(s);
        return 0;
    }

    /// <summary>Room for <paramref name="bytes"/> more in the output buffer.</summary>
    [MemberNotNull(nameof(_out))]
    private void Reserve(int bytes)
    {
        if (_out is not null && _out.Length - _outEnd >= bytes) return;
        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(OutTarget + 32 * 1024, _outEnd + bytes));
        if (_out is not null)
        {
            _out.AsSpan(0, _outEnd).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_out);
        }
        _out = bigger;
    }

    private void WakeBlocked(int streamId)
    {
        if (streamId != 0)
        {
            if (_streams.TryGetValue(streamId, out Http2Stream? s) && s.Blocked) Wake(s);
            return;
        }
        foreach (Http2Stream s in _streams.Values)
        {
            if (s.Blocked) Wake(s);
        }
    }

    private void Wake(Http2Stream s)
    {
        s.Blocked = false;
        _wake.Add(s);
        _again = true;
    }

    /// <summary>A head over Http2MaxHeaderListBytes: 431 from here (RFC 6585 §5), since the connection could not
    /// parse what was never kept. The stream counts against the reset budget, as refusing it costs a reply.</summary>
    private void RefuseTooLarge(Http2Stream s)
    {
        Charge(ref _resets);
        _ = SubmitHead(s, "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n\r\n"u8);
    }

    /// <summary>Spends one unit of a budget; past it, GOAWAY(ENHANCE_YOUR_CALM) and the connection closes once that
    /// is sent.</summary>
    private void Charge(ref Http2Budget budget)
    {
        if (budget.Spend(_loop.NowMs) || _calm) return;
        _calm = true;
        _failed = true;
        _loop.Metrics.Http2GoAway[(int)Http2GoAwayReason.Calm]++;
        Span<byte> client = stackalloc byte[64];
        Log.Http2BudgetSpent(_loop.Logger, System.Text.Encoding.ASCII.GetString(client[..SockAddr.FormatClient(_peer, client)]));
        _ng.Terminate(EnhanceYourCalm);
    }
}
