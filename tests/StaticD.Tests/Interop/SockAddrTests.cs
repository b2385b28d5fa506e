using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using StaticD.Interop;
using StaticD.Logging;
using Xunit;

namespace StaticD.Tests.Interop;

/// <summary>
/// The one sockaddr decoder, fed sockaddrs laid out byte by byte as the kernel writes them. The access log's
/// text is pinned to what it wrote before the decoder was shared: v4-mapped clients as plain IPv4, IPv6 without
/// its zone.
/// </summary>
public class SockAddrTests
{
    private const ushort AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;

    private static SockAddrStorage In(string address, int port)
    {
        var raw = new byte[28];
        BinaryPrimitives.WriteUInt16LittleEndian(raw, AF_INET);
        BinaryPrimitives.WriteUInt16BigEndian(raw.AsSpan(2), (ushort)port);
        IPAddress.Parse(address).GetAddressBytes().CopyTo(raw, 4);
        return MemoryMarshal.Read<SockAddrStorage>(raw);
    }

    // A flow label by default: it is never part of the address.
    private static SockAddrStorage In6(string address, int port, uint scopeId = 0, uint flowInfo = 0x000ABCDE)
    {
        var raw = new byte[28];
        BinaryPrimitives.WriteUInt16LittleEndian(raw, AF_INET6);
        BinaryPrimitives.WriteUInt16BigEndian(raw.AsSpan(2), (ushort)port);
        BinaryPrimitives.WriteUInt32BigEndian(raw.AsSpan(4), flowInfo);
        IPAddress.Parse(address).GetAddressBytes().CopyTo(raw, 8);
        BinaryPrimitives.WriteUInt32LittleEndian(raw.AsSpan(24), scopeId);
        return MemoryMarshal.Read<SockAddrStorage>(raw);
    }

    private static SockAddrStorage Unix()
    {
        var raw = new byte[28];
        BinaryPrimitives.WriteUInt16LittleEndian(raw, AF_UNIX);
        "/run/x"u8.CopyTo(raw.AsSpan(2));
        return MemoryMarshal.Read<SockAddrStorage>(raw);
    }

    public static TheoryData<string, int, string> IPv4Cases => new()
    {
        { "192.0.2.1", 8080, "192.0.2.1" },
        { "0.0.0.0", 0, "0.0.0.0" },
        { "255.255.255.255", 65535, "255.255.255.255" },
    };

