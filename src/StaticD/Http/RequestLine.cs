using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;

namespace StaticD.Http;

/// <summary>
/// request-line = method SP request-target SP HTTP-version CRLF (RFC 9112 §3): finding it within
/// <see cref="ParserLimits.MaxRequestLineBytes"/> and interpreting its three parts.
/// </summary>
internal static class RequestLine
{
    private const byte CR = (byte)'\r';
    private const byte LF = (byte)'\n';
    private const byte SP = (byte)' ';

    /// <summary>
    /// Bytes allowed in a request-target: visible ASCII except '#'. RFC 9112 §3.2 targets are URI syntax, which
    /// has no raw CTLs, spaces or non-ASCII, and a fragment is never sent (RFC 9110 §4.2.1).
    /// </summary>
    private static readonly SearchValues<byte> s_targetChars = CreateRange(0x21, 0x7E, exclude: (byte)'#');

    /// <summary>
    /// Parses the request line that starts at <paramref name="start"/> (after any leading empty lines).
    /// </summary>
    /// <param name="window">The buffer cut at MaxHeaderBytes.</param>
    /// <param name="bufferLength">and <paramref name="maxHead"/>: what <see cref="RequestParser.NeedMore"/>
    /// decides an unfinished line with.</param>
    /// <param name="lf">Offset of the line's LF.</param>
    /// <param name="authority">The authority of an absolute-form target, which stands in for Host once the
    /// header section has been read (RFC 9112 §3.2.2); <see cref="Segment.None"/> otherwise.</param>
    /// <returns><see cref="ParseStatus.Complete"/> when the line is whole and valid (<paramref name="head"/> then
    /// holds its parts); otherwise the result for <see cref="RequestParser.TryParse"/> to return.</returns>
    /// <remarks>Inlined into <see cref="RequestParser.TryParse"/>, which it runs once per request: as a call with
    /// nine arguments and three outs it cost about 100 more instructions per request (measured).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ParseStatus Parse(
        ReadOnlySpan<byte> window,
        int start,
        int maxLine,
        int bufferLength,
        int maxHead,
        ref RequestHead head,
        out int lf,
        out Segment authority,
        out ParseError error)
    {
        lf = 0;
        authority = Segment.None;

        // Its LF must lie within the first MaxRequestLineBytes bytes, so only that much is ever scanned; an
        // endless line is refused (414, RFC 9112 §3) as soon as that much has arrived. The scans that find the
        // separators also validate the bytes they skip, so each byte is looked at once.
        // Scanned within the window: bytes past MaxHeaderBytes must not decide the answer, or it would depend on
        // how the reads happened to split the stream (found by fuzzing).
        ReadOnlySpan<byte> line = window.Slice(start, Math.Min(window.Length - start, maxLine));

        // method = token (RFC 9110 §9.1, §5.6.2), ended by exactly one SP. Exactly one: RFC 9112 §3 allows lenient
        // whitespace splitting, but hops that split differently are a request-smuggling vector.
        int methodLength = line.IndexOfAnyExcept(Tokens.Tchar);
        if (methodLength < 0)
        {
            // A valid token that fills the whole line limit is an unknown method (501), not a long URI (414):
            // the target was never reached. Invalid bytes stop the scan above and are a 400 below.
            return line.Length >= maxLine
                ? RequestParser.Fail(ParseError.MethodNotImplemented, out error)
                : LineNeedsMore(line.Length, maxLine, bufferLength, maxHead, out error);
        }

        if (methodLength == 0 || line[methodLength] != SP)
        {
            return RequestParser.Fail(ParseError.BadRequest, out error);
        }

        int targetOffset = methodLength + 1;
        int targetLength = line[targetOffset..].IndexOfAnyExcept(s_targetChars);
        if (targetLength < 0)
        {
            return LineNeedsMore(line.Length, maxLine, bufferLength, maxHead, out error);
        }

        if (targetLength == 0 || line[targetOffset + targetLength] != SP)
        {
            // Empty target (double SP), or a byte no request-target may contain: CTL (bare CR/LF included),
            // HTAB, DEL, '#', non-ASCII.
            return RequestParser.Fail(ParseError.BadRequest, out error);
        }

        int versionOffset = targetOffset + targetLength + 1;
        int versionLength = line[versionOffset..].IndexOf(LF); // includes the CR, validated below
        if (versionLength < 0)
        {
            return LineNeedsMore(line.Length, maxLine, bufferLength, maxHead, out error);
        }

        lf = start + versionOffset + versionLength;
        if (lf >= window.Length)
        {
            // The request line itself already runs past MaxHeaderBytes (only with leading empty lines or limits
            // configured with MaxRequestLineBytes > MaxHeaderBytes).
            return RequestParser.Fail(ParseError.HeadersTooLarge, out error);
        }

        ParseError err = Interpret(
            window, start, methodLength, targetLength, line.Slice(versionOffset, versionLength), ref head, out authority);
        if (err != ParseError.None)
        {
            return RequestParser.Fail(err, out error);
        }

        error = ParseError.None;
        return ParseStatus.Complete;
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

        return RequestParser.NeedMore(bufferLength, maxHead, out error);
    }

    /// <summary>
    /// Interprets a request line whose separators were found (and whose method and target bytes were validated)
    /// by <see cref="Parse"/>.
    /// </summary>
    /// <param name="start">Offset of the method.</param>
    /// <param name="version">The bytes between the second SP and the LF (the CR included).</param>
    private static ParseError Interpret(
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
            if (!HostSyntax.IsValid(rest[..authorityLength], requirePort: false))
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
        if (head.Method == HttpMethod.Connect && HostSyntax.IsValid(target, requirePort: true))
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

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

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
}
