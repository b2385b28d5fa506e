using System.Text;
using StaticD.Http;
using Xunit;

namespace StaticD.Tests.Http;

public class ByteRangesTests
{
    private const int Cap = 16;

    // The result as one string: the RangeResult name, or for Satisfiable the ranges as
    // "first-last" positions joined by commas (so rows read like Content-Range values).
    private static string Parse(string field, long length, int maxRanges = Cap)
    {
        var ranges = new ByteRange[maxRanges];
        RangeResult result = ByteRanges.Parse(Encoding.Latin1.GetBytes(field), length, maxRanges, ranges, out int count);
        if (result != RangeResult.Satisfiable)
        {
            Assert.Equal(0, count);
            return result.ToString();
        }

        Assert.InRange(count, 1, maxRanges);
        return string.Join(",", ranges.Take(count).Select(r => $"{r.Offset}-{r.Last}"));
    }

    [Theory]
    // int-range, open int-range, suffix-range (RFC 9110 §14.1.1, §14.1.2's examples).
    [InlineData("bytes=0-99", 1000, "0-99")]
    [InlineData("bytes=0-0", 1000, "0-0")]
    [InlineData("bytes=0-0", 1, "0-0")]
    [InlineData("bytes=500-", 1000, "500-999")]
    [InlineData("bytes=999-", 1000, "999-999")]
    [InlineData("bytes=999-999", 1000, "999-999")]
    [InlineData("bytes=-50", 1000, "950-999")]
    [InlineData("bytes=-1", 1000, "999-999")]
    [InlineData("bytes=000-001", 1000, "0-1")]
    // Clamping and suffixes longer than the representation.
    [InlineData("bytes=0-99999", 1000, "0-999")]
    [InlineData("bytes=990-1500", 1000, "990-999")]
    [InlineData("bytes=0-9223372036854775807", 1000, "0-999")]
    [InlineData("bytes=-1000", 1000, "0-999")]
    [InlineData("bytes=-5000", 1000, "0-999")]
    [InlineData("bytes=-1", 1, "0-0")]
    // Unsatisfiable (416): first-pos at or past the end, suffix of 0, empty representation.
    [InlineData("bytes=1000-", 1000, "Unsatisfiable")]
    [InlineData("bytes=1000-2000", 1000, "Unsatisfiable")]
    [InlineData("bytes=9223372036854775807-", 1000, "Unsatisfiable")]
    [InlineData("bytes=-0", 1000, "Unsatisfiable")]
    [InlineData("bytes=2000-,3000-", 1000, "Unsatisfiable")]
    [InlineData("bytes=0-", 0, "Unsatisfiable")]
    [InlineData("bytes=0-0", 0, "Unsatisfiable")]
    [InlineData("bytes=-1", 0, "Unsatisfiable")]
    [InlineData("bytes=1-", 1, "Unsatisfiable")]
    // Unsatisfiable members are dropped when another is satisfiable.
    [InlineData("bytes=2000-,0-1", 1000, "0-1")]
    [InlineData("bytes=-0,5-6", 1000, "5-6")]
    // Unit: case-insensitive, "bytes" only.
    [InlineData("BYTES=0-1", 1000, "0-1")]
    [InlineData("Bytes=0-1", 1000, "0-1")]
    [InlineData("items=0-1", 1000, "Ignore")]
    [InlineData("byte=0-1", 1000, "Ignore")]
    [InlineData("bytesx=0-1", 1000, "Ignore")]
    [InlineData("=0-1", 1000, "Ignore")]
    [InlineData("bytes 0-1", 1000, "Ignore")]
    [InlineData("bytes = 0-1", 1000, "Ignore")]
    [InlineData("0-1", 1000, "Ignore")]
    [InlineData("", 1000, "Ignore")]
    // Whitespace: around the value and around commas, not inside a range-spec.
    [InlineData("  bytes=0-1  ", 1000, "0-1")]
    [InlineData("bytes= 0-1 , 5-6", 1000, "0-1,5-6")]
    [InlineData("bytes=0-1\t,\t5-6", 1000, "0-1,5-6")]
    [InlineData("bytes=0 -1", 1000, "Ignore")]
    [InlineData("bytes=0- 1", 1000, "Ignore")]
    [InlineData("bytes=- 1", 1000, "Ignore")]
    // Empty list elements (§5.6.1.2) are tolerated; an empty range-set is not.
    [InlineData("bytes=0-1,,5-6", 1000, "0-1,5-6")]
    [InlineData("bytes=,0-1,", 1000, "0-1")]
    [InlineData("bytes=0-1, ,5-6", 1000, "0-1,5-6")]
    [InlineData("bytes=", 1000, "Ignore")]
    [InlineData("bytes=,", 1000, "Ignore")]
    [InlineData("bytes= , ,", 1000, "Ignore")]
    // Invalid syntax makes the whole field Ignore (§14.2), even beside valid members.
    [InlineData("bytes=5-4", 1000, "Ignore")]
    [InlineData("bytes=0-1,5-4", 1000, "Ignore")]
    [InlineData("bytes=5-4", 0, "Ignore")]
    [InlineData("bytes=--1", 1000, "Ignore")]
    [InlineData("bytes=-", 1000, "Ignore")]
    [InlineData("bytes=-1-2", 1000, "Ignore")]
    [InlineData("bytes=1-2-3", 1000, "Ignore")]
    [InlineData("bytes=1", 1000, "Ignore")]
    [InlineData("bytes=a-b", 1000, "Ignore")]
    [InlineData("bytes=+1-2", 1000, "Ignore")]
    [InlineData("bytes=0x10-20", 1000, "Ignore")]
    [InlineData("bytes=0-1;5-6", 1000, "Ignore")]
    [InlineData("bytes=0-1,items", 1000, "Ignore")]
    [InlineData("bytes=\u00b9-2", 1000, "Ignore")] // a non-ASCII "digit"
    // Numbers that do not fit in a long.
    [InlineData("bytes=0-99999999999999999999", 1000, "Ignore")]
    [InlineData("bytes=99999999999999999999-", 1000, "Ignore")]
    [InlineData("bytes=-99999999999999999999", 1000, "Ignore")]
    [InlineData("bytes=9223372036854775808-", 1000, "Ignore")]
    // Coalescing (§15.3.7.2 allows merging overlapping ranges) in request order (§15.3.7.2:
    // parts SHOULD follow the range-specs; a merged range takes its earliest member's place).
    [InlineData("bytes=0-99,50-149", 1000, "0-149")] // overlapping
    [InlineData("bytes=0-99,100-199", 1000, "0-199")] // adjacent
    [InlineData("bytes=0-99,101-199", 1000, "0-99,101-199")] // a one-byte gap stays two ranges
    [InlineData("bytes=500-599,0-99", 1000, "500-599,0-99")] // not sorted
    [InlineData("bytes=600-609,100-109", 1000, "600-609,100-109")]
    [InlineData("bytes=10-20,0-100,30-40", 1000, "0-100")] // contained
    [InlineData("bytes=0-,0-,0-", 1000, "0-999")]
    [InlineData("bytes=-100,0-99", 1000, "900-999,0-99")]
    [InlineData("bytes=900-,-100", 1000, "900-999")]
    [InlineData("bytes=0-0,-1", 1000, "0-0,999-999")]
    [InlineData("bytes=0-1,,2-3", 1000, "0-3")]
    [InlineData("bytes=8-9,4-5,0-1,2-3", 1000, "8-9,0-5")] // 2-3 joins 4-5 and 0-1 at 4-5's place
    [InlineData("bytes=50-59,0-9,20-29,5-24", 1000, "50-59,0-29")] // one range bridging two kept ones
    [InlineData("bytes=0-9,30-39,10-29", 1000, "0-39")] // adjacent on both sides
    [InlineData("bytes=0-9,20-29,40-49,-1000", 1000, "0-999")]
    [InlineData("bytes=40-49,20-29,0-9", 1000, "40-49,20-29,0-9")]
    [InlineData("bytes=0-0,-1", 1, "0-0")]
    public void ParsesAgainstLength(string field, long length, string expected)
    {
        Assert.Equal(expected, Parse(field, length));
    }

