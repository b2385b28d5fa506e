namespace StaticD.Http;

/// <summary>
/// Content codings staticd can serve from pre-compressed files beside the original ("x.js.br",
/// "x.js.zst", "x.js.gz"). A flags enum so a set of variants found on disk fits in one byte.
/// </summary>
[Flags]
internal enum ContentCoding : byte
{
    /// <summary>No content coding (RFC 9110 §8.4.1: "identity" is the absence of one).</summary>
    Identity = 0,
    Gzip = 1,
    Brotli = 2,
    Zstd = 4,
}

/// <summary>Outcome of <see cref="AcceptEncoding.Choose"/>.</summary>
internal enum NegotiationResult : byte
{
    /// <summary>Send the file as it is, without Content-Encoding.</summary>
    Identity,

    /// <summary>Send the variant named by the chosen coding, with Content-Encoding.</summary>
    Encoded,

    /// <summary>The client refused identity and accepts no variant we have: answer 406.</summary>
    NotAcceptable,
}

/// <summary>
/// Proactive negotiation of the content coding (RFC 9110 §12.5.3, Accept-Encoding) between the
/// original file and its pre-compressed variants. Runs once per request for files that have
/// variants, so it parses the field value in place: no allocation, no strings.
/// </summary>
/// <remarks>
/// <para>
/// Grammar (RFC 9110 §12.5.3, §12.4.2, §5.6.1-§5.6.3):
/// <c>Accept-Encoding = #( codings [ weight ] )</c>, <c>codings = content-coding / "identity" / "*"</c>,
/// <c>weight = OWS ";" OWS "q=" qvalue</c>,
/// <c>qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )</c>. Weights are held as integer
/// thousandths (0-1000), so "0.001" and "1.000" are exact and no floating point is involved. Codings
/// are case-insensitive (§8.4.1) and so is the "q" of the weight (ABNF string literals are). Empty
/// list elements (",,gzip") are skipped as §5.6.1 requires of recipients.
/// </para>
/// <para>
/// Decisions where the RFC leaves room:
/// </para>
/// <list type="bullet">
/// <item><b>No field</b>: §12.5.3 lets the server assume any coding is acceptable, but clients that
/// send no Accept-Encoding (scripts, old tools) are exactly the ones that would be surprised by a
/// compressed body, so the answer is identity.</item>
/// <item><b>Malformed elements</b> (a weight that is not a qvalue, such as "q=2", "q=1.0000",
/// "q = 0.5" or a parameter other than q) can only take away, never grant: the content coding they
/// name is treated as listed with q=0, and a malformed "*" as "*;q=0" for content codings. Otherwise a
/// client whose refusal we failed to parse could be sent a coding it tried to refuse. The exception
/// is identity, which a malformed element never refuses: identity is the fallback that keeps a
/// garbled header from turning a request for a plain file into a 406, so a malformed "identity"
/// element counts as listed with the lowest non-zero weight and a malformed "*" leaves identity
/// alone. An element whose coding is not even a token is ignored entirely.</item>
/// <item><b>A coding listed twice</b> ("gzip;q=1, gzip;q=0", or "gzip" and "x-gzip") takes the lowest
/// weight given, for the same reason.</item>
/// <item><b>Identity not listed</b>: acceptable (§12.5.3) but with the lowest possible weight, so any
/// acceptable variant is preferred; if "*" is listed, identity takes the weight of "*" (it is a coding
/// not listed explicitly). On equal weights an encoded variant beats identity, and between variants
/// the server's order of preference decides (for sidecars br &gt; zstd &gt; gzip, usually the smallest file
/// first; on the fly, Compression:Encodings).</item>
/// <item><b>Nothing acceptable</b>: §12.5.3 says the origin server should then send the
/// representation without any content coding unless identity is indicated as unacceptable. So
/// identity is sent whenever it is acceptable, and <see cref="NegotiationResult.NotAcceptable"/>
/// (406) is returned only when identity was refused by a well-formed "identity;q=0", or by "*;q=0"
/// with no explicit identity element.</item>
/// </list>
/// </remarks>
internal static class AcceptEncoding
{
    // Weights in thousandths. Unlisted marks "no element named this coding".
    private const int Unlisted = -1;
    private const int MaxWeight = 1000;

    // The weight an acceptable-but-unweighted identity gets: the lowest non-zero qvalue, 0.001.
    private const int LowestWeight = 1;

