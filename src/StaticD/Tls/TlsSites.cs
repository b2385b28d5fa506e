using System.Collections.Concurrent;
using StaticD.Http;
using StaticD.Interop;
using StaticD.Site;

namespace StaticD.Tls;

/// <summary>
/// One configuration's certificates: the default context (the top-level Tls, or the first site's when there is
/// none) that every TLS connection starts with, and each site's own. The ClientHello's server name picks the site
/// exactly as a Host header does (<see cref="HostTable"/>: exact, then the longest wildcard), and that site's
/// certificate if it has one; no name, or a name no site has, keeps the default.
/// </summary>
internal sealed class TlsSites : IDisposable
{
    /// <summary>OpenSSL calls back with the session's initial context; this finds the configuration it belongs to.
    /// A context stays registered until its configuration is disposed, and a session keeps its initial context
    /// alive, so a handshake that began before a reload still finds (or safely misses) its set.</summary>
    private static readonly ConcurrentDictionary<nint, TlsSites> ByDefault = new();

    private readonly CertificateContext?[] _perSite;
    private readonly HostTable _hosts;
    private readonly CertificateContext[] _owned;
    /// <summary>Index = site index; the slot of a site with "Tls": "acme", else null.</summary>
    private readonly AcmeSlot?[] _acme;

    /// <param name="defaultContext">Used without SNI or for unknown names.</param>
    /// <param name="perSite">Index = site index in the configuration; null where a site has no certificate of its
    /// own (it is then served with the default).</param>
    /// <param name="owned">Every distinct context (sites may share one), freed once at dispose.</param>
    /// <param name="acme">Index = site index: the certificate slot of each ACME site (read at every handshake, so a
    /// renewed certificate serves at once), null for the others.</param>
    public TlsSites(CertificateContext defaultContext, CertificateContext?[] perSite, HostTable hosts, bool kernelTls,
        CertificateContext[] owned, AcmeSlot?[]? acme = null)
    {
        _acme = acme ?? [];
        Default = defaultContext;
        _perSite = perSite;
        _hosts = hosts;
        KernelTls = kernelTls;
        _owned = owned;
        ByDefault[defaultContext.Handle] = this;
    }

    static TlsSites()
    {
        Ssl.SelectContext = Select;
        Ssl.TicketKeys = TicketKeys.Shared;
    }

    public CertificateContext Default { get; }
    /// <summary>Tls:Ktls is "auto": contexts ask OpenSSL for kernel TLS, and a session whose send side the kernel
    /// took over sends files with SSL_sendfile.</summary>
    public bool KernelTls { get; }
    public IReadOnlyList<CertificateContext> Contexts => _owned;

    /// <summary>The context of the site the SNI name selects (its own, or the default).</summary>
    public CertificateContext ForSite(int index)
    {
        if (index >= 0 && index < _acme.Length && _acme[index] is { } slot) return slot.Current ?? AcmeCertificates.Waiting;
        return index >= 0 && index < _perSite.Length && _perSite[index] is { } c ? c : Default;
    }

    /// <summary>The ACME slot of site <paramref name="index"/>, or null when its certificate is not from ACME.</summary>
    public AcmeSlot? AcmeSlotOf(int index) => index >= 0 && index < _acme.Length ? _acme[index] : null;

    private static nint Select(nint initial, ReadOnlySpan<byte> serverName)
    {
        if (!ByDefault.TryGetValue(initial, out TlsSites? sites)) return 0;
        Span<byte> host = stackalloc byte[HostTable.MaxNameLength + 8];
        if (serverName.Length > host.Length || !HostSyntax.TryNormalize(serverName, host, out int length)) return 0;
        int index = sites._hosts.Find(host[..length]);
        return index < 0 ? 0 : sites.ForSite(index).Handle;
    }

    public void Dispose()
    {
        ByDefault.TryRemove(Default.Handle, out _);
        foreach (CertificateContext c in _owned) c.Dispose();
    }
}
