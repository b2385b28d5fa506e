namespace StaticD.Net;

/// <summary>How a connection ends: aborted, closed at once, or forced closed when the loop exits.</summary>
internal sealed partial class Connection
{
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
        _h2?.Dispose();
        UncountState();
        ReleaseResponse();
        _resource.Release();
        _in.Release(_loop.ReceiveBuffers);
        _transport.Close();
        _loop.Remove(this);
    }

    /// <summary>Loop exit after the shutdown timeout: close whatever is left, even mid-resolution (the pool's
    /// completion will then find a closed connection and a loop that no longer drains: harmless).</summary>
    public void ForceClose()
    {
        if (_state == State.Closed) return;
        _state = State.Closed;
        _h2?.Dispose();
        UncountState();
        _body.ForceRelease();
        _resource.Release();
        _transport.Close();
    }
}