    /// <summary>
    /// Chooses the coding to send.
    /// </summary>
    /// <param name="fieldValue">The Accept-Encoding field value (the first occurrence or all occurrences
    /// combined with commas); empty when absent.</param>
    /// <param name="present">Whether the request carried the field at all: an absent field and an
    /// empty one mean different things (§12.5.3).</param>
    /// <param name="available">The encoded variants that exist; identity always exists.</param>
    /// <param name="chosen">The coding to send: a single flag when <see cref="NegotiationResult.Encoded"/>,
    /// otherwise <see cref="ContentCoding.Identity"/>.</param>
    public static NegotiationResult Choose(ReadOnlySpan<byte> fieldValue, bool present, ContentCoding available, out ContentCoding chosen) =>
        Choose(fieldValue, present, available, SidecarPreference, out chosen);

    /// <summary>The server's preference among sidecars: br, zstd, gzip (usually the smallest file first).</summary>
    public static readonly ContentCoding[] SidecarPreference = [ContentCoding.Brotli, ContentCoding.Zstd, ContentCoding.Gzip];

    /// <summary>As <see cref="Choose(ReadOnlySpan{byte}, bool, ContentCoding, out ContentCoding)"/>, with the
    /// server's own order of preference for codings the client weighs equally.</summary>
    public static NegotiationResult Choose(ReadOnlySpan<byte> fieldValue, bool present, ContentCoding available,
        ReadOnlySpan<ContentCoding> preference, out ContentCoding chosen)
    {
        chosen = ContentCoding.Identity;
        if (!present)
        {
            return NegotiationResult.Identity;
        }

        int gzip = Unlisted, brotli = Unlisted, zstd = Unlisted, identity = Unlisted;

        // "*" is tracked twice because a malformed "*" element refuses unlisted content codings but,
        // by the rule above, never identity.
        int starForCodings = Unlisted, starForIdentity = Unlisted;

        ReadOnlySpan<byte> rest = fieldValue;
        while (true)
        {
            int comma = rest.IndexOf((byte)',');
            ReadOnlySpan<byte> element = Tokens.TrimOws(comma < 0 ? rest : rest[..comma]);
            if (!element.IsEmpty && ParseElement(element, out ReadOnlySpan<byte> coding, out int weight, out bool wellFormed))
            {
                if (EqualsIgnoreCase(coding, "gzip"u8) || EqualsIgnoreCase(coding, "x-gzip"u8))
                {
                    // §8.4.1.3: a recipient SHOULD consider "x-gzip" equivalent to "gzip".
                    gzip = Merge(gzip, wellFormed ? weight : 0);
                }
                else if (EqualsIgnoreCase(coding, "br"u8))
                {
                    brotli = Merge(brotli, wellFormed ? weight : 0);
                }
                else if (EqualsIgnoreCase(coding, "zstd"u8))
                {
                    zstd = Merge(zstd, wellFormed ? weight : 0);
                }
                else if (EqualsIgnoreCase(coding, "identity"u8))
                {
                    identity = Merge(identity, wellFormed ? weight : LowestWeight);
                }
                else if (coding.Length == 1 && coding[0] == (byte)'*')
                {
                    starForCodings = Merge(starForCodings, wellFormed ? weight : 0);
                    if (wellFormed)
                    {
                        starForIdentity = Merge(starForIdentity, weight);
                    }
                }

                // Any other coding (compress, deflate, ...) has no variant here and is irrelevant.
            }

            if (comma < 0)
            {
                break;
            }

            rest = rest[(comma + 1)..];
        }

        // Best encoded variant; checked in server preference order with a strict ">" so that the
        // earlier (preferred) coding keeps a tie.
        ContentCoding best = ContentCoding.Identity;
        int bestWeight = 0;
        foreach (ContentCoding coding in preference)
        {
            int listed = coding switch { ContentCoding.Brotli => brotli, ContentCoding.Zstd => zstd, ContentCoding.Gzip => gzip, _ => Unlisted };
            Consider(coding, listed, starForCodings, available, ref best, ref bestWeight);
        }

        int identityWeight = identity != Unlisted ? identity
            : starForIdentity != Unlisted ? starForIdentity
            : LowestWeight;

        if (bestWeight > 0 && bestWeight >= identityWeight)
        {
            chosen = best;
            return NegotiationResult.Encoded;
        }

        return identityWeight > 0 ? NegotiationResult.Identity : NegotiationResult.NotAcceptable;
    }

