using StaticD.Files;
using StaticD.Http;
using StaticD.Site;
using StaticD.Tls;

namespace StaticD.Net;

/// <summary>Which site answers: the request's host (absolute-form target over Host), and on TLS the check that the
/// SNI name chose the same site (else 421).</summary>
internal sealed partial class Connection
{
    /// <summary>Room for a host name and a port; a longer Host names no configured site.</summary>
    private const int HostBufferLength = HostTable.MaxNameLength + 8;

    /// <summary>The request's host as sites are looked up by (absolute-form target over Host, lowercase, no
    /// port, no trailing dot) written to <paramref name="buffer"/>; 0 when there is none or it is too long to
    /// name a site.</summary>
    private int NormalizedHost(Span<byte> buffer)
    {
        ReadOnlySpan<byte> value = Field(_head.Host);
        if (value.IsEmpty || value.Length > buffer.Length) return 0;
        return HostSyntax.TryNormalize(value, buffer, out int length) ? length : 0;
    }

    /// <summary>On TLS: whether the site the Host chose is the one the SNI name chose (no SNI: any site).</summary>
    private bool MatchesServerName(ServedSite site)
    {
        ReadOnlySpan<byte> serverName = _transport.ServerName;
        if (serverName.IsEmpty) return true;
        if (!ReferenceEquals(_sniContext, _context))
        {
            // Looked up once per connection and configuration, not per request.
            Span<byte> name = stackalloc byte[HostBufferLength];
            _sniSite = serverName.Length <= name.Length && HostSyntax.TryNormalize(serverName, name, out int length)
                ? _context.FindSite(name[..length])
                : null;
            _sniContext = _context;
        }
        return ReferenceEquals(_sniSite, site);
    }

    private static ReadOnlySpan<byte> AcmeChallengePrefix => "/.well-known/acme-challenge/"u8;

    private bool IsAcmeChallenge() => Field(_head.Path).StartsWith(AcmeChallengePrefix);

    /// <summary>http-01 (RFC 8555 §8.3): the key authorization of a pending challenge whose token the path names
    /// (GET or HEAD, any host), or null: unknown tokens are served as any other path.</summary>
    private byte[]? AcmeAnswer() =>
        _head.Method is HttpMethod.Get or HttpMethod.Head ? AcmeCertificates.KeyAuthorization(Field(_head.Path)[AcmeChallengePrefix.Length..]) : null;

    /// <summary>200, text/plain, the key authorization as the body (what the ACME server compares).</summary>
    private void RespondAcmeChallenge(byte[] keyAuthorization)
    {
        ResponseWriter w = BeginHead(200);
        ResponseHead.PlainText(ref w, keyAuthorization.Length);
        EndHead(ref w);
        int head = w.Length;
        if (!_isHead) w.Write(keyAuthorization);
        SendHead(w.Length, head);
    }

    /// <summary>The policy whose headers and error pages the current answer uses.</summary>
    private SitePolicy Policy => _site?.Policy ?? _context.Fallback;
}
