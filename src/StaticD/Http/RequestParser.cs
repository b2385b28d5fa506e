using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace StaticD.Http;

internal enum ParseStatus : byte
{
    /// <summary>A whole, valid head was parsed; <c>consumed</c> says how many bytes it occupied.</summary>
    Complete,

    /// <summary>Everything seen so far is valid but the head is not finished; call again with more bytes.</summary>
    Incomplete,

    /// <summary>The request must be refused; <c>error</c> says with which status.</summary>
    Invalid,
}

internal enum ParseError : byte
{
    None,

    /// <summary>400: malformed request line or header section.</summary>
    BadRequest,

    /// <summary>414: the request line does not fit in <see cref="ParserLimits.MaxRequestLineBytes"/>.</summary>
    UriTooLong,

    /// <summary>431: the head does not fit in <see cref="ParserLimits.MaxHeaderBytes"/> or has too many fields.</summary>
    HeadersTooLarge,

    /// <summary>505: a well-formed HTTP-version whose major version is not 1.</summary>
    VersionNotSupported,
}

/// <summary>
/// Size limits for one request head. RFC 9112 §3 and RFC 9110 §15.5.15 (414) / RFC 6585 §5 (431) leave the
/// limits to the server but say which status to use when they are exceeded. Use <see cref="Default"/> or the
/// constructor: <c>default(ParserLimits)</c> has all limits zero and rejects every request.
/// </summary>
internal readonly struct ParserLimits
{
    /// <param name="maxRequestLineBytes">Longest request line, counting its CRLF (414 beyond it).</param>
    /// <param name="maxHeaderBytes">Longest head from the first byte (leading empty lines, request line, fields
    /// and the final empty line included) (431 beyond it).</param>
    /// <param name="maxHeaderCount">Most field lines (431 beyond it).</param>
    public ParserLimits(int maxRequestLineBytes, int maxHeaderBytes, int maxHeaderCount)
    {
        // Limits come from configuration, not from the peer, so a bad value is a programming/config error.
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRequestLineBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxHeaderBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(maxHeaderCount);
        MaxRequestLineBytes = maxRequestLineBytes;
        MaxHeaderBytes = maxHeaderBytes;
        MaxHeaderCount = maxHeaderCount;
    }

    public int MaxRequestLineBytes { get; }

    public int MaxHeaderBytes { get; }

    public int MaxHeaderCount { get; }

    /// <summary>8 KiB request line, 16 KiB head, 100 fields.</summary>
    public static ParserLimits Default => new(8192, 16384, 100);
}

/// <summary>
/// Strict, zero-allocation, exception-free HTTP/1.1 request-head parser (RFC 9112 §2-§7, RFC 9110 §5).
/// </summary>
/// <remarks>
/// The parser is stateless: every call parses from the start of the buffer. Anything that deviates from the
/// grammar is rejected rather than repaired (RFC 9112 §2.2 permits lenient parsing but leniency in a front-line
/// server is what request smuggling feeds on). Finding the separators and validating the bytes between them is
/// the same vectorized search (<c>IndexOfAnyExcept</c> against a <see cref="SearchValues{T}"/> of the allowed
/// bytes: the first byte outside the set must be the expected delimiter), so a field line costs two scans.
/// Rarely-used paths live in separate non-inlined methods to keep the hot loop small.
/// <para>Performance note: <see cref="SearchValues{T}"/> byte sets are only vectorized when the Native AOT
/// build targets an instruction set with SSSE3/AVX2 (<c>IlcInstructionSet</c>); with the default x64 baseline
/// they fall back to scalar code and the parser is several times slower.</para>
/// </remarks>
internal static class RequestParser
{
    private const byte CR = (byte)'\r';
    private const byte LF = (byte)'\n';
    private const byte SP = (byte)' ';
    private const byte HTAB = (byte)'\t';

    /// <summary>tchar, RFC 9110 §5.6.2. Used for method, field names and list tokens.</summary>
    private static readonly SearchValues<byte> s_tchar =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    /// <summary>
    /// Bytes allowed in a request-target: visible ASCII except '#'. RFC 9112 §3.2 targets are URI syntax, which
    /// has no raw CTLs, spaces or non-ASCII, and a fragment is never sent (RFC 9110 §4.2.1).
    /// </summary>
    private static readonly SearchValues<byte> s_targetChars = CreateRange(0x21, 0x7E, exclude: (byte)'#');

