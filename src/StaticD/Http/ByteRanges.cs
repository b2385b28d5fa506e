using System.Text;

namespace StaticD.Http;

/// <summary>A satisfiable byte range: <see cref="Length"/> (at least 1) bytes starting at <see cref="Offset"/>.</summary>
internal readonly struct ByteRange
{
    public readonly long Offset;
    public readonly long Length;

    public ByteRange(long offset, long length)
    {
        Offset = offset;
        Length = length;
    }

    /// <summary>The last byte's position (the last-pos of Content-Range, RFC 9110 §14.4).</summary>
    public long Last => Offset + Length - 1;

    // Exclusive end; never overflows because ranges lie within a representation's length.
    internal long End => Offset + Length;
}

/// <summary>What to do with a request's Range field.</summary>
internal enum RangeResult : byte
{
    /// <summary>
    /// No usable Range: another unit, or a syntactically invalid field. Serve 200 with the whole
    /// representation. RFC 9110 §14.2: an origin server MUST ignore a range unit it does not
    /// understand, and MAY ignore a Range with an invalid ranges-specifier (ignoring, rather
    /// than answering 416, is what leaves a client that got the syntax wrong with a usable 200).
    /// </summary>
    Ignore,

    /// <summary>At least one range is satisfiable: 206 with the ranges written to the caller's span.</summary>
    Satisfiable,

    /// <summary>Valid syntax but no range overlaps the representation: 416 (§15.5.17).</summary>
    Unsatisfiable,

    /// <summary>More range-specs than the server accepts: serve 200 with the whole representation.</summary>
    TooMany,
}

/// <summary>The Range request field for the "bytes" unit (RFC 9110 §14.1, §14.2) and Content-Range (§14.4).</summary>
internal static class ByteRanges
{
    /// <summary>
    /// Longest Content-Range value the writers produce: "bytes " and three 19-digit numbers with
    /// "-" and "/" between them.
    /// </summary>
    public const int MaxContentRangeLength = 6 + 19 + 1 + 19 + 1 + 19;

    /// <summary>
    /// Parses a Range field value against a representation of <paramref name="length"/> bytes.
    /// On <see cref="RangeResult.Satisfiable"/> the first <paramref name="count"/> entries of
    /// <paramref name="ranges"/> hold the satisfiable ranges in the order they were requested,
    /// with overlapping and adjacent ranges merged into one (which takes the place of the first
    /// of them); on any other result <paramref name="count"/> is 0 and the span's contents are
    /// unspecified.
    /// </summary>
    /// <remarks>
    /// <para>Grammar (§14.1.1, §14.2), with the list rule as recipients must accept it (§5.6.1.2):</para>
    /// <code>
    /// Range        = ranges-specifier
    /// ranges-specifier = range-unit "=" range-set   ; range-unit is case-insensitive
    /// range-set    = 1#range-spec                   ; empty elements and OWS around commas allowed
    /// range-spec   = int-range / suffix-range / other-range
    /// int-range    = first-pos "-" [ last-pos ]
    /// suffix-range = "-" suffix-length
    /// </code>
    /// <para>
    /// An int-range whose last-pos is below its first-pos is invalid (§14.1.1), and so is any
    /// other-range form for "bytes"; either makes the whole field Ignore, as does a number too
    /// large for a long. A last-pos at or past the end is clamped to the last byte, and a suffix
    /// longer than the representation selects all of it (§14.1.2). An int-range whose first-pos
    /// is at or past the end, and a suffix-range of length 0, are unsatisfiable (§14.1.1) and
    /// are dropped. If nothing is left the result is Unsatisfiable, which always happens for an
    /// empty representation, because no range of it has a first byte to name.
    /// </para>
    /// <para>
    /// Defence against amplification (§14.2 lets a server ignore or reject many small or
    /// overlapping ranges as "indications of either a broken client or a deliberate
    /// denial-of-service attack", and §15.3.7.2 permits coalescing): a field with more than <paramref name="maxRanges"/>
    /// range-specs is TooMany, counted before any are merged or dropped and decided as soon as
    /// the (maxRanges+1)-th is seen, so parsing is bounded by the cap and not by what the client
    /// sends; and the rest are merged, so "bytes=0-,0-,0-" becomes one range instead of three
    /// copies of the file, and no byte is ever sent twice.
    /// </para>
    /// <para>
    /// The ranges are not sorted: §15.3.7.2 says the parts SHOULD follow the order of the
    /// range-specs, "excluding those ranges that were deemed unsatisfiable or that were
    /// coalesced into other ranges", so a merged range sits where its earliest member was.
    /// Merging is done as each range-spec is read, against the ranges kept so far, which costs
    /// O(maxRanges²) comparisons at worst: nothing for the small caps a server uses.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="length"/> is negative or <paramref name="maxRanges"/> is less than 1.
    /// </exception>
    /// <exception cref="ArgumentException"><paramref name="ranges"/> holds fewer than <paramref name="maxRanges"/> entries.</exception>
    public static RangeResult Parse(ReadOnlySpan<byte> fieldValue, long length, int maxRanges, Span<ByteRange> ranges, out int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRanges, 1);
        if (ranges.Length < maxRanges)
        {
            throw new ArgumentException("The span must hold at least maxRanges ranges.", nameof(ranges));
        }

