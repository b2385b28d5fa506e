namespace StaticD.Http;

/// <summary>The fields that describe one representation in a 200, 206 or 304 head.</summary>
internal readonly ref struct RepresentationFields(
    ReadOnlySpan<byte> contentType, ReadOnlySpan<byte> cacheControl, ReadOnlySpan<byte> etag, long lastModified,
    long length, ContentCoding coding, bool negotiable, bool varyOrigin = false)
{
    public readonly ReadOnlySpan<byte> ContentType = contentType;
    public readonly ReadOnlySpan<byte> CacheControl = cacheControl;
    /// <summary>Empty when the representation has no validator of its own (a body decoded while sending).</summary>
    public readonly ReadOnlySpan<byte> ETag = etag;
    public readonly long LastModified = lastModified;
    public readonly long Length = length;
    public readonly ContentCoding Coding = coding;
    /// <summary>Variants exist, so the response depends on Accept-Encoding (Vary).</summary>
    public readonly bool Negotiable = negotiable;
    /// <summary>The site's CORS answer depends on Origin (an origin list), so Vary names it too: one Vary field
    /// with both names rather than two fields.</summary>
    public readonly bool VaryOrigin = varyOrigin;
}

/// <summary>
/// HTTP/1.1 response heads as bytes, from pre-encoded pieces: the status line and fixed fields, validators, the
/// representation's fields for 200/206/304, the fields of error responses (405 Allow, 503 Retry-After, 416
/// Content-Range) and the connection framing. Pure: the caller brings the buffer, the Date line and the site's
/// configured fields (written between the fields here and <see cref="End"/>). Field order is fixed, so every
/// head can be checked byte for byte.
/// </summary>
internal static class ResponseHead
{
    private static ReadOnlySpan<byte> HtmlType => "text/html; charset=utf-8"u8;

    /// <summary>Status line, Server and the loop's current "Date: …\r\n".</summary>
    public static void Begin(ref ResponseWriter w, int status, scoped ReadOnlySpan<byte> dateLine)
    {
        w.Write(StatusCodes.Line(status));
        w.Write("Server: staticd\r\n"u8);
        w.Write(dateLine);
    }

    /// <summary>The fields of a 200 or 206: type, caching, length (of the range or multipart body), Content-Range
    /// for one range, validators and Accept-Ranges. For several ranges the type is multipart/byteranges with
    /// <paramref name="boundary"/>, and each part carries the file's own type (RFC 9110 §14.6).</summary>
    public static void Representation(ref ResponseWriter w, ResponseKind kind, scoped in RepresentationFields f,
        scoped ReadOnlySpan<ByteRange> ranges, scoped ReadOnlySpan<byte> boundary)
    {
        if (kind == ResponseKind.MultipleRanges)
        {
            w.Write("Content-Type: multipart/byteranges; boundary="u8);
            w.Write(boundary);
            w.Write("\r\nCache-Control: "u8);
            w.Write(f.CacheControl);
            w.Write("\r\nContent-Length: "u8);
            w.WriteDecimal(MultipartByteRanges.BodyLength(boundary, f.ContentType, ranges, f.Length));
            w.Write("\r\n"u8);
        }
        else
        {
            TypeAndCaching(ref w, f.ContentType, f.CacheControl);
            w.Write("Content-Length: "u8);
            w.WriteDecimal(kind == ResponseKind.SingleRange ? ranges[0].Length : f.Length);
            w.Write("\r\n"u8);
            if (kind == ResponseKind.SingleRange)
            {
                w.Write("Content-Range: "u8);
                w.Advance(ByteRanges.WriteContentRange(w.Free, ranges[0], f.Length));
                w.Write("\r\n"u8);
            }
        }
        Validators(ref w, f);
        w.Write("Accept-Ranges: bytes\r\n"u8);
    }

    /// <summary>304 (RFC 9110 §15.4.5): the caching field and validators a 200 would have had; no type, no
    /// length.</summary>
    public static void NotModified(ref ResponseWriter w, scoped in RepresentationFields f)
    {
        w.Write("Cache-Control: "u8);
        w.Write(f.CacheControl);
        w.Write("\r\n"u8);
        Validators(ref w, f);
    }

    /// <summary>A body decoded while it is sent: its length is unknown up front, so chunked in HTTP/1.1 and
    /// close-delimited in HTTP/1.0; no ETag (a validator for the decoded bytes would need a second read).</summary>
    public static void Decoded(ref ResponseWriter w, scoped in RepresentationFields f, bool chunked)
    {
        TypeAndCaching(ref w, f.ContentType, f.CacheControl);
        Validators(ref w, f);
        if (chunked) w.Write("Transfer-Encoding: chunked\r\n"u8);
    }

