using StaticD.Http;
using StaticD.Site;

namespace StaticD.Net;

/// <summary>Answers that send the client elsewhere (RedirectTo, RedirectHttp, Redirects rules) or tell it it
/// spoke plain HTTP to the HTTPS port.</summary>
internal sealed partial class Connection
{
    /// <summary>RedirectTo: the same path and query on the site's one origin (www → apex).</summary>
    private void RespondOriginRedirect(byte[] origin)
    {
        ResponseWriter w = BeginHead(301);
        ResponseHead.OriginRedirect(ref w, origin, _head.Path.Length > 0 ? Field(_head.Path) : "/"u8, Field(_head.Query), _head.Query.IsPresent);
        SendHtmlPage(ref w, StatusCodes.ErrorBody(301));
    }

    /// <summary>RedirectHttp: the same host and target on the HTTPS port, 308 so the method is kept.</summary>
    private void RespondHttpsRedirect(ReadOnlySpan<byte> host)
    {
        Span<byte> origin = stackalloc byte[8 + HostBufferLength + 6];
        "https://"u8.CopyTo(origin);
        host.CopyTo(origin[8..]);
        int length = 8 + host.Length;
        if (_context.HttpsPort != 443)
        {
            origin[length++] = (byte)':';
            _context.HttpsPort.TryFormat(origin[length..], out int digits);
            length += digits;
        }
        ResponseWriter w = BeginHead(308);
        ResponseHead.OriginRedirect(ref w, origin[..length], _head.Path.Length > 0 ? Field(_head.Path) : "/"u8, Field(_head.Query), _head.Query.IsPresent);
        SendHtmlPage(ref w, StatusCodes.ErrorBody(308));
    }

    /// <summary>A plain HTTP request on the TLS port: 400 in plain text, saying so, then close (as nginx does).</summary>
    private void RespondPlainHttpOnTlsPort()
    {
        _keepAlive = false;
        ResponseWriter w = BeginHead(400);
        ResponseHead.ErrorFields(ref w, 400, -1);
        SendHtmlPage(ref w, StatusCodes.PlainHttpOnTlsPortBody);
    }

    /// <summary>A site's Redirects rule: its target, the rest of a "/**" path, the request's query.</summary>
    private void RespondPathRedirect(RedirectRule rule, int restStart)
    {
        ReadOnlySpan<byte> rest = new(_pathArray, _pathStart + restStart, _pathLength - restStart);
        ResponseWriter w = BeginHead(rule.Status);
        ResponseHead.RuleRedirect(ref w, rule.To, Redirects.NeedsSlash(rule, rest.Length), rest, rule.ToHasQuery,
            Field(_head.Query), _head.Query.IsPresent);
        SendHtmlPage(ref w, StatusCodes.ErrorBody(rule.Status));
    }
}