    /// <summary>
    /// field-value bytes, RFC 9110 §5.5: HTAB, SP, VCHAR, obs-text. NUL, CR, LF, other CTLs and DEL are
    /// excluded ("a recipient ... MUST either reject the message or replace ... with SP" — we reject).
    /// </summary>
    private static readonly SearchValues<byte> s_fieldValueChars = CreateFieldValueChars();

    /// <summary>reg-name, RFC 3986 §3.2.2: unreserved / sub-delims, plus '%' (pct-encoded checked separately).</summary>
    private static readonly SearchValues<byte> s_regNameChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=%"u8);

    /// <summary>Tail of IPvFuture, RFC 3986 §3.2.2: unreserved / sub-delims / ":".</summary>
    private static readonly SearchValues<byte> s_ipvFutureChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:"u8);

    private static readonly SearchValues<byte> s_hexDigits = SearchValues.Create("0123456789ABCDEFabcdef"u8);

    /// <summary>
    /// Parses one request head at the start of <paramref name="buffer"/>.
    /// </summary>
    /// <returns>
    /// <see cref="ParseStatus.Complete"/>: <paramref name="consumed"/> = bytes of the head, leading empty lines and
    /// the final CRLFCRLF included. <see cref="ParseStatus.Incomplete"/>: consumed = 0; call again with more bytes.
    /// <see cref="ParseStatus.Invalid"/>: consumed = 0 and <paramref name="error"/> says which status to send.
    /// </returns>
    public static ParseStatus TryParse(
        ReadOnlySpan<byte> buffer, in ParserLimits limits, ref RequestHead head, out int consumed, out ParseError error)
    {
        head.Reset();
        consumed = 0;

        // Nothing past MaxHeaderBytes can be part of an acceptable head, so never look beyond it. This also makes
        // the outcome independent of how the peer's bytes were split across reads.
        int maxHead = Math.Max(limits.MaxHeaderBytes, 0);
        ReadOnlySpan<byte> window = buffer.Length > maxHead ? buffer[..maxHead] : buffer;

        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line (CRLF) received before the request-line.
        // They still count toward MaxHeaderBytes, so a stream of CRLFs cannot pin the connection forever.
        int pos = 0;
        while (true)
        {
            if (pos == window.Length)
            {
                return NeedMore(buffer.Length, maxHead, out error);
            }

            byte b = window[pos];
            if (b != CR)
            {
                if (b == LF)
                {
                    // Bare LF (RFC 9112 §2.2: a bare LF line terminator may be accepted; strict parsing refuses it).
                    return Fail(ParseError.BadRequest, out error);
                }

                break;
            }

            if (pos + 1 == window.Length)
            {
                return NeedMore(buffer.Length, maxHead, out error);
            }

            if (window[pos + 1] != LF)
            {
                // Bare CR (RFC 9112 §2.2: MUST be treated as invalid or replaced by SP; we refuse).
                return Fail(ParseError.BadRequest, out error);
            }

            pos += 2;
        }

        // Request line (RFC 9112 §3): method SP request-target SP HTTP-version CRLF. Its LF must lie within the
        // first MaxRequestLineBytes bytes, so only that much is ever scanned; an endless line is refused (414,
        // RFC 9112 §3) as soon as that much has arrived. The scans that find the separators also validate the
        // bytes they skip, so each byte is looked at once.
        int maxLine = limits.MaxRequestLineBytes;
        // Scanned within the window: bytes past MaxHeaderBytes must not decide the answer, or it would depend on
        // how the reads happened to split the stream (found by fuzzing).
        ReadOnlySpan<byte> line = window.Slice(pos, Math.Min(window.Length - pos, maxLine));

        // method = token (RFC 9110 §9.1, §5.6.2), ended by exactly one SP. Exactly one: RFC 9112 §3 allows lenient
        // whitespace splitting, but hops that split differently are a request-smuggling vector.
        int methodLength = line.IndexOfAnyExcept(s_tchar);
        if (methodLength < 0)
        {
            return LineNeedsMore(line.Length, maxLine, buffer.Length, maxHead, out error);
        }

        if (methodLength == 0 || line[methodLength] != SP)
        {
            return Fail(ParseError.BadRequest, out error);
        }

        int targetOffset = methodLength + 1;
        int targetLength = line[targetOffset..].IndexOfAnyExcept(s_targetChars);
        if (targetLength < 0)
        {
            return LineNeedsMore(line.Length, maxLine, buffer.Length, maxHead, out error);
        }

        if (targetLength == 0 || line[targetOffset + targetLength] != SP)
        {
            // Empty target (double SP), or a byte no request-target may contain: CTL (bare CR/LF included),
            // HTAB, DEL, '#', non-ASCII.
            return Fail(ParseError.BadRequest, out error);
        }

        int versionOffset = targetOffset + targetLength + 1;
        int versionLength = line[versionOffset..].IndexOf(LF); // includes the CR, validated below
        if (versionLength < 0)
        {
            return LineNeedsMore(line.Length, maxLine, buffer.Length, maxHead, out error);
        }

        int lf = pos + versionOffset + versionLength;
        if (lf >= window.Length)
        {
            // The request line itself already runs past MaxHeaderBytes (only with leading empty lines or limits
            // configured with MaxRequestLineBytes > MaxHeaderBytes).
            return Fail(ParseError.HeadersTooLarge, out error);
        }

        ParseError err = ParseRequestLine(
            window, pos, methodLength, targetLength, line.Slice(versionOffset, versionLength), ref head, out Segment authority);
        if (err != ParseError.None)
        {
            return Fail(err, out error);
        }

        // Header section (RFC 9112 §5): field lines up to an empty line. Two vectorized scans per line: one over
        // the name (stopping at the colon) and one over the value (stopping at the CR of the CRLF). Any other stop
        // byte is malformed, which gives bare CR/LF, CTL and obs-fold detection for free.
        bool chunkedSeen = false;
        int lineStart = lf + 1;
        while (true)
        {
            ReadOnlySpan<byte> rest = window[lineStart..];
            int nameLength = rest.IndexOfAnyExcept(s_tchar);
            if (nameLength < 0)
            {
                return NeedMore(buffer.Length, maxHead, out error);
            }

            if (rest[nameLength] != (byte)':')
            {
                if (nameLength == 0 && rest[0] == CR)
                {
                    if (rest.Length == 1)
                    {
                        return NeedMore(buffer.Length, maxHead, out error);
                    }

                    if (rest[1] != LF)
                    {
                        return Fail(ParseError.BadRequest, out error); // bare CR
                    }

                    lf = lineStart + 1;
                    break; // CRLF alone: end of the header section.
                }

                // The name is a token (RFC 9110 §5.1), so the first non-tchar must be the colon. A stop at index 0
                // is a line starting with SP/HTAB: obs-fold (RFC 9112 §5.2) or whitespace before the first field
                // (RFC 9112 §2.2), both rejected; or a bare LF. A later stop is e.g. whitespace between name and
                // colon, which RFC 9112 §5.1 says MUST be answered with 400.
                return Fail(ParseError.BadRequest, out error);
            }

            if (nameLength == 0)
            {
                return Fail(ParseError.BadRequest, out error); // empty field-name
            }

            int valueStart = lineStart + nameLength + 1;
            int cr = window[valueStart..].IndexOfAnyExcept(s_fieldValueChars);
            if (cr < 0)
            {
                return NeedMore(buffer.Length, maxHead, out error);
            }

            cr += valueStart;
            if (window[cr] != CR)
            {
                return Fail(ParseError.BadRequest, out error); // NUL, CTL, DEL or a bare LF in the value
            }

            if (cr + 1 == window.Length)
            {
                return NeedMore(buffer.Length, maxHead, out error);
            }

            if (window[cr + 1] != LF)
            {
                return Fail(ParseError.BadRequest, out error); // bare CR
            }

            if (++head.HeaderCount > limits.MaxHeaderCount)
            {
                return Fail(ParseError.HeadersTooLarge, out error);
            }

            err = OnField(window, lineStart, nameLength, valueStart, cr, ref head, ref chunkedSeen);
            if (err != ParseError.None)
            {
                return Fail(err, out error);
            }

            lineStart = cr + 2;
        }

        err = FinishHead(ref head, authority);
        if (err != ParseError.None)
        {
            return Fail(err, out error);
        }

        consumed = lf + 1;
        error = ParseError.None;
        return ParseStatus.Complete;
    }

