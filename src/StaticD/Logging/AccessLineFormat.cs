using System.Buffers.Text;
using StaticD.Interop;
using Utf8 = System.Text.Unicode.Utf8;

namespace StaticD.Logging;

/// <summary>
/// Access log lines as bytes, written straight into a caller's buffer (no strings, no allocation):
/// <list type="bullet">
/// <item><b>combined</b>: nginx's default <c>$remote_addr - $remote_user [$time_local] "$request" $status
/// $body_bytes_sent "$http_referer" "$http_user_agent"</c>, byte for byte, with nginx's escaping of logged values
/// (<c>"</c>, <c>\</c>, control bytes and bytes from 0x7F up become <c>\xHH</c>, upper-case hex) and "-" for what is
/// absent. With a vhost prefix (a configuration with Sites) the line starts with <c>site:port </c>, the shape of
/// Apache's vhost_combined, which GoAccess reads as VCOMBINED.</item>
/// <item><b>json</b>: one object per line holding the journal entry's fields under the journal's names (so a
/// query reads the same in <c>journalctl</c> and <c>jq</c>) plus TIME.</item>
/// </list>
/// Time is UTC (+0000): staticd runs under systemd, where the unit's time zone is rarely the operator's anyway.
/// </summary>
internal static class AccessLineFormat
{
    /// <summary>The longest line a <see cref="AccessRecord.Truncate"/>d record can make: every byte of every field
    /// escaped at six bytes (JSON's \u00XX), plus the fixed parts.</summary>
    public const int MaxLine = 6 * (32 + 4096 + 512 + 1024 + 256 + 256) + 1024;

    /// <summary>An upper bound of the line <paramref name="r"/> makes, in either format: its fields escaped at six
    /// bytes a byte, plus the fixed parts (time, address, numbers, names). A chunk is handed over when the next
    /// line might not fit, so this decides how full chunks get.</summary>
    public static int WorstCase(scoped in AccessRecord r) =>
        6 * (r.Method.Length + r.Target.Length + r.Referer.Length + r.UserAgent.Length + r.Host.Length + r.SiteName.Length) + 1024;

    public const int CombinedTimeLength = 26; // 05/Dec/2026:13:22:01 +0000
    public const int IsoTimeLength = 20;      // 2026-12-05T13:22:01Z

    private static ReadOnlySpan<byte> Months => "JanFebMarAprMayJunJulAugSepOctNovDec"u8;
    private static ReadOnlySpan<byte> UpperHex => "0123456789ABCDEF"u8;
    private static ReadOnlySpan<byte> LowerHex => "0123456789abcdef"u8;

    /// <summary>The two renderings of one second, done once a second per writer slot rather than per line.</summary>
    public static void RenderTime(long unixSeconds, Span<byte> combined, Span<byte> iso)
    {
        DateTime t = DateTime.UnixEpoch.AddSeconds(unixSeconds);
        Two(combined, 0, t.Day);
        combined[2] = (byte)'/';
        Months.Slice((t.Month - 1) * 3, 3).CopyTo(combined[3..]);
        combined[6] = (byte)'/';
        Four(combined, 7, t.Year);
        combined[11] = (byte)':';
        Clock(combined, 12, t);
        " +0000"u8.CopyTo(combined[20..]);

        Four(iso, 0, t.Year);
        iso[4] = (byte)'-';
        Two(iso, 5, t.Month);
        iso[7] = (byte)'-';
        Two(iso, 8, t.Day);
        iso[10] = (byte)'T';
        Clock(iso, 11, t);
        iso[19] = (byte)'Z';
    }

    private static void Clock(Span<byte> d, int at, DateTime t)
    {
        Two(d, at, t.Hour);
        d[at + 2] = (byte)':';
        Two(d, at + 3, t.Minute);
        d[at + 5] = (byte)':';
        Two(d, at + 6, t.Second);
    }

    private static void Two(Span<byte> d, int at, int v)
    {
        d[at] = (byte)('0' + v / 10);
        d[at + 1] = (byte)('0' + v % 10);
    }

    private static void Four(Span<byte> d, int at, int v)
    {
        Two(d, at, v / 100);
        Two(d, at + 2, v % 100);
    }

    /// <summary>One combined line with its '\n'; returns its length. <paramref name="time"/> is the
    /// <see cref="CombinedTimeLength"/>-byte rendering of the second.</summary>
    public static int Combined(Span<byte> d, scoped in AccessRecord r, ReadOnlySpan<byte> time, bool vhost)
    {
        int n = 0;
        if (vhost)
        {
            EscapedOrDash(d, ref n, r.SiteName);
            d[n++] = (byte)':';
            n += Number(r.LocalPort, d[n..]);
            d[n++] = (byte)' ';
        }
        n += SockAddr.FormatClient(r.Client, d[n..]);
        Put(d, ref n, " - - ["u8);
        Put(d, ref n, time);
        Put(d, ref n, "] \""u8);
        if (r.HeadParsed)
        {
            Escaped(d, ref n, r.Method);
            d[n++] = (byte)' ';
            Escaped(d, ref n, r.Target);
            if (r.Http2)
            {
                Put(d, ref n, " HTTP/2.0"u8); // as nginx writes it
            }
            else
            {
                Put(d, ref n, " HTTP/1."u8);
                d[n++] = (byte)('0' + r.VersionMinor);
            }
        }
        else
        {
            d[n++] = (byte)'-';
        }
        Put(d, ref n, "\" "u8);
        n += Number(r.Status, d[n..]);
        d[n++] = (byte)' ';
        n += Number(r.BodyBytes, d[n..]);
        Put(d, ref n, " \""u8);
        if (r.HasReferer) Escaped(d, ref n, r.Referer);
        else d[n++] = (byte)'-';
        Put(d, ref n, "\" \""u8);
        if (r.HasUserAgent) Escaped(d, ref n, r.UserAgent);
        else d[n++] = (byte)'-';
        Put(d, ref n, "\"\n"u8);
        return n;
    }

