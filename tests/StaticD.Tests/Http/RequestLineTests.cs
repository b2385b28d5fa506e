using StaticD.Http;
using Xunit;
using static StaticD.Tests.Http.ParserTestSupport;
// The SDK's implicit usings bring in System.Net.Http.HttpMethod too.
using HttpMethod = StaticD.Http.HttpMethod;

namespace StaticD.Tests.Http;

/// <summary>The request line (<see cref="RequestLine"/>): methods, the four target forms, HTTP-version.</summary>
public class RequestLineTests
{
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
    public void HigherMinorVersionIsAccepted()
    {
        RequestHead head = ParseComplete(Bytes("GET / HTTP/1.7\r\nHost: h\r\n\r\n"));
        Assert.Equal(7, head.VersionMinor);
        Assert.True(head.KeepAlive);
    }

    // ---------------------------------------------------------------------------------------------------------
    // rejection table

    [Theory]
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
    public void RejectsMalformedRequestLines(string request, int expectedStatusCode) => AssertRejected(request, expectedStatusCode);
}
