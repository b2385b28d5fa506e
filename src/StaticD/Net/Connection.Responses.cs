using System.Diagnostics;
using StaticD.Files;
using StaticD.Http;
using StaticD.Logging;
using StaticD.Site;

namespace StaticD.Net;

/// <summary>
/// Response heads: every response is written into the loop's scratch buffer from pre-encoded pieces, then sent
/// by <see cref="SendHead"/>. Validators, preconditions and ranges follow RFC 9110 §8.8, §13 and §14.
/// </summary>
internal sealed unsafe partial class Connection
{
    private ByteRange[]? _ranges;
    private int _status;
    private long _bytesSent;
    private long _requestStart;
    private bool _headParsed, _logPending;

    /// <summary>Hands the finished request to the access log (a copy into a pooled buffer and an enqueue).</summary>
    private void LogAccess()
    {
        _logPending = false;
        if (_loop.AccessLog is not { } log || !_context.AccessLog) return;
        long usec = (long)Stopwatch.GetElapsedTime(_requestStart).TotalMicroseconds;
        if (_headParsed)
            log.Record(Field(_head.MethodToken), Field(_head.Target), Field(_head.UserAgent), Field(_head.Referer), _status, _bytesSent, usec, _peer);
        else
            log.Record(default, default, default, default, _status, _bytesSent, usec, _peer);
    }

    private ResponseWriter BeginHead(int status)
    {
        _status = status;
        _bytesSent = 0;
        _logPending = true;
        var writer = new ResponseWriter(_loop.Scratch);
        writer.Write(StatusCodes.Line(status));
        writer.Write("Server: staticd\r\n"u8);
        writer.Write(_loop.DateHeader);
        return writer;
    }

    /// <summary>Configured headers: the global ones (nosniff by default) and those of matching path rules.</summary>
    private void WriteSiteHeaders(ref ResponseWriter w)
    {
        SitePolicy site = _context.Site;
        w.Write(site.GlobalHeaders);
        if (!_pathValid) return;
        ReadOnlySpan<byte> path = new(_pathArray, _pathStart, _pathLength);
        foreach (PathHeaderRule rule in site.PathHeaders)
        {
            if (rule.Pattern.IsMatch(path)) w.Write(rule.Headers);
        }
    }

    private void EndHead(ref ResponseWriter w)
    {
        if (!_keepAlive) w.Write("Connection: close\r\n"u8);
        else if (_head.VersionMinor == 0) w.Write("Connection: keep-alive\r\n"u8);
        w.Write("\r\n"u8);
    }

    /// <summary>The file name that decides Content-Type and cache rules: "/dir/" was served as its index.html.</summary>
    private ReadOnlySpan<byte> EffectivePath(Span<byte> buffer)
    {
        ReadOnlySpan<byte> name = _resource.Name;
        if (!_resource.File.IsIndex || _resource.IsErrorPage) return name;
        name.CopyTo(buffer);
        FileResolver.IndexFile.CopyTo(buffer[name.Length..]);
        return buffer[..(name.Length + FileResolver.IndexFile.Length)];
    }

    private ReadOnlySpan<byte> ContentTypeOf(scoped ReadOnlySpan<byte> effectivePath) =>
        _context.Site.ContentTypeFor(ResourceLookup.LastSegment(effectivePath));

    private void WriteCacheAndContentType(ref ResponseWriter w, scoped ReadOnlySpan<byte> effectivePath, scoped ReadOnlySpan<byte> contentType)
    {
        w.Write("Content-Type: "u8);
        w.Write(contentType);
        w.Write("\r\nCache-Control: "u8);
        w.Write(_context.Site.CacheRules.For(effectivePath, contentType));
        w.Write("\r\n"u8);
    }

    private void WriteValidators(ref ResponseWriter w, scoped ReadOnlySpan<byte> etag)
    {
        if (!etag.IsEmpty)
        {
            w.Write("ETag: "u8);
            w.Write(etag);
            w.Write("\r\n"u8);
        }
        w.Write("Last-Modified: "u8);
        w.WriteHttpDate(LastModified);
        w.Write("\r\n"u8);
        if (_resource.Negotiable) w.Write("Vary: Accept-Encoding\r\n"u8);
        if (_resource.Coding != ContentCoding.Identity)
        {
            w.Write("Content-Encoding: "u8);
            w.Write(AcceptEncoding.Token(_resource.Coding));
            w.Write("\r\n"u8);
        }
    }

    /// <summary>RFC 9110 §8.8.2.1: a Last-Modified later than Date (a file stamped in the future) is sent as Date,
    /// and conditionals compare against the same value.</summary>
    private long LastModified => Math.Min(_resource.File.MtimeSeconds, _loop.UnixSeconds);

