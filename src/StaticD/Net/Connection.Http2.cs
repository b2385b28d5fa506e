namespace StaticD.Net;

/// <summary>A connection that turns out to speak HTTP/2 (ALPN "h2" on TLS, or the preface on a plain port with
/// Http2Cleartext) hands its socket to an <see cref="Http2Session"/> and from then on only forwards events to it.</summary>
internal sealed partial class Connection
{
    private Http2Session? _h2;

    /// <summary>Whether the bytes received so far start HTTP/2 (asked only before the first response: a connection
    /// that spoke HTTP/1.1 cannot turn into HTTP/2 halfway); <paramref name="wait"/>: maybe, but too few have
    /// arrived to tell (a prefix of the cleartext preface).</summary>
    private bool SpeaksHttp2(out bool wait)
    {
        wait = false;
        if (_transport.NegotiatedHttp2) return true;
        if (_transport.IsTls || !_context.Http2Cleartext) return false;
        ReadOnlySpan<byte> input = _in.Unparsed;
        ReadOnlySpan<byte> preface = Http2Session.Preface;
        int n = Math.Min(input.Length, preface.Length);
        if (!input[..n].SequenceEqual(preface[..n])) return false;
        wait = input.Length < preface.Length;
        return true;
    }

    private void BeginHttp2()
    {
        _state = State.Http2;
        _h2 = new Http2Session(_loop, _transport, this, _peer, LocalPort);
        ReadOnlySpan<byte> received = _in.Unparsed;
        bool more = _readable;
        // The session copies nothing it needs later out of these bytes; the buffer goes back once they are fed.
        _h2.Start(received, more);
        if (_state != State.Closed) _in.Release(_loop.ReceiveBuffers);
    }

    /// <summary>The session has written its last frame (a GOAWAY) to a client that may still be sending: end it and
    /// linger as an HTTP/1.1 response does, so the GOAWAY is read rather than lost to a reset.</summary>
    public void LingerAfterHttp2()
    {
        _h2?.Dispose();
        _h2 = null;
        BeginLingeringClose();
    }
}
