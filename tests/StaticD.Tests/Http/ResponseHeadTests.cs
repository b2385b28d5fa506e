using System.Text;
using StaticD.Http;
using Xunit;

namespace StaticD.Tests.Http;

/// <summary>
/// Whole response heads, byte for byte, composed the way Connection.Respond does: Begin, the kind's fields, the
/// site's configured fields, End.
/// </summary>
public class ResponseHeadTests
{
    // "Now": RFC 9110's example date, Sun, 06 Nov 1994 08:49:37 GMT.
    private const long Now = 784_111_777;
    private const string Date = "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n";
    // The file: a day older.
    private const long Mtime = Now - 86_400;
    private const string LastModified = "Last-Modified: Sat, 05 Nov 1994 08:49:37 GMT\r\n";
    private const string Tag = "\"5f-3e8-1a2b\"";
    private const string Site = "X-Content-Type-Options: nosniff\r\n";

    private static ReadOnlySpan<byte> DateLine => "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"u8;

    private delegate void Fields(ref ResponseWriter w);

    /// <summary>Begin → <paramref name="fields"/> → site fields → End, as text.</summary>
    private static string Compose(int status, Fields fields, string site = Site, bool keepAlive = true, int versionMinor = 1)
    {
        byte[] buffer = new byte[8192];
        var w = new ResponseWriter(buffer);
        ResponseHead.Begin(ref w, status, DateLine);
        fields(ref w);
        w.Write(Encoding.ASCII.GetBytes(site));
        ResponseHead.End(ref w, keepAlive, versionMinor);
        return Encoding.ASCII.GetString(w.Written);
    }

    private static string Start(string statusLine) => statusLine + "\r\nServer: staticd\r\n" + Date;

    private static byte[] B(string s) => Encoding.ASCII.GetBytes(s);

    private static RepresentationFields Representation(string type = "text/css", string cacheControl = "max-age=60",
        string etag = Tag, long lastModified = Mtime, long length = 1234, ContentCoding coding = ContentCoding.Identity,
        bool negotiable = false, bool varyOrigin = false) =>
        new(B(type), B(cacheControl), B(etag), lastModified, length, coding, negotiable, varyOrigin);

    // ───────────────────────────── 200 ─────────────────────────────

    [Fact]
    public void FullWithETagAndNoVariants()
    {
        string head = Compose(200, (ref ResponseWriter w) =>
            ResponseHead.Representation(ref w, ResponseKind.Full, Representation(), default, default));
        Assert.Equal(
            Start("HTTP/1.1 200 OK") +
            "Content-Type: text/css\r\nCache-Control: max-age=60\r\nContent-Length: 1234\r\n" +
            "ETag: " + Tag + "\r\n" + LastModified +
            "Accept-Ranges: bytes\r\n" + Site + "\r\n",
            head);
    }

    [Fact]
    public void FullOfAChosenVariantVariesAndNamesItsCoding()
    {
        string head = Compose(200, (ref ResponseWriter w) =>
            ResponseHead.Representation(ref w, ResponseKind.Full,
                Representation(etag: "\"5f-3e8-1a2b-br\"", length: 321, coding: ContentCoding.Brotli, negotiable: true), default, default));
        Assert.Equal(
            Start("HTTP/1.1 200 OK") +
            "Content-Type: text/css\r\nCache-Control: max-age=60\r\nContent-Length: 321\r\n" +
            "ETag: \"5f-3e8-1a2b-br\"\r\n" + LastModified +
            "Vary: Accept-Encoding\r\nContent-Encoding: br\r\n" +
            "Accept-Ranges: bytes\r\n" + Site + "\r\n",
            head);
    }

    [Fact]
    public void FullIdentityThatHasVariantsVariesWithoutContentEncoding()
    {
        string head = Compose(200, (ref ResponseWriter w) =>
            ResponseHead.Representation(ref w, ResponseKind.Full, Representation(negotiable: true), default, default));
        Assert.Contains(LastModified + "Vary: Accept-Encoding\r\nAccept-Ranges: bytes\r\n", head);
        Assert.DoesNotContain("Content-Encoding", head);
    }

