using System.Buffers;
using System.Runtime.CompilerServices;

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

    /// <summary>501: the method token alone fills <see cref="ParserLimits.MaxRequestLineBytes"/>. No method staticd
    /// knows is that long, so it is an unknown method (RFC 9110 §15.6.2), not a long URI: the target was never
    /// reached.</summary>
    MethodNotImplemented,
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
/// <para>This file frames the head: leading empty lines, the field lines up to the empty line, the size limits.
/// The request line is <see cref="RequestLine"/>, what the fields mean is <see cref="FieldSemantics"/>, the
/// host grammar is <see cref="HostSyntax"/>, and the byte classes (tchar, field-value, OWS) and quoted-string are
/// <see cref="Tokens"/>.</para>
/// <para>Performance note: <see cref="SearchValues{T}"/> byte sets are only vectorized when the Native AOT
/// build targets an instruction set with SSSE3/AVX2 (<c>IlcInstructionSet</c>); with the default x64 baseline
/// they fall back to scalar code and the parser is several times slower.</para>
/// </remarks>
internal static class RequestParser
{
    private const byte CR = (byte)'\r';
    private const byte LF = (byte)'\n';

    /// <summary>The head at the start of <paramref name="buffer"/>: Complete(consumed) | Incomplete | Invalid(reason).</summary>
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

        // Request line (RFC 9112 §3): method SP request-target SP HTTP-version CRLF.
        ParseStatus status = RequestLine.Parse(
            window, pos, limits.MaxRequestLineBytes, buffer.Length, maxHead, ref head, out int lf, out Segment authority, out error);
        if (status != ParseStatus.Complete)
        {
            return status;
        }

        // Header section (RFC 9112 §5): field lines up to an empty line. Two vectorized scans per line: one over
        // the name (stopping at the colon) and one over the value (stopping at the CR of the CRLF). Any other stop
        // byte is malformed, which gives bare CR/LF, CTL and obs-fold detection for free.
        bool chunkedSeen = false;
        int lineStart = lf + 1;
        ParseError err;
        while (true)
        {
            ReadOnlySpan<byte> rest = window[lineStart..];
            int nameLength = rest.IndexOfAnyExcept(Tokens.Tchar);
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
            int cr = window[valueStart..].IndexOfAnyExcept(Tokens.FieldValueChars);
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

            err = FieldSemantics.OnField(window, lineStart, nameLength, valueStart, cr, ref head, ref chunkedSeen);
            if (err != ParseError.None)
            {
                return Fail(err, out error);
            }

            lineStart = cr + 2;
        }

        err = FieldSemantics.FinishHead(ref head, authority);
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
    internal static ParseStatus NeedMore(int bufferLength, int maxHead, out ParseError error)
    {
        if (bufferLength >= maxHead)
        {
            error = ParseError.HeadersTooLarge;
            return ParseStatus.Invalid;
        }

        error = ParseError.None;
        return ParseStatus.Incomplete;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static ParseStatus Fail(ParseError reason, out ParseError error)
    {
        error = reason;
        return ParseStatus.Invalid;
    }
}
