using System.Text;
using StaticD.Http;
using Xunit;
using static StaticD.Tests.Http.ParserTestSupport;
// The SDK's implicit usings bring in System.Net.Http.HttpMethod too.
using HttpMethod = StaticD.Http.HttpMethod;

namespace StaticD.Tests.Http;

/// <summary>The RFC 3986 host grammar (<see cref="HostSyntax"/>), through the parser and on its own.</summary>
public class HostSyntaxTests
{
    // ---------------------------------------------------------------------------------------------------------
    // through the parser: Host and absolute-form

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

    [Theory]
    // Host values (RFC 9110 §7.2, RFC 3986 §3.2.2)
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
    public void RejectsInvalidHostValues(string request, int expectedStatusCode) => AssertRejected(request, expectedStatusCode);

    [Fact]
    public void AbsoluteFormAuthorityIsCheckedByTheSameGrammar()
    {
        AssertRejected("GET http://a%zz/ HTTP/1.1\r\nHost: h\r\n\r\n", 400);
        AssertRejected("GET http://[::1/ HTTP/1.1\r\nHost: h\r\n\r\n", 400);
        AssertRejected("CONNECT [::1] HTTP/1.1\r\nHost: h\r\n\r\n", 400);
        AssertRejected("CONNECT h: HTTP/1.1\r\nHost: h\r\n\r\n", 400);
        Assert.Equal(HttpMethod.Connect, ParseComplete(Bytes("CONNECT [::1]:443 HTTP/1.1\r\nHost: h\r\n\r\n")).Method);
    }

    // ---------------------------------------------------------------------------------------------------------
    // on its own

    [Theory]
    [InlineData("h", false, true)]
    [InlineData("h", true, false)]
    [InlineData("h:", false, true)]
    [InlineData("h:", true, false)]
    [InlineData("h:443", true, true)]
    [InlineData("[::1]", true, false)]
    [InlineData("[::1]:443", true, true)]
    [InlineData("[::1]:", false, true)]
    [InlineData("", false, false)]
    [InlineData(":80", false, false)]
    [InlineData("h:-1", false, false)]
    [InlineData("h:8 0", false, false)]
    [InlineData("[::1]]", false, false)]
    [InlineData("[::1]:x", false, false)]
    [InlineData("u@h:80", true, false)]
    public void IsValid(string value, bool requirePort, bool expected) =>
        Assert.Equal(expected, HostSyntax.IsValid(Bytes(value), requirePort));

    [Theory]
    [InlineData("", true)]
    [InlineData("example.com", true)]
    [InlineData("EXAMPLE.com.", true)]
    [InlineData("a%41%7e", true)]
    [InlineData("!$&'()*+,;=-._~", true)]
    [InlineData("a%4", false)]
    [InlineData("a%", false)]
    [InlineData("a%g1", false)]
    [InlineData("a b", false)]
    [InlineData("a:b", false)]
    [InlineData("a@b", false)]
    [InlineData("a/b", false)]
    [InlineData("[a]", false)]
    [InlineData("caf\u00e9", false)]
    public void IsRegName(string value, bool expected) => Assert.Equal(expected, HostSyntax.IsRegName(Bytes(value)));

    [Theory]
    [InlineData("0.0.0.0", true)]
    [InlineData("192.0.2.1", true)]
    [InlineData("255.255.255.255", true)]
    [InlineData("256.0.0.1", false)]
    [InlineData("1.2.3.999", false)]
    [InlineData("01.2.3.4", false)]
    [InlineData("1.2.3.00", false)]
    [InlineData("1.2.3", false)]
    [InlineData("1.2.3.4.", false)]
    [InlineData("1.2.3.4.5", false)]
    [InlineData("1..3.4", false)]
    [InlineData(".1.2.3", false)]
    [InlineData("1.2.3.4a", false)]
    [InlineData("1234.1.1.1", false)]
    [InlineData("", false)]
    public void IsIPv4(string value, bool expected) => Assert.Equal(expected, HostSyntax.IsIPv4(Bytes(value)));

