using StaticD.Files;
using StaticD.Http;
using StaticD.Interop;

namespace StaticD.Net;

/// <summary>The hop to the thread pool and back: resolving a request, and producing the next piece of a body
/// that is decompressed on the fly. Both come back through <see cref="EventLoop.Complete"/>.</summary>
internal sealed partial class Connection
{
    /// <summary>Thread pool: the only code of a connection that runs off its loop.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        if (_state == State.Producing)
        {
            Produce();
        }
        else
        {
            var request = new ResourceLookup.Request(Field(_head.AcceptEncoding), _head.AcceptEncoding.IsPresent, WantsJson());
            ResourceLookup.Lookup(_context, _pathArray, _pathStart, _pathLength, request, ref _resource);
        }
        _loop.Complete(this);
    }

    /// <summary>Loop: the pool's work is back (the completion queue orders its writes before these reads).</summary>
    public void OnResolved()
    {
        bool produced = _state == State.Producing;
        _state = State.Sending;
        if (_abortWhenResolved)
        {
            _resource.Release();
            CloseNow();
            return;
        }
        if (produced)
        {
            OnProduced();
            return;
        }
        switch (_resource.Status)
        {
            case 200 when _resource.Listing is not null:
                RespondListing();
                break;
            case 200 when _resource.DecodeFrom != ContentCoding.Identity:
                RespondDecoded();
                break;
            case 200:
                RespondRepresentation();
                break;
            case 301:
                RespondRedirect();
                break;
            default:
                if (_resource.Status == 500)
                    Log.ResolveFailed(_loop.Logger, PathString(), _resource.Errno.Describe());
                if (_resource.IsErrorPage) RespondErrorPage();
                else RespondError(_resource.Status, close: !_keepAlive);
                break;
        }
    }

    /// <summary>The bytes of a request field in the receive buffer (empty when absent).</summary>
    private ReadOnlySpan<byte> Field(Segment segment) =>
        segment.IsPresent ? new ReadOnlySpan<byte>(_recv, _recvStart + segment.Start, segment.Length) : default;

    /// <summary>A directory listing is offered as JSON to clients that ask for it and not for HTML (a browser's
    /// Accept names text/html).</summary>
    private bool WantsJson()
    {
        ReadOnlySpan<byte> accept = Field(_head.Accept);
        return accept.IndexOf("application/json"u8) >= 0 && accept.IndexOf("text/html"u8) < 0;
    }

    private string PathString() => System.Text.Encoding.UTF8.GetString(_pathArray, _pathStart, _pathLength);
}