    /// <summary>A file (or its chosen variant): preconditions, then ranges, then the head and a sendfile body.</summary>
    private void RespondRepresentation()
    {
        ref FileResolution file = ref _resource.File;
        Span<byte> pathBuffer = stackalloc byte[_resource.NameLength + FileResolver.IndexFile.Length];
        ReadOnlySpan<byte> effectivePath = EffectivePath(pathBuffer);
        Span<byte> etagBuffer = stackalloc byte[EntityTag.MaxLength];
        int etagLength = EntityTag.Format(file.Inode, file.Length, file.MtimeSeconds, file.MtimeNanoseconds,
            _resource.Coding == ContentCoding.Identity ? default : AcceptEncoding.Token(_resource.Coding), etagBuffer);
        ReadOnlySpan<byte> etag = etagBuffer[..etagLength];
        long now = _loop.UnixSeconds;

        var conditions = new ConditionalHeaders(
            Field(_head.IfMatch), _head.IfMatch.IsPresent, Field(_head.IfNoneMatch), _head.IfNoneMatch.IsPresent,
            Field(_head.IfModifiedSince), _head.IfModifiedSince.IsPresent, Field(_head.IfUnmodifiedSince), _head.IfUnmodifiedSince.IsPresent);
        switch (Preconditions.Evaluate(conditions, etag, LastModified, now))
        {
            case PreconditionResult.NotModified:
                RespondNotModified(effectivePath, etag);
                return;
            case PreconditionResult.PreconditionFailed:
                _resource.Release();
                RespondError(412, close: !_keepAlive);
                return;
        }

        // RFC 9110 §14.2: Range is only for GET; If-Range that does not match means "send it all".
        int rangeCount = 0;
        if (_head.Method == HttpMethod.Get && _head.Range.IsPresent &&
            (!_head.IfRange.IsPresent || Preconditions.IfRangeAllows(Field(_head.IfRange), etag, LastModified, now)))
        {
            int max = _context.Limits.MaxRanges;
            _ranges ??= new ByteRange[max];
            switch (ByteRanges.Parse(Field(_head.Range), file.Length, max, _ranges, out int count))
            {
                case RangeResult.Satisfiable:
                    rangeCount = count;
                    break;
                case RangeResult.Unsatisfiable:
                    long length = file.Length;
                    _resource.Release();
                    RespondError(416, close: !_keepAlive, unsatisfiedLength: length);
                    return;
            }
        }

        ResponseWriter w = BeginHead(rangeCount > 0 ? 206 : 200);
        Span<byte> boundary = stackalloc byte[40];
        int boundaryLength = 0;
        ReadOnlySpan<byte> contentType = ContentTypeOf(effectivePath);
        if (rangeCount > 1)
        {
            // The part headers carry the file's type; the response is multipart/byteranges (RFC 9110 §14.6).
            boundaryLength = MultipartByteRanges.WriteBoundary(boundary);
            w.Write("Content-Type: multipart/byteranges; boundary="u8);
            w.Write(boundary[..boundaryLength]);
            w.Write("\r\nCache-Control: "u8);
            w.Write(_context.Site.CacheRules.For(effectivePath, contentType));
            w.Write("\r\nContent-Length: "u8);
            w.WriteDecimal(MultipartByteRanges.BodyLength(boundary[..boundaryLength], contentType, _ranges.AsSpan(0, rangeCount), file.Length));
            w.Write("\r\n"u8);
        }
        else
        {
            WriteCacheAndContentType(ref w, effectivePath, contentType);
            w.Write("Content-Length: "u8);
            w.WriteDecimal(rangeCount == 1 ? _ranges![0].Length : file.Length);
            w.Write("\r\n"u8);
            if (rangeCount == 1)
            {
                w.Write("Content-Range: "u8);
                w.Advance(ByteRanges.WriteContentRange(w.Free, _ranges![0], file.Length));
                w.Write("\r\n"u8);
            }
        }
        WriteValidators(ref w, etag);
        w.Write("Accept-Ranges: bytes\r\n"u8);
        WriteSiteHeaders(ref w);
        EndHead(ref w);

        int fd = file.Fd;
        file.Fd = -1;
        if (_isHead || file.Length == 0)
        {
            ReleaseFileFd(fd);
        }
        else if (file.Body is byte[] body && rangeCount <= 1)
        {
            ReleaseFileFd(fd);
            if (rangeCount == 0) SetMemoryBody(body);
            else SetMemoryBody(body, _ranges![0].Offset, _ranges[0].Length);
        }
        else if (rangeCount == 0)
        {
            SetFileBody(fd, 0, file.Length);
        }
        else if (rangeCount == 1)
        {
            SetFileBody(fd, _ranges![0].Offset, _ranges[0].Length);
        }
        else
        {
            SetMultipartBody(fd, _ranges.AsSpan(0, rangeCount), boundary[..boundaryLength], contentType, file.Length);
        }
        SendHead(w.Length);
    }