    /// <summary>A directory listing: it changes whenever the directory does, and its form depends on Accept.</summary>
    public static void Listing(ref ResponseWriter w, bool json, int length, bool varyOrigin = false)
    {
        w.Write(json ? "Content-Type: application/json; charset=utf-8\r\n"u8 : "Content-Type: text/html; charset=utf-8\r\n"u8);
        w.Write(varyOrigin
            ? "Cache-Control: no-cache\r\nVary: Accept, Origin\r\nContent-Length: "u8
            : "Cache-Control: no-cache\r\nVary: Accept\r\nContent-Length: "u8);
        w.WriteDecimal(length);
        w.Write("\r\n"u8);
    }

    /// <summary>Location of a 301 to the directory form of a path ("/docs" → "/docs/"), the query kept.</summary>
    public static void DirectoryRedirect(ref ResponseWriter w, scoped ReadOnlySpan<byte> decodedPath, scoped ReadOnlySpan<byte> query, bool hasQuery)
    {
        w.Write("Location: "u8);
        w.WritePathEncoded(decodedPath);
        w.Write("/"u8);
        if (hasQuery)
        {
            w.Write("?"u8);
            w.Write(query);
        }
        w.Write("\r\n"u8);
    }

    /// <summary>Location for a site that redirects everything (RedirectTo): its origin, then the request's path as
    /// the client sent it (still percent-encoded, so nothing is re-encoded) and its query.</summary>
    public static void OriginRedirect(ref ResponseWriter w, scoped ReadOnlySpan<byte> origin, scoped ReadOnlySpan<byte> rawPath,
        scoped ReadOnlySpan<byte> query, bool hasQuery)
    {
        w.Write("Location: "u8);
        w.Write(origin);
        w.Write(rawPath);
        WriteQuery(ref w, query, hasQuery, '?');
        w.Write("\r\n"u8);
    }

    /// <summary>Location for a Redirects rule: its target (a valid URI reference, checked at load), the decoded
    /// rest of a "/**" path re-encoded, and the request's query, joined with '&amp;' when the target has its own.</summary>
    public static void RuleRedirect(ref ResponseWriter w, scoped ReadOnlySpan<byte> to, bool slash, scoped ReadOnlySpan<byte> decodedRest,
        bool toHasQuery, scoped ReadOnlySpan<byte> query, bool hasQuery)
    {
        w.Write("Location: "u8);
        w.Write(to);
        if (slash) w.Write("/"u8);
        w.WritePathEncoded(decodedRest);
        WriteQuery(ref w, query, hasQuery && query.Length > 0 || hasQuery && !toHasQuery, toHasQuery ? '&' : '?');
        w.Write("\r\n"u8);
    }

    private static void WriteQuery(ref ResponseWriter w, scoped ReadOnlySpan<byte> query, bool write, char separator)
    {
        if (!write) return;
        w.Write(separator == '?' ? "?"u8 : "&"u8);
        w.Write(query);
    }

    /// <summary>An error status whose body is a file (the operator's ErrorPages entry).</summary>
    public static void ErrorPage(ref ResponseWriter w, int status, scoped ReadOnlySpan<byte> contentType, long length)
    {
        w.Write("Content-Type: "u8);
        w.Write(contentType);
        w.Write("\r\nContent-Length: "u8);
        w.WriteDecimal(length);
        w.Write("\r\n"u8);
        if (status == 503) w.Write("Retry-After: 5\r\n"u8);
    }

    /// <summary>The fields an error status itself requires: Allow with 405 (RFC 9110 §15.5.6), Retry-After with
    /// 503, "Content-Range: bytes */length" with 416 (§15.5.17; <paramref name="unsatisfiedLength"/> ≥ 0).</summary>
    public static void ErrorFields(ref ResponseWriter w, int status, long unsatisfiedLength)
    {
        if (status == 405) w.Write(AllowLine);
        if (status == 503) w.Write("Retry-After: 5\r\n"u8);
        if (unsatisfiedLength >= 0)
        {
            w.Write("Content-Range: "u8);
            w.Advance(ByteRanges.WriteUnsatisfiedContentRange(w.Free, unsatisfiedLength));
            w.Write("\r\n"u8);
        }
    }