        count = 0;
        ReadOnlySpan<byte> value = Tokens.TrimOws(fieldValue);
        int equals = value.IndexOf((byte)'=');
        if (equals < 0 || !Ascii.EqualsIgnoreCase(value[..equals], "bytes"u8))
        {
            // Another unit, or no unit at all: §14.2 lets a server ignore units it doesn't know.
            return RangeResult.Ignore;
        }

        ReadOnlySpan<byte> set = value[(equals + 1)..];
        int specs = 0;
        int kept = 0; // satisfiable ranges after merging, at the start of `ranges`
        int i = 0;
        while (true)
        {
            i = Tokens.SkipOws(set, i);
            if (i == set.Length)
            {
                break;
            }

            if (set[i] == (byte)',')
            {
                // An empty list element (§5.6.1.2): tolerated, and not counted.
                i++;
                continue;
            }

            int comma = set[i..].IndexOf((byte)',');
            ReadOnlySpan<byte> spec = Tokens.TrimOws(comma < 0 ? set[i..] : set.Slice(i, comma));
            i = comma < 0 ? set.Length : i + comma + 1;

            if (++specs > maxRanges)
            {
                return RangeResult.TooMany;
            }

            if (!TryParseSpec(spec, out long first, out long last, out bool suffix))
            {
                return RangeResult.Ignore;
            }

            if (suffix)
            {
                // "-n": the last n bytes. §14.1.1: satisfiable if n > 0 (and there is a byte).
                if (first > 0 && length > 0)
                {
                    long n = Math.Min(first, length);
                    kept = Add(ranges, kept, new ByteRange(length - n, n));
                }
            }
            else if (first < length)
            {
                // "a-b" or "a-": satisfiable if a < length; b is clamped to the last byte.
                long lastByte = last < 0 || last >= length ? length - 1 : last;
                kept = Add(ranges, kept, new ByteRange(first, lastByte - first + 1));
            }
        }

        if (specs == 0)
        {
            // "bytes=" or "bytes=,,": range-set needs at least one range-spec.
            return RangeResult.Ignore;
        }

        if (kept == 0)
        {
            return RangeResult.Unsatisfiable;
        }

