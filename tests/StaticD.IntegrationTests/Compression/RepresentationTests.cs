using System.Globalization;
using Xunit;
using static StaticD.IntegrationTests.Compression.CompressionKit;

namespace StaticD.IntegrationTests.Compression;

/// <summary>A compressed result is a complete representation, so ranges, If-Range and 304 apply to its bytes
/// exactly as to a sidecar's.</summary>
public sealed class RepresentationTests(CompressionFixture site) : IClassFixture<CompressionFixture>
{
    [Fact]
    public async Task Range_IsCutFromTheCompressedBytes()
    {
        HttpResponse full = await PollUntilEncodedAsync(site.Port, "/app.js", "zstd");
        HttpResponse r = await GetAsync(site.Port, "/app.js", "zstd", "Range: bytes=100-1099");
        HttpAssert.Status(206, r);
        HttpAssert.Header("Content-Encoding", "zstd", r);
        HttpAssert.ContentRange(100, 1099, full.Body.Length, r);
        Assert.Equal(full.Body.AsSpan(100, 1000).ToArray(), r.Body);
        Assert.Equal(HttpAssert.StrongETag(full), HttpAssert.StrongETag(r));

        HttpResponse tail = await GetAsync(site.Port, "/app.js", "zstd", "Range: bytes=-10");
        HttpAssert.Status(206, tail);
        Assert.Equal(full.Body.AsSpan(full.Body.Length - 10).ToArray(), tail.Body);
    }

    [Fact]
    public async Task SeveralRanges_AreAMultipartOfTheCompressedBytes()
    {
        HttpResponse full = await PollUntilEncodedAsync(site.Port, "/app.js", "br");
        HttpResponse r = await GetAsync(site.Port, "/app.js", "br", "Range: bytes=0-9, 5000-5009");
        HttpAssert.Status(206, r);
        string body = System.Text.Encoding.Latin1.GetString(r.Body);
        string total = full.Body.Length.ToString(CultureInfo.InvariantCulture);
        Assert.Contains($"Content-Range: bytes 0-9/{total}", body);
        Assert.Contains($"Content-Range: bytes 5000-5009/{total}", body);
        Assert.Contains(System.Text.Encoding.Latin1.GetString(full.Body, 5000, 10), body);
    }

    [Fact]
    public async Task IfNoneMatch_WithTheCompressedTag_Is304()
    {
        HttpResponse full = await PollUntilEncodedAsync(site.Port, "/style.css", "gzip");
        string tag = HttpAssert.StrongETag(full);
        HttpResponse r = await site.RoundTripThenProbeAsync(Http.Get("/style.css", "Accept-Encoding: gzip", "If-None-Match: " + tag), "/index.html");
        HttpAssert.Status(304, r);
        HttpAssert.Header("ETag", tag, r);
        HttpAssert.VaryIncludes("Accept-Encoding", r);
        Assert.Empty(r.Body);

        // The identity tag does not match the gzip representation, nor the reverse.
        string identity = HttpAssert.StrongETag(await GetAsync(site.Port, "/style.css", null));
        HttpAssert.Status(200, await GetAsync(site.Port, "/style.css", "gzip", "If-None-Match: " + identity));
        HttpAssert.Status(200, await GetAsync(site.Port, "/style.css", null, "If-None-Match: " + tag));
    }

    [Fact]
    public async Task IfRange_WithTheCompressedTag_GetsTheRange_WithAnotherTag_TheWholeBody()
    {
        HttpResponse full = await PollUntilEncodedAsync(site.Port, "/app.js", "gzip");
        string tag = HttpAssert.StrongETag(full);
        HttpResponse partial = await GetAsync(site.Port, "/app.js", "gzip", "Range: bytes=0-99", "If-Range: " + tag);
        HttpAssert.Status(206, partial);
        Assert.Equal(full.Body.AsSpan(0, 100).ToArray(), partial.Body);

        string identity = HttpAssert.StrongETag(await GetAsync(site.Port, "/app.js", null));
        HttpResponse whole = await GetAsync(site.Port, "/app.js", "gzip", "Range: bytes=0-99", "If-Range: " + identity);
        HttpAssert.Status(200, whole);
        Assert.Equal(full.Body, whole.Body);
    }

    [Fact]
    public async Task RangeBeyondTheCompressedLength_Is416WithThatLength()
    {
        HttpResponse full = await PollUntilEncodedAsync(site.Port, "/app.js", "zstd");
        HttpResponse r = await GetAsync(site.Port, "/app.js", "zstd", $"Range: bytes={full.Body.Length}-");
        HttpAssert.Status(416, r);
        HttpAssert.Header("Content-Range", $"bytes */{full.Body.Length.ToString(CultureInfo.InvariantCulture)}", r);
    }
}