    [Theory]
    [InlineData("bytes=0-1,3-4,6-7", 2, "TooMany")]
    [InlineData("bytes=0-1,3-4", 1, "TooMany")]
    [InlineData("bytes=0-1,3-4", 2, "0-1,3-4")]
    [InlineData("bytes=0-1,,3-4,", 2, "0-1,3-4")] // empty elements do not count
    [InlineData("bytes=5000-,6000-,0-1", 2, "TooMany")] // unsatisfiable members count
    [InlineData("bytes=0-,0-,0-", 2, "TooMany")] // counted before coalescing
    [InlineData("bytes=0-1,junk", 1, "TooMany")] // decided at the cap, before reading further
    [InlineData("bytes=0-1", 1, "0-1")]
    public void CapsTheNumberOfRangeSpecs(string field, int maxRanges, string expected)
    {
        Assert.Equal(expected, Parse(field, 1000, maxRanges));
    }

    [Fact]
    public void SeventeenRangesWithACapOfSixteenAreTooMany()
    {
        string sixteen = "bytes=" + string.Join(",", Enumerable.Range(0, 16).Select(i => $"{i * 10}-{(i * 10) + 4}"));
        string seventeen = sixteen + ",500-504";

        Assert.Equal(string.Join(",", Enumerable.Range(0, 16).Select(i => $"{i * 10}-{(i * 10) + 4}")), Parse(sixteen, 1000));
        Assert.Equal("TooMany", Parse(seventeen, 1000));
    }

    [Fact]
    public void RepeatedWholeFileRangesCannotAmplify()
    {
        string field = "bytes=" + string.Join(",", Enumerable.Repeat("0-", 200));
        Assert.Equal("TooMany", Parse(field, 1000, Cap));

        // Even with a cap that lets them all in, they become one range: one copy of the file.
        Assert.Equal("0-999", Parse(field, 1000, 200));
    }

