using System.Security.Cryptography;

namespace StaticD.Http;

/// <summary>
/// The framing of a multipart/byteranges body (RFC 9110 §14.6, RFC 2046 §5.1.1), written
/// around the file's bytes, which the caller sends itself (e.g. with sendfile) between the part
/// headers:
/// <code>
/// CRLF "--" boundary CRLF                      ┐
/// "Content-Type: " type CRLF                   │ WritePartHeader, once per range
/// "Content-Range: bytes " a "-" b "/" len CRLF │
/// CRLF                                         ┘
/// ...the range's bytes...
/// CRLF "--" boundary "--" CRLF                   WriteClosing, once
/// </code>
/// </summary>
/// <remarks>
/// RFC 2046 §5.1.1 makes the CRLF before "--boundary" part of the delimiter, not of the
/// preceding part, which is why each part header starts with it and the part bytes need no
/// trailer. Before the first part that CRLF is an empty preamble, which RFC 2046 permits and
/// parsers skip; writing every part header the same way keeps the arithmetic in
/// <see cref="BodyLength"/> trivial. The body length is known up front, so the response carries
/// a Content-Length and needs no chunking.
/// </remarks>
internal static class MultipartByteRanges
{
    /// <summary>Length of the boundaries <see cref="WriteBoundary"/> writes.</summary>
    public const int BoundaryLength = 32;

    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

    private static ReadOnlySpan<byte> ContentTypePrefix => "\r\nContent-Type: "u8;

    private static ReadOnlySpan<byte> ContentRangePrefix => "\r\nContent-Range: bytes "u8;

    // "\r\n--" before the boundary, and the CRLF CRLF ending the part's header section.
    private const int DelimiterPrefixLength = 4;
    private const int HeaderEndLength = 4;

    // Largest decimal length of a non-negative long (9,223,372,036,854,775,807).
    private const int MaxDecimalLength = 19;

    /// <summary>
    /// Writes a fresh boundary of <see cref="BoundaryLength"/> lowercase hex characters (128
    /// random bits) and returns its length.
    /// </summary>
    /// <remarks>
    /// A multipart parser finds parts by scanning for the boundary, not by the lengths in
    /// Content-Range, so the boundary must not occur in the file. A file's content can be chosen
    /// by whoever published it, so the boundary must be unguessable, not merely unusual: it
    /// comes from the operating system's CSPRNG (RandomNumberGenerator.Fill is a getrandom call
    /// on 16 bytes with no allocation). A seeded PRNG such as Random.Shared would be cheaper,
    /// but its output can be predicted from earlier boundaries, and multipart responses are
    /// rare enough that the difference is not measurable. Hex digits are all within RFC 2046's
    /// bchars, so the boundary never needs quoting in the Content-Type parameter.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 32 bytes.</exception>
    public static int WriteBoundary(Span<byte> destination)
    {
        if (destination.Length < BoundaryLength)
        {
            throw new ArgumentException("The destination must hold at least 32 bytes.", nameof(destination));
        }

        Span<byte> random = stackalloc byte[BoundaryLength / 2];
        RandomNumberGenerator.Fill(random);
        for (int i = 0; i < random.Length; i++)
        {
            destination[2 * i] = HexDigits[random[i] >> 4];
            destination[(2 * i) + 1] = HexDigits[random[i] & 0xF];
        }

        return BoundaryLength;
    }