    [Theory]
    [InlineData((int)ContentCoding.Gzip, "gzip")]
    [InlineData((int)ContentCoding.Zstd, "zstd")]
    public void ContentEncodingWithoutVary(int coding, string token)
    {
        // Not something Connection builds (a variant is always negotiable), but the two fields are independent.
        string head = Compose(200, (ref ResponseWriter w) =>
            ResponseHead.Representation(ref w, ResponseKind.Full, Representation(coding: (ContentCoding)coding), default, default));
        Assert.Contains(LastModified + "Content-Encoding: " + token + "\r\nAccept-Ranges: bytes\r\n", head);
        Assert.DoesNotContain("Vary", head);
    }

    [Fact]
    public void FullWithoutETagHasOnlyLastModified()
    {
        string head = Compose(200, (ref ResponseWriter w) =>
            ResponseHead.Representation(ref w, ResponseKind.Full, Representation(etag: "", length: 0), default, default), site: "");
        Assert.Equal(
            Start("HTTP/1.1 200 OK") +
            "Content-Type: text/css\r\nCache-Control: max-age=60\r\nContent-Length: 0\r\n" +
            LastModified + "Accept-Ranges: bytes\r\n\r\n",
            head);
    }

    [Fact]
    public void FutureModificationTimeIsSentAsNow()
    {
        // RFC 9110 §8.8.2.1: a file stamped an hour ahead goes out with Last-Modified equal to Date.
        long lastModified = RepresentationDecision.LastModified(Now + 3600, Now);
        Assert.Equal(Now, lastModified);
        Assert.Equal(Mtime, RepresentationDecision.LastModified(Mtime, Now));
        Assert.Equal(Now, RepresentationDecision.LastModified(Now, Now));

        string head = Compose(200, (ref ResponseWriter w) =>
            ResponseHead.Representation(ref w, ResponseKind.Full, Representation(lastModified: lastModified), default, default));
        Assert.Contains("Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n", head);
        Assert.Contains("\r\n" + Date, head);
    }

    // ───────────────────────────── 206 ─────────────────────────────

    [Fact]
    public void SingleRangeCarriesItsLengthAndContentRange()
    {
        string head = Compose(206, (ref ResponseWriter w) =>
            ResponseHead.Representation(ref w, ResponseKind.SingleRange, Representation(length: 10_000),
                new[] { new ByteRange(500, 500) }, default));
        Assert.Equal(
            Start("HTTP/1.1 206 Partial Content") +
            "Content-Type: text/css\r\nCache-Control: max-age=60\r\nContent-Length: 500\r\n" +
            "Content-Range: bytes 500-999/10000\r\n" +
            "ETag: " + Tag + "\r\n" + LastModified +
            "Accept-Ranges: bytes\r\n" + Site + "\r\n",
            head);
    }

    [Fact]
    public void SingleRangeOfAVariant()
    {
        string head = Compose(206, (ref ResponseWriter w) =>
            ResponseHead.Representation(ref w, ResponseKind.SingleRange,
                Representation(length: 100, coding: ContentCoding.Gzip, negotiable: true), new[] { new ByteRange(99, 1) }, default));
        Assert.Contains("Content-Length: 1\r\nContent-Range: bytes 99-99/100\r\n", head);
        Assert.Contains("Vary: Accept-Encoding\r\nContent-Encoding: gzip\r\n", head);
    }

    [Fact]
    public void MultipleRangesAnnounceTheBoundaryAndTheExactBodyLength()
    {
        const string boundary = "0123456789abcdef0123456789abcdef";
        const string type = "application/pdf";
        const long length = 8000;
        ByteRange[] ranges = [new ByteRange(0, 500), new ByteRange(7000, 1000), new ByteRange(600, 1)];

        string head = Compose(206, (ref ResponseWriter w) =>
            ResponseHead.Representation(ref w, ResponseKind.MultipleRanges, Representation(type: type, length: length),
                ranges, B(boundary)));

        // The body as ResponseBody sends it: each part header, the part's bytes, the closing delimiter.
        long body = 0;
        byte[] scratch = new byte[MultipartByteRanges.MaxPartHeaderLength(boundary.Length, type.Length)];
        foreach (ByteRange r in ranges)
            body += MultipartByteRanges.WritePartHeader(scratch, B(boundary), B(type), r, length) + r.Length;
        body += MultipartByteRanges.WriteClosing(scratch, B(boundary));
        Assert.Equal(body, MultipartByteRanges.BodyLength(B(boundary), B(type), ranges, length));

        Assert.Equal(
            Start("HTTP/1.1 206 Partial Content") +
            "Content-Type: multipart/byteranges; boundary=" + boundary + "\r\n" +
            "Cache-Control: max-age=60\r\n" +
            "Content-Length: " + body + "\r\n" +
            "ETag: " + Tag + "\r\n" + LastModified +
            "Accept-Ranges: bytes\r\n" + Site + "\r\n",
            head);
        Assert.DoesNotContain("Content-Range", head);
        Assert.DoesNotContain(type, head);
    }

