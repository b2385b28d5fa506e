using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using StaticD.Interop;

namespace StaticD.Tls;

/// <summary>Contexts that do not come from an operator's files: a certificate held in memory (an ACME challenge
/// certificate, a self-signed stand-in), and the bare context of a site still waiting for its first certificate.</summary>
internal sealed partial class CertificateContext
{
    /// <summary>A serving context with the PEM chain and key in memory; <paramref name="label"/> stands for the
    /// file path in messages. Throws <see cref="TlsLoadException"/>.</summary>
    public static CertificateContext FromPem(string chainPem, string keyPem, bool kernelTls, bool http2, string label)
    {
        CertificateContext context = FromPem(chainPem, keyPem, label, ctx => Configure(ctx, kernelTls, http2));
        context.OffersHttp2 = http2;
        return context;
    }

    /// <summary>The tls-alpn-01 context for one pending challenge (RFC 8737).</summary>
    public static CertificateContext Challenge(string certificatePem, string keyPem, string label) =>
        FromPem(certificatePem, keyPem, label, ctx =>
        {
            Ssl.SetOptions(ctx, LibSsl.SSL_OP_NO_COMPRESSION | LibSsl.SSL_OP_NO_RENEGOTIATION);
            if (!Ssl.SetMinVersion(ctx, LibSsl.TLS1_2_VERSION))
                throw new TlsLoadException($"OpenSSL refused the protocol settings: {Ssl.TakeErrors()}");
            Ssl.MakeChallengeContext(ctx);
        });

    /// <summary>A context with no certificate: a handshake that ends on it fails with an alert (no certificate to
    /// offer), which is how a site waiting for its first ACME certificate answers HTTPS unless a stand-in was
    /// asked for. It still carries the SNI hook, so as a configuration's default it routes to the sites that
    /// have certificates.</summary>
    public static CertificateContext Bare(bool kernelTls, bool http2)
    {
        nint ctx = Ssl.NewServerContext();
        if (ctx == 0) throw new TlsLoadException($"OpenSSL could not create a context: {Ssl.TakeErrors()}");
        try
        {
            Configure(ctx, kernelTls, http2);
            return new CertificateContext(ctx, "(no certificate yet)", "(no key yet)", null) { OffersHttp2 = http2 };
        }
        catch
        {
            Ssl.FreeContext(ctx);
            throw;
        }
    }

    private static CertificateContext FromPem(string chainPem, string keyPem, string label, Action<nint> configure)
    {
        X509Certificate2 leaf;
        try
        {
            leaf = X509Certificate2.CreateFromPem(chainPem);
        }
        catch (CryptographicException ex)
        {
            throw new TlsLoadException($"certificate {label}: not a PEM certificate ({ex.Message.TrimEnd('.')})");
        }
        nint ctx = Ssl.NewServerContext();
        try
        {
            if (ctx == 0) throw new TlsLoadException($"OpenSSL could not create a context: {Ssl.TakeErrors()}");
            configure(ctx);
            if (!Ssl.UsePem(ctx, Encoding.ASCII.GetBytes(chainPem), Encoding.ASCII.GetBytes(keyPem), out string error))
                throw new TlsLoadException($"certificate {label}: {error}");
            return new CertificateContext(ctx, label, label, leaf);
        }
        catch
        {
            Ssl.FreeContext(ctx);
            throw;
        }
        finally
        {
            leaf.Dispose();
        }
    }
}
