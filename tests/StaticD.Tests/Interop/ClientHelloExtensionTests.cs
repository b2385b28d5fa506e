using StaticD.Interop;
using Xunit;

namespace StaticD.Tests.Interop;

/// <summary>The two ClientHello extensions the tls-alpn-01 switch reads, parsed from their wire form.</summary>
public sealed class ClientHelloExtensionTests
{
    private static byte[] Alpn(params string[] protocols)
    {
        byte[] list = [.. protocols.SelectMany(p => new[] { (byte)p.Length }.Concat(System.Text.Encoding.ASCII.GetBytes(p)))];
        return [(byte)(list.Length >> 8), (byte)list.Length, .. list];
    }

    [Fact]
    public void AcmeTls1IsFoundAmongTheOfferedProtocols()
    {
        Assert.True(Ssl.OffersAcmeTls1(Alpn("acme-tls/1")));
        Assert.True(Ssl.OffersAcmeTls1(Alpn("h2", "http/1.1", "acme-tls/1")));
        Assert.False(Ssl.OffersAcmeTls1(Alpn("h2", "http/1.1")));
        Assert.False(Ssl.OffersAcmeTls1(Alpn("acme-tls/12")));
        Assert.False(Ssl.OffersAcmeTls1([]));
        byte[] truncated = Alpn("acme-tls/1");
        Assert.False(Ssl.OffersAcmeTls1(truncated[..^1]));
    }

    [Fact]
    public void HostNameIsReadFromTheServerNameList()
    {
        byte[] name = System.Text.Encoding.ASCII.GetBytes("a.example.test");
        byte[] entry = [0, (byte)(name.Length >> 8), (byte)name.Length, .. name];
        byte[] extension = [(byte)(entry.Length >> 8), (byte)entry.Length, .. entry];
        Assert.Equal("a.example.test", System.Text.Encoding.ASCII.GetString(Ssl.HostName(extension)));
        Assert.True(Ssl.HostName(extension[..^2]).IsEmpty);
        Assert.True(Ssl.HostName([0, 0]).IsEmpty);
        byte[] other = [0, (byte)(3 + name.Length), 1, 0, (byte)name.Length, .. name];
        Assert.True(Ssl.HostName(other).IsEmpty); // not a host_name entry
    }
}