    /// <summary>The content-coding token for Content-Encoding: "br", "zstd" or "gzip"; empty for identity
    /// (which is never sent in Content-Encoding).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not exactly one coding.</exception>
    public static ReadOnlySpan<byte> Token(ContentCoding c) => c switch
    {
        ContentCoding.Brotli => "br"u8,
        ContentCoding.Zstd => "zstd"u8,
        ContentCoding.Gzip => "gzip"u8,
        ContentCoding.Identity => default,
        _ => throw new ArgumentOutOfRangeException(nameof(c), c, "Expected a single content coding."),
    };

    /// <summary>The file-name suffix of the pre-compressed variant: ".br", ".zst" or ".gz"; empty for
    /// identity (the file itself), so the variant's name is always name + suffix.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not exactly one coding.</exception>
    public static ReadOnlySpan<byte> FileSuffix(ContentCoding c) => c switch
    {
        ContentCoding.Brotli => ".br"u8,
        ContentCoding.Zstd => ".zst"u8,
        ContentCoding.Gzip => ".gz"u8,
        ContentCoding.Identity => default,
        _ => throw new ArgumentOutOfRangeException(nameof(c), c, "Expected a single content coding."),
    };

    private static void Consider(ContentCoding coding, int listed, int star, ContentCoding available, ref ContentCoding best, ref int bestWeight)
    {
        if ((available & coding) == 0)
        {
            return;
        }

        // §12.5.3: "*" matches any available coding not listed explicitly; a coding neither listed
        // nor covered by "*" is not acceptable once the field is present.
        int weight = listed != Unlisted ? listed : star != Unlisted ? star : 0;
        if (weight > bestWeight)
        {
            best = coding;
            bestWeight = weight;
        }
    }

    private static int Merge(int current, int weight) => current == Unlisted ? weight : Math.Min(current, weight);

    /// <summary>
    /// Splits a non-empty, trimmed list element into its coding and weight. Returns false when the
    /// element does not start with a token (nothing can be attributed to any coding then);
    /// <paramref name="wellFormed"/> is false when the coding is followed by anything but a valid weight.
    /// </summary>
    private static bool ParseElement(ReadOnlySpan<byte> element, out ReadOnlySpan<byte> coding, out int weight, out bool wellFormed)
    {
        weight = MaxWeight;
        wellFormed = false;

        int end = Tokens.TokenLength(element, 0);
        coding = element[..end];
        if (end == 0)
        {
            return false;
        }

        ReadOnlySpan<byte> rest = Tokens.TrimOws(element[end..]);
        if (rest.IsEmpty)
        {
            wellFormed = true;
            return true;
        }

        // weight = OWS ";" OWS "q=" qvalue (§12.4.2). No whitespace is allowed around "=", and no
        // parameter other than q is defined for Accept-Encoding.
        if (rest[0] != (byte)';')
        {
            return true;
        }

        rest = Tokens.TrimOws(rest[1..]);
        if (rest.Length < 2 || (rest[0] | 0x20) != (byte)'q' || rest[1] != (byte)'=')
        {
            return true;
        }

        wellFormed = TryParseQValue(rest[2..], out weight);
        return true;
    }

    /// <summary>qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths (§12.4.2).</summary>
    private static bool TryParseQValue(ReadOnlySpan<byte> s, out int thousandths)
    {
        thousandths = 0;
        if (s.IsEmpty || s.Length > 5)
        {
            return false;
        }

        bool one = s[0] == (byte)'1';
        if (!one && s[0] != (byte)'0')
        {
            return false;
        }

        if (s.Length > 1)
        {
            if (s[1] != (byte)'.')
            {
                return false;
            }

            int scale = 100;
            for (int i = 2; i < s.Length; i++)
            {
                int digit = s[i] - '0';
                if ((uint)digit > 9 || (one && digit != 0))
                {
                    return false;
                }

                thousandths += digit * scale;
                scale /= 10;
            }
        }

        if (one)
        {
            thousandths = MaxWeight;
        }

        return true;
    }

    private static bool EqualsIgnoreCase(ReadOnlySpan<byte> value, ReadOnlySpan<byte> lowerAscii) =>
        System.Text.Ascii.EqualsIgnoreCase(value, lowerAscii);
}