    /// <summary>304 (RFC 9110 §15.4.5): the validators and caching headers a 200 would have had, no body.</summary>
    private void RespondNotModified(scoped ReadOnlySpan<byte> effectivePath, scoped ReadOnlySpan<byte> etag)
    {
        ResponseWriter w = BeginHead(304);
        ReadOnlySpan<byte> contentType = ContentTypeOf(effectivePath);
        w.Write("Cache-Control: "u8);
        w.Write(_context.Site.CacheRules.For(effectivePath, contentType));
        w.Write("\r\n"u8);
        WriteValidators(ref w, etag);
        WriteSiteHeaders(ref w);
        EndHead(ref w);
        _resource.Release();
        SendHead(w.Length);
    }

    /// <summary>A compressed-only file for a client that does not take its coding: decompressed while sending,
    /// so its length is unknown up front — chunked in HTTP/1.1, close-delimited in HTTP/1.0. No ETag and no
    /// ranges: the decoded bytes are produced on the fly, and a validator for them would need a second read.</summary>
    private void RespondDecoded()
    {
        Span<byte> pathBuffer = stackalloc byte[_resource.NameLength];
        ReadOnlySpan<byte> effectivePath = EffectivePath(pathBuffer);
        if (_head.VersionMinor == 0) _keepAlive = false;
        ResponseWriter w = BeginHead(200);
        WriteCacheAndContentType(ref w, effectivePath, ContentTypeOf(effectivePath));
        WriteValidators(ref w, default);
        if (_head.VersionMinor >= 1) w.Write("Transfer-Encoding: chunked\r\n"u8);
        WriteSiteHeaders(ref w);
        EndHead(ref w);
        if (_isHead)
        {
            _resource.Release();
        }
        else
        {
            StartDecodedBody(_resource.File.Fd, _resource.DecodeFrom, chunked: _head.VersionMinor >= 1);
            _resource.File.Fd = -1;
        }
        SendHead(w.Length);
    }

    private void RespondListing()
    {
        byte[] body = _resource.Listing!;
        _resource.Listing = null;
        ResponseWriter w = BeginHead(200);
        w.Write(_resource.ListingIsJson ? "Content-Type: application/json; charset=utf-8\r\n"u8 : "Content-Type: text/html; charset=utf-8\r\n"u8);
        // A listing changes whenever the directory does, and its form depends on Accept.
        w.Write("Cache-Control: no-cache\r\nVary: Accept\r\nContent-Length: "u8);
        w.WriteDecimal(body.Length);
        w.Write("\r\n"u8);
        WriteSiteHeaders(ref w);
        EndHead(ref w);
        if (!_isHead) SetMemoryBody(body);
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
            w.Write(Field(_head.Query));
        }
        w.Write("\r\n"u8);
        SendHtmlPage(ref w, body);
    }

    /// <summary>An error status whose body is the operator's page from ErrorPages.</summary>
    private void RespondErrorPage()
    {
        ref FileResolution file = ref _resource.File;
        ResponseWriter w = BeginHead(_resource.Status);
        w.Write("Content-Type: "u8);
        w.Write(ContentTypeOf(_resource.Name));
        w.Write("\r\nContent-Length: "u8);
        w.WriteDecimal(file.Length);
        w.Write("\r\n"u8);
        if (_resource.Status == 503) w.Write("Retry-After: 5\r\n"u8);
        WriteSiteHeaders(ref w);
        EndHead(ref w);
        int fd = file.Fd;
        file.Fd = -1;
        if (_isHead || file.Length == 0) ReleaseFileFd(fd);
        else SetFileBody(fd, 0, file.Length);
        SendHead(w.Length);
    }

    private void RespondError(int status, bool close, long unsatisfiedLength = -1)
    {
        if (close) _keepAlive = false;
        ReadOnlySpan<byte> body = StatusCodes.ErrorBody(status);
        ResponseWriter w = BeginHead(status);
        if (status == 405) w.Write("Allow: GET, HEAD\r\n"u8);
        if (status == 503) w.Write("Retry-After: 5\r\n"u8);
        if (unsatisfiedLength >= 0)
        {
            w.Write("Content-Range: "u8);
            w.Advance(ByteRanges.WriteUnsatisfiedContentRange(w.Free, unsatisfiedLength));
            w.Write("\r\n"u8);
        }
        SendHtmlPage(ref w, body);
    }

    /// <summary>Ends a head with one of staticd's own small HTML pages as the body, and sends both.</summary>
    private void SendHtmlPage(ref ResponseWriter w, ReadOnlySpan<byte> body)
    {
        w.Write("Content-Type: text/html; charset=utf-8\r\nContent-Length: "u8);
        w.WriteDecimal(body.Length);
        w.Write("\r\n"u8);
        WriteSiteHeaders(ref w);
        EndHead(ref w);
        if (!_isHead) w.Write(body);
        SendHead(w.Length);
    }
}