    [Fact]
    public void MultipleRangesLengthCountsEveryDigit()
    {
        // Offsets of different widths: the length must follow the digits of each Content-Range.
        const string boundary = "b";
        ByteRange[] ranges = [new ByteRange(0, 1), new ByteRange(9, 1), new ByteRange(1_000_000, 10)];
        string head = Compose(206, (ref ResponseWriter w) =>
            ResponseHead.Representation(ref w, ResponseKind.MultipleRanges, Representation(type: "", length: 10_000_000), ranges, B(boundary)));
        // Each part: "\r\n--b" + "\r\nContent-Range: bytes " + a "-" b "/" 10000000 + "\r\n\r\n", no Content-Type.
        long expected = 0;
        foreach (ByteRange r in ranges)
            expected += 5 + 23 + r.Offset.ToString().Length + 1 + r.Last.ToString().Length + 1 + 8 + 4 + r.Length;
        expected += "\r\n--b--\r\n".Length;
        Assert.Contains("Content-Length: " + expected + "\r\n", head);
    }

    // ───────────────────────────── 304 ─────────────────────────────

    [Fact]
    public void NotModifiedHasValidatorsAndCachingButNoTypeOrLength()
    {
        string head = Compose(304, (ref ResponseWriter w) =>
            ResponseHead.NotModified(ref w, Representation(coding: ContentCoding.Brotli, negotiable: true)));
        Assert.Equal(
            Start("HTTP/1.1 304 Not Modified") +
            "Cache-Control: max-age=60\r\n" +
            "ETag: " + Tag + "\r\n" + LastModified +
            "Vary: Accept-Encoding\r\nContent-Encoding: br\r\n" +
            Site + "\r\n",
            head);
        Assert.DoesNotContain("\r\nContent-Type:", head);
        Assert.DoesNotContain("\r\nContent-Length:", head);
        Assert.DoesNotContain("\r\nAccept-Ranges:", head);
    }

    // ───────────────────────────── decoded ─────────────────────────────

    [Fact]
    public void DecodedInHttp11IsChunkedWithoutETag()
    {
        string head = Compose(200, (ref ResponseWriter w) =>
            ResponseHead.Decoded(ref w, Representation(type: "text/html; charset=utf-8", etag: "", length: -1, negotiable: true), chunked: true));
        Assert.Equal(
            Start("HTTP/1.1 200 OK") +
            "Content-Type: text/html; charset=utf-8\r\nCache-Control: max-age=60\r\n" +
            LastModified + "Vary: Accept-Encoding\r\n" +
            "Transfer-Encoding: chunked\r\n" + Site + "\r\n",
            head);
    }

    [Fact]
    public void DecodedInHttp10IsCloseDelimited()
    {
        string head = Compose(200, (ref ResponseWriter w) =>
            ResponseHead.Decoded(ref w, Representation(etag: "", length: -1, negotiable: true), chunked: false),
            keepAlive: false, versionMinor: 0);
        Assert.Equal(
            Start("HTTP/1.1 200 OK") +
            "Content-Type: text/css\r\nCache-Control: max-age=60\r\n" +
            LastModified + "Vary: Accept-Encoding\r\n" +
            Site + "Connection: close\r\n\r\n",
            head);
        Assert.DoesNotContain("Transfer-Encoding", head);
        Assert.DoesNotContain("Content-Length", head);
    }

    // ───────────────────────────── listings, redirects, errors ─────────────────────────────

    [Theory]
    [InlineData(false, "text/html; charset=utf-8")]
    [InlineData(true, "application/json; charset=utf-8")]
    public void Listing(bool json, string type)
    {
        string head = Compose(200, (ref ResponseWriter w) => ResponseHead.Listing(ref w, json, 4321));
        Assert.Equal(
            Start("HTTP/1.1 200 OK") +
            "Content-Type: " + type + "\r\nCache-Control: no-cache\r\nVary: Accept\r\nContent-Length: 4321\r\n" +
            Site + "\r\n",
            head);
    }

