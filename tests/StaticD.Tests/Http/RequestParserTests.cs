using System.Text;
using StaticD.Http;
using Xunit;
// The SDK's implicit usings bring in System.Net.Http.HttpMethod too.
using HttpMethod = StaticD.Http.HttpMethod;

namespace StaticD.Tests.Http;

public class RequestParserTests
{
    private const string ManyHeadersGet =
        "GET /static/app.js?v=3&x=%20y HTTP/1.1\r\n" +
        "Host: www.example.com:8080\r\n" +
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n" +
        "Accept: */*\r\n" +
        "Accept-Encoding: gzip, br\r\n" +
        "Connection: keep-alive\r\n" +
        "Referer: https://www.example.com/index.html\r\n" +
        "Range: bytes=0-99\r\n" +
        "If-Range: \"abc\"\r\n" +
        "If-None-Match: \"abc\", W/\"def\"\r\n" +
        "If-Modified-Since: Sat, 29 Oct 1994 19:43:31 GMT\r\n" +
        "If-Match: *\r\n" +
        "If-Unmodified-Since: Sun, 30 Oct 1994 19:43:31 GMT\r\n" +
        "X-Empty:\r\n" +
        "X-Tabs:\t \tpadded\t \r\n" +
        "\r\n";

    private const string LeadingEmptyLines =
        "\r\n\r\n\r\nPOST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n";

    private const string AbsoluteForm =
        "GET HTTP://Example.COM:81/a/b?q=1 HTTP/1.1\r\nHost: ignored.example\r\n\r\n";

    // Theory data uses HTTP status codes because the parser's enums are internal and xunit needs public methods.
    private const int Complete = 200;
    private const int Incomplete = 0;

    // ---------------------------------------------------------------------------------------------------------
    // helpers

    private static int StatusCode(ParseError error) => error switch
    {
        ParseError.None => 0,
        ParseError.BadRequest => 400,
        ParseError.UriTooLong => 414,
        ParseError.HeadersTooLarge => 431,
        ParseError.VersionNotSupported => 505,
        _ => -1,
    };

    /// <summary>Latin-1 so "\u00e9" etc. become single raw bytes; GetBytes returns an exact-length array.</summary>
    private static byte[] Bytes(string s) => Encoding.Latin1.GetBytes(s);

    private static string Str(byte[] buffer, Segment segment)
    {
        Assert.True(segment.IsPresent, "segment should be present");
        return Encoding.Latin1.GetString(buffer, segment.Start, segment.Length);
    }

    private static ParseStatus Parse(byte[] buffer, out RequestHead head, out int consumed, out ParseError error) =>
        Parse(buffer, ParserLimits.Default, out head, out consumed, out error);

    private static ParseStatus Parse(
        byte[] buffer, ParserLimits limits, out RequestHead head, out int consumed, out ParseError error)
    {
        head = default;
        return RequestParser.TryParse(buffer, in limits, ref head, out consumed, out error);
    }

    private static RequestHead ParseComplete(byte[] buffer)
    {
        ParseStatus status = Parse(buffer, out RequestHead head, out int consumed, out ParseError error);
        Assert.Equal(ParseError.None, error);
        Assert.Equal(ParseStatus.Complete, status);
        Assert.Equal(buffer.Length, consumed);
        return head;
    }

    // ---------------------------------------------------------------------------------------------------------
    // incremental / framing

    public static TheoryData<string> ValidRequests => new()
    {
        ManyHeadersGet,
        LeadingEmptyLines,
        AbsoluteForm,
        "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n",
    };

    [Theory]
    [MemberData(nameof(ValidRequests))]
    public void EveryPrefixIsIncompleteAndTheWholeIsComplete(string request)
    {
        byte[] full = Bytes(request);
        for (int n = 0; n < full.Length; n++)
        {
            byte[] prefix = full.AsSpan(0, n).ToArray();
            ParseStatus status = Parse(prefix, out _, out int consumed, out ParseError error);
            Assert.True(status == ParseStatus.Incomplete, $"prefix of {n} bytes gave {status}/{error}");
            Assert.Equal(0, consumed);
            Assert.Equal(ParseError.None, error);
        }

        ParseComplete(full);
    }

