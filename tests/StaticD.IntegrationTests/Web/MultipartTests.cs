using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit;

namespace StaticD.IntegrationTests.Web;

public sealed class MultipartFixture() : ServerFixture(root =>
{
    root.AddFile("index.html", Site.IndexHtml);
    root.AddFile("r.bin", MultipartFixture.Data);
    root.AddFile("t.txt", MultipartFixture.Text);
})
{
    public static readonly byte[] Data = TestContent.RandomBytes(1000, seed: 4242);

    /// <summary>1000 bytes of text, to check each part repeats a Content-Type with parameters.</summary>
    public static readonly byte[] Text = TestContent.Text(1000, "multipart");
}

/// <summary>RFC 9110 §14.6 multipart/byteranges, coalescing, and the range-count limit (Limits:MaxRanges = 16).</summary>
public sealed class MultipartTests(MultipartFixture site) : IClassFixture<MultipartFixture>
{
    private const string Probe = "/index.html";
    private const string Binary = "application/octet-stream";

    private static string Ranges(IEnumerable<(int First, int Last)> ranges) =>
        "bytes=" + string.Join(",", ranges.Select(x => string.Create(CultureInfo.InvariantCulture, $"{x.First}-{x.Last}")));

    /// <summary>Sends the request, checks a 206 multipart whose Content-Length is exactly its body, and parses it.</summary>
    private async Task<(HttpResponse Response, List<BytePart> Parts)> MultipartAsync(string target, string range)
    {
        // The probe after the response proves Content-Length matched the bytes actually sent.
        var r = await site.RoundTripThenProbeAsync(Http.Get(target, "Range: " + range), Probe);
        HttpAssert.Status(206, r);
        Assert.True(r.Header("Content-Length") is not null, $"multipart/byteranges without Content-Length\n{r}");
        Assert.True(r.ContentLength == r.Body.Length, $"Content-Length {r.ContentLength} but body has {r.Body.Length} bytes\n{r}");
        HttpAssert.Absent("Content-Range", r); // only the parts carry Content-Range
        return (r, await ByteRanges.ParseAsync(r));
    }

    [Fact]
    public async Task ThreeRanges_AreMultipartByteranges_WithExactParts()
    {
        var (r, parts) = await MultipartAsync("/r.bin", "bytes=0-9,20-29,40-49");
        ByteRanges.AssertParts(parts, MultipartFixture.Data, Binary, r, (0, 9), (20, 29), (40, 49));
    }

    [Fact]
    public async Task Parts_RepeatTheFileContentTypeWithParameters()
    {
        var (r, parts) = await MultipartAsync("/t.txt", "bytes=0-99,500-599,-10");
        ByteRanges.AssertParts(parts, MultipartFixture.Text, "text/plain; charset=utf-8", r, (0, 99), (500, 599), (990, 999));
    }

    [Fact]
    public async Task RangeListWithWhitespace_IsAccepted()
    {
        var (r, parts) = await MultipartAsync("/r.bin", "bytes=0-9, 100-109 ,\t200-209");
        ByteRanges.AssertParts(parts, MultipartFixture.Data, Binary, r, (0, 9), (100, 109), (200, 209));
    }

    [Fact]
    public async Task PartsFollowRequestOrder()
    {
        // RFC 9110 §14.6: parts SHOULD be in the order the ranges were requested.
        var (r, parts) = await MultipartAsync("/r.bin", "bytes=600-609,100-109");
        ByteRanges.AssertParts(parts, MultipartFixture.Data, Binary, r, (600, 609), (100, 109));
    }

    [Theory]
    [InlineData("bytes=0-9,5-19,20-29", 0, 29)]  // overlapping, then adjacent
    [InlineData("bytes=0-9,10-19", 0, 19)]       // adjacent
    [InlineData("bytes=100-199,150-160", 100, 199)] // contained
    public async Task OverlappingOrAdjacentRanges_AreCoalescedIntoOnePlain206(string range, int first, int last)
    {
        var r = await site.RoundTripThenProbeAsync(Http.Get("/r.bin", "Range: " + range), Probe);
        HttpAssert.Status(206, r);
        HttpAssert.Header("Content-Type", Binary, r);
        HttpAssert.ContentRange(first, last, 1000, r);
        HttpAssert.Body(MultipartFixture.Data[first..(last + 1)], r);
    }

    [Fact]
    public async Task SixteenRanges_AtTheLimit_AreServedAsSixteenParts()
    {
        var ranges = Enumerable.Range(0, 16).Select(i => (i * 10, i * 10 + 4)).ToArray();
        var (r, parts) = await MultipartAsync("/r.bin", Ranges(ranges));
        ByteRanges.AssertParts(parts, MultipartFixture.Data, Binary, r, ranges);
    }