    /// <summary>
    /// The head is unfinished. If the buffer already holds MaxHeaderBytes the head cannot end within the limit:
    /// 431 (RFC 6585 §5) now rather than after the peer sends more.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ParseStatus NeedMore(int bufferLength, int maxHead, out ParseError error)
    {
        if (bufferLength >= maxHead)
        {
            error = ParseError.HeadersTooLarge;
            return ParseStatus.Invalid;
        }

        error = ParseError.None;
        return ParseStatus.Incomplete;
    }

    /// <summary>
    /// The request line is unfinished: if MaxRequestLineBytes bytes of it are already here it cannot end within
    /// the limit (414); otherwise the usual head-size rule applies.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ParseStatus LineNeedsMore(int lineBytes, int maxLine, int bufferLength, int maxHead, out ParseError error)
    {
        if (lineBytes >= maxLine)
        {
            error = ParseError.UriTooLong;
            return ParseStatus.Invalid;
        }

        return NeedMore(bufferLength, maxHead, out error);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ParseStatus Fail(ParseError reason, out ParseError error)
    {
        error = reason;
        return ParseStatus.Invalid;
    }

    /// <summary>
    /// Interprets a request line whose separators were found (and whose method and target bytes were validated)
    /// by <see cref="TryParse"/>.
    /// </summary>
    /// <param name="start">Offset of the method.</param>
    /// <param name="version">The bytes between the second SP and the LF (the CR included).</param>
    private static ParseError ParseRequestLine(
        ReadOnlySpan<byte> buffer,
        int start,
        int methodLength,
        int targetLength,
        ReadOnlySpan<byte> version,
        ref RequestHead head,
        out Segment authority)
    {
        authority = Segment.None;

        // HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive (RFC 9112 §2.3), then CRLF. It is checked
        // before the target form so that a well-formed foreign version (e.g. the HTTP/2 preface
        // "PRI * HTTP/2.0") gets 505 rather than a 400 about the part of the line that belongs to that protocol.
        if (version.Length != 9
            || version[8] != CR
            || !version.StartsWith("HTTP/"u8)
            || version[6] != (byte)'.'
            || !IsDigit(version[5])
            || !IsDigit(version[7]))
        {
            return ParseError.BadRequest;
        }

        if (version[5] != (byte)'1')
        {
            return ParseError.VersionNotSupported; // RFC 9110 §15.6.6
        }

        head.VersionMinor = (byte)(version[7] - '0');
        head.MethodToken = new Segment(start, methodLength);
        head.Method = MatchMethod(buffer.Slice(start, methodLength));

        int targetStart = start + methodLength + 1;
        ReadOnlySpan<byte> target = buffer.Slice(targetStart, targetLength);
        head.Target = new Segment(targetStart, target.Length);

        if (target[0] == (byte)'/')
        {
            // origin-form = absolute-path [ "?" query ] (RFC 9112 §3.2.1): the common case, kept inline.
            int q = target.IndexOf((byte)'?');
            if (q < 0)
            {
                head.Path = head.Target;
            }
            else
            {
                head.Path = new Segment(targetStart, q);
                head.Query = new Segment(targetStart + q + 1, target.Length - q - 1);
            }

            return ParseError.None;
        }

        return ParseOtherTargetForm(target, targetStart, ref head, out authority);
    }

    /// <summary>asterisk-form, absolute-form and authority-form (RFC 9112 §3.2.2-§3.2.4).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ParseError ParseOtherTargetForm(
        ReadOnlySpan<byte> target, int targetStart, ref RequestHead head, out Segment authority)
    {
        authority = Segment.None;

        if (target.Length == 1 && target[0] == (byte)'*')
        {
            // RFC 9112 §3.2.4: asterisk-form is only used for a server-wide OPTIONS request.
            if (head.Method != HttpMethod.Options)
            {
                return ParseError.BadRequest;
            }

            head.Path = head.Target;
            return ParseError.None;
        }

        // absolute-form (RFC 9112 §3.2.2). Only http/https URIs identify resources an origin server can serve;
        // the scheme is case-insensitive (RFC 3986 §3.1).
        int schemeLength =
            target.Length >= 7 && Ascii.EqualsIgnoreCase(target[..7], "http://"u8) ? 7
            : target.Length >= 8 && Ascii.EqualsIgnoreCase(target[..8], "https://"u8) ? 8
            : 0;
        if (schemeLength != 0)
        {
            ReadOnlySpan<byte> rest = target[schemeLength..];
            int authorityLength = rest.IndexOfAny((byte)'/', (byte)'?');
            if (authorityLength < 0)
            {
                authorityLength = rest.Length;
            }

            // RFC 9110 §4.2.1: an http(s) URI with an empty host is invalid. userinfo ('@') is not allowed by the
            // host grammar, which is what RFC 9110 §4.2.4 asks for ("treat its presence as an error").
            if (!IsValidHost(rest[..authorityLength], requirePort: false))
            {
                return ParseError.BadRequest;
            }

            int authorityStart = targetStart + schemeLength;
            authority = new Segment(authorityStart, authorityLength);

            // path-abempty [ "?" query ]. An empty path is reported as a zero-length Path meaning "/"
            // (RFC 9110 §4.2.3: an empty path component is equivalent to "/").
            ReadOnlySpan<byte> pathAndQuery = rest[authorityLength..];
            int pathStart = authorityStart + authorityLength;
            int q = pathAndQuery.IndexOf((byte)'?');
            if (q < 0)
            {
                head.Path = new Segment(pathStart, pathAndQuery.Length);
            }
            else
            {
                head.Path = new Segment(pathStart, q);
                head.Query = new Segment(pathStart + q + 1, pathAndQuery.Length - q - 1);
            }

            return ParseError.None;
        }

        // authority-form = uri-host ":" port, only for CONNECT (RFC 9112 §3.2.3). Anything else is not a
        // request-target at all.
        if (head.Method == HttpMethod.Connect && IsValidHost(target, requirePort: true))
        {
            return ParseError.None;
        }

        return ParseError.BadRequest;
    }

