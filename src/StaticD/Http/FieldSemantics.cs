using System.Runtime.CompilerServices;
using System.Text;

namespace StaticD.Http;

/// <summary>
/// What the fields of a request head mean (RFC 9110 §5-§8, RFC 9112 §6): which ones are recorded, which may
/// repeat, and the framing rules for Content-Length, Transfer-Encoding, Connection and Host that decide whether
/// the request can be read safely at all.
/// </summary>
internal static class FieldSemantics
{
    /// <summary>
    /// Records one field line (RFC 9112 §5) whose name and value bytes <see cref="RequestParser.TryParse"/>
    /// already validated.
    /// </summary>
    /// <param name="start">Offset of the field name.</param>
    /// <param name="valueStart">Offset just after the colon.</param>
    /// <param name="valueEnd">Offset of the CR.</param>
    /// <param name="chunkedSeen">Whether any Transfer-Encoding line so far listed chunked.</param>
    public static ParseError OnField(
        ReadOnlySpan<byte> buffer, int start, int nameLength, int valueStart, int valueEnd, ref RequestHead head, ref bool chunkedSeen)
    {
        // OWS around the value is not part of it (RFC 9112 §5.1). Usually zero or one byte, so scalar loops.
        while (valueStart < valueEnd && Tokens.IsOws(buffer[valueStart]))
        {
            valueStart++;
        }

        while (valueEnd > valueStart && Tokens.IsOws(buffer[valueEnd - 1]))
        {
            valueEnd--;
        }

        ReadOnlySpan<byte> value = buffer[valueStart..valueEnd];
        ReadOnlySpan<byte> name = buffer.Slice(start, nameLength);
        Segment segment = new(valueStart, value.Length);

        // Field names are case-insensitive (RFC 9110 §5.1). Dispatch on length first so most unknown fields cost
        // one comparison at most.
        switch (name.Length)
        {
            case 4 when Ascii.EqualsIgnoreCase(name, "host"u8):
                return OnHost(value, segment, ref head);
            case 6 when Ascii.EqualsIgnoreCase(name, "accept"u8):
                return SetFirst(ref head.Accept, ref head.AcceptRepeated, segment);
            case 6 when Ascii.EqualsIgnoreCase(name, "origin"u8):
                return SetOnce(ref head.Origin, segment);
            case 5 when Ascii.EqualsIgnoreCase(name, "range"u8):
                return SetOnce(ref head.Range, segment);
            case 7 when Ascii.EqualsIgnoreCase(name, "referer"u8):
                return SetOnce(ref head.Referer, segment);
            case 8 when Ascii.EqualsIgnoreCase(name, "if-match"u8):
                return SetFirst(ref head.IfMatch, ref head.IfMatchRepeated, segment);
            case 8 when Ascii.EqualsIgnoreCase(name, "if-range"u8):
                return SetOnce(ref head.IfRange, segment);
            case 10 when Ascii.EqualsIgnoreCase(name, "connection"u8):
                return ParseConnection(value, ref head);
            case 10 when Ascii.EqualsIgnoreCase(name, "user-agent"u8):
                return SetOnce(ref head.UserAgent, segment);
            case 13 when Ascii.EqualsIgnoreCase(name, "if-none-match"u8):
                return SetFirst(ref head.IfNoneMatch, ref head.IfNoneMatchRepeated, segment);
            case 14 when Ascii.EqualsIgnoreCase(name, "content-length"u8):
                return ParseContentLength(value, ref head);
            case 15 when Ascii.EqualsIgnoreCase(name, "accept-encoding"u8):
                return SetFirst(ref head.AcceptEncoding, ref head.AcceptEncodingRepeated, segment);
            case 17 when Ascii.EqualsIgnoreCase(name, "if-modified-since"u8):
                return SetOnce(ref head.IfModifiedSince, segment);
            case 17 when Ascii.EqualsIgnoreCase(name, "transfer-encoding"u8):
                return ParseTransferEncoding(value, ref head, ref chunkedSeen);
            case 19 when Ascii.EqualsIgnoreCase(name, "if-unmodified-since"u8):
                return SetOnce(ref head.IfUnmodifiedSince, segment);
            case 29 when Ascii.EqualsIgnoreCase(name, "access-control-request-method"u8):
                return SetOnce(ref head.AccessControlRequestMethod, segment);
            case 30 when Ascii.EqualsIgnoreCase(name, "access-control-request-headers"u8):
                return SetFirst(ref head.AccessControlRequestHeaders, ref head.AccessControlRequestHeadersRepeated, segment);
            default:
                return ParseError.None;
        }
    }

