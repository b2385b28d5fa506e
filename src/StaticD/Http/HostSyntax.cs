using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace StaticD.Http;

/// <summary>
/// The host grammar of RFC 3986 §3.2.2-§3.2.3 as HTTP uses it (RFC 9110 §4.2.1, §7.2): uri-host [ ":" port ],
/// where uri-host is an IP-literal in brackets or a reg-name (which also covers IPv4address). Validates the Host
/// field, absolute-form authorities and CONNECT's authority-form, and turns a valid value into the name a
/// virtual host is looked up by.
/// </summary>
internal static class HostSyntax
{
    /// <summary>reg-name, RFC 3986 §3.2.2: unreserved / sub-delims, plus '%' (pct-encoded checked separately).</summary>
    private static readonly SearchValues<byte> s_regNameChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=%"u8);

    /// <summary>Tail of IPvFuture, RFC 3986 §3.2.2: unreserved / sub-delims / ":".</summary>
    private static readonly SearchValues<byte> s_ipvFutureChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:"u8);

    private static readonly SearchValues<byte> s_hexDigits = SearchValues.Create("0123456789ABCDEFabcdef"u8);

    /// <summary>
    /// uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2-§3.2.3). An empty host is refused (RFC 9110 §4.2.1);
    /// port = *DIGIT, so "h:" is valid unless <paramref name="requirePort"/> (authority-form needs a port).
    /// userinfo is not part of this grammar, so "u@h" is refused as RFC 9110 §4.2.4 asks.
    /// </summary>
    public static bool IsValid(ReadOnlySpan<byte> value, bool requirePort)
    {
        int hostEnd = HostLength(value);
        if (hostEnd <= 0)
        {
            return false;
        }

        if (hostEnd == value.Length)
        {
            return !requirePort;
        }

        ReadOnlySpan<byte> port = value[(hostEnd + 1)..];
        return port.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0 && (!requirePort || !port.IsEmpty);
    }

    /// <summary>
    /// Writes the host name of a valid Host value (or absolute-form authority) to <paramref name="destination"/>
    /// the way a virtual host is looked up: without the port, without one trailing dot (the fully qualified
    /// "example.com." names the same host as "example.com"), ASCII letters lowercased (RFC 3986 §3.2.2: the host
    /// is case-insensitive). IP-literals keep their brackets so they can never collide with a reg-name. Nothing
    /// is decoded or canonicalized beyond that: pct-encoded octets stay encoded (their hex digits lowercased) and
    /// "[::1]" and "[0::1]" stay different names.
    /// </summary>
    /// <returns>False if the value is not valid by <see cref="IsValid"/> or names no host once the dot is gone
    /// ("." alone); then <paramref name="length"/> is 0.</returns>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than the host name
    /// (<paramref name="value"/>.Length is always enough).</exception>
    public static bool TryNormalize(ReadOnlySpan<byte> value, Span<byte> destination, out int length)
    {
        length = 0;
        if (!IsValid(value, requirePort: false))
        {
            return false;
        }

        ReadOnlySpan<byte> host = value[..HostLength(value)];
        if (host[^1] == (byte)'.')
        {
            host = host[..^1];
        }

        if (host.IsEmpty)
        {
            return false;
        }

        if (destination.Length < host.Length)
        {
            throw new ArgumentException("The destination is shorter than the host name.", nameof(destination));
        }

        // Every byte is ASCII (the grammar allows nothing else), so this cannot fail.
        Ascii.ToLower(host, destination, out length);
        return true;
    }

    /// <summary>reg-name = *( unreserved / pct-encoded / sub-delims ) (RFC 3986 §3.2.2). Empty is a valid
    /// reg-name; HTTP refuses an empty host in <see cref="IsValid"/>.</summary>
    public static bool IsRegName(ReadOnlySpan<byte> s)
    {
        if (s.IndexOfAnyExcept(s_regNameChars) >= 0)
        {
            return false;
        }

        int pct = s.IndexOf((byte)'%');
        while (pct >= 0)
        {
            if (pct + 2 >= s.Length || !IsHex(s[pct + 1]) || !IsHex(s[pct + 2]))
            {
                return false;
            }

            int next = s[(pct + 3)..].IndexOf((byte)'%');
            pct = next < 0 ? -1 : pct + 3 + next;
        }

        return true;
    }