    [Theory]
    [InlineData("::", true)]
    [InlineData("::1", true)]
    [InlineData("1::", true)]
    [InlineData("1:2:3:4:5:6:7:8", true)]
    [InlineData("1:2:3:4:5:6:7::", true)]
    [InlineData("::2:3:4:5:6:7:8", true)]
    [InlineData("2001:DB8::abcd", true)]
    [InlineData("::ffff:192.0.2.1", true)]
    [InlineData("1:2:3:4:5:6:1.2.3.4", true)]
    [InlineData("v1.fe80::a+en1", true)]
    [InlineData("VA.x:y", true)]
    [InlineData("", false)]
    [InlineData(":1", false)]
    [InlineData("1:", false)]
    [InlineData(":::", false)]
    [InlineData("1:::2", false)]
    [InlineData("1::2::3", false)]
    [InlineData("1:2:3:4:5:6:7", false)]
    [InlineData("1:2:3:4:5:6:7:8:9", false)]
    [InlineData("1:2:3:4:5:6:7:8::", false)]
    [InlineData("12345::", false)]
    [InlineData("g::1", false)]
    [InlineData("::1.2.3", false)]
    [InlineData("::1.2.3.4:5", false)]
    [InlineData("1.2.3.4", false)]
    [InlineData("v.x", false)]
    [InlineData("v1.", false)]
    [InlineData("vg.x", false)]
    [InlineData("v1.x/y", false)]
    public void IsIpLiteral(string contents, bool expected) => Assert.Equal(expected, HostSyntax.IsIpLiteral(Bytes(contents)));

    // ---------------------------------------------------------------------------------------------------------
    // normalization (virtual hosts)

    [Theory]
    [InlineData("example.com", "example.com")]
    [InlineData("Example.COM", "example.com")]
    [InlineData("Example.COM:8080", "example.com")]
    [InlineData("example.com:", "example.com")]
    [InlineData("example.com.", "example.com")]
    [InlineData("Example.com.:443", "example.com")]
    [InlineData("example.com..", "example.com.")]
    [InlineData("127.0.0.1:80", "127.0.0.1")]
    [InlineData("[2001:DB8::1]", "[2001:db8::1]")]
    [InlineData("[2001:DB8::1]:443", "[2001:db8::1]")]
    [InlineData("[v1.FE80::A+EN1]", "[v1.fe80::a+en1]")]
    [InlineData("A%4A", "a%4a")]
    [InlineData("x", "x")]
    public void TryNormalizeLowercasesAndDropsThePortAndOneTrailingDot(string value, string expected)
    {
        byte[] input = Bytes(value);
        byte[] destination = new byte[input.Length];
        Assert.True(HostSyntax.TryNormalize(input, destination, out int length));
        Assert.Equal(expected, Encoding.Latin1.GetString(destination, 0, length));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData(".:80")]
    [InlineData(":80")]
    [InlineData("a b")]
    [InlineData("u@h")]
    [InlineData("h:80x")]
    [InlineData("[::1")]
    [InlineData("[::1]x")]
    [InlineData("caf\u00e9")]
    public void TryNormalizeRefusesWhatIsNotAHostName(string value)
    {
        byte[] destination = new byte[16];
        Assert.False(HostSyntax.TryNormalize(Bytes(value), destination, out int length));
        Assert.Equal(0, length);
    }

    [Fact]
    public void TryNormalizeNeedsRoomOnlyForTheName()
    {
        byte[] destination = new byte[4];
        Assert.True(HostSyntax.TryNormalize("HOST.:8080"u8, destination, out int length));
        Assert.Equal("host", Encoding.ASCII.GetString(destination, 0, length));
        Assert.Throws<ArgumentException>(() => HostSyntax.TryNormalize("hosts"u8, new byte[4], out _));
    }

    [Fact]
    public void TryNormalizeWorksOnWhatTheParserReportsAsHost()
    {
        byte[] buffer = Bytes(AbsoluteForm);
        RequestHead head = ParseComplete(buffer);
        byte[] destination = new byte[head.Host.Length];
        Assert.True(HostSyntax.TryNormalize(buffer.AsSpan(head.Host.Start, head.Host.Length), destination, out int length));
        Assert.Equal("example.com", Encoding.ASCII.GetString(destination, 0, length));
    }
}
