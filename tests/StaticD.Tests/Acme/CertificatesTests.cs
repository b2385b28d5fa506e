using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using StaticD.Acme;
using Xunit;

namespace StaticD.Tests.Acme;

public sealed class CertificatesTests
{
    [Fact]
    public void AcmeIdentifierIsAnOctetStringOfTheKeyAuthorizationDigest()
    {
        byte[] value = Certificates.AcmeIdentifierValue("token.thumb");
        byte[] digest = SHA256.HashData(Encoding.ASCII.GetBytes("token.thumb"));
        Assert.Equal(34, value.Length);
        Assert.Equal(digest, new AsnReader(value, AsnEncodingRules.DER).ReadOctetString());
    }

    [Fact]
    public void ChallengeCertificateNamesTheHostAloneAndCarriesTheCriticalExtension()
    {
        (string pem, string keyPem) = Certificates.Challenge("a.example.test", "tok.thumb");
        using X509Certificate2 cert = X509Certificate2.CreateFromPem(pem, keyPem);
        Assert.True(cert.HasPrivateKey);
        X509Extension acme = Assert.Single(cert.Extensions.Cast<X509Extension>(), e => e.Oid?.Value == "1.3.6.1.5.5.7.1.31");
        Assert.True(acme.Critical);
        Assert.Equal(Certificates.AcmeIdentifierValue("tok.thumb"), acme.RawData);
        var san = Assert.IsType<X509SubjectAlternativeNameExtension>(Assert.Single(cert.Extensions.Cast<X509Extension>(), e => e.Oid?.Value == "2.5.29.17"));
        Assert.Equal(["a.example.test"], san.EnumerateDnsNames());
    }

    [Fact]
    public void SigningRequestNamesEveryHost()
    {
        using ECDsa key = Certificates.NewKey();
        byte[] der = Certificates.SigningRequest(key, ["example.test", "www.example.test"]);
        CertificateRequest request = CertificateRequest.LoadSigningRequest(der, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        var san = Assert.IsType<X509SubjectAlternativeNameExtension>(Assert.Single(request.CertificateExtensions, e => e.Oid?.Value == "2.5.29.17"),
            exactMatch: false);
        Assert.Equal(["example.test", "www.example.test"], san.EnumerateDnsNames());
        Assert.Equal("CN=example.test", request.SubjectName.Name);
        Assert.Equal(256, request.PublicKey.GetECDsaPublicKey()!.KeySize);
    }

    [Fact]
    public void RenewalIdIsKeyIdentifierDotSerial()
    {
        using ECDsa caKey = Certificates.NewKey();
        var caRequest = new CertificateRequest("CN=ca", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        var ski = new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false);
        caRequest.CertificateExtensions.Add(ski);
        using X509Certificate2 ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using ECDsa leafKey = Certificates.NewKey();
        var leafRequest = new CertificateRequest("CN=leaf", leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(ski));
        using X509Certificate2 leaf = leafRequest.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10), [0x00, 0x87, 0x65, 0x43, 0x21]);
        Assert.Equal(AccountKey.Base64Url(Convert.FromHexString(ski.SubjectKeyIdentifier!)) + "." + AccountKey.Base64Url([0x00, 0x87, 0x65, 0x43, 0x21]),
            Certificates.RenewalId(leaf));
        (string selfPem, _) = Certificates.SelfSigned(["x.test"]);
        using X509Certificate2 self = X509Certificate2.CreateFromPem(selfPem);
        Assert.Null(Certificates.RenewalId(self));
    }
}