    /// <summary>Checks that need the whole header section.</summary>
    /// <param name="authority">The authority of an absolute-form target, or <see cref="Segment.None"/>.</param>
    public static ParseError FinishHead(ref RequestHead head, Segment authority)
    {
        // RFC 9112 §6.3 rule 4: for a request whose final coding is not chunked the length cannot be determined:
        // 400 and close.
        if (head.HasTransferEncoding && !head.Chunked)
        {
            return ParseError.BadRequest;
        }

        // RFC 9112 §3.2: a server MUST respond 400 to an HTTP/1.1 request without Host. This holds for
        // absolute-form too; only then the target's authority is what identifies the host (RFC 9112 §3.2.2).
        if (head.VersionMinor >= 1 && !head.Host.IsPresent)
        {
            return ParseError.BadRequest;
        }

        if (authority.IsPresent)
        {
            head.Host = authority;
        }

        return ParseError.None;
    }

    /// <summary>
    /// Singleton fields (RFC 9110 §5.3: only list-valued fields may be repeated). A second line means the sender
    /// and any intermediary may disagree about the value, so refuse rather than pick one.
    /// </summary>
    private static ParseError SetOnce(ref Segment field, Segment value)
    {
        if (field.IsPresent)
        {
            return ParseError.BadRequest;
        }

        field = value;
        return ParseError.None;
    }

    /// <summary>
    /// List-valued fields may legitimately span several lines (RFC 9110 §5.3). Only the first line is kept; the
    /// flag lets the feature that consumes the field decide how to treat the rest (e.g. ignore the precondition).
    /// </summary>
    private static ParseError SetFirst(ref Segment field, ref bool repeated, Segment value)
    {
        if (field.IsPresent)
        {
            repeated = true;
        }
        else
        {
            field = value;
        }

        return ParseError.None;
    }

    /// <summary>
    /// Host = uri-host [ ":" port ] (RFC 9110 §7.2). RFC 9112 §3.2: 400 for a repeated Host or an invalid value.
    /// </summary>
    private static ParseError OnHost(ReadOnlySpan<byte> value, Segment segment, ref RequestHead head)
    {
        if (head.Host.IsPresent || !HostSyntax.IsValid(value, requirePort: false))
        {
            return ParseError.BadRequest;
        }

        head.Host = segment;
        return ParseError.None;
    }

    /// <summary>
    /// Content-Length = 1*DIGIT (RFC 9110 §8.6). A second line or a list ("5, 5") is refused even when the values
    /// agree (§8.6 allows either; refusing is the conservative choice), and so is CL alongside TE (RFC 9112 §6.3
    /// rule 3: "ought to be handled as an error" — the classic smuggling pattern).
    /// </summary>
    private static ParseError ParseContentLength(ReadOnlySpan<byte> value, ref RequestHead head)
    {
        if (head.ContentLength >= 0 || head.HasTransferEncoding || value.IsEmpty
            || value.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0)
        {
            return ParseError.BadRequest;
        }

        long n = 0;
        foreach (byte b in value)
        {
            int digit = b - '0';
            if (n > (long.MaxValue - digit) / 10)
            {
                return ParseError.BadRequest; // does not fit: RFC 9110 §8.6 "MUST ... treat it as invalid"
            }

            n = (n * 10) + digit;
        }

        head.ContentLength = n;
        return ParseError.None;
    }

