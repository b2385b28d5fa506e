using System.Buffers.Binary;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using StaticD.Interop;
using StaticD.Logging;
using Xunit;

namespace StaticD.Tests.Logging;

/// <summary>Access log lines byte for byte: nginx's combined format and escaping, the vhost prefix, JSON.</summary>
public sealed class AccessLineFormatTests
{
    // 2026-12-05 13:22:01 UTC
    private const long Second = 1796476921;

    private static SockAddrStorage Client(string address)
    {
        var raw = new byte[28];
        IPAddress ip = IPAddress.Parse(address);
        BinaryPrimitives.WriteUInt16LittleEndian(raw, (ushort)(ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 2 : 10));
        ip.GetAddressBytes().CopyTo(raw, ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 4 : 8);
        return MemoryMarshal.Read<SockAddrStorage>(raw);
    }

    private static AccessRecord Record(string target = "/index.html", string? referer = null, string? agent = "curl/8.5.0") => new()
    {
        HeadParsed = true,
        Method = "GET"u8,
        Target = Encoding.Latin1.GetBytes(target),
        VersionMinor = 1,
        HasReferer = referer is not null,
        Referer = referer is null ? default : Encoding.Latin1.GetBytes(referer),
        HasUserAgent = agent is not null,
        UserAgent = agent is null ? default : Encoding.Latin1.GetBytes(agent),
        Host = "example.com"u8,
        SiteName = "example.com"u8,
        LocalPort = 8080,
        Status = 200,
        Bytes = 1200,
        BodyBytes = 1024,
        DurationUsec = 87,
        Client = Client("192.0.2.10"),
    };

    private static string Combined(AccessRecord r, bool vhost = false)
    {
        var time = new byte[AccessLineFormat.CombinedTimeLength];
        AccessLineFormat.RenderTime(Second, time, new byte[AccessLineFormat.IsoTimeLength]);
        var line = new byte[AccessLineFormat.MaxLine];
        return Encoding.Latin1.GetString(line, 0, AccessLineFormat.Combined(line, r, time, vhost));
    }

    private static string Json(AccessRecord r)
    {
        var iso = new byte[AccessLineFormat.IsoTimeLength];
        AccessLineFormat.RenderTime(Second, new byte[AccessLineFormat.CombinedTimeLength], iso);
        var line = new byte[AccessLineFormat.MaxLine];
        return Encoding.UTF8.GetString(line, 0, AccessLineFormat.Json(line, r, iso));
    }

    [Fact]
    public void TimeIsRenderedAsNginxTimeLocalInUtcAndAsIso8601()
    {
        var combined = new byte[AccessLineFormat.CombinedTimeLength];
        var iso = new byte[AccessLineFormat.IsoTimeLength];
        AccessLineFormat.RenderTime(Second, combined, iso);
        Assert.Equal("05/Dec/2026:13:22:01 +0000", Encoding.ASCII.GetString(combined));
        Assert.Equal("2026-12-05T13:22:01Z", Encoding.ASCII.GetString(iso));
        AccessLineFormat.RenderTime(0, combined, iso);
        Assert.Equal("01/Jan/1970:00:00:00 +0000", Encoding.ASCII.GetString(combined));
    }

    [Fact]
    public void CombinedIsNginxsDefaultFormat()
    {
        Assert.Equal("192.0.2.10 - - [05/Dec/2026:13:22:01 +0000] \"GET /index.html HTTP/1.1\" 200 1024 \"-\" \"curl/8.5.0\"\n",
            Combined(Record()));
        // An empty but present field is "", an absent one "-" (nginx: a variable not found).
        Assert.Equal("192.0.2.10 - - [05/Dec/2026:13:22:01 +0000] \"GET /index.html HTTP/1.1\" 200 1024 \"\" \"-\"\n",
            Combined(Record(referer: "", agent: null)));
    }

    [Fact]
    public void CombinedEscapesAsNginxDoes()
    {
        // '"', '\\', control bytes and bytes from 0x7F up as \xHH (upper-case); the rest as sent.
        Assert.Equal("192.0.2.10 - - [05/Dec/2026:13:22:01 +0000] \"GET /a\\x22b\\x5Cc%20\\x7F\\xC3\\xA9 HTTP/1.1\" 200 1024 \"http://x/?q=\\x09'\" \"a\\x0Ab\"\n",
            Combined(Record(target: "/a\"b\\c%20\x7f\u00c3\u00a9", referer: "http://x/?q=\t'", agent: "a\nb")));
    }

    [Fact]
    public void ARequestRejectedBeforeItsHeadWasParsedIsADash()
    {
        AccessRecord r = Record();
        r.HeadParsed = false;
        r.HasReferer = r.HasUserAgent = false;
        r.Status = 400;
        r.BodyBytes = 0;
        Assert.Equal("192.0.2.10 - - [05/Dec/2026:13:22:01 +0000] \"-\" 400 0 \"-\" \"-\"\n", Combined(r));
    }

