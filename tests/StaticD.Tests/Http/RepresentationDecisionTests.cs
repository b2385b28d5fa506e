using System.Text;
using StaticD.Http;
using Xunit;

namespace StaticD.Tests.Http;

/// <summary>RFC 9110 §13.2.2's order as one table: preconditions, then Range (GET only) guarded by If-Range.</summary>
public class RepresentationDecisionTests
{
    // The file: 10,000 bytes, last modified at Sun, 06 Nov 1994 08:49:37 GMT; "now" is a day later.
    private const long Mtime = 784_111_777;
    private const long Now = Mtime + 86_400;
    private const long Length = 10_000;
    private const string Tag = "\"abc\"";

    private const string AtMtime = "Sun, 06 Nov 1994 08:49:37 GMT";
    private const string BeforeMtime = "Sun, 06 Nov 1994 08:49:36 GMT";
    private const string AfterMtime = "Sun, 06 Nov 1994 08:49:38 GMT";

    private const string Full = nameof(ResponseKind.Full);
    private const string Single = nameof(ResponseKind.SingleRange);
    private const string Multiple = nameof(ResponseKind.MultipleRanges);
    private const string NotModified = nameof(ResponseKind.NotModified);
    private const string Failed = nameof(ResponseKind.PreconditionFailed);
    private const string Unsatisfiable = nameof(ResponseKind.RangeNotSatisfiable);

    private const string Get = "GET";
    private const string Head = "HEAD";

    private sealed record Request(
        string Method = Get, string? IfMatch = null, string? IfNoneMatch = null, string? IfModifiedSince = null,
        string? IfUnmodifiedSince = null, string? Range = null, string? IfRange = null);

    private static byte[] Bytes(string? value) => value is null ? [] : Encoding.ASCII.GetBytes(value);

    private static ResponseKind Decide(Request r, out ByteRange[] ranges, int maxRanges = 4, string etag = Tag,
        long lastModified = Mtime, long length = Length)
    {
        var request = new RepresentationRequest(
            new ConditionalHeaders(
                Bytes(r.IfMatch), r.IfMatch is not null, Bytes(r.IfNoneMatch), r.IfNoneMatch is not null,
                Bytes(r.IfModifiedSince), r.IfModifiedSince is not null, Bytes(r.IfUnmodifiedSince), r.IfUnmodifiedSince is not null),
            r.Method == Get, Bytes(r.Range), r.Range is not null, Bytes(r.IfRange), r.IfRange is not null);
        var buffer = new ByteRange[maxRanges];
        ResponseKind kind = RepresentationDecision.Decide(request, Bytes(etag), lastModified, length, Now, buffer, out int count);
        ranges = buffer[..count];
        return kind;
    }