    [Theory]
    [MemberData(nameof(ValidRequests))]
    public void BytesAfterTheHeadAreNotConsumed(string request)
    {
        byte[] buffer = Bytes(request + "hello");
        ParseStatus status = Parse(buffer, out _, out int consumed, out _);
        Assert.Equal(ParseStatus.Complete, status);
        Assert.Equal(request.Length, consumed);
    }

    [Fact]
    public void PipelinedRequestsParseOneAfterTheOther()
    {
        const string first = "GET /one HTTP/1.1\r\nHost: a\r\n\r\n";
        const string second = "HEAD /two?x HTTP/1.1\r\nHost: b\r\nConnection: close\r\n\r\n";
        byte[] buffer = Bytes(first + second);

        Assert.Equal(ParseStatus.Complete, Parse(buffer, out RequestHead head, out int consumed, out _));
        Assert.Equal(first.Length, consumed);
        Assert.Equal(HttpMethod.Get, head.Method);
        Assert.Equal("/one", Str(buffer, head.Path));
        Assert.Equal("a", Str(buffer, head.Host));
        Assert.True(head.KeepAlive);

        byte[] rest = buffer.AsSpan(consumed).ToArray();
        Assert.Equal(ParseStatus.Complete, Parse(rest, out head, out consumed, out _));
        Assert.Equal(second.Length, consumed);
        Assert.Equal(HttpMethod.Head, head.Method);
        Assert.Equal("/two", Str(rest, head.Path));
        Assert.Equal("x", Str(rest, head.Query));
        Assert.Equal("b", Str(rest, head.Host));
        Assert.False(head.KeepAlive);
    }

    [Fact]
    public void HeadIsResetBetweenCalls()
    {
        RequestHead head = default;
        ParserLimits limits = ParserLimits.Default;
        byte[] a = Bytes("GET /?q HTTP/1.1\r\nHost: h\r\nRange: bytes=1-\r\nContent-Length: 3\r\n\r\n");
        byte[] b = Bytes("GET / HTTP/1.0\r\n\r\n");
        Assert.Equal(ParseStatus.Complete, RequestParser.TryParse(a, in limits, ref head, out _, out _));
        Assert.Equal(ParseStatus.Complete, RequestParser.TryParse(b, in limits, ref head, out _, out _));
        Assert.False(head.Range.IsPresent);
        Assert.False(head.Query.IsPresent);
        Assert.False(head.Host.IsPresent);
        Assert.Equal(-1, head.ContentLength);
        Assert.Equal(0, head.HeaderCount);
    }

    // ---------------------------------------------------------------------------------------------------------
    // field extraction

    [Fact]
    public void ExtractsAllFieldsOfARichGet()
    {
        byte[] buffer = Bytes(ManyHeadersGet);
        RequestHead head = ParseComplete(buffer);

        Assert.Equal(HttpMethod.Get, head.Method);
        Assert.Equal("GET", Str(buffer, head.MethodToken));
        Assert.Equal("/static/app.js?v=3&x=%20y", Str(buffer, head.Target));
        Assert.Equal("/static/app.js", Str(buffer, head.Path));
        Assert.Equal("v=3&x=%20y", Str(buffer, head.Query));
        Assert.Equal(1, head.VersionMinor);
        Assert.Equal("www.example.com:8080", Str(buffer, head.Host));
        Assert.True(head.ConnectionKeepAlive);
        Assert.False(head.ConnectionClose);
        Assert.True(head.KeepAlive);
        Assert.Equal(-1, head.ContentLength);
        Assert.False(head.HasTransferEncoding);
        Assert.False(head.Chunked);
        Assert.Equal(14, head.HeaderCount);

        Assert.Equal("Mozilla/5.0 (X11; Linux x86_64)", Str(buffer, head.UserAgent));
        Assert.Equal("gzip, br", Str(buffer, head.AcceptEncoding));
        Assert.Equal("https://www.example.com/index.html", Str(buffer, head.Referer));
        Assert.Equal("bytes=0-99", Str(buffer, head.Range));
        Assert.Equal("\"abc\"", Str(buffer, head.IfRange));
        Assert.Equal("\"abc\", W/\"def\"", Str(buffer, head.IfNoneMatch));
        Assert.Equal("Sat, 29 Oct 1994 19:43:31 GMT", Str(buffer, head.IfModifiedSince));
        Assert.Equal("*", Str(buffer, head.IfMatch));
        Assert.Equal("Sun, 30 Oct 1994 19:43:31 GMT", Str(buffer, head.IfUnmodifiedSince));
        Assert.False(head.IfNoneMatchRepeated);
        Assert.False(head.IfMatchRepeated);
        Assert.False(head.AcceptEncodingRepeated);
    }