    /// <summary>One JSON line with its '\n'; returns its length. <paramref name="time"/> is the
    /// <see cref="IsoTimeLength"/>-byte rendering of the second.</summary>
    public static int Json(Span<byte> d, scoped in AccessRecord r, ReadOnlySpan<byte> time)
    {
        int n = 0;
        Put(d, ref n, "{\"TIME\":\""u8);
        Put(d, ref n, time);
        Put(d, ref n, "\",\"CLIENT_ADDR\":\""u8);
        n += SockAddr.FormatClient(r.Client, d[n..]);
        Put(d, ref n, "\",\"HTTP_METHOD\":\""u8);
        JsonString(d, ref n, r.HeadParsed && !r.Method.IsEmpty ? r.Method : "-"u8);
        Put(d, ref n, "\",\"HTTP_PATH\":\""u8);
        JsonString(d, ref n, r.HeadParsed && !r.Target.IsEmpty ? r.Target : "-"u8);
        Put(d, ref n, "\",\"HTTP_VERSION\":\""u8);
        Put(d, ref n, !r.HeadParsed ? "-"u8 : HttpVersion(r.Http2 ? 20 : 10 + r.VersionMinor));
        Put(d, ref n, "\",\"HTTP_STATUS\":"u8);
        n += Number(r.Status, d[n..]);
        Put(d, ref n, ",\"HTTP_BYTES\":"u8);
        n += Number(r.Bytes, d[n..]);
        Put(d, ref n, ",\"HTTP_DURATION_USEC\":"u8);
        n += Number(r.DurationUsec, d[n..]);
        Put(d, ref n, ",\"HTTP_REFERER\":\""u8);
        JsonString(d, ref n, r.Referer);
        Put(d, ref n, "\",\"HTTP_USER_AGENT\":\""u8);
        JsonString(d, ref n, r.UserAgent);
        Put(d, ref n, "\",\"HTTP_HOST\":\""u8);
        JsonString(d, ref n, r.Host.IsEmpty ? "-"u8 : r.Host);
        Put(d, ref n, "\",\"SITE\":\""u8);
        JsonString(d, ref n, r.SiteName.IsEmpty ? "-"u8 : r.SiteName);
        Put(d, ref n, "\"}\n"u8);
        return n;
    }

    /// <summary>HTTP_VERSION's value for 10 × major + minor: "1.0", "1.1", "2"; "-" when unknown (0).</summary>
    internal static ReadOnlySpan<byte> HttpVersion(int version) => version switch
    {
        10 => "1.0"u8,
        11 => "1.1"u8,
        20 => "2"u8,
        _ => "-"u8,
    };

    /// <summary>Copies <paramref name="bytes"/> to <paramref name="d"/> at <paramref name="n"/> and moves past them.</summary>
    internal static void Put(Span<byte> d, ref int n, scoped ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(d[n..]);
        n += bytes.Length;
    }

    /// <summary>A decimal number as ASCII; returns its length.</summary>
    internal static int Number(long value, Span<byte> d)
    {
        Utf8Formatter.TryFormat(value, d, out int written);
        return written;
    }

    private static void EscapedOrDash(Span<byte> d, ref int n, scoped ReadOnlySpan<byte> value)
    {
        if (value.IsEmpty) d[n++] = (byte)'-';
        else Escaped(d, ref n, value);
    }

    /// <summary>nginx's escaping of a logged variable (ngx_http_log_escape): '"', '\\', bytes below 0x20 and from
    /// 0x7F up as \xHH; everything else as it is.</summary>
    private static void Escaped(Span<byte> d, ref int n, scoped ReadOnlySpan<byte> value)
    {
        foreach (byte b in value)
        {
            if (b is < 0x20 or >= 0x7F or (byte)'"' or (byte)'\\')
            {
                d[n++] = (byte)'\\';
                d[n++] = (byte)'x';
                d[n++] = UpperHex[b >> 4];
                d[n++] = UpperHex[b & 0xF];
            }
            else
            {
                d[n++] = b;
            }
        }
    }

    /// <summary>The inside of a JSON string (RFC 8259 §7): '"' and '\\' backslashed, control bytes and DEL as
    /// \u00XX. A value that is valid UTF-8 keeps its other bytes; one that is not has every byte from 0x80 up
    /// written as \u00XX too (read as Latin-1), so the line stays valid JSON whatever the client sent.</summary>
    private static void JsonString(Span<byte> d, ref int n, scoped ReadOnlySpan<byte> value)
    {
        bool utf8 = Utf8.IsValid(value);
        foreach (byte b in value)
        {
            if (b is (byte)'"' or (byte)'\\')
            {
                d[n++] = (byte)'\\';
                d[n++] = b;
            }
            else if (b is < 0x20 or 0x7F || (b >= 0x80 && !utf8))
            {
                Put(d, ref n, "\\u00"u8);
                d[n++] = LowerHex[b >> 4];
                d[n++] = LowerHex[b & 0xF];
            }
            else
            {
                d[n++] = b;
            }
        }
    }
}
