using System.Diagnostics;
using StaticD.Files;
using StaticD.Http;
using StaticD.Logging;
using StaticD.Site;

namespace StaticD.Net;

/// <summary>
/// Turning a resource into bytes on the wire: <see cref="RepresentationDecision"/> picks 200/206/304/412/416,
/// <see cref="ResponseHead"/> writes the HTTP/1.1 head into the loop's scratch buffer, the site adds its configured
/// fields, and <see cref="ResponseBody"/> sends the rest through the transport.
/// </summary>
internal sealed partial class Connection
{
    private ResponseWriter BeginHead(int status)
    {
        _status = status;
        _bytesSent = 0;
        _headBytes = 0;
        _logPending = true;
        _varyWritten = false;
        var w = new ResponseWriter(_loop.Scratch);
        ResponseHead.Begin(ref w, status, _loop.DateHeader);
        return w;
    }

    /// <summary>The site's CORS fields (Access-Control-Allow-Origin for an allowed Origin, Vary: Origin unless the
    /// kind's fields had a Vary), configured fields (nosniff by default, those of matching path rules), then the
    /// framing.</summary>
    private void EndHead(ref ResponseWriter w)
    {
        if (_site?.Policy.Cors is { } cors)
        {
            if (_corsMatch >= 0) w.Write(cors.AllowLines(_corsMatch));
            if (cors.VaryOrigin && !_varyWritten) w.Write(ResponseHead.VaryOrigin);
        }
        SitePolicy site = Policy;
        w.Write(site.GlobalHeaders);
        if (site.Hsts is { } hsts && _transport.IsTls) w.Write(hsts); // never on plain HTTP (RFC 6797 §7.2)
        if (_pathValid)
        {
            ReadOnlySpan<byte> path = new(_pathArray, _pathStart, _pathLength);
            foreach (PathHeaderRule rule in site.PathHeaders)
            {
                if (rule.Pattern.IsMatch(path)) w.Write(rule.Headers);
            }
        }
        ResponseHead.End(ref w, _keepAlive, _head.VersionMinor);
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
        Policy.ContentTypeFor(ResourceLookup.LastSegment(effectivePath));

    private RepresentationRequest RepresentationRequest() => new(
        new ConditionalHeaders(
            Field(_head.IfMatch), _head.IfMatch.IsPresent, Field(_head.IfNoneMatch), _head.IfNoneMatch.IsPresent,
            Field(_head.IfModifiedSince), _head.IfModifiedSince.IsPresent, Field(_head.IfUnmodifiedSince), _head.IfUnmodifiedSince.IsPresent),
        _head.Method == HttpMethod.Get, Field(_head.Range), _head.Range.IsPresent, Field(_head.IfRange), _head.IfRange.IsPresent);

    /// <summary>A file (or its chosen variant): the decision, the head, then a sendfile (or memory) body.</summary>
    private void RespondRepresentation()
    {
        ref FileResolution file = ref _resource.File;
        Span<byte> pathBuffer = stackalloc byte[_resource.NameLength + FileResolver.IndexFile.Length];
        ReadOnlySpan<byte> effectivePath = EffectivePath(pathBuffer);
        Span<byte> etagBuffer = stackalloc byte[EntityTag.MaxLength];
        int etagLength = EntityTag.Format(file.Inode, file.ETagSize, file.MtimeSeconds, file.MtimeNanoseconds,
            _resource.Coding == ContentCoding.Identity ? default : AcceptEncoding.Token(_resource.Coding), etagBuffer);
        ReadOnlySpan<byte> etag = etagBuffer[..etagLength];
        long now = _loop.UnixSeconds;
        long lastModified = RepresentationDecision.LastModified(file.MtimeSeconds, now);

        int maxRanges = _context.Limits.MaxRanges;
        if (_ranges is null || _ranges.Length < maxRanges) _ranges = new ByteRange[maxRanges];
        ResponseKind kind = RepresentationDecision.Decide(RepresentationRequest(), etag, lastModified, file.Length, now,
            _ranges.AsSpan(0, maxRanges), out int rangeCount);
        if (kind == ResponseKind.PreconditionFailed)
        {
            _resource.Release();
            RespondError(412, close: !_keepAlive);
            return;
        }
        if (kind == ResponseKind.RangeNotSatisfiable)
        {
            long length = file.Length;
            _resource.Release();
            RespondError(416, close: !_keepAlive, unsatisfiedLength: length);
            return;
        }

        ReadOnlySpan<byte> contentType = ContentTypeOf(effectivePath);
        var fields = new RepresentationFields(contentType, Policy.CacheRules.For(effectivePath, contentType), etag,
            lastModified, file.Length, _resource.Coding, _resource.Negotiable, VaryOrigin);
        if (kind == ResponseKind.NotModified)
        {
            scoped ResponseWriter head = BeginHead(304);
            ResponseHead.NotModified(ref head, fields);
            _varyWritten = fields.Negotiable || fields.VaryOrigin;
            EndHead(ref head);
            _resource.Release();
            SendHead(head.Length);
            return;
        }

        ReadOnlySpan<ByteRange> ranges = _ranges.AsSpan(0, rangeCount);
        Span<byte> boundary = stackalloc byte[40];
        boundary = boundary[..(kind == ResponseKind.MultipleRanges ? MultipartByteRanges.WriteBoundary(boundary) : 0)];
        scoped ResponseWriter w = BeginHead(kind == ResponseKind.Full ? 200 : 206);
        ResponseHead.Representation(ref w, kind, fields, ranges, boundary);
        _varyWritten = fields.Negotiable || fields.VaryOrigin;
        EndHead(ref w);

        int fd = file.Fd;
        file.Fd = -1;
        if (_isHead || file.Length == 0)
            CloseUnlessBorrowed(fd);
        else if (file.Body is byte[] body && kind != ResponseKind.MultipleRanges)
        {
            CloseUnlessBorrowed(fd);
            if (kind == ResponseKind.Full) _body.SetMemory(body);
            else _body.SetMemory(body, ranges[0].Offset, ranges[0].Length);
        }
        else if (kind == ResponseKind.Full)
            _body.SetFile(fd, 0, file.Length);
        else if (kind == ResponseKind.SingleRange)
            _body.SetFile(fd, ranges[0].Offset, ranges[0].Length);
        else
            _body.SetMultipart(fd, file.Body, ranges, boundary, contentType, file.Length);
        SendHead(w.Length);
    }

    /// <summary>A compressed-only file for a client that does not take its coding: decompressed while sending,
    /// so its length is unknown up front — chunked in HTTP/1.1, close-delimited in HTTP/1.0.</summary>
    private void RespondDecoded()
    {
        Span<byte> pathBuffer = stackalloc byte[_resource.NameLength];
        ReadOnlySpan<byte> effectivePath = EffectivePath(pathBuffer);
        // HTTP/2 frames the body itself: neither chunked nor ended by a close.
        bool chunked = _head.VersionMinor >= 1 && !_transport.FramesBody;
        if (!chunked && !_transport.FramesBody) _keepAlive = false;
        ReadOnlySpan<byte> contentType = ContentTypeOf(effectivePath);
        var fields = new RepresentationFields(contentType, Policy.CacheRules.For(effectivePath, contentType), default,
            RepresentationDecision.LastModified(_resource.File.MtimeSeconds, _loop.UnixSeconds), -1, ContentCoding.Identity, _resource.Negotiable,
            VaryOrigin);
        ResponseWriter w = BeginHead(200);
        ResponseHead.Decoded(ref w, fields, chunked);
        _varyWritten = fields.Negotiable || fields.VaryOrigin;
        EndHead(ref w);
        if (_isHead)
        {
            _resource.Release();
        }
        else
        {
            _decoded = new DecodedBody(_resource.File.Fd, _resource.DecodeFrom, chunked);
            _resource.File.Fd = -1;
        }
        SendHead(w.Length);
    }

    private void RespondListing()
    {
        byte[] body = _resource.Listing!;
        _resource.Listing = null;
        ResponseWriter w = BeginHead(200);
        ResponseHead.Listing(ref w, _resource.ListingIsJson, body.Length, VaryOrigin);
        _varyWritten = true;
        EndHead(ref w);
        if (!_isHead) _body.SetMemory(body);
        SendHead(w.Length);
    }

    /// <summary>Whether Vary must name Origin: the site's Access-Control-Allow-Origin depends on it.</summary>
    private bool VaryOrigin => _site?.Policy.Cors?.VaryOrigin == true;

    /// <summary>OPTIONS (RFC 9110 §9.3.7): 204 with Allow, for "*" and any path alike, without looking at the
    /// files. A CORS preflight (Origin and Access-Control-Request-Method) on a site with Cors also gets the
    /// Access-Control-* fields when its origin, method and headers are allowed. When they are not, the answer is
    /// the same 204 without them rather than a 403: the Fetch standard's CORS check fails on the missing
    /// Access-Control-Allow-Origin alone, the status would tell the page nothing more, and a plain OPTIONS
    /// stays a truthful answer about the resource's methods (rs/cors and the usual nginx/Caddy presets do the same).</summary>
    private void RespondOptions()
    {
        ResponseWriter w = BeginHead(204);
        ResponseHead.Options(ref w);
        if (_site!.Policy.Cors is { } cors && _head.Origin.IsPresent && _head.AccessControlRequestMethod.IsPresent)
        {
            ReadOnlySpan<byte> requested = Field(_head.AccessControlRequestHeaders);
            if (_corsMatch >= 0 && CorsPolicy.IsAllowedMethod(Field(_head.AccessControlRequestMethod))
                && !_head.AccessControlRequestHeadersRepeated && CorsPolicy.CanEcho(requested))
            {
                // The requested headers are echoed rather than checked against a list: staticd serves the same
                // bytes whatever they say (only Range and the conditionals, all CORS-safe to read, change the
                // answer), so refusing e.g. Authorization or X-Requested-With would only break pages.
                ResponseHead.Preflight(ref w, cors.AllowLines(_corsMatch), cors.PreflightFields, requested);
            }
            w.Write(cors.PreflightVary);
            _varyWritten = true;
            _corsMatch = -1; // the preflight's own fields are written: none from EndHead
        }
        EndHead(ref w);
        SendHead(w.Length);
    }

    private void RespondRedirect()
    {
        ResponseWriter w = BeginHead(301);
        ResponseHead.DirectoryRedirect(ref w, new ReadOnlySpan<byte>(_pathArray, _pathStart, _pathLength), Field(_head.Query), _head.Query.IsPresent);
        SendHtmlPage(ref w, StatusCodes.ErrorBody(301));
    }

    /// <summary>An error status whose body is the operator's page from ErrorPages.</summary>
    private void RespondErrorPage()
    {
        ref FileResolution file = ref _resource.File;
        ResponseWriter w = BeginHead(_resource.Status);
        ResponseHead.ErrorPage(ref w, _resource.Status, ContentTypeOf(_resource.Name), file.Length);
        EndHead(ref w);
        int fd = file.Fd;
        file.Fd = -1;
        if (_isHead || file.Length == 0) CloseUnlessBorrowed(fd);
        else _body.SetFile(fd, 0, file.Length);
        SendHead(w.Length);
    }

    private void RespondError(int status, bool close, long unsatisfiedLength = -1)
    {
        if (close) _keepAlive = false;
        ResponseWriter w = BeginHead(status);
        ResponseHead.ErrorFields(ref w, status, unsatisfiedLength);
        SendHtmlPage(ref w, StatusCodes.ErrorBody(status));
    }

    /// <summary>Ends a head with one of staticd's own small HTML pages as the body, and sends both.</summary>
    private void SendHtmlPage(ref ResponseWriter w, ReadOnlySpan<byte> body)
    {
        ResponseHead.HtmlPage(ref w, body.Length);
        EndHead(ref w);
        int head = w.Length;
        if (!_isHead) w.Write(body);
        SendHead(w.Length, head);
    }

    /// <summary>Done with a descriptor that carries no body (HEAD, empty file, small file sent from memory).</summary>
    private void CloseUnlessBorrowed(int fd)
    {
        if (!_body.IsBorrowed) Interop.Syscall.Close(fd);
    }

    // ───────────────────────────── sending ─────────────────────────────

    /// <summary>Sends the head from the loop's scratch buffer (with a small body joined to it: one send for the
    /// whole response); only if the socket cannot take it all are the rest copied out of the scratch buffer.</summary>
    /// <param name="headLength">Where the head ends when <paramref name="length"/> holds a body too.</param>
    private void SendHead(int length, int headLength = -1)
    {
        _state = State.Sending;
        _headBytes = headLength < 0 ? length : headLength;
        length += _body.AppendSmallBodyTo(_loop.Scratch, length);
        // MSG_MORE: the head waits for the first body bytes so both share a packet.
        nint n = _transport.Send(_loop.Scratch.AsSpan(0, length), _body.HasSegments || _decoded is not null, out Interop.Errno errno);
        if (n > 0) CountSent(n);
        if (n == length)
        {
            ContinueSend();
            return;
        }
        if (n < 0 && errno != Interop.Errno.EAGAIN)
        {
            CloseNow();
            return;
        }
        int sent = n > 0 ? (int)n : 0;
        _body.KeepUnsentHead(_loop.Scratch.AsSpan(sent, length - sent));
        Deadline = _loop.NowMs + _context.Limits.SendTimeoutSeconds * 1000L;
    }

    private void ContinueSend()
    {
        SendProgress progress = _body.Send(_transport, out long sent);
        if (sent > 0) CountSent(sent);
        if (sent > 0 || progress == SendProgress.Blocked)
            Deadline = _loop.NowMs + _context.Limits.SendTimeoutSeconds * 1000L;
        switch (progress)
        {
            case SendProgress.Blocked:
                return;
            case SendProgress.Yield:
                _loop.Yield(this);
                return;
            case SendProgress.Failed:
                CloseNow(); // EPIPE, ECONNRESET: the client went away.
                return;
            case SendProgress.Truncated:
                // The file shrank after its length went out in Content-Length: the response cannot be completed,
                // and closing is the only way to tell the client (nginx logs "file was truncated" the same way).
                Log.FileTruncated(_loop.Logger, PathString(), _body.FileOffset);
                CloseNow();
                return;
        }
        if (_decoded is not null && !SendDecoded()) return;
        FinishResponse();
    }

    /// <summary>The decoded body's current piece, then the next one from the pool; true when all is sent.</summary>
    private bool SendDecoded()
    {
        DecodedBody d = _decoded!;
        if (d.Start < d.End)
        {
            long sent = 0;
            SendProgress p = ResponseBody.SendMemory(_transport, d.Chunk, ref d.Start, d.End, !d.Finished, ref sent);
            if (sent > 0) CountSent(sent);
            if (p == SendProgress.Failed)
            {
                CloseNow();
                return false;
            }
            if (p == SendProgress.Blocked)
            {
                Deadline = _loop.NowMs + _context.Limits.SendTimeoutSeconds * 1000L;
                return false;
            }
        }
        if (d.Finished) return true;
        // Next piece: decompression reads the disk and burns CPU, so it runs on the pool.
        _state = State.Producing;
        Deadline = long.MaxValue;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        return false;
    }

    private void OnProduced()
    {
        if (_decoded!.Failed)
        {
            // A corrupt compressed file: the head is gone already, so the only honest signal is to close.
            Log.DecodeFailed(_loop.Logger, PathString());
            CloseNow();
            return;
        }
        Deadline = _loop.NowMs + _context.Limits.SendTimeoutSeconds * 1000L;
        ContinueSend();
    }

    private void CountSent(long n)
    {
        _bytesSent += n;
        _loop.BytesSent += n;
    }

    /// <summary>Hands the finished request to the access log: a copy into a pooled buffer and an enqueue for the
    /// journal, a line formatted into this loop's chunk for a file.</summary>
    private void LogAccess()
    {
        _logPending = false;
        long usec = (long)Stopwatch.GetElapsedTime(_requestStart).TotalMicroseconds;
        CountResponse(usec);
        SitePolicy policy = Policy;
        if (!policy.AccessLog) return;
        ReadOnlySpan<byte> site = _site is null ? default : _site.Policy.LogName;
        Span<byte> host = stackalloc byte[HostBufferLength];
        int hostLength = _headParsed ? NormalizedHost(host) : 0;
        if (_context.AccessFiles[_site?.Index ?? _context.Sites.Length] is { } file)
        {
            var record = new AccessRecord
            {
                HeadParsed = _headParsed,
                SiteName = site,
                Host = host[..hostLength],
                LocalPort = LocalPort,
                Status = _status,
                Bytes = _bytesSent,
                BodyBytes = Math.Max(0, _bytesSent - _headBytes),
                DurationUsec = usec,
                Client = _peer,
            };
            if (_headParsed)
            {
                record.Method = Field(_head.MethodToken);
                record.Target = Field(_head.Target);
                record.VersionMinor = _head.VersionMinor;
                record.Http2 = _transport.FramesBody;
                record.HasReferer = _head.Referer.IsPresent;
                record.Referer = Field(_head.Referer);
                record.HasUserAgent = _head.UserAgent.IsPresent;
                record.UserAgent = Field(_head.UserAgent);
            }
            record.Truncate();
            _loop.AppendAccess(file, record, policy.AccessLogFormat == AccessLogFormat.Json, _context.Sites.Length > 0);
        }
        else if (_loop.AccessLog is { } log)
        {
            if (_headParsed)
            {
                log.Record(Field(_head.MethodToken), Field(_head.Target), Field(_head.UserAgent), Field(_head.Referer),
                    host[..hostLength], site, _status, _bytesSent, usec, _peer,
                    (byte)(_transport.FramesBody ? 20 : 10 + _head.VersionMinor));
            }
            else
            {
                log.Record(default, default, default, default, default, default, _status, _bytesSent, usec, _peer);
            }
        }
    }
}