    [Theory]
    [InlineData("/docs", "", false, "/docs/")]
    [InlineData("/docs", "a=1&b=%20", true, "/docs/?a=1&b=%20")]
    [InlineData("/docs", "", true, "/docs/?")]
    [InlineData("/my docs/100%", "", false, "/my%20docs/100%25/")]
    [InlineData("/a?b#c\"d", "q", true, "/a%3Fb%23c%22d/?q")]
    [InlineData("/keep/-._~!$&'()*+,;=:@", "", false, "/keep/-._~!$&'()*+,;=:@/")]
    public void DirectoryRedirectEncodesThePathAndKeepsTheQuery(string path, string query, bool hasQuery, string location)
    {
        string head = Compose(301, (ref ResponseWriter w) =>
        {
            ResponseHead.DirectoryRedirect(ref w, Encoding.UTF8.GetBytes(path), B(query), hasQuery);
            ResponseHead.HtmlPage(ref w, StatusCodes.ErrorBody(301).Length);
        });
        Assert.Equal(
            Start("HTTP/1.1 301 Moved Permanently") +
            "Location: " + location + "\r\n" +
            "Content-Type: text/html; charset=utf-8\r\nContent-Length: " + StatusCodes.ErrorBody(301).Length + "\r\n" +
            Site + "\r\n",
            head);
    }

    [Theory]
    [InlineData("https://example.com", "/a%20b", "q=1", true, "https://example.com/a%20b?q=1")]
    [InlineData("https://example.com", "/", "", false, "https://example.com/")]
    [InlineData("http://example.com:8080", "/x", "", true, "http://example.com:8080/x?")]
    public void OriginRedirectKeepsThePathAsSentAndTheQuery(string origin, string rawPath, string query, bool hasQuery, string location)
    {
        string head = Compose(301, (ref ResponseWriter w) => ResponseHead.OriginRedirect(ref w, B(origin), B(rawPath), B(query), hasQuery));
        Assert.Equal(Start("HTTP/1.1 301 Moved Permanently") + "Location: " + location + "\r\n" + Site + "\r\n", head);
    }

    [Theory]
    [InlineData(308, "https://blog.example.com/", false, "a b/ü", false, "q=1", true, "HTTP/1.1 308 Permanent Redirect", "https://blog.example.com/a%20b/%C3%BC?q=1")]
    [InlineData(301, "/docs", true, "x", false, "", false, "HTTP/1.1 301 Moved Permanently", "/docs/x")]
    [InlineData(302, "/new.html?from=old", false, "", true, "z=2", true, "HTTP/1.1 302 Found", "/new.html?from=old&z=2")]
    [InlineData(307, "/new.html?from=old", false, "", true, "", true, "HTTP/1.1 307 Temporary Redirect", "/new.html?from=old")]
    [InlineData(301, "/new.html", false, "", false, "", true, "HTTP/1.1 301 Moved Permanently", "/new.html?")]
    public void RuleRedirectJoinsTargetRestAndQuery(int status, string to, bool slash, string rest, bool toHasQuery, string query,
        bool hasQuery, string statusLine, string location)
    {
        string head = Compose(status, (ref ResponseWriter w) =>
            ResponseHead.RuleRedirect(ref w, B(to), slash, Encoding.UTF8.GetBytes(rest), toHasQuery, B(query), hasQuery));
        Assert.Equal(Start(statusLine) + "Location: " + location + "\r\n" + Site + "\r\n", head);
    }

    [Fact]
    public void DirectoryRedirectEncodesNonAsciiAndControlBytes()
    {
        string head = Compose(301, (ref ResponseWriter w) =>
            ResponseHead.DirectoryRedirect(ref w, [.. "/"u8, .. Encoding.UTF8.GetBytes("ü"), 0x7F, 0x01, (byte)'\r', (byte)'\n'], default, false));
        Assert.Contains("\r\nLocation: /%C3%BC%7F%01%0D%0A/\r\n", head);
    }

    [Fact]
    public void ErrorPage404()
    {
        string head = Compose(404, (ref ResponseWriter w) => ResponseHead.ErrorPage(ref w, 404, "text/html; charset=utf-8"u8, 777));
        Assert.Equal(
            Start("HTTP/1.1 404 Not Found") +
            "Content-Type: text/html; charset=utf-8\r\nContent-Length: 777\r\n" + Site + "\r\n",
            head);
    }