    /// <summary>The methods staticd answers (RFC 9110 §10.2.1), in 405 and OPTIONS responses.</summary>
    public static ReadOnlySpan<byte> AllowLine => "Allow: GET, HEAD, OPTIONS\r\n"u8;

    /// <summary>Vary for a response without one of its own, on a site whose CORS answer depends on Origin.</summary>
    public static ReadOnlySpan<byte> VaryOrigin => "Vary: Origin\r\n"u8;

    /// <summary>204 to OPTIONS (RFC 9110 §9.3.7): Allow, and no Content-Length — §8.6 forbids it in a 204,
    /// whose end is the end of the head (§15.3.5).</summary>
    public static void Options(ref ResponseWriter w) => w.Write(AllowLine);

    /// <summary>The fields of an accepted CORS preflight (Fetch standard §3.2.3), all pre-rendered by the site
    /// except the echoed request headers: <paramref name="allowOrigin"/> (Access-Control-Allow-Origin, with
    /// Access-Control-Allow-Credentials when configured), <paramref name="preflightFields"/>
    /// (Access-Control-Allow-Methods and -Max-Age), then Access-Control-Allow-Headers when headers were asked
    /// for.</summary>
    public static void Preflight(ref ResponseWriter w, scoped ReadOnlySpan<byte> allowOrigin, scoped ReadOnlySpan<byte> preflightFields,
        scoped ReadOnlySpan<byte> requestHeaders)
    {
        w.Write(allowOrigin);
        w.Write(preflightFields);
        if (requestHeaders.IsEmpty) return;
        w.Write("Access-Control-Allow-Headers: "u8);
        w.Write(requestHeaders);
        w.Write("\r\n"u8);
    }

    /// <summary>The fields for one of staticd's own small HTML pages as the body.</summary>
    public static void HtmlPage(ref ResponseWriter w, int length)
    {
        w.Write("Content-Type: "u8);
        w.Write(HtmlType);
        w.Write("\r\nContent-Length: "u8);
        w.WriteDecimal(length);
        w.Write("\r\n"u8);
    }

    /// <summary>The fields of a short text/plain body (an ACME http-01 answer).</summary>
    public static void PlainText(ref ResponseWriter w, int length)
    {
        w.Write("Content-Type: text/plain\r\nContent-Length: "u8);
        w.WriteDecimal(length);
        w.Write("\r\n"u8);
    }

    /// <summary>Connection framing and the empty line. HTTP/1.1 is persistent unless we say close; HTTP/1.0 is
    /// the reverse (RFC 9112 §9.3).</summary>
    public static void End(ref ResponseWriter w, bool keepAlive, int versionMinor)
    {
        if (!keepAlive) w.Write("Connection: close\r\n"u8);
        else if (versionMinor == 0) w.Write("Connection: keep-alive\r\n"u8);
        w.Write("\r\n"u8);
    }

    /// <summary>The whole answer to a client accepted over MaxConnections: a one-shot 503 that asks it to come back,
    /// with no body and a close. Returns the length written.</summary>
    public static int OverCapacity(Span<byte> destination, scoped ReadOnlySpan<byte> dateLine)
    {
        var w = new ResponseWriter(destination);
        Begin(ref w, 503, dateLine);
        w.Write("Retry-After: 5\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8);
        return w.Length;
    }

    private static void TypeAndCaching(ref ResponseWriter w, scoped ReadOnlySpan<byte> contentType, scoped ReadOnlySpan<byte> cacheControl)
    {
        w.Write("Content-Type: "u8);
        w.Write(contentType);
        w.Write("\r\nCache-Control: "u8);
        w.Write(cacheControl);
        w.Write("\r\n"u8);
    }

    private static void Validators(ref ResponseWriter w, scoped in RepresentationFields f)
    {
        if (!f.ETag.IsEmpty)
        {
            w.Write("ETag: "u8);
            w.Write(f.ETag);
            w.Write("\r\n"u8);
        }
        w.Write("Last-Modified: "u8);
        w.WriteHttpDate(f.LastModified);
        w.Write("\r\n"u8);
        if (f.Negotiable) w.Write(f.VaryOrigin ? "Vary: Accept-Encoding, Origin\r\n"u8 : "Vary: Accept-Encoding\r\n"u8);
        else if (f.VaryOrigin) w.Write(VaryOrigin);
        if (f.Coding != ContentCoding.Identity)
        {
            w.Write("Content-Encoding: "u8);
            w.Write(AcceptEncoding.Token(f.Coding));
            w.Write("\r\n"u8);
        }
    }
}
