using StaticD.Files;
using StaticD.Http;
using StaticD.Interop;
using StaticD.Logging;

namespace StaticD.Net;

/// <summary>From a decoded path to a <see cref="Resource"/>: from the loop's file cache when it holds the answer,
/// otherwise on the thread pool (open/statx/sidecars/listing), back through <see cref="EventLoop.Complete"/>.
/// The pool also produces the pieces of a body decoded on the fly.</summary>
internal sealed partial class Connection
{
    /// <summary>Thread pool: the only code of a connection that runs off its loop.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        if (_state == State.Producing)
        {
            _decoded!.Produce();
        }
        else
        {
            var request = new ResourceLookup.Request(Field(_head.AcceptEncoding), _head.AcceptEncoding.IsPresent, WantsJson(),
                CacheEnabled ? _loop.Cache.InotifyFd : -1, _context.Compression);
            ResourceLookup.Lookup(_site!.Policy, _site.Root!, _pathArray, _pathStart, _pathLength, request, ref _resource);
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
        if (CacheEnabled) RememberResolution();
        Respond();
    }

    private bool CacheEnabled => _context.FileCache && _loop.Cache.Enabled;

    /// <summary>Answers from the loop's file cache when it holds this path (and, for a negotiable file, the variant
    /// this client gets): no thread-pool hop, no open(), no statx().</summary>
    private bool TryServeFromCache()
    {
        if (!CacheEnabled || _head.Accept.IsPresent && WantsJson()) return false;
        ReadOnlySpan<byte> path = new(_pathArray, _pathStart, _pathLength);
        FileCache.Entry? entry = _loop.Cache.Find(path, _site!, _loop.NowMs);
        if (entry is null) return false;
        if (entry.Status != 200)
        {
            _state = State.Sending;
            RespondError(entry.Status, close: !_keepAlive);
            return true;
        }
        ContentCoding coding = ContentCoding.Identity;
        if (entry.Available != ContentCoding.Identity &&
            AcceptEncoding.Choose(Field(_head.AcceptEncoding), _head.AcceptEncoding.IsPresent, entry.Available, entry.Preference, out coding) == NegotiationResult.NotAcceptable)
            return false;
        FileCache.CachedFile? file = entry.Variants[FileCache.VariantIndex(coding)];
        if (file is null) return false;
        if (file.Source is { Evicted: true })
        {
            // The compression cache let this result go: stop sending it; the pool answers (and queues it again).
            _loop.Cache.DropVariant(entry, FileCache.VariantIndex(coding));
            return false;
        }
        file.Source?.Touch();
        _state = State.Sending;
        file.Users++;
        _body.BorrowFrom(file);
        _resource.Reset();
        _resource.Status = 200;
        _resource.Borrowed = true;
        _resource.File.Status = 200;
        _resource.File.Fd = file.Fd;
        _resource.File.Length = file.Length;
        _resource.File.MtimeSeconds = file.MtimeSeconds;
        _resource.File.MtimeNanoseconds = file.MtimeNanoseconds;
        _resource.File.Inode = file.Inode;
        _resource.File.TagSize = file.TagSize;
        _resource.File.IsIndex = entry.IsIndex;
        _resource.File.Body = file.Body;
        _resource.Coding = coding;
        _resource.Available = entry.Available;
        _resource.Negotiable = entry.Available != ContentCoding.Identity;
        _resource.NameArray = entry.Name;
        _resource.NameLength = entry.Name.Length;
        RespondRepresentation();
        return true;
    }

    /// <summary>After a pool resolution: keep plain files and "not found" answers for the next request. Error
    /// pages, listings, SPA fallbacks and decoded bodies depend on more than the path, so they always resolve.</summary>
    private void RememberResolution()
    {
        ref Resource r = ref _resource;
        bool plainFile = r.Status == 200 && r.Listing is null && r.DecodeFrom == ContentCoding.Identity;
        bool notFound = r.Status == 404;
        if ((!plainFile && !notFound) || r.IsErrorPage || r.UsedFallback || r.File.IsDirectoryWithoutIndex) return;
        FileCache.CachedFile? file = _loop.Cache.Store(new ReadOnlySpan<byte>(_pathArray, _pathStart, _pathLength),
            _site!, ref r, _loop.NowMs, _cacheEventCount);
        if (file is null) return;
        _body.BorrowFrom(file);
        r.Borrowed = true;
    }

    /// <summary>The bytes of a request field in the receive buffer (empty when absent).</summary>
    private ReadOnlySpan<byte> Field(Segment segment) =>
        segment.IsPresent ? new ReadOnlySpan<byte>(_in.Array, _in.Start + segment.Start, segment.Length) : default;

    /// <summary>A directory listing is offered as JSON to clients that ask for it and not for HTML (a browser's
    /// Accept names text/html).</summary>
    private bool WantsJson()
    {
        ReadOnlySpan<byte> accept = Field(_head.Accept);
        return accept.IndexOf("application/json"u8) >= 0 && accept.IndexOf("text/html"u8) < 0;
    }

    private string PathString() => System.Text.Encoding.UTF8.GetString(_pathArray, _pathStart, _pathLength);

    /// <summary>A resolved resource becomes a response of the matching kind.</summary>
    private void Respond()
    {
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
}