    /// <summary>Known methods, case-sensitive (RFC 9110 §9.1).</summary>
    private static HttpMethod MatchMethod(ReadOnlySpan<byte> m) => m.Length switch
    {
        3 => m.SequenceEqual("GET"u8) ? HttpMethod.Get : m.SequenceEqual("PUT"u8) ? HttpMethod.Put : HttpMethod.Unknown,
        4 => m.SequenceEqual("HEAD"u8) ? HttpMethod.Head : m.SequenceEqual("POST"u8) ? HttpMethod.Post : HttpMethod.Unknown,
        5 => m.SequenceEqual("PATCH"u8) ? HttpMethod.Patch : m.SequenceEqual("TRACE"u8) ? HttpMethod.Trace : HttpMethod.Unknown,
        6 => m.SequenceEqual("DELETE"u8) ? HttpMethod.Delete : HttpMethod.Unknown,
        7 => m.SequenceEqual("OPTIONS"u8) ? HttpMethod.Options : m.SequenceEqual("CONNECT"u8) ? HttpMethod.Connect : HttpMethod.Unknown,
        _ => HttpMethod.Unknown,
    };

    /// <summary>
    /// Records one field line (RFC 9112 §5) whose name and value bytes <see cref="TryParse"/> already validated.
    /// </summary>
    /// <param name="start">Offset of the field name.</param>
    /// <param name="valueStart">Offset just after the colon.</param>
    /// <param name="valueEnd">Offset of the CR.</param>
    private static ParseError OnField(
        ReadOnlySpan<byte> buffer, int start, int nameLength, int valueStart, int valueEnd, ref RequestHead head, ref bool chunkedSeen)
    {
        // OWS around the value is not part of it (RFC 9112 §5.1). Usually zero or one byte, so scalar loops.
        while (valueStart < valueEnd && Ows.Is(buffer[valueStart]))
        {
            valueStart++;
        }

        while (valueEnd > valueStart && Ows.Is(buffer[valueEnd - 1]))
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
            default:
                return ParseError.None;
        }
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
        if (head.Host.IsPresent || !IsValidHost(value, requirePort: false))
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
            ReadOnlySpan<byte> item = (comma < 0 ? value : value[..comma]).Trim(" \t"u8);
            if (!item.IsEmpty)
            {
                if (item.IndexOfAnyExcept(s_tchar) >= 0)
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
            i = Ows.Skip(value, i);
            if (i == value.Length)
            {
                break;
            }

            if (value[i] == (byte)',')
            {
                i++; // empty list element (RFC 9110 §5.6.1)
                continue;
            }

            int tokenLength = TokenLength(value, i);
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
                i = Ows.Skip(value, i);
                if (i == value.Length || value[i] == (byte)',')
                {
                    break;
                }

                if (value[i] != (byte)';' || isChunked)
                {
                    return ParseError.BadRequest;
                }

                // transfer-parameter = token BWS "=" BWS ( token / quoted-string )
                i = Ows.Skip(value, i + 1);
                int nameLength = TokenLength(value, i);
                if (nameLength == 0)
                {
                    return ParseError.BadRequest;
                }

                i = Ows.Skip(value, i + nameLength);
                if (i == value.Length || value[i] != (byte)'=')
                {
                    return ParseError.BadRequest;
                }

                i = Ows.Skip(value, i + 1);
                if (i < value.Length && value[i] == (byte)'"')
                {
                    i = SkipQuotedString(value, i);
                    if (i < 0)
                    {
                        return ParseError.BadRequest;
                    }
                }
                else
                {
                    int valueLength = TokenLength(value, i);
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

    private static int TokenLength(ReadOnlySpan<byte> s, int i)
    {
        int n = s[i..].IndexOfAnyExcept(s_tchar);
        return n < 0 ? s.Length - i : n;
    }

    /// <summary>
    /// quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 §5.6.4), starting at the opening quote.
    /// The bytes were already checked against field-value rules, so only the quote and escape structure matters.
    /// Returns the index after the closing quote, or -1.
    /// </summary>
    private static int SkipQuotedString(ReadOnlySpan<byte> s, int i)
    {
        for (i++; i < s.Length; i++)
        {
            if (s[i] == (byte)'"')
            {
                return i + 1;
            }

            if (s[i] == (byte)'\\' && ++i == s.Length)
            {
                return -1;
            }
        }

        return -1;
    }

    /// <summary>Checks that need the whole header section.</summary>
    private static ParseError FinishHead(ref RequestHead head, Segment authority)
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
    /// uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2-§3.2.3). uri-host is an IP-literal in brackets or a
    /// reg-name (which also covers IPv4address); an empty host is refused. port = *DIGIT.
    /// </summary>
    private static bool IsValidHost(ReadOnlySpan<byte> value, bool requirePort)
    {
        if (value.IsEmpty)
        {
            return false;
        }

        int hostEnd;
        if (value[0] == (byte)'[')
        {
            int close = value.IndexOf((byte)']');
            if (close < 0 || !IsValidIpLiteral(value[1..close]))
            {
                return false;
            }

            hostEnd = close + 1;
            if (hostEnd < value.Length && value[hostEnd] != (byte)':')
            {
                return false;
            }
        }
        else
        {
            hostEnd = value.IndexOf((byte)':');
            if (hostEnd < 0)
            {
                hostEnd = value.Length;
            }

            if (hostEnd == 0 || !IsValidRegName(value[..hostEnd]))
            {
                return false;
            }
        }

        if (hostEnd == value.Length)
        {
            return !requirePort;
        }

        ReadOnlySpan<byte> port = value[(hostEnd + 1)..];
        return port.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0 && (!requirePort || !port.IsEmpty);
    }

    /// <summary>reg-name = *( unreserved / pct-encoded / sub-delims ) (RFC 3986 §3.2.2).</summary>
    private static bool IsValidRegName(ReadOnlySpan<byte> s)
    {
        if (s.IndexOfAnyExcept(s_regNameChars) >= 0)
        {
            return false;
        }

        int pct = s.IndexOf((byte)'%');
        while (pct >= 0)
        {
            if (pct + 2 >= s.Length || !IsHex(s[pct + 1]) || !IsHex(s[pct + 2]))
            {
                return false;
            }

            int next = s[(pct + 3)..].IndexOf((byte)'%');
            pct = next < 0 ? -1 : pct + 3 + next;
        }

        return true;
    }

    /// <summary>IP-literal contents = IPv6address / IPvFuture (RFC 3986 §3.2.2).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool IsValidIpLiteral(ReadOnlySpan<byte> s)
    {
        if (s.IsEmpty)
        {
            return false;
        }

        if ((s[0] | 0x20) == (byte)'v')
        {
            // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
            int dot = s.IndexOf((byte)'.');
            return dot >= 2
                && dot < s.Length - 1
                && s[1..dot].IndexOfAnyExcept(s_hexDigits) < 0
                && s[(dot + 1)..].IndexOfAnyExcept(s_ipvFutureChars) < 0;
        }

        return IsValidIPv6(s);
    }

    /// <summary>
    /// IPv6address (RFC 3986 §3.2.2 / RFC 4291 §2.2): eight 1-4 digit hex groups separated by ':', at most one
    /// "::" standing for one or more zero groups, and optionally an IPv4 dotted quad as the last two groups.
    /// </summary>
    private static bool IsValidIPv6(ReadOnlySpan<byte> s)
    {
        int groups = 0;
        bool compressed = false;
        int i = 0;

        if (s.StartsWith("::"u8))
        {
            compressed = true;
            i = 2;
            if (i == s.Length)
            {
                return true;
            }
        }
        else if (s[0] == (byte)':')
        {
            return false;
        }

        while (true)
        {
            int groupStart = i;
            while (i < s.Length && IsHex(s[i]))
            {
                i++;
            }

            if (i < s.Length && s[i] == (byte)'.')
            {
                // ls32 may be an IPv4address; it must be the last piece and counts as two groups.
                if (!IsValidIPv4(s[groupStart..]))
                {
                    return false;
                }

                groups += 2;
                break;
            }

            int digits = i - groupStart;
            if (digits is 0 or > 4)
            {
                return false;
            }

            groups++;
            if (i == s.Length)
            {
                break;
            }

            if (s[i] != (byte)':')
            {
                return false;
            }

            i++;
            if (i < s.Length && s[i] == (byte)':')
            {
                if (compressed)
                {
                    return false;
                }

                compressed = true;
                i++;
                if (i == s.Length)
                {
                    break;
                }
            }
            else if (i == s.Length)
            {
                return false; // trailing single ':'
            }
        }

        return compressed ? groups <= 7 : groups == 8;
    }

    /// <summary>IPv4address = dec-octet "." dec-octet "." dec-octet "." dec-octet, no leading zeros (RFC 3986 §3.2.2).</summary>
    private static bool IsValidIPv4(ReadOnlySpan<byte> s)
    {
        for (int octet = 0; octet < 4; octet++)
        {
            int n = 0;
            int digits = 0;
            while (digits < s.Length && IsDigit(s[digits]))
            {
                n = (n * 10) + (s[digits] - '0');
                digits++;
                if (digits > 3)
                {
                    return false;
                }
            }

            if (digits == 0 || n > 255 || (digits > 1 && s[0] == (byte)'0'))
            {
                return false;
            }

            s = s[digits..];
            if (octet < 3)
            {
                if (s.IsEmpty || s[0] != (byte)'.')
                {
                    return false;
                }

                s = s[1..];
            }
        }

        return s.IsEmpty;
    }


    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    private static bool IsHex(byte b) => char.IsAsciiHexDigit((char)b);

    private static SearchValues<byte> CreateRange(byte first, byte last, byte exclude)
    {
        Span<byte> bytes = stackalloc byte[last - first + 1];
        int n = 0;
        for (int b = first; b <= last; b++)
        {
            if (b != exclude)
            {
                bytes[n++] = (byte)b;
            }
        }

        return SearchValues.Create(bytes[..n]);
    }

    private static SearchValues<byte> CreateFieldValueChars()
    {
        Span<byte> bytes = stackalloc byte[256];
        int n = 0;
        bytes[n++] = HTAB;
        for (int b = 0x20; b <= 0xFF; b++)
        {
            if (b != 0x7F)
            {
                bytes[n++] = (byte)b;
            }
        }

        return SearchValues.Create(bytes[..n]);
    }
}