        count = kept;
        return RangeResult.Satisfiable;
    }

    /// <summary>Writes a Content-Range value for a 206 (§14.4): "bytes first-last/complete-length".</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public static int WriteContentRange(Span<byte> destination, ByteRange range, long totalLength)
    {
        int needed = 6 + DecimalLength(range.Offset) + 1 + DecimalLength(range.Last) + 1 + DecimalLength(totalLength);
        if (destination.Length < needed)
        {
            throw new ArgumentException("The destination is too short for the Content-Range value.", nameof(destination));
        }

        "bytes "u8.CopyTo(destination);
        int i = 6;
        i += WriteDecimal(range.Offset, destination[i..]);
        destination[i++] = (byte)'-';
        i += WriteDecimal(range.Last, destination[i..]);
        destination[i++] = (byte)'/';
        i += WriteDecimal(totalLength, destination[i..]);
        return i;
    }

    /// <summary>Writes the Content-Range value of a 416 (§14.4, §15.5.17): "bytes */complete-length".</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    public static int WriteUnsatisfiedContentRange(Span<byte> destination, long totalLength)
    {
        int needed = 8 + DecimalLength(totalLength);
        if (destination.Length < needed)
        {
            throw new ArgumentException("The destination is too short for the Content-Range value.", nameof(destination));
        }

        "bytes */"u8.CopyTo(destination);
        return 8 + WriteDecimal(totalLength, destination[8..]);
    }

    /// <summary>Number of decimal digits of a non-negative value.</summary>
    internal static int DecimalLength(long value)
    {
        int digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }

    /// <summary>Writes a non-negative value in decimal; returns the digits written.</summary>
    internal static int WriteDecimal(long value, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        int length = DecimalLength(value);
        for (int i = length - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + (int)(value % 10));
            value /= 10;
        }

        return length;
    }

    // One range-spec, already trimmed and non-empty. For a suffix-range `first` is the
    // suffix-length; for an int-range without last-pos `last` is -1.
    private static bool TryParseSpec(ReadOnlySpan<byte> spec, out long first, out long last, out bool suffix)
    {
        first = 0;
        last = -1;
        suffix = spec[0] == (byte)'-';
        int i = suffix ? 1 : 0;
        if (!TryParseDigits(spec, ref i, out first))
        {
            return false;
        }

        if (suffix)
        {
            // "--1", "-1-2", "-1x": anything after the suffix-length is not this grammar.
            return i == spec.Length;
        }

        if (i == spec.Length || spec[i] != (byte)'-')
        {
            return false;
        }

        i++;
        if (i == spec.Length)
        {
            return true;
        }

        // §14.1.1: "A range-spec is invalid if the last-pos value is present and less than the
        // first-pos."
        return TryParseDigits(spec, ref i, out last) && i == spec.Length && last >= first;
    }

    // 1*DIGIT starting at i; false if there is no digit or the value does not fit in a long.
    private static bool TryParseDigits(ReadOnlySpan<byte> s, ref int i, out long value)
    {
        value = 0;
        int start = i;
        while (i < s.Length)
        {
            uint digit = (uint)(s[i] - '0');
            if (digit > 9)
            {
                break;
            }

            if (value > (long.MaxValue - digit) / 10)
            {
                return false;
            }

            value = (value * 10) + digit;
            i++;
        }

        return i > start;
    }

    // Adds a range to the `kept` ranges at the start of the span, which are in request order
    // and pairwise neither overlapping nor adjacent; returns the new number kept. Every kept
    // range that overlaps or touches the new one is removed and folded into it, and the result
    // goes where the earliest of those was (or at the end if none was). One pass suffices:
    // the union of two touching ranges is a single interval, so a kept range touches the
    // growing union only if it touches the new range or a range already folded in, and kept
    // ranges never touch each other.
    private static int Add(Span<ByteRange> ranges, int kept, ByteRange range)
    {
        int place = -1;
        int written = 0;
        for (int j = 0; j < kept; j++)
        {
            ByteRange k = ranges[j];
            if (k.Offset <= range.End && range.Offset <= k.End)
            {
                long start = Math.Min(k.Offset, range.Offset);
                range = new ByteRange(start, Math.Max(k.End, range.End) - start);
                if (place < 0)
                {
                    place = written;
                }
            }
            else
            {
                ranges[written++] = k;
            }
        }

        if (place < 0)
        {
            ranges[written] = range;
        }
        else
        {
            ranges[place..written].CopyTo(ranges[(place + 1)..]);
            ranges[place] = range;
        }

        return written + 1;
    }
}