    /// <summary>
    /// Connection = #connection-option, connection-option = token (RFC 9110 §7.6.1). Several lines combine as one
    /// list (RFC 9110 §5.3); empty list elements are ignored (RFC 9110 §5.6.1).
    /// </summary>
    private static ParseError ParseConnection(ReadOnlySpan<byte> value, ref RequestHead head)
    {
        while (true)
        {
            int comma = value.IndexOf((byte)',');
            ReadOnlySpan<byte> item = Tokens.TrimOws(comma < 0 ? value : value[..comma]);
            if (!item.IsEmpty)
            {
                if (item.IndexOfAnyExcept(Tokens.Tchar) >= 0)
                {
                    return ParseError.BadRequest;
                }

                if (Ascii.EqualsIgnoreCase(item, "close"u8))
                {
                    head.ConnectionClose = true;
                }
                else if (Ascii.EqualsIgnoreCase(item, "keep-alive"u8))
                {
                    head.ConnectionKeepAlive = true;
                }
            }

            if (comma < 0)
            {
                return ParseError.None;
            }

            value = value[(comma + 1)..];
        }
    }

    /// <summary>
    /// Transfer-Encoding = #transfer-coding (RFC 9112 §6.1), transfer-coding = token *( OWS ";" OWS
    /// transfer-parameter ) (RFC 9112 §7). Several lines form one list in order (RFC 9110 §5.3), so
    /// <see cref="RequestHead.Chunked"/> tracks "the last coding so far is chunked" and is checked at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ParseError ParseTransferEncoding(ReadOnlySpan<byte> value, ref RequestHead head, ref bool chunkedSeen)
    {
        // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means the framing is faulty.
        // RFC 9112 §6.3 rule 3: with Content-Length as well, it is a smuggling attempt until proven otherwise.
        if (head.VersionMinor == 0 || head.ContentLength >= 0)
        {
            return ParseError.BadRequest;
        }

        head.HasTransferEncoding = true;
        bool any = false;
        int i = 0;
        while (true)
        {
            i = Tokens.SkipOws(value, i);
            if (i == value.Length)
            {
                break;
            }

            if (value[i] == (byte)',')
            {
                i++; // empty list element (RFC 9110 §5.6.1)
                continue;
            }

            int tokenLength = Tokens.TokenLength(value, i);
            if (tokenLength == 0)
            {
                return ParseError.BadRequest;
            }

            // RFC 9112 §6.1: chunked MUST NOT be applied more than once.
            bool isChunked = Ascii.EqualsIgnoreCase(value.Slice(i, tokenLength), "chunked"u8);
            if (isChunked)
            {
                if (chunkedSeen)
                {
                    return ParseError.BadRequest;
                }

                chunkedSeen = true;
            }

            head.Chunked = isChunked;
            any = true;
            i += tokenLength;

            // Parameters. chunked defines none (RFC 9112 §7.1), so any on it is malformed.
            while (true)
            {
                i = Tokens.SkipOws(value, i);
                if (i == value.Length || value[i] == (byte)',')
                {
                    break;
                }

                if (value[i] != (byte)';' || isChunked)
                {
                    return ParseError.BadRequest;
                }

                // transfer-parameter = token BWS "=" BWS ( token / quoted-string )
                i = Tokens.SkipOws(value, i + 1);
                int nameLength = Tokens.TokenLength(value, i);
                if (nameLength == 0)
                {
                    return ParseError.BadRequest;
                }

                i = Tokens.SkipOws(value, i + nameLength);
                if (i == value.Length || value[i] != (byte)'=')
                {
                    return ParseError.BadRequest;
                }

                i = Tokens.SkipOws(value, i + 1);
                if (i < value.Length && value[i] == (byte)'"')
                {
                    i = Tokens.SkipQuotedString(value, i);
                    if (i < 0)
                    {
                        return ParseError.BadRequest;
                    }
                }
                else
                {
                    int valueLength = Tokens.TokenLength(value, i);
                    if (valueLength == 0)
                    {
                        return ParseError.BadRequest;
                    }

                    i += valueLength;
                }
            }

            if (i < value.Length)
            {
                i++; // the ','
            }
        }

        // Transfer-Encoding = 1#transfer-coding: at least one coding.
        return any ? ParseError.None : ParseError.BadRequest;
    }
}
