using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Configuration;
using StaticD.Acme;
using StaticD.Site;
using StaticD.Tls;

namespace StaticD.Hosting;

/// <summary>
/// Automatic HTTPS: the top-level <c>Acme</c> section and a site's <c>"Tls": "acme"</c>. The certificate of such a
/// site comes from the ACME worker (<see cref="AcmeService"/>), for all the site's exact host names; what is
/// already in the state directory is served from the first handshake on.
/// </summary>
internal static class AcmeConfig
{
    public static readonly string[] Keys =
        ["Directory", "Email", "AgreeToTerms", "CaCertificate", "StandIn", "ChallengeTypes", "StateDirectory", "FailedOrderInterval"];

    /// <summary>Whether a site's Tls is the string "acme" (any other string is left to TlsConfig's error).</summary>
    public static bool IsAcme(IConfigurationSection tls, bool topLevel, string[] hosts)
    {
        if (tls.Value is not { } value || !value.Equals("acme", StringComparison.OrdinalIgnoreCase)) return false;
        if (topLevel)
            throw new ConfigException(tls.Path, "\"acme\" is per site: a certificate is ordered for a site's host names, and the top level has none; set \"Tls\": \"acme\" in a site of \"Sites\"");
        foreach (string host in hosts)
        {
            if (host.StartsWith('*'))
                throw new ConfigException(tls.Path, $"\"acme\" cannot cover the wildcard host \"{host}\": wildcards cannot be validated over HTTP-01 or TLS-ALPN-01; move it to a site with a certificate of its own");
        }
        if (hosts.Length == 0)
            throw new ConfigException(tls.Path, "\"acme\" needs at least one exact host name in \"Hosts\"");
        return true;
    }

