using System.Text;
using Xunit;

namespace StaticD.IntegrationTests;

public sealed class BadRequestTests(SiteFixture site) : IClassFixture<SiteFixture>
{
    [Fact]
    public async Task Http11WithoutHost_Is400()
    {
        HttpAssert.Status(400, await site.SendAsync("GET /index.html HTTP/1.1\r\n\r\n"));
    }

    [Fact]
    public async Task Http10WithoutHost_IsServed()
    {
        // Host is only mandatory from HTTP/1.1 on; the 400 above must not be a blanket rule.
        var r = await site.SendAsync("GET /index.html HTTP/1.0\r\n\r\n");
        HttpAssert.Status(200, r);
        Assert.Equal(Site.IndexHtml, r.BodyText);
    }

    [Fact]
    public async Task Http2RequestLine_Is505()
    {
        HttpAssert.Status(505, await site.SendAsync("GET /index.html HTTP/2.0\r\nHost: staticd.test\r\n\r\n"));
    }

    [Theory]
    [InlineData("garbage\r\n\r\n")]
    [InlineData("hello world\r\n\r\n")]
    [InlineData("\u0001\u0002\u0003 / HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("GET /index.html JUNK/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("GET /index.html HTTP/1.1\r\nthis header has no colon\r\n\r\n")]
    public async Task GarbageRequest_Is400AndConnectionClosed(string raw)
    {
        using var client = await site.ConnectAsync();
        var r = await client.RoundTripAsync(raw);

        HttpAssert.Status(400, r);

        // After a framing error the stream position is unknown: the server must hang up.
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(5)), "server kept the connection open after a malformed request");
    }

    [Fact]
    public async Task RequestLineOver8192Bytes_Is414()
    {
        var target = "/" + new string('a', 9000);
        HttpAssert.Status(414, await site.GetAsync(target));
    }

    [Fact]
    public async Task LongRequestLineUnderLimit_IsNotRejectedAsTooLong()
    {
        // ~8000 bytes is inside the default 8192 limit: a missing file, not a 414.
        var target = "/" + new string('a', 8000);
        HttpAssert.Status(404, await site.GetAsync(target));
    }

    [Fact]
    public async Task HeaderSectionOver16KiB_Is431()
    {
        // 20 fields of ~1 KiB: well under the 100-field limit, well over 16 KiB of bytes.
        var headers = Enumerable.Range(0, 20).Select(i => $"X-Fill-{i:D2}: {new string('v', 1000)}").ToArray();
        HttpAssert.Status(431, await site.SendAsync(Http.Get("/index.html", headers)));
    }

    [Fact]
    public async Task SingleHugeHeaderField_Is431()
    {
        HttpAssert.Status(431, await site.SendAsync(Http.Get("/index.html", "X-Huge: " + new string('v', 20_000))));
    }

    [Fact]
    public async Task HeaderSectionUnder16KiB_IsServed()
    {
        var headers = Enumerable.Range(0, 12).Select(i => $"X-Fill-{i:D2}: {new string('v', 1000)}").ToArray();
        var r = await site.SendAsync(Http.Get("/index.html", headers));
        HttpAssert.Status(200, r);
        HttpAssert.Body(Site.IndexHtml, r);
    }

    [Fact]
    public async Task MoreThan100HeaderFields_Is431()
    {
        // Host + 100 = 101 fields, only ~1.5 KiB: the default MaxHeaderCount (100) is what trips.
        var headers = Enumerable.Range(0, 100).Select(i => $"X-H{i:D3}: v").ToArray();
        HttpAssert.Status(431, await site.SendAsync(Http.Get("/index.html", headers)));
    }

    [Fact]
    public async Task HundredHeaderFields_AreServed()
    {
        // Host + 99 = exactly 100 fields: at the limit, so still accepted.
        var headers = Enumerable.Range(0, 99).Select(i => $"X-H{i:D3}: v").ToArray();
        HttpAssert.Status(200, await site.SendAsync(Http.Get("/index.html", headers)));
    }

    [Fact]
    public async Task ErrorResponses_AreFramedWithContentLength()
    {
        // A 404 on a keep-alive connection must be length-delimited or the next response is lost.
        using var client = await site.ConnectAsync();
        var missing = await client.RoundTripAsync(Http.Get("/missing.html"));
        HttpAssert.Status(404, missing);
        Assert.False(missing.BodyDelimitedByClose, $"404 body was delimited by connection close\n{missing}");
        var ok = await client.RoundTripAsync(Http.Get("/index.html"));
        HttpAssert.Status(200, ok);
        Assert.Equal(Site.IndexHtml, Encoding.UTF8.GetString(ok.Body));
    }
}
