using StaticD.Http;
using Xunit;
using static StaticD.Tests.Http.ParserTestSupport;
// The SDK's implicit usings bring in System.Net.Http.HttpMethod too.
using HttpMethod = StaticD.Http.HttpMethod;

namespace StaticD.Tests.Http;

/// <summary>What the fields mean (<see cref="FieldSemantics"/>): which are recorded, repeats, Connection,
/// Content-Length, Transfer-Encoding and the Host requirement.</summary>
public class FieldSemanticsTests
{
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
    public void Http10WithoutHostIsFine()
    {
        byte[] buffer = Bytes("GET /index.html HTTP/1.0\r\nUser-Agent: x\r\n\r\n");
        RequestHead head = ParseComplete(buffer);
        Assert.Equal(0, head.VersionMinor);
        Assert.False(head.Host.IsPresent);
        Assert.False(head.KeepAlive);
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
    public void CorsFieldsAreRecorded()
    {
        byte[] buffer = Bytes(
            "OPTIONS /api/data.json HTTP/1.1\r\nHost: h\r\nORIGIN:  https://app.example.com \r\n" +
            "Access-Control-Request-Method: GET\r\naccess-control-request-headers: x-requested-with, range\r\n\r\n");
        RequestHead head = ParseComplete(buffer);
        Assert.Equal(HttpMethod.Options, head.Method);
        Assert.Equal("https://app.example.com", Str(buffer, head.Origin));
        Assert.Equal("GET", Str(buffer, head.AccessControlRequestMethod));
        Assert.Equal("x-requested-with, range", Str(buffer, head.AccessControlRequestHeaders));
        Assert.False(head.AccessControlRequestHeadersRepeated);
    }

    [Fact]
    public void CorsFieldsAbsentAreNone()
    {
        RequestHead head = ParseComplete(Bytes("GET /x HTTP/1.1\r\nHost: h\r\n\r\n"));
        Assert.False(head.Origin.IsPresent);
        Assert.False(head.AccessControlRequestMethod.IsPresent);
        Assert.False(head.AccessControlRequestHeaders.IsPresent);
    }

    [Fact]
    public void AccessControlRequestHeadersIsAListFirstLineKept()
    {
        byte[] buffer = Bytes(
            "OPTIONS / HTTP/1.1\r\nHost: h\r\nAccess-Control-Request-Headers: a\r\nAccess-Control-Request-Headers: b\r\n\r\n");
        RequestHead head = ParseComplete(buffer);
        Assert.Equal("a", Str(buffer, head.AccessControlRequestHeaders));
        Assert.True(head.AccessControlRequestHeadersRepeated);
    }

    [Theory]
    [InlineData("Origin: https://a.example\r\nOrigin: https://b.example\r\n")]
    [InlineData("Access-Control-Request-Method: GET\r\naccess-control-request-method: GET\r\n")]
    public void RepeatedSingletonCorsFieldIs400(string fields)
    {
        ParseStatus status = Parse(Bytes("OPTIONS / HTTP/1.1\r\nHost: h\r\n" + fields + "\r\n"), out _, out _, out ParseError error);
        Assert.Equal(ParseStatus.Invalid, status);
        Assert.Equal(ParseError.BadRequest, error);
    }

    [Fact]
    public void OptionsAsteriskFormIsComplete_OtherMethodsWithAsteriskAre400()
    {
        byte[] buffer = Bytes("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n");
        RequestHead head = ParseComplete(buffer);
        Assert.Equal(HttpMethod.Options, head.Method);
        Assert.Equal("*", Str(buffer, head.Target));
        Assert.Equal(ParseStatus.Invalid, Parse(Bytes("GET * HTTP/1.1\r\nHost: h\r\n\r\n"), out _, out _, out ParseError error));
        Assert.Equal(ParseError.BadRequest, error);
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

    // ---------------------------------------------------------------------------------------------------------
    // rejection table

    [Theory]
    // Host (RFC 9112 §3.2, RFC 9110 §7.2)
    [InlineData("GET / HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n", 400)]
    [InlineData("GET http://h/ HTTP/1.1\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.1\r\nHost: h\r\nHost: h\r\n\r\n", 400)]
    [InlineData("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400)]
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
    public void RejectsFieldsThatCannotBeTrusted(string request, int expectedStatusCode) => AssertRejected(request, expectedStatusCode);
}