    [Theory]
    [MemberData(nameof(IPv4Cases))]
    public void IPv4(string address, int port, string logged)
    {
        SockAddrStorage a = In(address, port);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), SockAddr.ToEndPoint(a));
        Assert.Equal(logged, AccessLog.FormatAddress(a));
    }

    [Theory]
    [InlineData("2001:db8::1", 443, "2001:db8::1")]
    [InlineData("::1", 8080, "::1")]
    [InlineData("::", 1, "::")]
    [InlineData("2001:db8:0:0:1:0:0:1", 80, "2001:db8::1:0:0:1")]
    public void IPv6(string address, int port, string logged)
    {
        SockAddrStorage a = In6(address, port);
        IPEndPoint decoded = SockAddr.ToEndPoint(a);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(address), port), decoded);
        Assert.Equal(0, decoded.Address.ScopeId);
        Assert.Equal(logged, AccessLog.FormatAddress(a));
    }

    [Fact]
    public void IPv4MappedIPv6IsAnIPv6EndPointButLoggedAsIPv4()
    {
        SockAddrStorage a = In6("::ffff:192.0.2.7", 50000);
        IPEndPoint decoded = SockAddr.ToEndPoint(a);
        Assert.Equal(System.Net.Sockets.AddressFamily.InterNetworkV6, decoded.AddressFamily);
        Assert.True(decoded.Address.IsIPv4MappedToIPv6);
        Assert.Equal(50000, decoded.Port);
        Assert.Equal("192.0.2.7", AccessLog.FormatAddress(a));
    }

    [Fact]
    public void ScopeIdIsKeptInTheEndPointButNotLogged()
    {
        SockAddrStorage a = In6("fe80::1", 8080, scopeId: 3);
        IPEndPoint decoded = SockAddr.ToEndPoint(a);
        Assert.Equal(3, decoded.Address.ScopeId);
        Assert.Equal("fe80::1%3", decoded.Address.ToString());
        Assert.Equal(8080, decoded.Port);
        Assert.Equal("fe80::1", AccessLog.FormatAddress(a));
    }

    /// <summary>FormatClient writes what IPAddress.ToString writes (RFC 5952: the longest zero run, the first if
    /// tied, only runs of two or more), without allocating. Addresses whose first five groups are zero are left
    /// out: .NET writes some of those with an embedded IPv4 part.</summary>
    [Fact]
    public void IPv6TextMatchesTheRuntimesForManyZeroPatterns()
    {
        var random = new Random(15);
        byte[] bytes = new byte[16];
        Span<byte> text = stackalloc byte[64];
        for (int i = 0; i < 20_000; i++)
        {
            for (int g = 0; g < 8; g++)
            {
                ushort v = random.Next(5) < 2 ? (ushort)0 : (ushort)random.Next(1, 65536);
                BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2 * g), v);
            }
            if (bytes.AsSpan(0, 10).IndexOfAnyExcept((byte)0) < 0) continue;
            var address = new IPAddress(bytes);
            SockAddrStorage a = In6(address.ToString(), 80);
            Assert.Equal(address.ToString(), System.Text.Encoding.ASCII.GetString(text[..SockAddr.FormatClient(a, text)]));
        }
    }

    [Fact]
    public void OtherFamiliesDecodeToNothing()
    {
        Assert.Equal(new IPEndPoint(IPAddress.None, 0), SockAddr.ToEndPoint(Unix()));
        Assert.Equal("-", AccessLog.FormatAddress(Unix()));
        Assert.Equal("-", AccessLog.FormatAddress(default));
    }

    [Theory]
    [InlineData("192.0.2.1", 8080, 16)]
    [InlineData("2001:db8::1", 443, 28)]
    [InlineData("::ffff:192.0.2.7", 1, 28)]
    public void EncodingIsWhatTheKernelWouldWriteAndDecodesBack(string address, int port, uint expectedLength)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(address), port);
        SockAddrStorage encoded = SockAddr.FromEndPoint(endPoint, out uint length);
        Assert.Equal(expectedLength, length);
        SockAddrStorage expected = length == 16 ? In(address, port) : In6(address, port, flowInfo: 0);
        Assert.Equal(expected, encoded);
        Assert.Equal(endPoint, SockAddr.ToEndPoint(encoded));
    }

    [Fact]
    public void EncodingKeepsTheScopeId()
    {
        var endPoint = new IPEndPoint(IPAddress.Parse("fe80::1%7"), 80);
        SockAddrStorage encoded = SockAddr.FromEndPoint(endPoint, out _);
        Assert.Equal(7u, encoded.ScopeId);
        Assert.Equal(endPoint, SockAddr.ToEndPoint(encoded));
    }

    private static byte[] Bytes(in SockAddrUnix a, uint length) =>
        MemoryMarshal.AsBytes(new ReadOnlySpan<SockAddrUnix>(in a))[..(int)length].ToArray();

    [Fact]
    public void UnixPathIsNulTerminatedAndCountsTheNul()
    {
        uint length = SockAddr.UnixPath("/run/systemd/notify"u8, out SockAddrUnix a);
        Assert.Equal(2u + 19 + 1, length);
        Assert.Equal([1, 0, .. "/run/systemd/notify"u8, 0], Bytes(a, length));
    }

    [Fact]
    public void UnixAbstractNameHasALeadingNulAndNoTerminator()
    {
        uint length = SockAddr.UnixAbstract("staticd/notify"u8, out SockAddrUnix a);
        Assert.Equal(2u + 1 + 14, length);
        Assert.Equal([1, 0, 0, .. "staticd/notify"u8], Bytes(a, length));
    }

    [Fact]
    public void UnixAddressesUpToTheCapacityFitAndLongerOnesAreRefused()
    {
        byte[] longest = new byte[SockAddr.UnixPathMax];
        longest.AsSpan().Fill((byte)'p');
        Assert.Equal(110u, SockAddr.UnixPath(longest, out _));
        Assert.Equal(110u, SockAddr.UnixAbstract(longest, out _));
        byte[] tooLong = new byte[SockAddr.UnixPathMax + 1];
        Assert.Throws<ArgumentException>(() => SockAddr.UnixPath(tooLong, out _));
        Assert.Throws<ArgumentException>(() => SockAddr.UnixAbstract(tooLong, out _));
    }
}