    [Fact]
    public async Task SeventeenRanges_OverTheLimit_AreIgnored_200Whole()
    {
        var ranges = Enumerable.Range(0, 17).Select(i => (i * 10, i * 10 + 4));
        var r = await site.RoundTripThenProbeAsync(Http.Get("/r.bin", "Range: " + Ranges(ranges)), Probe);
        HttpAssert.Status(200, r);
        HttpAssert.Body(MultipartFixture.Data, r);
    }

    public static TheoryData<string> KillerRanges => new()
    {
        // The 2011 "Apache killer": hundreds of overlapping whole-file ranges.
        "bytes=" + string.Join(",", Enumerable.Repeat("0-", 500)),
        // The original exploit's shape: 0- then 5-0, 5-1, 5-2, ...
        "bytes=0-," + string.Join(",", Enumerable.Range(0, 1300).Select(i => "5-" + i.ToString(CultureInfo.InvariantCulture))),
    };

    [Theory]
    [MemberData(nameof(KillerRanges))]
    public async Task ApacheKiller_IsNotAMultipartBomb_AndServerStaysFast(string range)
    {
        var request = Http.Get("/r.bin", "Range: " + range);
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < 20; i++)
        {
            var r = await site.SendAsync(request);
            Assert.True(r.Status is 200 or 431, $"expected 200 (ranges ignored) or 431, got {r.Status}\n{r.RawHead}");
            HttpAssert.CommonHeaders(r);
            var contentType = r.Header("Content-Type") ?? "";
            Assert.False(contentType.StartsWith("multipart/", StringComparison.OrdinalIgnoreCase), $"server built a multipart response\n{r.RawHead}");
            if (r.Status == 200)
            {
                HttpAssert.Body(MultipartFixture.Data, r);
            }

            Assert.True(r.Body.Length < 64 * 1024, $"response body of {r.Body.Length} bytes for a 1000-byte file");
        }

        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), $"20 malicious range requests took {sw.Elapsed}");

        // And an ordinary client right after is served at once.
        sw.Restart();
        var normal = await site.SendAsync(Http.Get("/r.bin", "Range: bytes=0-9,20-29"));
        // Milliseconds when healthy; a server still busy with the ranges above would take far longer than 3 s.
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(3), $"normal request took {sw.Elapsed}");
        HttpAssert.Status(206, normal);
        ByteRanges.AssertParts(await ByteRanges.ParseAsync(normal), MultipartFixture.Data, Binary, normal, (0, 9), (20, 29));
    }

    [Fact]
    public async Task ManyClientsSendingKillerRanges_Concurrently_DoNotStallOthers()
    {
        var killer = Http.Get("/r.bin", "Range: bytes=" + string.Join(",", Enumerable.Repeat("0-", 500)));
        var attackers = Enumerable.Range(0, 50).Select(async _ =>
        {
            var r = await site.SendAsync(killer);
            return r.Status;
        }).ToArray();

        var sw = Stopwatch.StartNew();
        var normal = await site.GetAsync("/index.html");
        var normalTime = sw.Elapsed;
        var statuses = await Task.WhenAll(attackers);

        HttpAssert.Status(200, normal);
        HttpAssert.Body(Site.IndexHtml, normal);
        Assert.True(normalTime < TimeSpan.FromSeconds(2), $"a normal request took {normalTime} during the attack");
        Assert.All(statuses, s => Assert.True(s is 200 or 431, $"attack request got {s}"));
        Assert.Equal(Encoding.UTF8.GetBytes(Site.IndexHtml), normal.Body);
    }
}

public sealed class MaxRangesFixture() : ServerFixture(
    root =>
    {
        root.AddFile("index.html", Site.IndexHtml);
        root.AddFile("r.bin", MultipartFixture.Data);
    },
    section => section["Limits"] = new System.Text.Json.Nodes.JsonObject { ["MaxRanges"] = 2 });

/// <summary>Limits:MaxRanges is configuration, not a constant.</summary>
public sealed class MaxRangesTests(MaxRangesFixture site) : IClassFixture<MaxRangesFixture>
{
    [Fact]
    public async Task TwoRanges_AtTheConfiguredLimit_AreMultipart()
    {
        var r = await site.SendAsync(Http.Get("/r.bin", "Range: bytes=0-9,20-29"));
        HttpAssert.Status(206, r);
        ByteRanges.AssertParts(await ByteRanges.ParseAsync(r), MultipartFixture.Data, "application/octet-stream", r, (0, 9), (20, 29));
    }

    [Fact]
    public async Task ThreeRanges_OverTheConfiguredLimit_Are200Whole()
    {
        var r = await site.SendAsync(Http.Get("/r.bin", "Range: bytes=0-9,20-29,40-49"));
        HttpAssert.Status(200, r);
        HttpAssert.Body(MultipartFixture.Data, r);
    }
}