    [Fact]
    public void AbsentFieldsAreNone()
    {
        RequestHead head = ParseComplete(Bytes("GET /x HTTP/1.1\r\nHost: h\r\n\r\n"));
        Assert.False(head.Query.IsPresent);
        Assert.False(head.Range.IsPresent);
        Assert.False(head.IfRange.IsPresent);
        Assert.False(head.IfNoneMatch.IsPresent);
        Assert.False(head.IfModifiedSince.IsPresent);
        Assert.False(head.IfMatch.IsPresent);
        Assert.False(head.IfUnmodifiedSince.IsPresent);
        Assert.False(head.AcceptEncoding.IsPresent);
        Assert.False(head.UserAgent.IsPresent);
        Assert.False(head.Referer.IsPresent);
        Assert.Equal(-1, head.ContentLength);
        Assert.Equal(1, head.HeaderCount);
    }

    [Fact]
    public void LeadingEmptyLinesAreSkippedAndOffsetsStayBufferRelative()
    {
        byte[] buffer = Bytes(LeadingEmptyLines);
        RequestHead head = ParseComplete(buffer);
        Assert.Equal(HttpMethod.Post, head.Method);
        Assert.Equal(6, head.MethodToken.Start);
        Assert.Equal("POST", Str(buffer, head.MethodToken));
        Assert.Equal("/upload", Str(buffer, head.Path));
        Assert.Equal(5, head.ContentLength);
    }

    [Fact]
    public void AbsoluteFormTakesHostFromTheTarget()
    {
        byte[] buffer = Bytes(AbsoluteForm);
        RequestHead head = ParseComplete(buffer);
        Assert.Equal("HTTP://Example.COM:81/a/b?q=1", Str(buffer, head.Target));
        Assert.Equal("Example.COM:81", Str(buffer, head.Host));
        Assert.Equal("/a/b", Str(buffer, head.Path));
        Assert.Equal("q=1", Str(buffer, head.Query));
    }

    [Theory]
    [InlineData("http://h", "h", "")]
    [InlineData("https://h?a=b", "h", "")]
    [InlineData("hTTps://[::1]:443/", "[::1]:443", "/")]
    public void AbsoluteFormWithoutPathHasZeroLengthPath(string target, string host, string path)
    {
        byte[] buffer = Bytes($"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n");
        RequestHead head = ParseComplete(buffer);
        Assert.Equal(host, Str(buffer, head.Host));
        Assert.Equal(path, Str(buffer, head.Path));
        Assert.True(head.Path.IsPresent);
    }

