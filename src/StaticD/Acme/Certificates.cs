using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace StaticD.Acme;

/// <summary>The X.509 pieces of ACME: the certificate signing request for an order, the tls-alpn-01 challenge
/// certificate (RFC 8737), a self-signed stand-in, and the ARI identifier of an issued certificate. Pure: no I/O.</summary>
internal static class Certificates
{
    /// <summary>id-pe-acmeIdentifier (RFC 8737 §6.1).</summary>
    public const string AcmeIdentifierOid = "1.3.6.1.5.5.7.1.31";

    /// <summary>A new certificate key: ECDSA P-256 (small, fast handshakes, accepted by every current client).</summary>
    public static ECDsa NewKey() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>The CSR for an order (RFC 8555 §7.4): every name as a subjectAltName (the first also as CN, which
    /// servers ignore but some tools still show), DER.</summary>
    public static byte[] SigningRequest(ECDsa key, IReadOnlyList<string> names)
    {
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + names[0]), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(AlternativeNames(names));
        return request.CreateSigningRequest();
    }

    /// <summary>RFC 8737 §3: the acmeIdentifier extension's value, the DER OCTET STRING of SHA-256 over the key
    /// authorization.</summary>
    public static byte[] AcmeIdentifierValue(string keyAuthorization)
    {
        byte[] digest = SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(keyAuthorization));
        return [0x04, (byte)digest.Length, .. digest];
    }

    /// <summary>The certificate a tls-alpn-01 validation must see for <paramref name="host"/>: self-signed, the
    /// host as its only subjectAltName, and the critical acmeIdentifier extension. Certificate and key, PEM.</summary>
    public static (string Certificate, string Key) Challenge(string host, string keyAuthorization)
    {
        using ECDsa key = NewKey();
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + host), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(AlternativeNames([host]));
        request.CertificateExtensions.Add(new X509Extension(AcmeIdentifierOid, AcmeIdentifierValue(keyAuthorization), critical: true));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(7));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>Acme:StandIn "self-signed": what a site serves until its first certificate arrives (clients warn,
    /// but the site answers).</summary>
    public static (string Certificate, string Key) SelfSigned(IReadOnlyList<string> names)
    {
        using ECDsa key = NewKey();
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + names[0]), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(AlternativeNames(names));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 certificate = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(90));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>RFC 9773 §4.1: base64url(authority key identifier) "." base64url(serial number), or null when the
    /// certificate has no authority key identifier (then there is no ARI for it).</summary>
    public static string? RenewalId(X509Certificate2 certificate)
    {
        foreach (X509Extension extension in certificate.Extensions)
        {
            if (extension is X509AuthorityKeyIdentifierExtension { KeyIdentifier: { } keyId })
                return AccountKey.Base64Url(keyId.Span) + "." + AccountKey.Base64Url(certificate.SerialNumberBytes.Span);
        }
        return null;
    }

    private static X509Extension AlternativeNames(IEnumerable<string> names)
    {
        var san = new SubjectAlternativeNameBuilder();
        foreach (string name in names) san.AddDnsName(name);
        return san.Build();
    }
}
