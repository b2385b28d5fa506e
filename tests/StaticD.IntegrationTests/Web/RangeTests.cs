using System.Globalization;
using System.Security.Cryptography;
using Xunit;

namespace StaticD.IntegrationTests.Web;

public sealed class RangeFixture : ServerFixture
{
    public const int BigSize = 20 * 1024 * 1024;
    public static readonly byte[] Data = TestContent.RandomBytes(1000, seed: 1000);

    /// <summary>Well over 2 s in the past, so Last-Modified is a strong validator for If-Range (RFC 9110 §13.1.5).</summary>
    public static readonly DateTime DataMtime = new(2021, 2, 3, 4, 5, 6, DateTimeKind.Utc);

    public RangeFixture()
        : base(root =>
        {
            root.AddFile("index.html", Site.IndexHtml);
            root.AddFile("r.bin", Data, DataMtime);
            root.AddRandomFile("big.bin", BigSize);
        })
    {
    }
}

/// <summary>RFC 9110 §14: single ranges, unsatisfiable and invalid ranges, If-Range, large-file ranges.</summary>
public sealed class RangeTests(RangeFixture site) : IClassFixture<RangeFixture>
{
    private const string Probe = "/index.html";
    private static byte[] Data => RangeFixture.Data;

    [Fact]
    public async Task Full200_AdvertisesAcceptRangesBytes()
    {
        var r = await site.GetAsync("/r.bin");
        HttpAssert.Status(200, r);
        HttpAssert.Header("Accept-Ranges", "bytes", r);
        HttpAssert.Body(Data, r);
        HttpAssert.Absent("Content-Range", r);
    }

    [Theory]
    [InlineData("bytes=0-99", 0, 99)]
    [InlineData("bytes=900-", 900, 999)]
    [InlineData("bytes=-50", 950, 999)]
    [InlineData("bytes=990-2000", 990, 999)]  // last-pos past the end is clamped
    [InlineData("bytes=-2000", 0, 999)]       // suffix longer than the file: the whole file
    [InlineData("bytes=0-0", 0, 0)]
    [InlineData("bytes=999-999", 999, 999)]
    [InlineData("bytes=500-599", 500, 599)]
    [InlineData("bytes=0-999", 0, 999)]
    [InlineData("BYTES=10-19", 10, 19)]       // range units are case-insensitive (RFC 9110 §14.1)
    public async Task SingleRange_Is206WithExactBytes(string range, int first, int last)
    {
        var full = await site.GetAsync("/r.bin");
        HttpAssert.Status(200, full);

        var r = await site.RoundTripThenProbeAsync(Http.Get("/r.bin", "Range: " + range), Probe);

        HttpAssert.Status(206, r);
        HttpAssert.ContentRange(first, last, Data.Length, r);
        HttpAssert.Body(Data[first..(last + 1)], r);
        HttpAssert.Header("Content-Type", "application/octet-stream", r);

        // RFC 9110 §15.3.7: a 206 carries the validators and Cache-Control a 200 would have.
        HttpAssert.Header("ETag", HttpAssert.StrongETag(full), r);
        HttpAssert.Header("Last-Modified", full.Header("Last-Modified")!, r);
        HttpAssert.Header("Cache-Control", full.Header("Cache-Control") ?? "<missing on 200>", r);
    }

    [Theory]
    [InlineData("bytes=1000-")]
    [InlineData("bytes=1000-2000")]
    [InlineData("bytes=5000-5001")]
    [InlineData("bytes=-0")] // a zero-length suffix is unsatisfiable (RFC 9110 §14.1.1)
    public async Task UnsatisfiableRange_Is416WithCompleteLength(string range)
    {
        var r = await site.RoundTripThenProbeAsync(Http.Get("/r.bin", "Range: " + range), Probe);
        HttpAssert.Status(416, r);
        HttpAssert.Header("Content-Range", "bytes */1000", r);
    }

    [Theory]
    [InlineData("bytes=5-1")]   // last < first: invalid
    [InlineData("items=0-5")]   // unknown unit
    [InlineData("bytes=")]
    [InlineData("bytes=x-y")]
    [InlineData("bytes 0-5")]
    public async Task InvalidOrUnknownRange_IsIgnored_200Whole(string range)
    {
        var r = await site.RoundTripThenProbeAsync(Http.Get("/r.bin", "Range: " + range), Probe);
        HttpAssert.Status(200, r);
        HttpAssert.Body(Data, r);
        HttpAssert.Absent("Content-Range", r);
    }

    [Fact]
    public async Task RangeOnHead_Is200WithFullLength()
    {
        var r = await site.RoundTripThenProbeAsync(Http.Head("/r.bin", "Range: bytes=0-99"), Probe, isHead: true);
        HttpAssert.Status(200, r);
        HttpAssert.Header("Content-Length", "1000", r);
        HttpAssert.Absent("Content-Range", r);
    }