    // Columns: method, If-Match, If-None-Match, If-Modified-Since, If-Unmodified-Since, Range, If-Range (null = absent).
    [Theory]
    // Nothing conditional, no Range.
    [InlineData(Get, null, null, null, null, null, null, Full)]
    [InlineData(Head, null, null, null, null, null, null, Full)]
    // Step 1: If-Match fails → 412, whatever Range asks (even an unsatisfiable one), for GET and HEAD.
    [InlineData(Get, "\"xyz\"", null, null, null, "bytes=0-9", null, Failed)]
    [InlineData(Get, "\"xyz\"", null, null, null, "bytes=20000-", null, Failed)]
    [InlineData(Head, "\"xyz\"", null, null, null, null, null, Failed)]
    [InlineData(Get, "W/\"abc\"", null, null, null, "bytes=0-9", null, Failed)] // strong comparison
    [InlineData(Get, Tag, null, null, null, "bytes=0-9", null, Single)]
    [InlineData(Get, "*", null, null, null, "bytes=0-9", null, Single)]
    // Step 2: If-Unmodified-Since, only without If-Match.
    [InlineData(Get, null, null, null, BeforeMtime, "bytes=0-9", null, Failed)]
    [InlineData(Get, null, null, null, AtMtime, "bytes=0-9", null, Single)]
    [InlineData(Get, Tag, null, null, BeforeMtime, null, null, Full)]
    // Step 3: If-None-Match matches → 304 for GET and HEAD, before any Range.
    [InlineData(Get, null, Tag, null, null, null, null, NotModified)]
    [InlineData(Head, null, Tag, null, null, null, null, NotModified)]
    [InlineData(Get, null, "W/\"abc\"", null, null, null, null, NotModified)] // weak comparison
    [InlineData(Get, null, "*", null, null, null, null, NotModified)]
    [InlineData(Get, null, Tag, null, null, "bytes=0-9", null, NotModified)]
    [InlineData(Get, null, Tag, null, null, "bytes=20000-", null, NotModified)]
    [InlineData(Get, null, "\"xyz\"", null, null, "bytes=0-9", null, Single)]
    // 412 outranks 304.
    [InlineData(Get, "\"xyz\"", Tag, null, null, null, null, Failed)]
    // Step 4: If-Modified-Since, only without If-None-Match.
    [InlineData(Get, null, null, AtMtime, null, null, null, NotModified)]
    [InlineData(Head, null, null, AfterMtime, null, null, null, NotModified)]
    [InlineData(Get, null, null, BeforeMtime, null, null, null, Full)]
    [InlineData(Get, null, null, BeforeMtime, null, "bytes=0-9", null, Single)]
    [InlineData(Get, null, "\"xyz\"", AtMtime, null, null, null, Full)]
    [InlineData(Get, null, null, "not a date", null, null, null, Full)]
    // Range is only for GET: HEAD ignores it, satisfiable or not.
    [InlineData(Head, null, null, null, null, "bytes=0-9", null, Full)]
    [InlineData(Head, null, null, null, null, "bytes=0-9,20-29", null, Full)]
    [InlineData(Head, null, null, null, null, "bytes=20000-", null, Full)]
    // Step 5: If-Range.
    [InlineData(Get, null, null, null, null, "bytes=0-9", Tag, Single)]
    [InlineData(Get, null, null, null, null, "bytes=0-9", "\"xyz\"", Full)]
    [InlineData(Get, null, null, null, null, "bytes=0-9", "W/\"abc\"", Full)] // weak: never a 206
    [InlineData(Get, null, null, null, null, "bytes=0-9", AtMtime, Single)]
    [InlineData(Get, null, null, null, null, "bytes=0-9", AfterMtime, Full)]
    [InlineData(Get, null, null, null, null, "bytes=0-9", "", Full)]
    [InlineData(Get, null, null, null, null, "bytes=0-9", "garbage", Full)]
    [InlineData(Get, null, null, null, null, "bytes=20000-", "\"xyz\"", Full)] // not matching: 200, not 416
    [InlineData(Get, null, null, null, null, "bytes=20000-", Tag, Unsatisfiable)]
    [InlineData(Get, null, null, null, null, null, Tag, Full)] // If-Range without Range
    // Range on its own.
    [InlineData(Get, null, null, null, null, "bytes=0-9", null, Single)]
    [InlineData(Get, null, null, null, null, "bytes=-100", null, Single)]
    [InlineData(Get, null, null, null, null, "bytes=9999-", null, Single)]
    [InlineData(Get, null, null, null, null, "bytes=0-9,5-19", null, Single)] // merged
    [InlineData(Get, null, null, null, null, "bytes=0-9,20000-", null, Single)] // unsatisfiable one dropped
    [InlineData(Get, null, null, null, null, "bytes=0-9,100-199", null, Multiple)]
    [InlineData(Get, null, null, null, null, "bytes=10000-", null, Unsatisfiable)]
    [InlineData(Get, null, null, null, null, "bytes=20000-30000,-0", null, Unsatisfiable)]
    [InlineData(Get, null, null, null, null, "bytes=abc", null, Full)]
    [InlineData(Get, null, null, null, null, "bytes=9-0", null, Full)]
    [InlineData(Get, null, null, null, null, "bytes=", null, Full)]
    [InlineData(Get, null, null, null, null, "items=0-9", null, Full)]
    [InlineData(Get, null, null, null, null, "", null, Full)]
    [InlineData(Get, null, null, null, null, "bytes=0-0,2-2,4-4,6-6,8-8", null, Full)] // five specs, four allowed
    [InlineData(Get, null, null, null, null, "bytes=0-0,2-2,4-4,6-6", null, Multiple)] // exactly the capacity
    public void FollowsTheOrderOfRfc9110(string method, string? ifMatch, string? ifNoneMatch, string? ifModifiedSince,
        string? ifUnmodifiedSince, string? range, string? ifRange, string expected)
    {
        ResponseKind kind = Decide(new Request(method, ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince, range, ifRange), out ByteRange[] ranges);
        Assert.Equal(expected, kind.ToString());
        if (kind is not (ResponseKind.SingleRange or ResponseKind.MultipleRanges)) Assert.Empty(ranges);
    }

