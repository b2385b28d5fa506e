using System.Text;
using StaticD.Http;
using Xunit;
using static StaticD.Tests.Http.ParserTestSupport;
// The SDK's implicit usings bring in System.Net.Http.HttpMethod too.
using HttpMethod = StaticD.Http.HttpMethod;

namespace StaticD.Tests.Http;

/// <summary><see cref="RequestParser.TryParse"/> as a whole: incremental input, pipelining, leading empty lines,
/// line endings, field-line syntax and the size limits.</summary>
public class RequestParserTests
{
    // Theory data uses HTTP status codes because the parser's enums are internal and xunit needs public methods.
    private const int Complete = 200;
    private const int Incomplete = 0;

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

    // ---------------------------------------------------------------------------------------------------------
    // line endings and field-line syntax

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
    public void RejectsBadLineEndingsAndFieldLines(string request, int expectedStatusCode) => AssertRejected(request, expectedStatusCode);

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
    // a method token that fills the request-line limit is an unknown method, not a long URI
    [InlineData("ABCDEFGHIJKLMNOP", 16, 100, 10, 501)]
    [InlineData("ABCDEFGHIJKLMNOPQRS / HTTP/1.1\r\n", 16, 100, 10, 501)]
    [InlineData("ABCDEFGHIJKLMNO", 16, 100, 10, Incomplete)]
    [InlineData("ABCDEFGH(JKLMNOPQRS", 16, 100, 10, 400)]   // '(' is no tchar: a malformed method
    [InlineData("ABCDEFGHIJKLMNO /aaaaaaa", 16, 100, 10, 414)]  // the method ended: the target is what is long
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
    public void DefaultLimitMethodTokenLongerThanTheLineIs501NotUriTooLong()
    {
        string method = new('M', 8192);
        Assert.Equal(ParseStatus.Invalid, Parse(Bytes($"{method} / HTTP/1.1\r\nHost: h\r\n\r\n"), out _, out _, out ParseError error));
        Assert.Equal(ParseError.MethodNotImplemented, error);
        Assert.Equal(501, StatusCodes.ForParseError(error));

        // Decided as soon as the limit is reached, without the rest of the line.
        Assert.Equal(ParseStatus.Invalid, Parse(Bytes(method), out _, out _, out error));
        Assert.Equal(ParseError.MethodNotImplemented, error);

        // Invalid bytes in a long method stay a 400.
        Assert.Equal(ParseStatus.Invalid, Parse(Bytes(new string('M', 100) + "\u00e9" + method), out _, out _, out error));
        Assert.Equal(ParseError.BadRequest, error);
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