    [Fact]
    public void ErrorPage503AsksToRetry()
    {
        string head = Compose(503, (ref ResponseWriter w) => ResponseHead.ErrorPage(ref w, 503, "text/plain"u8, 12), keepAlive: false);
        Assert.Equal(
            Start("HTTP/1.1 503 Service Unavailable") +
            "Content-Type: text/plain\r\nContent-Length: 12\r\nRetry-After: 5\r\n" + Site + "Connection: close\r\n\r\n",
            head);
    }

    [Theory]
    [InlineData(405, -1L, "HTTP/1.1 405 Method Not Allowed", "Allow: GET, HEAD, OPTIONS\r\n")]
    [InlineData(503, -1L, "HTTP/1.1 503 Service Unavailable", "Retry-After: 5\r\n")]
    [InlineData(416, 10000L, "HTTP/1.1 416 Range Not Satisfiable", "Content-Range: bytes */10000\r\n")]
    [InlineData(416, 0L, "HTTP/1.1 416 Range Not Satisfiable", "Content-Range: bytes */0\r\n")]
    [InlineData(404, -1L, "HTTP/1.1 404 Not Found", "")]
    [InlineData(412, -1L, "HTTP/1.1 412 Precondition Failed", "")]
    [InlineData(400, -1L, "HTTP/1.1 400 Bad Request", "")]
    public void ErrorFieldsWithOwnHtmlPage(int status, long unsatisfiedLength, string statusLine, string fields)
    {
        int bodyLength = StatusCodes.ErrorBody(status).Length;
        string head = Compose(status, (ref ResponseWriter w) =>
        {
            ResponseHead.ErrorFields(ref w, status, unsatisfiedLength);
            ResponseHead.HtmlPage(ref w, bodyLength);
        });
        Assert.Equal(
            Start(statusLine) + fields +
            "Content-Type: text/html; charset=utf-8\r\nContent-Length: " + bodyLength + "\r\n" + Site + "\r\n",
            head);
    }

    // ───────────────────────────── OPTIONS and CORS ─────────────────────────────

    private const string Cors = "Access-Control-Allow-Origin: https://app.example.com\r\n";

    [Fact]
    public void Options204HasAllowAndNoContentLength()
    {
        string head = Compose(204, (ref ResponseWriter w) => ResponseHead.Options(ref w));
        Assert.Equal(Start("HTTP/1.1 204 No Content") + "Allow: GET, HEAD, OPTIONS\r\n" + Site + "\r\n", head);
    }

    [Fact]
    public void PreflightWithEchoedHeaders()
    {
        string head = Compose(204, (ref ResponseWriter w) =>
        {
            ResponseHead.Options(ref w);
            ResponseHead.Preflight(ref w, B(Cors + "Access-Control-Allow-Credentials: true\r\n"),
                B("Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\nAccess-Control-Max-Age: 600\r\n"), B("x-requested-with, range"));
            w.Write("Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers\r\n"u8);
        });
        Assert.Equal(
            Start("HTTP/1.1 204 No Content") + "Allow: GET, HEAD, OPTIONS\r\n" + Cors +
            "Access-Control-Allow-Credentials: true\r\nAccess-Control-Allow-Methods: GET, HEAD, OPTIONS\r\n" +
            "Access-Control-Max-Age: 600\r\nAccess-Control-Allow-Headers: x-requested-with, range\r\n" +
            "Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers\r\n" + Site + "\r\n",
            head);
    }

    [Fact]
    public void PreflightWithoutRequestedHeadersHasNoAllowHeaders()
    {
        string head = Compose(204, (ref ResponseWriter w) =>
            ResponseHead.Preflight(ref w, B("Access-Control-Allow-Origin: *\r\n"), B("Access-Control-Max-Age: 5\r\n"), default));
        Assert.Equal(Start("HTTP/1.1 204 No Content") + "Access-Control-Allow-Origin: *\r\nAccess-Control-Max-Age: 5\r\n" + Site + "\r\n", head);
    }