    [Fact]
    public void MultipleRangesAreFilledInRequestOrder()
    {
        ResponseKind kind = Decide(new Request(Range: "bytes=100-199, 0-9, -50"), out ByteRange[] ranges);
        Assert.Equal(ResponseKind.MultipleRanges, kind);
        Assert.Equal(new[] { (100L, 100L), (0L, 10L), (9950L, 50L) }, ranges.Select(r => (r.Offset, r.Length)));
    }

    [Fact]
    public void SingleRangeIsFilledAndClamped()
    {
        Assert.Equal(ResponseKind.SingleRange, Decide(new Request(Range: "bytes=9000-99999"), out ByteRange[] ranges));
        ByteRange r = Assert.Single(ranges);
        Assert.Equal((9000L, 1000L, 9999L), (r.Offset, r.Length, r.Last));

        Assert.Equal(ResponseKind.SingleRange, Decide(new Request(Range: "bytes=-100000"), out ranges));
        Assert.Equal((0L, Length), (ranges[0].Offset, ranges[0].Length));
    }

    [Fact]
    public void MoreRangesThanTheCapacityIsTheWholeRepresentation()
    {
        Assert.Equal(ResponseKind.Full, Decide(new Request(Range: "bytes=0-0,2-2"), out ByteRange[] ranges, maxRanges: 1));
        Assert.Empty(ranges);
        // Counted before merging: two specs that would merge into one still exceed a capacity of one.
        Assert.Equal(ResponseKind.Full, Decide(new Request(Range: "bytes=0-9,5-19"), out _, maxRanges: 1));
        Assert.Equal(ResponseKind.SingleRange, Decide(new Request(Range: "bytes=0-9"), out ranges, maxRanges: 1));
        Assert.Equal((0L, 10L), (ranges[0].Offset, ranges[0].Length));
    }

    [Fact]
    public void AnEmptyFileHasNoSatisfiableRange()
    {
        Assert.Equal(ResponseKind.RangeNotSatisfiable, Decide(new Request(Range: "bytes=0-"), out _, length: 0));
        Assert.Equal(ResponseKind.RangeNotSatisfiable, Decide(new Request(Range: "bytes=-5"), out _, length: 0));
        Assert.Equal(ResponseKind.Full, Decide(new Request(), out _, length: 0));
    }

    [Fact]
    public void IfRangeDateNeedsAStrongValidator()
    {
        // A file modified within the last second: its date cannot tell two versions apart, so no 206 on it.
        Assert.Equal(ResponseKind.Full,
            Decide(new Request(Range: "bytes=0-9", IfRange: "Mon, 07 Nov 1994 08:49:37 GMT"), out _, lastModified: Now));
        Assert.Equal(ResponseKind.SingleRange,
            Decide(new Request(Range: "bytes=0-9", IfRange: "Mon, 07 Nov 1994 08:49:36 GMT"), out _, lastModified: Now - 1));
    }

    [Fact]
    public void IfRangeWithAWeakCurrentTagIsTheWholeRepresentation()
    {
        Assert.Equal(ResponseKind.Full, Decide(new Request(Range: "bytes=0-9", IfRange: "W/\"abc\""), out _, etag: "W/\"abc\""));
        Assert.Equal(ResponseKind.Full, Decide(new Request(Range: "bytes=0-9", IfRange: Tag), out _, etag: "W/\"abc\""));
    }

    [Fact]
    public void ClampedLastModifiedIsWhatConditionalsCompareAgainst()
    {
        // A file stamped an hour in the future is served with Last-Modified = now; a client that echoes that date
        // back in If-Modified-Since gets a 304 (the same value both ways).
        long lastModified = RepresentationDecision.LastModified(Now + 3600, Now);
        Assert.Equal(ResponseKind.NotModified,
            Decide(new Request(IfModifiedSince: "Mon, 07 Nov 1994 08:49:37 GMT"), out _, lastModified: lastModified));
    }
}