    [Fact]
    public void TheVhostPrefixIsSiteColonPort_AndADashWhenNoSiteAnswered()
    {
        AccessRecord r = Record();
        r.Client = Client("2001:db8::1");
        Assert.Equal("example.com:8080 2001:db8::1 - - [05/Dec/2026:13:22:01 +0000] \"GET /index.html HTTP/1.1\" 200 1024 \"-\" \"curl/8.5.0\"\n",
            Combined(r, vhost: true));
        r.SiteName = default;
        Assert.StartsWith("-:8080 2001:db8::1 - - ", Combined(r, vhost: true));
    }

    [Fact]
    public void JsonHasTheJournalsFieldsAndTime()
    {
        string line = Json(Record(referer: "https://a.example/"));
        Assert.EndsWith("}\n", line);
        using JsonDocument doc = JsonDocument.Parse(line);
        JsonElement e = doc.RootElement;
        Assert.Equal("2026-12-05T13:22:01Z", e.GetProperty("TIME").GetString());
        Assert.Equal("192.0.2.10", e.GetProperty("CLIENT_ADDR").GetString());
        Assert.Equal("GET", e.GetProperty("HTTP_METHOD").GetString());
        Assert.Equal("/index.html", e.GetProperty("HTTP_PATH").GetString());
        Assert.Equal(200, e.GetProperty("HTTP_STATUS").GetInt32());
        Assert.Equal(1200, e.GetProperty("HTTP_BYTES").GetInt64());
        Assert.Equal(87, e.GetProperty("HTTP_DURATION_USEC").GetInt64());
        Assert.Equal("https://a.example/", e.GetProperty("HTTP_REFERER").GetString());
        Assert.Equal("curl/8.5.0", e.GetProperty("HTTP_USER_AGENT").GetString());
        Assert.Equal("example.com", e.GetProperty("HTTP_HOST").GetString());
        Assert.Equal("example.com", e.GetProperty("SITE").GetString());
        Assert.Equal("1.1", e.GetProperty("HTTP_VERSION").GetString());
    }

    [Fact]
    public void Http2IsVersion2InJsonAndHttp20InCombined()
    {
        AccessRecord r = Record();
        r.Http2 = true;
        Assert.Equal("192.0.2.10 - - [05/Dec/2026:13:22:01 +0000] \"GET /index.html HTTP/2.0\" 200 1024 \"-\" \"curl/8.5.0\"\n", Combined(r));
        using JsonDocument doc = JsonDocument.Parse(Json(r));
        Assert.Equal("2", doc.RootElement.GetProperty("HTTP_VERSION").GetString());
        r.Http2 = false;
        r.VersionMinor = 0;
        using JsonDocument http10 = JsonDocument.Parse(Json(r));
        Assert.Equal("1.0", http10.RootElement.GetProperty("HTTP_VERSION").GetString());
        r.HeadParsed = false;
        using JsonDocument unparsed = JsonDocument.Parse(Json(r));
        Assert.Equal("-", unparsed.RootElement.GetProperty("HTTP_VERSION").GetString());
    }

    [Fact]
    public void JsonStaysValidWhateverTheClientSent()
    {
        AccessRecord r = Record(target: "/\"q\\\u0001\x7f", agent: "bad \u00ff\u00fe utf-8");
        using JsonDocument doc = JsonDocument.Parse(Json(r));
        Assert.Equal("/\"q\\\u0001\u007f", doc.RootElement.GetProperty("HTTP_PATH").GetString());
        Assert.Equal("bad \u00ff\u00fe utf-8", doc.RootElement.GetProperty("HTTP_USER_AGENT").GetString());
        // Valid UTF-8 passes through as it is.
        r.UserAgent = "caf\u00e9"u8.ToArray();
        using JsonDocument utf8 = JsonDocument.Parse(Json(r));
        Assert.Equal("caf\u00e9", utf8.RootElement.GetProperty("HTTP_USER_AGENT").GetString());
    }

    [Fact]
    public void TheLongestLineFitsMaxLine()
    {
        byte[] all = Enumerable.Repeat((byte)0x01, 20_000).ToArray();
        var r = new AccessRecord
        {
            HeadParsed = true,
            Method = all,
            Target = all,
            HasReferer = true,
            Referer = all,
            HasUserAgent = true,
            UserAgent = all,
            Host = all,
            SiteName = all,
            Status = 599,
            Bytes = long.MaxValue,
            BodyBytes = long.MaxValue,
            DurationUsec = long.MaxValue,
            LocalPort = 65535,
            Client = Client("1111:2222:3333:4444:5555:6666:7777:8888"),
        };
        r.Truncate();
        var line = new byte[AccessLineFormat.MaxLine];
        var time = new byte[AccessLineFormat.CombinedTimeLength];
        Assert.InRange(AccessLineFormat.Json(line, r, time.AsSpan(0, AccessLineFormat.IsoTimeLength)), 1, AccessLineFormat.MaxLine);
        Assert.InRange(AccessLineFormat.Combined(line, r, time, vhost: true), 1, AccessLineFormat.MaxLine);
    }
}