    [Theory]
    [InlineData(false, false, "")]
    [InlineData(true, false, "Vary: Accept-Encoding\r\n")]
    [InlineData(false, true, "Vary: Origin\r\n")]
    [InlineData(true, true, "Vary: Accept-Encoding, Origin\r\n")]   // one field, both names
    public void VaryMergesAcceptEncodingAndOrigin(bool negotiable, bool varyOrigin, string vary)
    {
        string head = Compose(200, (ref ResponseWriter w) =>
            ResponseHead.Representation(ref w, ResponseKind.Full, Representation(negotiable: negotiable, varyOrigin: varyOrigin), default, default),
            site: Cors + Site);
        Assert.Equal(
            Start("HTTP/1.1 200 OK") +
            "Content-Type: text/css\r\nCache-Control: max-age=60\r\nContent-Length: 1234\r\n" +
            "ETag: " + Tag + "\r\n" + LastModified + vary +
            "Accept-Ranges: bytes\r\n" + Cors + Site + "\r\n",
            head);
    }

    [Fact]
    public void NotModifiedVariesByOriginToo()
    {
        string head = Compose(304, (ref ResponseWriter w) => ResponseHead.NotModified(ref w, Representation(negotiable: true, varyOrigin: true)));
        Assert.Equal(
            Start("HTTP/1.1 304 Not Modified") + "Cache-Control: max-age=60\r\nETag: " + Tag + "\r\n" + LastModified +
            "Vary: Accept-Encoding, Origin\r\n" + Site + "\r\n",
            head);
    }

    [Fact]
    public void ListingVariesByAcceptAndOrigin()
    {
        string head = Compose(200, (ref ResponseWriter w) => ResponseHead.Listing(ref w, json: true, 12, varyOrigin: true));
        Assert.Contains("\r\nVary: Accept, Origin\r\nContent-Length: 12\r\n", head);
        Assert.Equal(2, head.Split("Vary:").Length); // exactly one Vary field
    }

    [Fact]
    public void HtmlPage()
    {
        byte[] buffer = new byte[256];
        var w = new ResponseWriter(buffer);
        ResponseHead.HtmlPage(ref w, 0);
        ResponseHead.HtmlPage(ref w, 123456);
        Assert.Equal(
            "Content-Type: text/html; charset=utf-8\r\nContent-Length: 0\r\n" +
            "Content-Type: text/html; charset=utf-8\r\nContent-Length: 123456\r\n",
            Encoding.ASCII.GetString(w.Written));
    }

    // ───────────────────────────── framing ─────────────────────────────

    [Theory]
    [InlineData(true, 1, "\r\n")]                              // HTTP/1.1 is persistent by default
    [InlineData(true, 0, "Connection: keep-alive\r\n\r\n")]    // HTTP/1.0 must be told
    [InlineData(false, 1, "Connection: close\r\n\r\n")]
    [InlineData(false, 0, "Connection: close\r\n\r\n")]
    public void End(bool keepAlive, int versionMinor, string expected)
    {
        byte[] buffer = new byte[64];
        var w = new ResponseWriter(buffer);
        ResponseHead.End(ref w, keepAlive, versionMinor);
        Assert.Equal(expected, Encoding.ASCII.GetString(w.Written));
    }

    [Fact]
    public void KeepAliveHttp10AfterSiteFields()
    {
        string head = Compose(404, (ref ResponseWriter w) => ResponseHead.HtmlPage(ref w, 5), versionMinor: 0);
        Assert.EndsWith("Content-Length: 5\r\n" + Site + "Connection: keep-alive\r\n\r\n", head);
    }

    [Fact]
    public void BeginWritesStatusServerAndTheGivenDateLine()
    {
        byte[] buffer = new byte[256];
        var w = new ResponseWriter(buffer);
        ResponseHead.Begin(ref w, 200, "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n"u8);
        Assert.Equal("HTTP/1.1 200 OK\r\nServer: staticd\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n", Encoding.ASCII.GetString(w.Written));
    }

    [Fact]
    public void OverCapacityIsAWholeBodiless503ThatCloses()
    {
        byte[] buffer = new byte[512];
        int length = ResponseHead.OverCapacity(buffer, DateLine);
        const string expected =
            "HTTP/1.1 503 Service Unavailable\r\nServer: staticd\r\n" + Date +
            "Retry-After: 5\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        Assert.Equal(expected.Length, length);
        Assert.Equal(expected, Encoding.ASCII.GetString(buffer, 0, length));
    }

    [Fact]
    public void OverCapacityFitsExactly()
    {
        int needed = ResponseHead.OverCapacity(new byte[512], DateLine);
        byte[] exact = new byte[needed];
        Assert.Equal(needed, ResponseHead.OverCapacity(exact, DateLine));
        Assert.EndsWith("\r\n\r\n", Encoding.ASCII.GetString(exact));
    }
}
