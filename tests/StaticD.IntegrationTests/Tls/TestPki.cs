using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace StaticD.IntegrationTests.Tls;

/// <summary>A certificate and its key written as PEM files, and what a test checks the served one against.</summary>
public sealed record CertificateFiles(string CertificatePath, string KeyPath, string SerialNumber, string Thumbprint, string[] DnsNames)
{
    /// <summary>Copies both files over <paramref name="target"/>'s paths (what an operator does before a reload).</summary>
    public void CopyOver(CertificateFiles target)
    {
        File.Copy(CertificatePath, target.CertificatePath, overwrite: true);
        File.Copy(KeyPath, target.KeyPath, overwrite: true);
    }
}

/// <summary>
/// A test certificate authority for the whole test run (ECDSA P-256, made with <see cref="CertificateRequest"/>,
/// no openssl needed) and the site certificates it issues, each in its own temp directory. Clients trust only
/// <see cref="CaPath"/>, so a certificate verified against it was issued here, in this run.
/// </summary>
public sealed class TestPki
{
    private static readonly Lazy<TestPki> Instance = new(() => new TestPki());
    private static long _serial = DateTime.UtcNow.Ticks;

    private readonly ECDsa _caKey;

    private TestPki()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("staticd-pki-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
            }
        };
        _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=staticd test CA " + Guid.NewGuid().ToString("N")[..8], _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-365), DateTimeOffset.UtcNow.AddYears(5));
        CaPath = Path.Combine(Directory, "ca.pem");
        File.WriteAllText(CaPath, Ca.ExportCertificatePem());
    }

    public static TestPki Shared => Instance.Value;

    public string Directory { get; }

    public X509Certificate2 Ca { get; }

    /// <summary>The CA certificate as PEM (for curl --cacert and openssl -CAfile).</summary>
    public string CaPath { get; }

    /// <summary>A server certificate for <paramref name="dnsNames"/> signed by the CA, valid from yesterday for a
    /// year unless told otherwise; a new key and a new serial every call. <paramref name="ipAddresses"/> go into the
    /// subject alternative names too (a server reached by address, like the ACME test server).</summary>
    public CertificateFiles Issue(string[] dnsNames, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null, IPAddress[]? ipAddresses = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + dnsNames[0], key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (string name in dnsNames) san.AddDnsName(name);
        foreach (IPAddress address in ipAddresses ?? []) san.AddIpAddress(address);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        byte[] serial = BigInteger.Abs(Interlocked.Increment(ref _serial)).ToByteArray(isUnsigned: true, isBigEndian: true);
        using X509Certificate2 cert = request.Create(Ca, notBefore ?? DateTimeOffset.UtcNow.AddDays(-1), notAfter ?? DateTimeOffset.UtcNow.AddDays(365), serial);
        string dir = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "site-" + Guid.NewGuid().ToString("N")[..12])).FullName;
        string certPath = Path.Combine(dir, "cert.pem"), keyPath = Path.Combine(dir, "key.pem");
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return new CertificateFiles(certPath, keyPath, cert.SerialNumber, cert.Thumbprint, dnsNames);
    }
}