    [Fact]
    public async Task RangeWithMatchingIfNoneMatch_Is304()
    {
        var full = await site.GetAsync("/r.bin");
        var r = await site.RoundTripThenProbeAsync(Http.Get("/r.bin", "Range: bytes=0-9", "If-None-Match: " + HttpAssert.StrongETag(full)), Probe);
        HttpAssert.Status(304, r);
    }

    public enum IfRangeKind { CurrentETag, OldETag, WeakCurrentETag, LastModified, OneDayLater, OneDayEarlier, OneSecondLater }

    [Theory]
    [InlineData(IfRangeKind.CurrentETag, 206)]
    [InlineData(IfRangeKind.OldETag, 200)]
    [InlineData(IfRangeKind.WeakCurrentETag, 200)] // If-Range needs a strong match
    [InlineData(IfRangeKind.LastModified, 206)]
    [InlineData(IfRangeKind.OneDayLater, 200)]     // an If-Range date must match exactly
    [InlineData(IfRangeKind.OneDayEarlier, 200)]
    [InlineData(IfRangeKind.OneSecondLater, 200)]
    public async Task IfRange(IfRangeKind kind, int expected)
    {
        var full = await site.GetAsync("/r.bin");
        HttpAssert.Status(200, full);
        var tag = HttpAssert.StrongETag(full);
        var lm = HttpAssert.LastModified(full);
        Assert.Equal(RangeFixture.DataMtime, lm);
        var value = kind switch
        {
            IfRangeKind.CurrentETag => tag,
            IfRangeKind.OldETag => "\"an-old-etag\"",
            IfRangeKind.WeakCurrentETag => "W/" + tag,
            IfRangeKind.LastModified => Http.ImfDate(lm),
            IfRangeKind.OneDayLater => Http.ImfDate(lm.AddDays(1)),
            IfRangeKind.OneDayEarlier => Http.ImfDate(lm.AddDays(-1)),
            IfRangeKind.OneSecondLater => Http.ImfDate(lm.AddSeconds(1)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var r = await site.RoundTripThenProbeAsync(Http.Get("/r.bin", "Range: bytes=100-199", "If-Range: " + value), Probe);

        HttpAssert.Status(expected, r);
        if (expected == 206)
        {
            HttpAssert.ContentRange(100, 199, 1000, r);
            HttpAssert.Body(Data[100..200], r);
        }
        else
        {
            HttpAssert.Body(Data, r);
            HttpAssert.Absent("Content-Range", r);
        }
    }

    [Fact]
    public async Task CurlDashR_Gets206AndExactBytes()
    {
        var result = await Curl.GetAsync(site.Port, "/r.bin", "-r", "0-99");
        Assert.True(result.ExitCode == 0 && result.Status == 206, result.ToString());
        Assert.Equal("bytes 0-99/1000", result.Header("Content-Range"));
        Assert.True(Data.AsSpan(0, 100).SequenceEqual(result.Body), $"curl body differs ({result.Body.Length} bytes)\n{result}");
    }

    [Theory]
    [InlineData(10485760L, null)]                  // the second half, open-ended
    [InlineData(12345L, 12345L + (5 << 20) - 1)]   // 5 MiB from an unaligned offset
    public async Task LargeFileRange_ArrivesExactly(long first, long? lastOrNull)
    {
        var last = lastOrNull ?? RangeFixture.BigSize - 1;
        var length = last - first + 1;
        string expectedHash;
        using (var file = File.OpenRead(site.Root.FullPath("big.bin")))
        {
            file.Position = first;
            var slice = new byte[length];
            file.ReadExactly(slice);
            expectedHash = TestContent.Sha256(slice);
        }

        var spec = lastOrNull is null
            ? string.Create(CultureInfo.InvariantCulture, $"bytes={first}-")
            : string.Create(CultureInfo.InvariantCulture, $"bytes={first}-{last}");

        using var client = await site.ConnectAsync();
        await client.SendAsync(Http.Get("/big.bin", "Range: " + spec));
        var r = await client.ReadResponseHeadAsync();
        HttpAssert.Status(206, r);
        HttpAssert.ContentRange(first, last, RangeFixture.BigSize, r);
        HttpAssert.Header("Content-Length", length.ToString(CultureInfo.InvariantCulture), r);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await client.ReadBodyAsync(length, chunk =>
        {
            hash.AppendData(chunk.Span);
            return ValueTask.CompletedTask;
        });
        Assert.Equal(expectedHash, Convert.ToHexString(hash.GetHashAndReset()));

        // The body ended exactly where Content-Length said: the connection is still in sync.
        var next = await client.RoundTripAsync(Http.Get(Probe));
        HttpAssert.Status(200, next);
        HttpAssert.Body(Site.IndexHtml, next);
    }
}