    [Fact]
    public void ParseRejectsBadArguments()
    {
        var ranges = new ByteRange[4];
        Assert.Throws<ArgumentOutOfRangeException>(() => ByteRanges.Parse("bytes=0-1"u8, -1, 4, ranges, out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => ByteRanges.Parse("bytes=0-1"u8, 10, 0, ranges, out _));
        Assert.Throws<ArgumentException>(() => ByteRanges.Parse("bytes=0-1"u8, 10, 5, ranges, out _));
    }

    [Theory]
    [InlineData(0L, 100L, 1000L, "bytes 0-99/1000")]
    [InlineData(0L, 1L, 1L, "bytes 0-0/1")]
    [InlineData(500L, 500L, 8000L, "bytes 500-999/8000")]
    [InlineData(9223372036854775806L, 1L, 9223372036854775807L, "bytes 9223372036854775806-9223372036854775806/9223372036854775807")]
    public void WritesContentRange(long offset, long length, long total, string expected)
    {
        Span<byte> buffer = stackalloc byte[ByteRanges.MaxContentRangeLength];
        int written = ByteRanges.WriteContentRange(buffer, new ByteRange(offset, length), total);
        Assert.Equal(expected, Encoding.ASCII.GetString(buffer[..written]));
    }

    [Theory]
    [InlineData(0L, "bytes */0")]
    [InlineData(1000L, "bytes */1000")]
    [InlineData(9223372036854775807L, "bytes */9223372036854775807")]
    public void WritesUnsatisfiedContentRange(long total, string expected)
    {
        Span<byte> buffer = stackalloc byte[ByteRanges.MaxContentRangeLength];
        int written = ByteRanges.WriteUnsatisfiedContentRange(buffer, total);
        Assert.Equal(expected, Encoding.ASCII.GetString(buffer[..written]));
    }

    [Fact]
    public void ContentRangeWritersRejectShortBuffers()
    {
        Assert.Throws<ArgumentException>(() => ByteRanges.WriteContentRange(new byte[14], new ByteRange(0, 100), 1000));
        Assert.Throws<ArgumentException>(() => ByteRanges.WriteUnsatisfiedContentRange(new byte[11], 1000));
    }

    // The per-request paths must not allocate: Parse, Evaluate, IfRangeAllows, the tag
    // comparisons and the writers all work on spans.
    [Fact]
    public void HotPathsDoNotAllocate()
    {
        static int RunOnce()
        {
            Span<ByteRange> ranges = stackalloc ByteRange[Cap];
            Span<byte> buffer = stackalloc byte[256];
            Span<byte> boundary = stackalloc byte[MultipartByteRanges.BoundaryLength];
            ReadOnlySpan<byte> etag = "\"5f3a1c-4d2-3b9aca00\""u8;
            int sum = 0;

            sum += (int)ByteRanges.Parse("bytes=0-99, 50-149,,-20, 5000-"u8, 1000, Cap, ranges, out int count);
            sum += count;
            sum += (int)ByteRanges.Parse("items=0-1"u8, 1000, Cap, ranges, out _);
            sum += (int)ByteRanges.Parse("bytes=0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-,0-"u8, 1000, Cap, ranges, out _);

            var headers = new ConditionalHeaders(
                "\"x\", \"5f3a1c-4d2-3b9aca00\""u8, true,
                "W/\"5f3a1c-4d2-3b9aca00\""u8, true,
                "Sunday, 06-Nov-94 08:49:37 GMT"u8, true,
                "Sun Nov  6 08:49:37 1994"u8, true);
            sum += (int)Preconditions.Evaluate(headers, etag, 784_111_777, 784_198_177);
            var dates = new ConditionalHeaders(default, false, default, false, "Sun, 06 Nov 1994 08:49:37 GMT"u8, true, default, false);
            sum += (int)Preconditions.Evaluate(dates, etag, 784_111_777, 784_198_177);
            sum += Preconditions.IfRangeAllows("Sun, 06 Nov 1994 08:49:37 GMT"u8, etag, 784_111_777, 784_198_177) ? 1 : 0;
            sum += Preconditions.IfRangeAllows(etag, etag, 784_111_777, 784_198_177) ? 1 : 0;

            sum += EntityTag.Format(0x5f3a1c, 0x4d2, 1, 0, "br"u8, buffer);
            sum += ByteRanges.WriteContentRange(buffer, ranges[0], 1000);
            sum += ByteRanges.WriteUnsatisfiedContentRange(buffer, 1000);
            sum += MultipartByteRanges.WriteBoundary(boundary);
            sum += MultipartByteRanges.WritePartHeader(buffer, boundary, "text/plain"u8, ranges[0], 1000);
            sum += MultipartByteRanges.WriteClosing(buffer, boundary);
            sum += (int)MultipartByteRanges.BodyLength(boundary, "text/plain"u8, ranges[..count], 1000);
            return sum;
        }

        // Warm up so that tiering and first-call initialisation are not measured.
        int expected = 0;
        for (int i = 0; i < 100; i++)
        {
            expected = RunOnce();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        int total = 0;
        for (int i = 0; i < 10_000; i++)
        {
            total += RunOnce();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(expected * 10_000, total);
    }
}
