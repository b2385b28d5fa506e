using System.Numerics;

namespace StaticD.Http;

/// <summary>
/// Entity-tags (RFC 9110 §8.8.3): generating the server's strong validator for a file version,
/// and the weak and strong comparisons (§8.8.3.2) that If-None-Match, If-Match and If-Range use.
/// </summary>
/// <remarks>
/// Grammar (§8.8.3):
/// <code>
/// entity-tag = [ weak ] opaque-tag
/// weak       = %s"W/"                     ; case-sensitive
/// opaque-tag = DQUOTE *etagc DQUOTE
/// etagc      = %x21 / %x23-7E / obs-text  ; VCHAR except DQUOTE, plus obs-text (%x80-FF)
/// </code>
/// The comparisons work on the bytes of the request's field value directly; nothing is copied
/// or unescaped (entity-tags have no escaping, so byte equality of the opaque-tag is exactly
/// the "identical" of §8.8.3.2).
/// </remarks>
internal static class EntityTag
{
    /// <summary>
    /// The longest tag <see cref="Format"/> writes: two quotes, three 64-bit hex fields of at
    /// most 16 digits with two dashes between them (52), plus "-" and a variant of at most
    /// <see cref="MaxVariantLength"/> bytes.
    /// </summary>
    public const int MaxLength = 64;

    /// <summary>The longest variant suffix (such as "br", "zst" or "gz") <see cref="Format"/> accepts.</summary>
    public const int MaxVariantLength = 11;

    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

