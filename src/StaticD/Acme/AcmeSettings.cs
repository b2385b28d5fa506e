using StaticD.Tls;

namespace StaticD.Acme;

/// <summary>The top-level <c>Acme</c> section, validated (Hosting/AcmeConfig reads it).</summary>
internal sealed record AcmeSettings
{
    public const string Http01 = "http-01", TlsAlpn01 = "tls-alpn-01";

    /// <summary>The ACME server's directory URL (RFC 8555 §7.1.1).</summary>
    public string Directory { get; init; } = "";
    public string? Email { get; init; }
    /// <summary>Acme:CaCertificate's text (PEM): the only root trusted for the directory's HTTPS; null for the
    /// system's roots.</summary>
    public string? CaCertificatePem { get; init; }
    /// <summary>Acme:StandIn is "self-signed": a site waiting for its first certificate is served with one.</summary>
    public bool SelfSignedStandIn { get; init; }
    /// <summary>Acme:ChallengeTypes in order of preference.</summary>
    public IReadOnlyList<string> ChallengeTypes { get; init; } = [Http01, TlsAlpn01];
    public string StateDirectory { get; init; } = "/var/lib/staticd/acme";
    public TimeSpan FailedOrderInterval { get; init; } = Schedule.DefaultFailedOrderInterval;
}

/// <summary>One certificate to obtain and keep: the exact host names of one site with <c>"Tls": "acme"</c>, and
/// the slot its loops read.</summary>
internal sealed record AcmeTarget(string Name, IReadOnlyList<string> Hosts, AcmeSlot Slot, bool KernelTls, bool Http2);

/// <summary>staticd_acme_orders_total, by result.</summary>
internal static class AcmeCounters
{
    private static long s_issued, s_failed;
    /// <summary>Some site's certificate comes from ACME (the series is exported from then on).</summary>
    public static bool Active { get; set; }
    public static long Issued => Volatile.Read(ref s_issued);
    public static long Failed => Volatile.Read(ref s_failed);
    public static void CountIssued() => Interlocked.Increment(ref s_issued);
    public static void CountFailed() => Interlocked.Increment(ref s_failed);
}