    /// <summary>The Acme section, checked against the sites: null when no site asks for ACME (a section without
    /// such a site is still validated, so a typo does not wait for the first acme site).</summary>
    public static AcmeSettings? Load(IConfigurationSection section, IReadOnlyList<SitePolicy> sites, int httpsPort, string configFile,
        List<ConfigException> problems)
    {
        IConfigurationSection acme = section.GetSection("Acme");
        bool wanted = sites.Any(s => s.TlsAcme);
        if (!acme.Exists() && !wanted) return null;
        int before = problems.Count;
        void Problem(string key, string message) => problems.Add(new ConfigException(acme.Path + ":" + key, message));
        string example = "e.g. \"Acme\": { \"Directory\": \"https://acme-v02.api.letsencrypt.org/directory\", \"Email\": \"ops@example.com\", \"AgreeToTerms\": true }";
        if (!acme.Exists())
        {
            problems.Add(new ConfigException(acme.Path, $"missing; a site has \"Tls\": \"acme\", which needs the ACME server's directory: {example}"));
            return null;
        }
        ServerOptions.RejectUnknownKeys(acme, Keys);
        string? directory = acme["Directory"];
        if (string.IsNullOrWhiteSpace(directory))
            Problem("Directory", $"missing; the ACME server's directory URL, {example}");
        else if (!Uri.TryCreate(directory, UriKind.Absolute, out Uri? uri) || uri.Scheme != "https")
            Problem("Directory", $"\"{directory}\" is not an https:// URL; expected the ACME server's directory, {example}");
        bool agreed = false;
        try
        {
            agreed = ConfigReader.Bool(acme, "AgreeToTerms", false);
        }
        catch (ConfigException ex)
        {
            problems.Add(ex);
        }
        if (!agreed)
            Problem("AgreeToTerms", "must be true: ACME servers issue certificates only to accounts that agree to their terms of service (read them at the directory's meta.termsOfService)");
        string? email = acme["Email"];
        if (email is not null && (email.Length == 0 || !email.Contains('@') || email.Any(c => c <= ' ' || c > '~')))
            Problem("Email", $"\"{email}\" is not an email address; expected e.g. \"ops@example.com\" (the CA writes there about expiring certificates)");
        string? caPem = null;
        if (acme["CaCertificate"] is { } caPath)
        {
            string path = ServerOptions.RelativeToConfig(caPath, configFile);
            try
            {
                caPem = File.ReadAllText(path);
                using X509Certificate2 ca = X509Certificate2.CreateFromPem(caPem);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
            {
                Problem("CaCertificate", $"\"{path}\" cannot be used as the root for the ACME server's HTTPS: {ex.Message.TrimEnd('.')}");
            }
        }
        string standIn = acme["StandIn"] ?? "none";
        if (standIn is not ("none" or "self-signed"))
            Problem("StandIn", $"\"{standIn}\" is not allowed; expected \"none\" (HTTPS handshakes of a site fail until its first certificate) or \"self-signed\"");
        List<string> types = [.. acme.GetSection("ChallengeTypes").GetChildren().Select(c => c.Value ?? "")];
        if (acme.GetSection("ChallengeTypes").Exists() && types.Count == 0 || types.Any(t => t is not (AcmeSettings.Http01 or AcmeSettings.TlsAlpn01)))
            Problem("ChallengeTypes", $"[{string.Join(", ", types.Select(t => $"\"{t}\""))}] is not allowed; expected a list of \"http-01\" and \"tls-alpn-01\", in order of preference");
        string state = acme["StateDirectory"] is { } s ? ServerOptions.RelativeToConfig(s, configFile)
            : AcmeState.DefaultRoot(Environment.GetEnvironmentVariable("STATE_DIRECTORY"));
        TimeSpan interval = Schedule.DefaultFailedOrderInterval;
        if (acme["FailedOrderInterval"] is { } text && (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out interval) || interval < TimeSpan.Zero))
            Problem("FailedOrderInterval", $"\"{text}\" is not allowed; expected a duration such as \"01:00:00\" (one hour)");
        if (httpsPort == 0)
            problems.Add(new ConfigException(section.Path + ":HttpsPort", "missing; \"Acme\" obtains certificates for HTTPS, so set the HTTPS port (usually 443)"));
        if (problems.Count > before) return null;
        return new AcmeSettings
        {
            Directory = directory!,
            Email = email,
            CaCertificatePem = caPem,
            SelfSignedStandIn = standIn == "self-signed",
            ChallengeTypes = types.Count > 0 ? types.Distinct().ToList() : [AcmeSettings.Http01, AcmeSettings.TlsAlpn01],
            StateDirectory = state,
            FailedOrderInterval = interval,
        };
    }

    /// <summary>The certificate slot of an ACME site, filled at once from the state directory when it holds a
    /// certificate for the site's names (no network needed to serve), else with the stand-in if one was asked for.</summary>
    public static AcmeSlot Slot(AcmeSettings settings, SitePolicy site, bool kernelTls, bool http2)
    {
        AcmeSlot slot = AcmeCertificates.Slot(site.Hosts[0]);
        // An issued certificate outlives reloads, unless the reload turned HTTP/2 on or off: ALPN is fixed in the
        // context, so the stored certificate is loaded again below into a context that offers what is configured.
        if (slot.Current is { } current && !slot.IsStandIn && current.OffersHttp2 == http2) return slot;
        var target = new AcmeTarget(site.Hosts[0], site.Hosts, slot, kernelTls, http2);
        if (AcmeWorker.LoadStored(new AcmeState(settings.StateDirectory), target) is { } stored) slot.Install(stored, standIn: false);
        else if (slot.Current is null && settings.SelfSignedStandIn)
        {
            (string certificate, string key) = Certificates.SelfSigned(site.Hosts);
            slot.Install(CertificateContext.FromPem(certificate, key, kernelTls, http2, $"self-signed stand-in for {site.Hosts[0]}"), standIn: true);
        }
        return slot;
    }

    /// <summary>What the worker tends: one certificate per ACME site.</summary>
    public static List<AcmeTarget> Targets(ServerOptions options) =>
        [.. options.Sites.Where(s => s.TlsAcme).Select(s => new AcmeTarget(s.Hosts[0], s.Hosts, AcmeCertificates.Slot(s.Hosts[0]), options.KernelTls, options.OffersHttp2))];
}