    [Fact]
    public void AsteriskFormWithOptions()
    {
        byte[] buffer = Bytes("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
        RequestHead head = ParseComplete(buffer);
        Assert.Equal(HttpMethod.Options, head.Method);
        Assert.Equal("*", Str(buffer, head.Path));
        Assert.Equal("*", Str(buffer, head.Target));
        Assert.False(head.Query.IsPresent);
    }

    [Fact]
    public void AuthorityFormWithConnect()
    {
        byte[] buffer = Bytes("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
        RequestHead head = ParseComplete(buffer);
        Assert.Equal(HttpMethod.Connect, head.Method);
        Assert.Equal("example.com:443", Str(buffer, head.Target));
        Assert.False(head.Path.IsPresent);
    }

    [Theory]
    [InlineData("GET", "Get")]
    [InlineData("HEAD", "Head")]
    [InlineData("POST", "Post")]
    [InlineData("PUT", "Put")]
    [InlineData("DELETE", "Delete")]
    [InlineData("OPTIONS", "Options")]
    [InlineData("PATCH", "Patch")]
    [InlineData("TRACE", "Trace")]
    [InlineData("CONNECT", "Connect")]
    [InlineData("get", "Unknown")]
    [InlineData("PROPFIND", "Unknown")]
    [InlineData("X-Custom_Method!", "Unknown")]
    public void MethodsAreCaseSensitiveAndUnknownTokensParse(string method, string expected)
    {
        byte[] buffer = Bytes($"{method} /p HTTP/1.1\r\nHost: h\r\n\r\n");
        RequestHead head = ParseComplete(buffer);
        Assert.Equal(expected, head.Method.ToString());
        Assert.Equal(method, Str(buffer, head.MethodToken));
        Assert.Equal("/p", Str(buffer, head.Path));
    }

    [Fact]
    public void Http10WithoutHostIsFine()
    {
        byte[] buffer = Bytes("GET /index.html HTTP/1.0\r\nUser-Agent: x\r\n\r\n");
        RequestHead head = ParseComplete(buffer);
        Assert.Equal(0, head.VersionMinor);
        Assert.False(head.Host.IsPresent);
        Assert.False(head.KeepAlive);
    }

    [Fact]
    public void HigherMinorVersionIsAccepted()
    {
        RequestHead head = ParseComplete(Bytes("GET / HTTP/1.7\r\nHost: h\r\n\r\n"));
        Assert.Equal(7, head.VersionMinor);
        Assert.True(head.KeepAlive);
    }

    [Theory]
    [InlineData("1.0", null, false)]
    [InlineData("1.0", "close", false)]
    [InlineData("1.0", "keep-alive", true)]
    [InlineData("1.0", "Keep-Alive, close", false)]
    [InlineData("1.1", null, true)]
    [InlineData("1.1", "close", false)]
    [InlineData("1.1", "keep-alive", true)]
    [InlineData("1.1", "keep-alive, CLOSE", false)]
    public void KeepAliveTruthTable(string version, string? connection, bool keepAlive)
    {
        string conn = connection is null ? "" : $"Connection: {connection}\r\n";
        RequestHead head = ParseComplete(Bytes($"GET / HTTP/{version}\r\nHost: h\r\n{conn}\r\n"));
        Assert.Equal(keepAlive, head.KeepAlive);
    }

    [Fact]
    public void ConnectionTokensCombineAcrossFieldsAndIgnoreUnknownOnes()
    {
        RequestHead head = ParseComplete(Bytes(
            "GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade ,, KEEP-ALIVE ,\tfoo\r\nconnection: x, Close\r\n\r\n"));
        Assert.True(head.ConnectionKeepAlive);
        Assert.True(head.ConnectionClose);
        Assert.False(head.KeepAlive);

        head = ParseComplete(Bytes("GET / HTTP/1.1\r\nHost: h\r\nConnection: closed, keep-alive2\r\n\r\n"));
        Assert.False(head.ConnectionKeepAlive);
        Assert.False(head.ConnectionClose);
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("42", 42L)]
    [InlineData("007", 7L)]
    [InlineData(" \t123\t ", 123L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("0009223372036854775807", long.MaxValue)]
    public void ContentLengthValues(string value, long expected)
    {
        RequestHead head = ParseComplete(Bytes($"POST / HTTP/1.1\r\nHost: h\r\nContent-Length:{value}\r\n\r\n"));
        Assert.Equal(expected, head.ContentLength);
        Assert.False(head.HasTransferEncoding);
    }

    [Theory]
    [InlineData("Transfer-Encoding: chunked\r\n")]
    [InlineData("transfer-encoding: CHUNKED\r\n")]
    [InlineData("Transfer-Encoding: gzip, chunked\r\n")]
    [InlineData("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")]
    [InlineData("Transfer-Encoding: , gzip ,, chunked ,\r\n")]
    [InlineData("Transfer-Encoding: x;a=b ; c = \"q,\\\"d\" , chunked\r\n")]
    public void ValidTransferEncodingEndsInChunked(string fields)
    {
        RequestHead head = ParseComplete(Bytes($"POST / HTTP/1.1\r\nHost: h\r\n{fields}\r\n"));
        Assert.True(head.HasTransferEncoding);
        Assert.True(head.Chunked);
        Assert.Equal(-1, head.ContentLength);
    }

    [Fact]
    public void ListValuedFieldsKeepTheFirstAndFlagRepeats()
    {
        byte[] buffer = Bytes(
            "GET / HTTP/1.1\r\nHost: h\r\n" +
            "If-None-Match: \"a\"\r\nif-none-match: \"b\"\r\n" +
            "If-Match: \"c\"\r\nIF-MATCH: \"d\"\r\n" +
            "Accept-Encoding: gzip\r\nAccept-Encoding: br\r\n\r\n");
        RequestHead head = ParseComplete(buffer);
        Assert.Equal("\"a\"", Str(buffer, head.IfNoneMatch));
        Assert.Equal("\"c\"", Str(buffer, head.IfMatch));
        Assert.Equal("gzip", Str(buffer, head.AcceptEncoding));
        Assert.True(head.IfNoneMatchRepeated);
        Assert.True(head.IfMatchRepeated);
        Assert.True(head.AcceptEncodingRepeated);
    }

    [Fact]
    public void FieldValuesAreTrimmedAndMayBeEmptyOrContainObsText()
    {
        byte[] buffer = Bytes(
            "GET / HTTP/1.1\r\nHost:\t h \t\r\nUser-Agent:   \r\nReferer: caf\u00e9 \u00ff x\r\nX-NoSpace:v\r\n\r\n");
        RequestHead head = ParseComplete(buffer);
        Assert.Equal("h", Str(buffer, head.Host));
        Assert.Equal(0, head.UserAgent.Length);
        Assert.Equal("caf\u00e9 \u00ff x", Str(buffer, head.Referer));
        Assert.Equal(4, head.HeaderCount);
    }

    [Theory]
    [InlineData("h")]
    [InlineData("h:")]
    [InlineData("h:8080")]
    [InlineData("127.0.0.1:80")]
    [InlineData("xn--bcher-kva.example")]
    [InlineData("a-b_c~d.!$&'()*+,;=")]
    [InlineData("%41%62c")]
    [InlineData("[::1]")]
    [InlineData("[::]:80")]
    [InlineData("[2001:db8::7]")]
    [InlineData("[1:2:3:4:5:6:7:8]")]
    [InlineData("[::ffff:192.0.2.1]:443")]
    [InlineData("[1:2:3:4:5:6:1.2.3.4]")]
    [InlineData("[v1.fe80::a+en1]")]
    public void ValidHostValues(string host)
    {
        byte[] buffer = Bytes($"GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
        RequestHead head = ParseComplete(buffer);
        Assert.Equal(host, Str(buffer, head.Host));
    }

    // ---------------------------------------------------------------------------------------------------------
    // rejection table

    [Theory]
    // bare LF / bare CR (RFC 9112 §2.2)
    [InlineData("GET / HTTP/1.1\nHost: h\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\n\n", 400)]
    [InlineData("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("\r\n\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("\rGET / HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET /\r HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\rX: y\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\n\rX\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\r\nHost: h\r\n\r\n", 400)]
    // request-line shape (RFC 9112 §3)
    [InlineData("GET  / HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET /  HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData(" GET / HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET /\tHTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET /\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET\r\nHost: h\r\n\r\n", 400)]
    [InlineData("G(T / HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET /a b HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    // request-target bytes
    [InlineData("GET /caf\u00e9 HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET /a\u0001 HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET /a\u007f HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET /a#frag HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    // request-target forms (RFC 9112 §3.2)
    [InlineData("GET * HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("CONNECT * HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("OPTIONS *x HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET example.com:80 HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET a/b HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET http:///a HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET http://u@h/ HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("CONNECT example.com HTTP/1.1\r\nHost: h\r\n\r\n", 400)]
    // HTTP-version (RFC 9112 §2.3)
    [InlineData("GET / http/1.1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1 \r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET / HTTP/11\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.x\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.10\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505)]
    [InlineData("GET / HTTP/0.9\r\nHost: h\r\n\r\n", 505)]
    [InlineData("GET / HTTP/3.0\r\nHost: h\r\n\r\n", 505)]
    [InlineData("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505)]
    // field-line syntax (RFC 9112 §5, RFC 9110 §5.5)
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n\tb\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\n Host: h\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost : h\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX-A\t: a\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX-A a\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\n: a\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX\u00e9: a\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\0b\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u007fb\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\u001bb\r\n\r\n", 400)]
    // Host (RFC 9112 §3.2, RFC 9110 §7.2)
    [InlineData("GET / HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n", 400)]
    [InlineData("GET http://h/ HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost:\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: u@h\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h:80x\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h:80:81\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: :80\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: a%4\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: [1::2::3]\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: [1:2:3:4:5:6:7]\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: [12345::]\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: [::1.2.3.256]\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: []\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\u00e9\r\n\r\n", 400)]
    // Content-Length (RFC 9110 §8.6) and smuggling (RFC 9112 §6.3)
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 9223372036854775808\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n", 400)]
    // Transfer-Encoding (RFC 9112 §6.1, §6.3, §7)
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked;a=b\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip;a, chunked\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip;a=\"b, chunked\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \"chunked\"\r\n\r\n", 400)]
    [InlineData("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400)]
    // singleton fields repeated, malformed Connection
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nRange: bytes=0-1\r\nRange: bytes=2-3\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nUser-Agent: a\r\nuser-agent: b\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nIf-Modified-Since: a\r\nIf-Modified-Since: b\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nConnection: close, \"x\"\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep alive\r\n\r\n", 400)]
    public void RejectsMalformedRequests(string request, int expectedStatusCode)
    {
        ParseStatus status = Parse(Bytes(request), out _, out int consumed, out ParseError error);
        Assert.Equal(ParseStatus.Invalid, status);
        Assert.Equal(expectedStatusCode, StatusCode(error));
        Assert.Equal(0, consumed);
    }

    [Theory]
    [InlineData("GET /\0", 400)]
    [InlineData("GET /a#", 400)]
    [InlineData("GE(", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\0", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX-A : a", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\n obs-fold", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\rX", 400)]
    public void InvalidBytesAreRejectedBeforeTheLineEnds(string partialRequest, int expectedStatusCode)
    {
        ParseStatus status = Parse(Bytes(partialRequest), out _, out _, out ParseError error);
        Assert.Equal(ParseStatus.Invalid, status);
        Assert.Equal(expectedStatusCode, StatusCode(error));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\0b\r\n\r\n")]
    [InlineData("GET / HTTP/2.0\r\nHost: h\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n")]
    [InlineData("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nA : b\r\n\r\n")]
    public void PrefixesOfAnInvalidRequestAreIncompleteUntilTheyFailTheSameWay(string request)
    {
        byte[] full = Bytes(request);
        Assert.Equal(ParseStatus.Invalid, Parse(full, out _, out _, out ParseError finalError));

        bool failed = false;
        for (int n = 0; n <= full.Length; n++)
        {
            ParseStatus status = Parse(full.AsSpan(0, n).ToArray(), out _, out int consumed, out ParseError error);
            Assert.Equal(0, consumed);
            if (status == ParseStatus.Invalid)
            {
                Assert.Equal(finalError, error);
                failed = true;
            }
            else
            {
                Assert.False(failed, $"prefix of {n} bytes went back to {status}");
                Assert.Equal(ParseStatus.Incomplete, status);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // limits

    [Theory]
    // request line: "GET / HTTP/1.1\r\n" is 16 bytes including CRLF
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\n\r\n", 16, 100, 10, Complete)]
    [InlineData("GET /a HTTP/1.1\r\nHost: h\r\n\r\n", 16, 100, 10, 414)]
    [InlineData("GET /aaaaaaaaaaaaaaaaaa", 16, 100, 10, 414)]
    [InlineData("GET /aaaaaaaaa", 16, 100, 10, Incomplete)]
    [InlineData("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 16, 100, 10, Complete)]
    // head: the sample is 27 bytes
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\n\r\n", 100, 27, 10, Complete)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\n\r\n", 100, 26, 10, 431)]
    [InlineData("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n", 100, 27, 10, 431)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX-Long: 0123456789", 100, 40, 10, 431)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX-Long: 0123456", 100, 40, 10, 431)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nX-Long: 012345", 100, 40, 10, Incomplete)]
    [InlineData("\r\n\r\n\r\n\r\n\r\n\r\n", 100, 10, 10, 431)]
    [InlineData("GET / HTTP/1.1\r\n", 100, 10, 10, 431)]
    // field count
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\n\r\n", 100, 100, 2, Complete)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", 100, 100, 2, 431)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n", 100, 100, 2, 431)]
    public void LimitsAreEnforced(
        string request, int maxLine, int maxHead, int maxCount, int expected)
    {
        byte[] buffer = Bytes(request);
        ParseStatus status = Parse(buffer, new ParserLimits(maxLine, maxHead, maxCount), out _, out int consumed, out ParseError error);
        ParseStatus expectedStatus = expected switch
        {
            Complete => ParseStatus.Complete,
            Incomplete => ParseStatus.Incomplete,
            _ => ParseStatus.Invalid,
        };
        Assert.Equal(expectedStatus, status);
        Assert.Equal(expectedStatus == ParseStatus.Invalid ? expected : 0, StatusCode(error));
        Assert.Equal(expectedStatus == ParseStatus.Complete ? buffer.Length : 0, consumed);
    }

    [Fact]
    public void DefaultLimitOverLongRequestLineIs414()
    {
        string target = "/" + new string('a', 8192);
        Assert.Equal(ParseStatus.Invalid, Parse(Bytes($"GET {target} HTTP/1.1\r\nHost: h\r\n\r\n"), out _, out _, out ParseError error));
        Assert.Equal(ParseError.UriTooLong, error);

        // Refused without waiting for the end of the line.
        Assert.Equal(ParseStatus.Invalid, Parse(Bytes($"GET {target}"), out _, out _, out error));
        Assert.Equal(ParseError.UriTooLong, error);

        // The longest acceptable line: 8192 bytes including CRLF.
        string fits = "/" + new string('a', 8192 - "GET / HTTP/1.1\r\n".Length);
        ParseComplete(Bytes($"GET {fits} HTTP/1.1\r\nHost: h\r\n\r\n"));
    }

    [Fact]
    public void DefaultLimitOverLargeHeadIs431()
    {
        string big = "X-Big: " + new string('v', 16384) + "\r\n";
        Assert.Equal(ParseStatus.Invalid, Parse(Bytes($"GET / HTTP/1.1\r\nHost: h\r\n{big}\r\n"), out _, out _, out ParseError error));
        Assert.Equal(ParseError.HeadersTooLarge, error);

        // Refused as soon as the buffer exceeds the limit without a complete head.
        Assert.Equal(ParseStatus.Invalid, Parse(Bytes($"GET / HTTP/1.1\r\nHost: h\r\n{big}"), out _, out _, out error));
        Assert.Equal(ParseError.HeadersTooLarge, error);
    }

    [Fact]
    public void DefaultLimitTooManyFieldsIs431()
    {
        var sb = new StringBuilder("GET / HTTP/1.1\r\nHost: h\r\n");
        for (int i = 0; i < 99; i++)
        {
            sb.Append("X-").Append(i).Append(": v\r\n");
        }

        string hundred = sb.ToString();
        RequestHead head = ParseComplete(Bytes(hundred + "\r\n"));
        Assert.Equal(100, head.HeaderCount);

        Assert.Equal(ParseStatus.Invalid, Parse(Bytes(hundred + "X-Last: v\r\n\r\n"), out _, out _, out ParseError error));
        Assert.Equal(ParseError.HeadersTooLarge, error);
    }
}