    /// <summary>
    /// Writes the delimiter and header section that precede one part:
    /// "\r\n--BOUNDARY\r\nContent-Type: TYPE\r\nContent-Range: bytes a-b/LEN\r\n\r\n".
    /// Returns the bytes written.
    /// </summary>
    /// <remarks>
    /// §14.6: each part carries Content-Range, and Content-Type if the whole representation
    /// would have one in a 200; an empty <paramref name="contentType"/> therefore leaves the
    /// Content-Type line out (RFC 2046 then implies text/plain for the part, exactly as a 200
    /// without Content-Type leaves the type to the client).
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public static int WritePartHeader(
        Span<byte> destination, ReadOnlySpan<byte> boundary, ReadOnlySpan<byte> contentType, ByteRange range, long totalLength)
    {
        int needed = PartHeaderLength(boundary.Length, contentType.Length, range, totalLength);
        if (destination.Length < needed)
        {
            throw new ArgumentException("The destination is too short for the part header.", nameof(destination));
        }

        int i = 0;
        "\r\n--"u8.CopyTo(destination);
        i += DelimiterPrefixLength;
        boundary.CopyTo(destination[i..]);
        i += boundary.Length;
        if (!contentType.IsEmpty)
        {
            ContentTypePrefix.CopyTo(destination[i..]);
            i += ContentTypePrefix.Length;
            contentType.CopyTo(destination[i..]);
            i += contentType.Length;
        }

        ContentRangePrefix.CopyTo(destination[i..]);
        i += ContentRangePrefix.Length;
        i += ByteRanges.WriteDecimal(range.Offset, destination[i..]);
        destination[i++] = (byte)'-';
        i += ByteRanges.WriteDecimal(range.Last, destination[i..]);
        destination[i++] = (byte)'/';
        i += ByteRanges.WriteDecimal(totalLength, destination[i..]);
        "\r\n\r\n"u8.CopyTo(destination[i..]);
        return i + HeaderEndLength;
    }

    /// <summary>Writes the close delimiter "\r\n--BOUNDARY--\r\n" and returns its length.</summary>
    /// <remarks>
    /// The CRLF after the close delimiter begins RFC 2046's (empty) epilogue; it is sent so the
    /// body ends on a line boundary, which several parsers expect.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public static int WriteClosing(Span<byte> destination, ReadOnlySpan<byte> boundary)
    {
        int needed = ClosingLength(boundary.Length);
        if (destination.Length < needed)
        {
            throw new ArgumentException("The destination is too short for the closing delimiter.", nameof(destination));
        }

        "\r\n--"u8.CopyTo(destination);
        boundary.CopyTo(destination[DelimiterPrefixLength..]);
        "--\r\n"u8.CopyTo(destination[(DelimiterPrefixLength + boundary.Length)..]);
        return needed;
    }

    /// <summary>
    /// The exact length of the body that <see cref="WritePartHeader"/> for each range, the
    /// ranges' bytes and <see cref="WriteClosing"/> produce, for Content-Length; computed
    /// without writing anything.
    /// </summary>
    public static long BodyLength(
        ReadOnlySpan<byte> boundary, ReadOnlySpan<byte> contentType, ReadOnlySpan<ByteRange> ranges, long totalLength)
    {
        long length = ClosingLength(boundary.Length);
        foreach (ByteRange range in ranges)
        {
            length += PartHeaderLength(boundary.Length, contentType.Length, range, totalLength) + range.Length;
        }

        return length;
    }

    /// <summary>
    /// An upper bound on one part header's length (every number at 19 digits), for sizing the
    /// buffer passed to <see cref="WritePartHeader"/>.
    /// </summary>
    public static int MaxPartHeaderLength(int boundaryLength, int contentTypeLength)
        => FixedPartHeaderLength(boundaryLength, contentTypeLength) + (3 * MaxDecimalLength);

    private static int PartHeaderLength(int boundaryLength, int contentTypeLength, ByteRange range, long totalLength)
        => FixedPartHeaderLength(boundaryLength, contentTypeLength)
            + ByteRanges.DecimalLength(range.Offset)
            + ByteRanges.DecimalLength(range.Last)
            + ByteRanges.DecimalLength(totalLength);

    // Everything but the three numbers: delimiter, optional Content-Type line, the
    // Content-Range line's fixed text with its "-" and "/", and the blank line.
    private static int FixedPartHeaderLength(int boundaryLength, int contentTypeLength)
        => DelimiterPrefixLength + boundaryLength
            + (contentTypeLength == 0 ? 0 : ContentTypePrefix.Length + contentTypeLength)
            + ContentRangePrefix.Length + 2
            + HeaderEndLength;

    private static int ClosingLength(int boundaryLength) => DelimiterPrefixLength + boundaryLength + 4;
}