    /// <summary>
    /// Writes a strong entity-tag (with its quotes) for one version of a file:
    /// <c>"INODE-SIZE-MTIME"</c> or <c>"INODE-SIZE-MTIME-VARIANT"</c>, each number in lowercase
    /// hex without leading zeros, MTIME being the modification time in nanoseconds since the
    /// Unix epoch. Returns the number of bytes written (at most <see cref="MaxLength"/>).
    /// </summary>
    /// <remarks>
    /// <para>
    /// Why these inputs: the mtime alone misses a file replaced by rename with a preserved
    /// mtime (rsync -t, tar, cp -p), which the inode catches; the size catches writes within the
    /// filesystem's timestamp granularity. All of them come from the one fstat the server does
    /// anyway, so the tag costs no file read (a content hash would).
    /// </para>
    /// <para>
    /// The nanoseconds are folded into the seconds as seconds × 10⁹ + ns (unchecked 64-bit):
    /// one field instead of two keeps the tag short, and two times can only produce the same
    /// value if they are about 584 years apart (2⁶⁴ ns), which two versions of one file are not.
    /// </para>
    /// <para>
    /// The variant (a content-coding such as "br") gives each encoded representation its own
    /// tag: §8.8.3 requires different tags for representations that are not byte-identical, or
    /// a cache could splice a range of the gzip file into the brotli one. The three numeric
    /// fields never contain '-', so the variant is everything after the third dash and no two
    /// inputs can produce the same tag.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="size"/> is negative or <paramref name="mtimeNanoseconds"/> is 10⁹ or more.
    /// </exception>
    /// <exception cref="ArgumentException">
    /// The variant is longer than <see cref="MaxVariantLength"/> or has a byte other than an
    /// ASCII letter, digit, '.', '_' or '-'; or <paramref name="destination"/> is too short.
    /// </exception>
    public static int Format(
        ulong inode, long size, long mtimeSeconds, uint mtimeNanoseconds, ReadOnlySpan<byte> variant, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(mtimeNanoseconds, 1_000_000_000u);
        if (variant.Length > MaxVariantLength)
        {
            throw new ArgumentException("The variant is too long.", nameof(variant));
        }

        foreach (byte b in variant)
        {
            // A conservative subset of etagc: content-coding names are tokens, and keeping to
            // these characters means the tag never needs a second look in logs or tools.
            if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'.' or (byte)'_' or (byte)'-'))
            {
                throw new ArgumentException("The variant may only hold ASCII letters, digits, '.', '_' and '-'.", nameof(variant));
            }
        }

        ulong mtime = unchecked(((ulong)mtimeSeconds * 1_000_000_000UL) + mtimeNanoseconds);
        int length = 2 + HexLength(inode) + 1 + HexLength((ulong)size) + 1 + HexLength(mtime)
            + (variant.IsEmpty ? 0 : 1 + variant.Length);
        if (destination.Length < length)
        {
            throw new ArgumentException("The destination is too short for the entity-tag.", nameof(destination));
        }

        int i = 0;
        destination[i++] = (byte)'"';
        i += WriteHex(inode, destination[i..]);
        destination[i++] = (byte)'-';
        i += WriteHex((ulong)size, destination[i..]);
        destination[i++] = (byte)'-';
        i += WriteHex(mtime, destination[i..]);
        if (!variant.IsEmpty)
        {
            destination[i++] = (byte)'-';
            variant.CopyTo(destination[i..]);
            i += variant.Length;
        }

        destination[i++] = (byte)'"';
        return i;
    }

    /// <summary>
    /// If-None-Match (RFC 9110 §13.1.2): true if the field value is "*" or a list containing an
    /// entity-tag that matches <paramref name="current"/> by the weak comparison (§8.8.3.2:
    /// the opaque-tags are identical; either or both may be weak).
    /// </summary>
    /// <remarks>
    /// A malformed field value yields false, even if a well-formed member before the error
    /// matched: a field that cannot be parsed is not evidence that the client holds this
    /// version, and answering 304 on a guess would leave the client with a stale copy.
    /// "*" matches when there is a current representation, i.e. when
    /// <paramref name="current"/> is not empty.
    /// </remarks>
    public static bool MatchesWeak(ReadOnlySpan<byte> fieldValue, ReadOnlySpan<byte> current)
        => MatchesList(fieldValue, current, strong: false);

    /// <summary>
    /// If-Match (RFC 9110 §13.1.1): true if the field value is "*" (and a current
    /// representation exists) or a list containing an entity-tag that matches
    /// <paramref name="current"/> by the strong comparison (§8.8.3.2: neither is weak and the
    /// opaque-tags are identical). A weak tag in the list never matches; a malformed list
    /// never matches.
    /// </summary>
    public static bool MatchesStrong(ReadOnlySpan<byte> fieldValue, ReadOnlySpan<byte> current)
        => MatchesList(fieldValue, current, strong: true);

    /// <summary>True if the tag starts with the weakness indicator "W/" (case-sensitive, §8.8.3).</summary>
    public static bool IsWeak(ReadOnlySpan<byte> tag) => tag.Length >= 2 && tag[0] == (byte)'W' && tag[1] == (byte)'/';

    /// <summary>True if the value is exactly one well-formed entity-tag (§8.8.3), weak or strong.</summary>
    public static bool IsValid(ReadOnlySpan<byte> value) => TryReadTag(value, 0, out int end) && end == value.Length;

    // Walks "*" / #entity-tag. The list rule as RFC 9110 §5.6.1.2 asks recipients to accept it:
    // empty elements and OWS around commas are allowed, so `"a", , "b"` is a list of two tags.
    // The whole value is always validated, so the result does not depend on where in the list
    // a match is.
    private static bool MatchesList(ReadOnlySpan<byte> fieldValue, ReadOnlySpan<byte> current, bool strong)
    {
        ReadOnlySpan<byte> value = Tokens.TrimOws(fieldValue);
        if (value.Length == 1 && value[0] == (byte)'*')
        {
            return !current.IsEmpty;
        }

        // The opaque-tag of the current tag, and whether the strong comparison can succeed at all.
        bool currentWeak = IsWeak(current);
        ReadOnlySpan<byte> currentOpaque = currentWeak ? current[2..] : current;
        bool matched = false;

        int i = 0;
        while (true)
        {
            i = Tokens.SkipOws(value, i);
            if (i == value.Length)
            {
                return matched;
            }

            if (value[i] == (byte)',')
            {
                i++;
                continue;
            }

            int start = i;
            if (!TryReadTag(value, start, out i))
            {
                return false;
            }

            ReadOnlySpan<byte> tag = value[start..i];
            bool weak = IsWeak(tag);
            if (!matched && (!strong || (!weak && !currentWeak)))
            {
                matched = (weak ? tag[2..] : tag).SequenceEqual(currentOpaque);
            }

            i = Tokens.SkipOws(value, i);
            if (i < value.Length)
            {
                if (value[i] != (byte)',')
                {
                    // Two tags with no comma between them, or trailing garbage.
                    return false;
                }

                i++;
            }
        }
    }

    // Reads one entity-tag starting at `start`; `end` is the index just past its closing quote.
    private static bool TryReadTag(ReadOnlySpan<byte> value, int start, out int end)
    {
        end = start;
        int i = start;
        if (i + 1 < value.Length && value[i] == (byte)'W' && value[i + 1] == (byte)'/')
        {
            i += 2;
        }

        if (i >= value.Length || value[i] != (byte)'"')
        {
            return false;
        }

        for (i++; i < value.Length; i++)
        {
            byte b = value[i];
            if (b == (byte)'"')
            {
                end = i + 1;
                return true;
            }

            // etagc = %x21 / %x23-7E / obs-text: no controls, no space, no DEL.
            if (b < 0x21 || b == 0x7F)
            {
                return false;
            }
        }

        // No closing quote.
        return false;
    }

    // Number of hex digits of the value without leading zeros (1 for zero).
    private static int HexLength(ulong value) => (67 - BitOperations.LeadingZeroCount(value | 1)) / 4;

    private static int WriteHex(ulong value, Span<byte> destination)
    {
        int length = HexLength(value);
        for (int i = length - 1; i >= 0; i--)
        {
            destination[i] = HexDigits[(int)(value & 0xF)];
            value >>= 4;
        }

        return length;
    }
}
