using System.Text;
using StaticD.Http;
using Xunit;

namespace StaticD.Tests.Http;

/// <summary>Sample requests and helpers shared by the request-parser tests (RequestParserTests, RequestLineTests,
/// FieldSemanticsTests, HostSyntaxTests).</summary>
internal static class ParserTestSupport
{
    public const string ManyHeadersGet =
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

    public const string LeadingEmptyLines =
        "\r\n\r\n\r\nPOST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\n";

    public const string AbsoluteForm =
        "GET HTTP://Example.COM:81/a/b?q=1 HTTP/1.1\r\nHost: ignored.example\r\n\r\n";

    // Theory data uses HTTP status codes because the parser's enums are internal and xunit needs public methods.
    public static int StatusCode(ParseError error) => error switch
    {
        ParseError.None => 0,
        ParseError.BadRequest => 400,
        ParseError.UriTooLong => 414,
        ParseError.HeadersTooLarge => 431,
        ParseError.VersionNotSupported => 505,
        ParseError.MethodNotImplemented => 501,
        _ => -1,
    };

    /// <summary>Latin-1 so "\u00e9" etc. become single raw bytes; GetBytes returns an exact-length array.</summary>
    public static byte[] Bytes(string s) => Encoding.Latin1.GetBytes(s);

    public static string Str(byte[] buffer, Segment segment)
    {
        Assert.True(segment.IsPresent, "segment should be present");
        return Encoding.Latin1.GetString(buffer, segment.Start, segment.Length);
    }

    public static ParseStatus Parse(byte[] buffer, out RequestHead head, out int consumed, out ParseError error) =>
        Parse(buffer, ParserLimits.Default, out head, out consumed, out error);

    public static ParseStatus Parse(
        byte[] buffer, ParserLimits limits, out RequestHead head, out int consumed, out ParseError error)
    {
        head = default;
        return RequestParser.TryParse(buffer, in limits, ref head, out consumed, out error);
    }

    public static RequestHead ParseComplete(byte[] buffer)
    {
        ParseStatus status = Parse(buffer, out RequestHead head, out int consumed, out ParseError error);
        Assert.Equal(ParseError.None, error);
        Assert.Equal(ParseStatus.Complete, status);
        Assert.Equal(buffer.Length, consumed);
        return head;
    }

    public static void AssertRejected(string request, int expectedStatusCode)
    {
        ParseStatus status = Parse(Bytes(request), out _, out int consumed, out ParseError error);
        Assert.Equal(ParseStatus.Invalid, status);
        Assert.Equal(expectedStatusCode, StatusCode(error));
        Assert.Equal(0, consumed);
    }
}
