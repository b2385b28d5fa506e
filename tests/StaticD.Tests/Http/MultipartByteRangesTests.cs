using System.Text;
using MimeKit;
using StaticD.Http;
using Xunit;

namespace StaticD.Tests.Http;

public class MultipartByteRangesTests
{
    // RFC 9110 §14.6's example boundary.
    private const string RfcBoundary = "THIS_STRING_SEPARATES";

    private static string PartHeader(string boundary, string contentType, long offset, long length, long total)
    {
        byte[] buffer = new byte[MultipartByteRanges.MaxPartHeaderLength(boundary.Length, contentType.Length)];
        int written = MultipartByteRanges.WritePartHeader(
            buffer, Encoding.ASCII.GetBytes(boundary), Encoding.ASCII.GetBytes(contentType), new ByteRange(offset, length), total);
        return Encoding.ASCII.GetString(buffer, 0, written);
    }

    [Theory]
    [InlineData("application/pdf", 500L, 500L, 8000L,
        "\r\n--THIS_STRING_SEPARATES\r\nContent-Type: application/pdf\r\nContent-Range: bytes 500-999/8000\r\n\r\n")]
    [InlineData("application/pdf", 7000L, 1000L, 8000L,
        "\r\n--THIS_STRING_SEPARATES\r\nContent-Type: application/pdf\r\nContent-Range: bytes 7000-7999/8000\r\n\r\n")]
    [InlineData("", 0L, 1L, 1L,
        "\r\n--THIS_STRING_SEPARATES\r\nContent-Range: bytes 0-0/1\r\n\r\n")]
    public void WritesPartHeaders(string contentType, long offset, long length, long total, string expected)
    {
        Assert.Equal(expected, PartHeader(RfcBoundary, contentType, offset, length, total));
    }

    [Fact]
    public void WritesClosingDelimiter()
    {
        byte[] buffer = new byte[64];
        int written = MultipartByteRanges.WriteClosing(buffer, Encoding.ASCII.GetBytes(RfcBoundary));
        Assert.Equal("\r\n--THIS_STRING_SEPARATES--\r\n", Encoding.ASCII.GetString(buffer, 0, written));
    }

    [Fact]
    public void MaxPartHeaderLengthBoundsTheLargestNumbers()
    {
        const string type = "application/octet-stream";
        string header = PartHeader("b", type, long.MaxValue - 1, 1, long.MaxValue);
        Assert.Equal(MultipartByteRanges.MaxPartHeaderLength(1, type.Length), header.Length);
        Assert.True(PartHeader("b", "", 0, 1, 1).Length <= MultipartByteRanges.MaxPartHeaderLength(1, 0));
    }

    [Fact]
    public void BoundariesAreLongRandomAndSafe()
    {
        var seen = new HashSet<string>();
        byte[] buffer = new byte[MultipartByteRanges.BoundaryLength];
        for (int i = 0; i < 1000; i++)
        {
            Assert.Equal(32, MultipartByteRanges.WriteBoundary(buffer));
            string boundary = Encoding.ASCII.GetString(buffer);
            Assert.Matches("^[0-9a-f]{32}$", boundary);
            Assert.True(seen.Add(boundary));
        }

        Assert.Throws<ArgumentException>(() => MultipartByteRanges.WriteBoundary(new byte[31]));
    }

    [Fact]
    public void WritersRejectShortBuffers()
    {
        byte[] boundary = Encoding.ASCII.GetBytes(RfcBoundary);
        Assert.Throws<ArgumentException>(() => MultipartByteRanges.WriteClosing(new byte[10], boundary));
        Assert.Throws<ArgumentException>(
            () => MultipartByteRanges.WritePartHeader(new byte[40], boundary, "text/plain"u8, new ByteRange(0, 1), 1));
    }

    // Builds the whole 206 body for three ranges the way the server sends it (part header,
    // file bytes, ..., closing delimiter), then parses it with MimeKit, an independent MIME
    // parser: each part must carry the right Content-Type, Content-Range and exactly the bytes
    // of its range, and BodyLength must equal what was written.
    [Theory]
    [InlineData("application/octet-stream")]
    [InlineData("text/plain; charset=utf-8")]
    [InlineData("")]
    public void RealMimeParserReadsTheBody(string contentType)
    {
        // File content that is hostile to a naive parser: every byte value, and CRLFs followed
        // by dashes that look like the start of a delimiter.
        byte[] file = new byte[4096];
        for (int i = 0; i < file.Length; i++)
        {
            file[i] = (byte)(i * 7);
        }

        Encoding.ASCII.GetBytes("\r\n--\r\n--x\r\n\r\n").CopyTo(file, 600);

        var ranges = new ByteRange[8];
        Assert.Equal(RangeResult.Satisfiable, ByteRanges.Parse("bytes=-100, 0-9, 590-699"u8, file.Length, 8, ranges, out int count));
        Assert.Equal(3, count);

        byte[] boundary = new byte[MultipartByteRanges.BoundaryLength];
        MultipartByteRanges.WriteBoundary(boundary);
        byte[] type = Encoding.ASCII.GetBytes(contentType);

        var body = new MemoryStream();
        byte[] header = new byte[MultipartByteRanges.MaxPartHeaderLength(boundary.Length, type.Length)];
        foreach (ByteRange range in ranges.AsSpan(0, count))
        {
            int written = MultipartByteRanges.WritePartHeader(header, boundary, type, range, file.Length);
            body.Write(header, 0, written);
            body.Write(file, (int)range.Offset, (int)range.Length);
        }

        byte[] closing = new byte[boundary.Length + 8];
        body.Write(closing, 0, MultipartByteRanges.WriteClosing(closing, boundary));

        Assert.Equal(body.Length, MultipartByteRanges.BodyLength(boundary, type, ranges.AsSpan(0, count), file.Length));

        body.Position = 0;
        var responseType = ContentType.Parse("multipart/byteranges; boundary=" + Encoding.ASCII.GetString(boundary));
        MimeEntity entity = MimeEntity.Load(responseType, body);
        Multipart multipart = Assert.IsType<Multipart>(entity);
        Assert.Equal("byteranges", multipart.ContentType.MediaSubtype);
        Assert.Equal(count, multipart.Count);

        // In request order (RFC 9110 §15.3.7.2).
        string[] expectedRanges = ["bytes 3996-4095/4096", "bytes 0-9/4096", "bytes 590-699/4096"];
        for (int i = 0; i < count; i++)
        {
            MimePart part = Assert.IsAssignableFrom<MimePart>(multipart[i]);
            Assert.Equal(expectedRanges[i], part.Headers["Content-Range"]);
            if (contentType.Length == 0)
            {
                Assert.False(part.Headers.Contains(HeaderId.ContentType));
            }
            else
            {
                Assert.Equal(contentType, part.Headers[HeaderId.ContentType]);
            }

            Assert.NotNull(part.Content);
            var content = new MemoryStream();
            part.Content.DecodeTo(content);
            Assert.Equal(file.AsSpan((int)ranges[i].Offset, (int)ranges[i].Length).ToArray(), content.ToArray());
        }
    }
}
