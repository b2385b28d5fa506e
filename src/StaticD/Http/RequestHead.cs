namespace StaticD.Http;

/// <summary>
/// Request methods the server recognises. Matching is case-sensitive (RFC 9110 §9.1: "The method token is
/// case-sensitive"), so "get" is a valid token but <see cref="Unknown"/>; the caller answers 501 for those.
/// </summary>
/// <remarks>
/// Note for code outside the <c>StaticD.Http</c> namespace: the SDK's implicit usings import
/// <c>System.Net.Http</c>, whose <c>HttpMethod</c> class makes a bare <c>HttpMethod</c> ambiguous there.
/// Use <c>using HttpMethod = StaticD.Http.HttpMethod;</c> or a namespace-scoped <c>using StaticD.Http;</c>.
/// </remarks>
internal enum HttpMethod : byte
{
    Unknown,
    Get,
    Head,
    Post,
    Put,
    Delete,
    Options,
    Patch,
    Trace,
    Connect,
}

/// <summary>
/// An offset/length pair into the caller's receive buffer. The parser never copies bytes, so every piece of the
/// head is reported this way; <see cref="None"/> (length -1) means "absent", which is distinct from "present but
/// empty" (length 0).
/// </summary>
internal readonly struct Segment
{
    public readonly int Start;
    public readonly int Length;

    public Segment(int start, int length)
    {
        Start = start;
        Length = length;
    }

    /// <summary>True unless this is <see cref="None"/>. A zero-length segment is present.</summary>
    public bool IsPresent => Length >= 0;

    /// <summary>The absent marker: Start 0, Length -1.</summary>
    public static Segment None => new(0, -1);
}

/// <summary>
/// The parsed request head (RFC 9112 §2.1: start-line + header section). All <see cref="Segment"/>s are offsets
/// into the buffer that was passed to <see cref="RequestParser.TryParse"/>, counted from its first byte (leading
/// empty lines included). Only valid after a <see cref="ParseStatus.Complete"/> result; after Incomplete or
/// Invalid the contents are partial and must not be used.
/// </summary>
internal struct RequestHead
{
    public HttpMethod Method;

    /// <summary>The raw method token (useful for logging an <see cref="HttpMethod.Unknown"/> method).</summary>
    public Segment MethodToken;

    /// <summary>The whole request-target exactly as sent.</summary>
    public Segment Target;

    /// <summary>
    /// The path, still percent-encoded. Origin-form: the absolute-path. Absolute-form: the path component of the
    /// URI; when the URI has no path this segment has <b>Length 0</b> (Start = where the path would be) and means
    /// "/" (RFC 9112 §3.2.2 / RFC 9110 §4.2.3: an empty path is equivalent to "/"). Asterisk-form: the "*".
    /// Authority-form (CONNECT only): <see cref="Segment.None"/>.
    /// </summary>
    public Segment Path;

    /// <summary>Bytes after the first '?' (without it); <see cref="Segment.None"/> if there is no '?'.</summary>
    public Segment Query;

    /// <summary>The x in HTTP/1.x.</summary>
    public byte VersionMinor;

    /// <summary>
    /// The Host field value (OWS trimmed). For an absolute-form target this is the authority taken from the
    /// target instead, because RFC 9112 §3.2.2 makes the target's authority win over the Host field.
    /// </summary>
    public Segment Host;

    /// <summary>"close" / "keep-alive" seen in any Connection field (RFC 9112 §9.3, §9.6; RFC 9110 §7.6.1).</summary>
    public bool ConnectionClose, ConnectionKeepAlive;

    /// <summary>Content-Length value, -1 when the field is absent.</summary>
    public long ContentLength;

    /// <summary>
    /// A Transfer-Encoding field was present. When the parse completes, <see cref="Chunked"/> is then always
    /// true, because any other final coding is rejected (RFC 9112 §6.3 rule 4 for requests).
    /// </summary>
    public bool HasTransferEncoding, Chunked;

    /// <summary>Number of field lines in the header section.</summary>
    public int HeaderCount;

    // Fields kept for later features. Values are OWS-trimmed; None when absent. The list-valued ones
    // (If-None-Match, If-Match, Accept-Encoding; RFC 9110 §5.3 allows them to be split over several lines)
    // keep the first line and set the matching *Repeated flag. A repeat of any of the others is a 400.
    public Segment Range, IfRange, IfNoneMatch, IfModifiedSince, IfMatch, IfUnmodifiedSince, AcceptEncoding, UserAgent, Referer;

    /// <summary>Accept (first occurrence; only consulted to offer a JSON directory listing).</summary>
    public Segment Accept;
    public bool AcceptRepeated;

    /// <summary>CORS request fields (Fetch standard §3.2.2): Origin and Access-Control-Request-Method are
    /// singletons (a repeat is a 400, like Referer); Access-Control-Request-Headers is a list, first line kept.</summary>
    public Segment Origin, AccessControlRequestMethod, AccessControlRequestHeaders;

    /// <summary>Access-Control-Request-Headers appeared on more than one field line (only the first is kept).</summary>
    public bool AccessControlRequestHeadersRepeated;

    /// <summary>If-None-Match appeared on more than one field line (only the first is in <see cref="IfNoneMatch"/>).</summary>
    public bool IfNoneMatchRepeated;

    /// <summary>If-Match appeared on more than one field line (only the first is in <see cref="IfMatch"/>).</summary>
    public bool IfMatchRepeated;

    /// <summary>Accept-Encoding appeared on more than one field line (only the first is in <see cref="AcceptEncoding"/>).</summary>
    public bool AcceptEncodingRepeated;

    /// <summary>
    /// Whether the connection persists after this exchange (RFC 9112 §9.3): HTTP/1.1 persists unless "close";
    /// HTTP/1.0 persists only with "keep-alive" (RFC 9112 Appendix C.2.2) and never with "close".
    /// </summary>
    public readonly bool KeepAlive => VersionMinor >= 1 ? !ConnectionClose : (ConnectionKeepAlive && !ConnectionClose);

    /// <summary>Sets everything to absent/zero: segments None, ContentLength -1, flags false.</summary>
    public void Reset()
    {
        Method = HttpMethod.Unknown;
        MethodToken = Segment.None;
        Target = Segment.None;
        Path = Segment.None;
        Query = Segment.None;
        VersionMinor = 0;
        Host = Segment.None;
        ConnectionClose = false;
        ConnectionKeepAlive = false;
        ContentLength = -1;
        HasTransferEncoding = false;
        Chunked = false;
        HeaderCount = 0;
        Range = Segment.None;
        IfRange = Segment.None;
        IfNoneMatch = Segment.None;
        IfModifiedSince = Segment.None;
        IfMatch = Segment.None;
        IfUnmodifiedSince = Segment.None;
        AcceptEncoding = Segment.None;
        UserAgent = Segment.None;
        Referer = Segment.None;
        Accept = Segment.None;
        AcceptRepeated = false;
        IfNoneMatchRepeated = false;
        IfMatchRepeated = false;
        AcceptEncodingRepeated = false;
        Origin = Segment.None;
        AccessControlRequestMethod = Segment.None;
        AccessControlRequestHeaders = Segment.None;
        AccessControlRequestHeadersRepeated = false;
    }
}
