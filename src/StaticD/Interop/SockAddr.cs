using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace StaticD.Interop;

/// <summary>
/// The one place that reads and writes socket addresses: sockaddr_in and sockaddr_in6 (in a
/// <see cref="SockAddrStorage"/>) to and from <see cref="IPEndPoint"/>, and sockaddr_un for a path or an abstract name.
/// </summary>
internal static class SockAddr
{
    // sin_addr follows sin_family and sin_port; sin6_addr follows them and sin6_flowinfo.
    private const int IPv4Offset = 4, IPv6Offset = 8;

    /// <summary>sizeof(struct sockaddr_in) and sizeof(struct sockaddr_in6): the lengths bind(2) expects.</summary>
    public const uint IPv4Length = 16, IPv6Length = 28;

    /// <summary>The longest path a sockaddr_un can hold without its terminating NUL, and the longest abstract name
    /// without its leading one.</summary>
    public const int UnixPathMax = Libc.UnixPathCapacity - 1;

    /// <summary>An end point as sockaddr_in (IPv4) or sockaddr_in6 (IPv6, with its scope id); <paramref name="length"/>
    /// is the size to pass with it.</summary>
    public static SockAddrStorage FromEndPoint(IPEndPoint endPoint, out uint length)
    {
        SockAddrStorage addr = default;
        Span<byte> raw = MemoryMarshal.AsBytes(new Span<SockAddrStorage>(ref addr));
        addr.PortBigEndian = (ushort)IPAddress.HostToNetworkOrder((short)endPoint.Port);
        if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
        {
            addr.Family = Libc.AF_INET6;
            endPoint.Address.TryWriteBytes(raw.Slice(IPv6Offset, 16), out _);
            addr.ScopeId = (uint)endPoint.Address.ScopeId;
            length = IPv6Length;
        }
        else
        {
            addr.Family = Libc.AF_INET;
            endPoint.Address.TryWriteBytes(raw.Slice(IPv4Offset, 4), out _);
            length = IPv4Length;
        }
        return addr;
    }

    /// <summary>The address of an AF_INET or AF_INET6 sockaddr, or null for any other family. An IPv6 address carries
    /// its zone (sin6_scope_id) only when <paramref name="withScope"/>. A v4-mapped address (an IPv4 client of a
    /// dual-stack socket) stays IPv6, as the kernel reported it.</summary>
    public static IPAddress? ToAddress(in SockAddrStorage addr, bool withScope = true)
    {
        ReadOnlySpan<byte> raw = MemoryMarshal.AsBytes(new ReadOnlySpan<SockAddrStorage>(in addr));
        return addr.Family switch
        {
            Libc.AF_INET => new IPAddress(raw.Slice(IPv4Offset, 4)),
            Libc.AF_INET6 when withScope => new IPAddress(raw.Slice(IPv6Offset, 16), addr.ScopeId),
            Libc.AF_INET6 => new IPAddress(raw.Slice(IPv6Offset, 16)),
            _ => null,
        };
    }

    /// <summary>Address and port of an AF_INET or AF_INET6 sockaddr; 255.255.255.255:0 (<see cref="IPAddress.None"/>)
    /// for any other family.</summary>
    public static IPEndPoint ToEndPoint(in SockAddrStorage addr) =>
        ToAddress(addr) is { } address
            ? new IPEndPoint(address, (ushort)IPAddress.NetworkToHostOrder((short)addr.PortBigEndian))
            : new IPEndPoint(IPAddress.None, 0);

    /// <summary>
    /// The client as an access log writes it, into <paramref name="destination"/> (at least 46 bytes) without
    /// allocating: dotted IPv4, an IPv4 client of a dual-stack socket (::ffff:a.b.c.d) as plain IPv4, IPv6 in the
    /// RFC 5952 text form without its zone (lower-case hex, no leading zeros, the longest run of two or more zero
    /// groups, the first if tied, as "::"), and "-" for any other family. Returns the length written.
    /// </summary>
    public static int FormatClient(in SockAddrStorage addr, Span<byte> destination)
    {
        ReadOnlySpan<byte> raw = MemoryMarshal.AsBytes(new ReadOnlySpan<SockAddrStorage>(in addr));
        if (addr.Family == Libc.AF_INET) return FormatIPv4(raw.Slice(IPv4Offset, 4), destination);
        if (addr.Family != Libc.AF_INET6)
        {
            destination[0] = (byte)'-';
            return 1;
        }
        ReadOnlySpan<byte> a = raw.Slice(IPv6Offset, 16);
        if (a[..10].IndexOfAnyExcept((byte)0) < 0 && a[10] == 0xFF && a[11] == 0xFF) return FormatIPv4(a[12..], destination);
        Span<ushort> groups = stackalloc ushort[8];
        for (int i = 0; i < 8; i++) groups[i] = (ushort)(a[2 * i] << 8 | a[2 * i + 1]);
        int runStart = -1, runLength = 0;
        for (int i = 0; i < 8;)
        {
            if (groups[i] != 0)
            {
                i++;
                continue;
            }
            int start = i;
            while (i < 8 && groups[i] == 0) i++;
            if (i - start > runLength && i - start >= 2) (runStart, runLength) = (start, i - start);
        }
        int n = 0;
        for (int i = 0; i < 8; i++)
        {
            if (i == runStart)
            {
                destination[n++] = (byte)':';
                if (i == 0) destination[n++] = (byte)':';
                i += runLength - 1;
                continue;
            }
            groups[i].TryFormat(destination[n..], out int written, "x", System.Globalization.CultureInfo.InvariantCulture);
            n += written;
            if (i < 7) destination[n++] = (byte)':';
        }
        return n;
    }

    private static int FormatIPv4(ReadOnlySpan<byte> a, Span<byte> destination)
    {
        int n = 0;
        for (int i = 0; i < 4; i++)
        {
            a[i].TryFormat(destination[n..], out int written, default, System.Globalization.CultureInfo.InvariantCulture);
            n += written;
            if (i < 3) destination[n++] = (byte)'.';
        }
        return n;
    }

    /// <summary>sockaddr_un for a file-system path, which is NUL-terminated; returns the length to pass with it.</summary>
    public static uint UnixPath(ReadOnlySpan<byte> path, out SockAddrUnix address)
    {
        if (path.Length > UnixPathMax) throw new ArgumentException($"longer than {UnixPathMax} bytes", nameof(path));
        address = default;
        address.Family = Libc.AF_UNIX;
        path.CopyTo(PathBytes(ref address));
        return (uint)(SockAddrUnix.PathOffset + path.Length + 1);
    }

    /// <summary>sockaddr_un for an abstract name (unix(7)): a leading NUL, and the length counts only the name, with
    /// no terminator. <paramref name="name"/> is the name without that NUL (or the '@' that stands for it).</summary>
    public static uint UnixAbstract(ReadOnlySpan<byte> name, out SockAddrUnix address)
    {
        if (name.Length > UnixPathMax) throw new ArgumentException($"longer than {UnixPathMax} bytes", nameof(name));
        address = default;
        address.Family = Libc.AF_UNIX;
        name.CopyTo(PathBytes(ref address)[1..]);
        return (uint)(SockAddrUnix.PathOffset + 1 + name.Length);
    }

    private static Span<byte> PathBytes(ref SockAddrUnix address) =>
        MemoryMarshal.AsBytes(new Span<SockAddrUnix>(ref address)).Slice(SockAddrUnix.PathOffset, Libc.UnixPathCapacity);
}
