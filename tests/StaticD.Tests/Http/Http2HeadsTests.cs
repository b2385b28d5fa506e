using System.Text;
using StaticD.Http;
using Xunit;

namespace StaticD.Tests.Http;

/// <summary>The two translations HTTP/2 rests on: an HTTP/2 request's fields into the HTTP/1.1 head the one request
/// path parses, and the HTTP/1.1 response head that path writes into an HTTP/2 field list.</summary>
public sealed class Http2HeadsTests
{
    private static string Build(int limit, params (string Name, string Value)[] fields)
    {
        var head = new Http2RequestHead();
        head.Begin(new byte[2 * limit], limit);
        foreach ((string name, string value) in fields) head.Add(Encoding.ASCII.GetBytes(name), Encoding.ASCII.GetBytes(value));
        return head.Finish() ? head.ToString() : "(too large)";
    }

    [Fact]
    public void PseudoFieldsBecomeTheRequestLineAndHost()
    {
        Assert.Equal("GET /a/b?q=1 HTTP/1.1\r\nHost: example.com\r\naccept: */*\r\nrange: bytes=0-9\r\n\r\n",
            Build(1024, (":method", "GET"), (":scheme", "https"), (":authority", "example.com"), (":path", "/a/b?q=1"),
                ("accept", "*/*"), ("range", "bytes=0-9")));
    }

    [Fact]
    public void WithoutRegularFieldsTheHeadStillEnds()
    {
        Assert.Equal("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", Build(1024, (":method", "HEAD"), (":path", "/"), (":authority", "h")));
    }

    [Fact]
    public void AuthorityWinsOverAHostField()
    {
        Assert.Equal("GET / HTTP/1.1\r\nHost: a.example\r\naccept: x\r\n\r\n",
            Build(1024, (":method", "GET"), (":path", "/"), (":authority", "a.example"), ("host", "b.example"), ("accept", "x")));
    }

    [Fact]
    public void WithoutAuthorityTheHostFieldStays()
    {
        Assert.Equal("GET / HTTP/1.1\r\nhost: b.example\r\n\r\n", Build(1024, (":method", "GET"), (":path", "/"), ("host", "b.example")));
    }

    [Fact]
    public void ConnectWithoutPathTargetsTheAuthority()
    {
        Assert.Equal("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n",
            Build(1024, (":method", "CONNECT"), (":authority", "a.example:443")));
    }

    [Fact]
    public void HeadIsRecognised()
    {
        var head = new Http2RequestHead();
        head.Begin(new byte[2048], 1024);
        head.Add(":method"u8, "HEAD"u8);
        Assert.True(head.IsHead);
        head.Begin(new byte[2048], 1024);
        head.Add(":method"u8, "GET"u8);
        Assert.False(head.IsHead);
    }

    [Fact]
    public void AHeadOverTheLimitIsTooLarge()
    {
        string big = new('x', 600);
        Assert.Equal("(too large)", Build(1024, (":method", "GET"), (":path", "/"), ("a", big), ("b", big)));
        Assert.Equal("(too large)", Build(1024, (":method", "GET"), (":path", "/" + new string('p', 1100))));
        // Exactly at the limit fits: "GET / HTTP/1.1\r\n" (16) + "a: " + value + "\r\n" (5 + n) + "\r\n" (2).
        string exact = new('v', 1024 - 16 - 5 - 2);
        Assert.Equal(1024, Build(1024, (":method", "GET"), (":path", "/"), ("a", exact)).Length);
    }

    private static (int Status, string[] Fields, long ContentLength) Translate(string head)
    {
        var destination = new byte[4096];
        var fields = new int[Http2ResponseHead.Stride * 32];
        int status = Http2ResponseHead.Translate(Encoding.ASCII.GetBytes(head), destination, fields, out int count, out long length);
        var list = new string[count];
        for (int i = 0; i < count; i++)
        {
            int f = i * Http2ResponseHead.Stride;
            list[i] = Encoding.ASCII.GetString(destination, fields[f], fields[f + 1]) + "=" + Encoding.ASCII.GetString(destination, fields[f + 2], fields[f + 3]);
        }
        return (status, list, length);
    }

    [Fact]
    public void AResponseHeadBecomesLowerCaseFieldsAfterStatus()
    {
        (int status, string[] fields, long length) = Translate(
            "HTTP/1.1 206 Partial Content\r\nServer: staticd\r\nContent-Type: text/plain\r\nContent-Range: bytes 0-9/100\r\nContent-Length: 10\r\nETag: \"x\"\r\n\r\n");
        Assert.Equal(206, status);
        Assert.Equal([":status=206", "server=staticd", "content-type=text/plain", "content-range=bytes 0-9/100", "content-length=10", "etag=\"x\""], fields);
        Assert.Equal(10, length);
    }

    [Fact]
    public void ConnectionSpecificFieldsAreDropped()
    {
        (int status, string[] fields, long length) = Translate(
            "HTTP/1.1 200 OK\r\nConnection: close\r\nKeep-Alive: timeout=5\r\nTransfer-Encoding: chunked\r\nUpgrade: h2c\r\nProxy-Connection: x\r\nVary: Accept-Encoding\r\n\r\n");
        Assert.Equal(200, status);
        Assert.Equal([":status=200", "vary=Accept-Encoding"], fields);
        Assert.Equal(-1, length);
    }

    [Theory]
    [InlineData("HTTP/1.1 200 OK\r\nServer: x\r\n")] // no empty line
    [InlineData("HTTP/1.0 200 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 2x0 OK\r\n\r\n")]
    [InlineData("HTTP/1.1 200 OK\r\nno colon\r\n\r\n")]
    public void AnythingElseIsRefused(string head) => Assert.Equal(-1, Translate(head).Status);

    [Fact]
    public void AKeptHeadMatchesTheSameHeadOnlyUntilForgotten()
    {
        byte[] head = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"a\"\r\n\r\n");
        byte[] body = Encoding.ASCII.GetBytes("hello");
        var kept = new HeadTranslation();
        Assert.False(kept.Matches(head));
        kept.Remember(head, 200, 5, [0, 7, 7, 3, 10, 14, 24, 1]);
        Assert.True(kept.Matches([.. head, .. body])); // the body that follows the head is no part of it
        Assert.Equal(head.Length, kept.HeadLength);
        Assert.Equal((200, 5L), (kept.Status, kept.ContentLength));
        Assert.Equal([0, 7, 7, 3, 10, 14, 24, 1], kept.Fields.ToArray());
        byte[] other = (byte[])head.Clone();
        other[^6] = (byte)'b'; // another ETag
        Assert.False(kept.Matches(other));
        Assert.False(kept.Matches(head.AsSpan(0, head.Length - 1)));
        kept.Forget();
        Assert.False(kept.Matches(head));
    }

    [Fact]
    public void AHeadTooLargeToKeepIsNotKept()
    {
        byte[] head = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nX: " + new string('a', 1100) + "\r\n\r\n");
        var kept = new HeadTranslation();
        kept.Remember(head, 200, -1, [0, 1, 1, 1]);
        Assert.False(kept.Matches(head));
        byte[] small = Encoding.ASCII.GetBytes("HTTP/1.1 204 No Content\r\n\r\n");
        kept.Remember(small, 204, -1, new int[33 * Http2ResponseHead.Stride]); // more fields than are kept
        Assert.False(kept.Matches(small));
    }
}