    /// <summary>IP-literal contents, between the brackets = IPv6address / IPvFuture (RFC 3986 §3.2.2).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static bool IsIpLiteral(ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty)
        {
            return false;
        }

        if ((s[0] | 0x20) == (byte)'v')
        {
            // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
            int dot = s.IndexOf((byte)'.');
            return dot >= 2
                && dot < s.Length - 1
                && s[1..dot].IndexOfAnyExcept(s_hexDigits) < 0
                && s[(dot + 1)..].IndexOfAnyExcept(s_ipvFutureChars) < 0;
        }

        return IsIPv6(s);
    }

    /// <summary>IPv4address = dec-octet "." dec-octet "." dec-octet "." dec-octet, no leading zeros (RFC 3986 §3.2.2).</summary>
    public static bool IsIPv4(ReadOnlySpan<byte> s)
    {
        for (int octet = 0; octet < 4; octet++)
        {
            int n = 0;
            int digits = 0;
            while (digits < s.Length && IsDigit(s[digits]))
            {
                n = (n * 10) + (s[digits] - '0');
                digits++;
                if (digits > 3)
                {
                    return false;
                }
            }

            if (digits == 0 || n > 255 || (digits > 1 && s[0] == (byte)'0'))
            {
                return false;
            }

            s = s[digits..];
            if (octet < 3)
            {
                if (s.IsEmpty || s[0] != (byte)'.')
                {
                    return false;
                }

                s = s[1..];
            }
        }

        return s.IsEmpty;
    }

    /// <summary>
    /// The length of the uri-host at the start of <paramref name="value"/> (an IP-literal with its brackets, or
    /// the reg-name up to the first ':'), or -1 if it is not valid. What follows it is either nothing or ':'.
    /// </summary>
    /// <remarks>Inlined: <see cref="IsValid"/> runs for every request's Host, and it was one method before the
    /// normalization needed this part on its own.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int HostLength(ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty)
        {
            return -1;
        }

        int hostEnd;
        if (value[0] == (byte)'[')
        {
            int close = value.IndexOf((byte)']');
            if (close < 0 || !IsIpLiteral(value[1..close]))
            {
                return -1;
            }

            hostEnd = close + 1;
            if (hostEnd < value.Length && value[hostEnd] != (byte)':')
            {
                return -1;
            }
        }
        else
        {
            hostEnd = value.IndexOf((byte)':');
            if (hostEnd < 0)
            {
                hostEnd = value.Length;
            }

            if (hostEnd == 0 || !IsRegName(value[..hostEnd]))
            {
                return -1;
            }
        }

        return hostEnd;
    }

    /// <summary>
    /// IPv6address (RFC 3986 §3.2.2 / RFC 4291 §2.2): eight 1-4 digit hex groups separated by ':', at most one
    /// "::" standing for one or more zero groups, and optionally an IPv4 dotted quad as the last two groups.
    /// </summary>
    private static bool IsIPv6(ReadOnlySpan<byte> s)
    {
        int groups = 0;
        bool compressed = false;
        int i = 0;

        if (s.StartsWith("::"u8))
        {
            compressed = true;
            i = 2;
            if (i == s.Length)
            {
                return true;
            }
        }
        else if (s[0] == (byte)':')
        {
            return false;
        }

        while (true)
        {
            int groupStart = i;
            while (i < s.Length && IsHex(s[i]))
            {
                i++;
            }

            if (i < s.Length && s[i] == (byte)'.')
            {
                // ls32 may be an IPv4address; it must be the last piece and counts as two groups.
                if (!IsIPv4(s[groupStart..]))
                {
                    return false;
                }

                groups += 2;
                break;
            }

            int digits = i - groupStart;
            if (digits is 0 or > 4)
            {
                return false;
            }

            groups++;
            if (i == s.Length)
            {
                break;
            }

            if (s[i] != (byte)':')
            {
                return false;
            }

            i++;
            if (i < s.Length && s[i] == (byte)':')
            {
                if (compressed)
                {
                    return false;
                }

                compressed = true;
                i++;
                if (i == s.Length)
                {
                    break;
                }
            }
            else if (i == s.Length)
            {
                return false; // trailing single ':'
            }
        }

        return compressed ? groups <= 7 : groups == 8;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);
}
