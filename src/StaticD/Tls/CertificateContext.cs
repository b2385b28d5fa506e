using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using StaticD.Interop;

namespace StaticD.Tls;

/// <summary>A certificate, its key and the OpenSSL context (SSL_CTX) that serves them. Built once per
/// configuration load, shared read-only by every loop (OpenSSL contexts are thread-safe for SSL_new), freed when the
/// configuration is replaced — sessions still open keep their own reference to it.</summary>
internal sealed partial class CertificateContext : IDisposable
{
    /// <summary>TLS 1.2 suites: forward secrecy and AEAD only (TLS 1.3 has only such suites by definition).</summary>
    private const string Tls12Ciphers =
        "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:" +
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

    /// <summary>TLS 1.3 suites in our order of preference: all three are strong; AES-128-GCM costs least where the
    /// CPU has AES-NI, and ChaCha20 goes first for clients that prefer it (SSL_OP_PRIORITIZE_CHACHA: phones without
    /// AES instructions).</summary>
    private const string Tls13Suites = "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384";

    /// <summary>Sessions resumed by ID (TLS 1.2 clients without tickets) are remembered per context; 20,000 is
    /// OpenSSL's own default size, stated here so it is not a surprise.</summary>
    private const int SessionCacheSize = 20_000;

    public nint Handle { get; private set; }
    public string CertificatePath { get; }
    public string KeyPath { get; }
    public DateTimeOffset NotAfter { get; }
    /// <summary>ALPN offers h2 on this context (decided when it is built, so a reload that turns Http2 on or off
    /// needs a new one).</summary>
    public bool OffersHttp2 { get; private set; }
    public DateTimeOffset NotBefore { get; }
    /// <summary>The DNS names the certificate covers (subjectAltName, else the subject's CN), lowercase.</summary>
    public IReadOnlyList<string> Names { get; }

    private CertificateContext(nint handle, string certificatePath, string keyPath, X509Certificate2? leaf)
    {
        Handle = handle;
        CertificatePath = certificatePath;
        KeyPath = keyPath;
        NotAfter = leaf?.NotAfter.ToUniversalTime() ?? DateTimeOffset.MinValue;
        NotBefore = leaf?.NotBefore.ToUniversalTime() ?? DateTimeOffset.MinValue;
        Names = leaf is null ? [] : DnsNames(leaf);
    }

    /// <summary>Reads both PEM files and builds the context; throws <see cref="TlsLoadException"/> with one line
    /// saying what is wrong (unreadable file, not a certificate, key not matching the certificate).</summary>
    public static CertificateContext Load(string certificatePath, string keyPath, bool kernelTls, bool http2)
    {
        X509Certificate2 leaf = ReadCertificate(certificatePath);
        ReadableOrThrow(keyPath, "key");
        nint ctx = Ssl.NewServerContext();
        if (ctx == 0) throw new TlsLoadException($"OpenSSL could not create a context: {Ssl.TakeErrors()}");
        try
        {
            Configure(ctx, kernelTls, http2);
            if (!Ssl.UseCertificateChainFile(ctx, certificatePath))
                throw new TlsLoadException($"certificate {certificatePath}: {Ssl.TakeErrors()}");
            if (!Ssl.UsePrivateKeyFile(ctx, keyPath))
            {
                // OpenSSL checks the key against the certificate loaded just before: a good key of another
                // certificate fails here ("key values mismatch"), before SSL_CTX_check_private_key is reached.
                string errors = Ssl.TakeErrors();
                throw new TlsLoadException(errors.Contains("key values mismatch", StringComparison.Ordinal)
                    ? $"key {keyPath} does not match certificate {certificatePath}"
                    : $"key {keyPath}: not a usable PEM private key ({errors})");
            }
            if (!Ssl.CheckPrivateKey(ctx))
            {
                Ssl.ClearErrors();
                throw new TlsLoadException($"key {keyPath} does not match certificate {certificatePath}");
            }
            return new CertificateContext(ctx, certificatePath, keyPath, leaf) { OffersHttp2 = http2 };
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

    /// <summary>Settings every context shares: TLS 1.2 and 1.3 only, strong suites, no compression or
    /// renegotiation, partial writes on a moving buffer (how the loops send), buffers released while idle (keeps an
    /// idle keep-alive connection small), read-ahead (one read() per request), tickets under the process-wide keys,
    /// the SNI hook.</summary>
    private static void Configure(nint ctx, bool kernelTls, bool http2)
    {
        ulong options = LibSsl.SSL_OP_NO_COMPRESSION | LibSsl.SSL_OP_NO_RENEGOTIATION | LibSsl.SSL_OP_CIPHER_SERVER_PREFERENCE |
                        LibSsl.SSL_OP_PRIORITIZE_CHACHA | LibSsl.SSL_OP_IGNORE_UNEXPECTED_EOF;
        // Asked at every load (a reload notices a tls module loaded since): where the kernel has no TLS, OpenSSL
        // would try to switch every connection over and fail, two setsockopt calls per handshake for nothing.
        if (kernelTls && Syscall.KernelTlsOffered()) options |= LibSsl.SSL_OP_ENABLE_KTLS;
        Ssl.SetOptions(ctx, options);
        Ssl.SetMode(ctx, LibSsl.SSL_MODE_ENABLE_PARTIAL_WRITE | LibSsl.SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | LibSsl.SSL_MODE_RELEASE_BUFFERS);
        Ssl.SetReadAhead(ctx);
        if (!Ssl.SetMinVersion(ctx, LibSsl.TLS1_2_VERSION) || !Ssl.SetCipherList(ctx, Tls12Ciphers) || !Ssl.SetTls13Suites(ctx, Tls13Suites))
            throw new TlsLoadException($"OpenSSL refused the protocol settings: {Ssl.TakeErrors()}");
        Ssl.SetServerSessionCache(ctx, SessionCacheSize);
        Ssl.SetSessionIdContext(ctx, "staticd"u8);
        Ssl.EnableServerNameCallback(ctx);
        Ssl.EnableTicketKeyCallback(ctx);
        Ssl.EnableAlpn(ctx, http2);
        Ssl.EnableChallengeSwitch(ctx);
    }

    private static X509Certificate2 ReadCertificate(string path)
    {
        string pem = ReadableOrThrow(path, "certificate");
        try
        {
            return X509Certificate2.CreateFromPem(pem);
        }
        catch (CryptographicException ex)
        {
            throw new TlsLoadException($"certificate {path}: not a PEM certificate ({ex.Message.TrimEnd('.')})");
        }
    }

    /// <summary>The file's text, or a one-line reason it cannot be read (a key readable by root only is the usual
    /// one: systemd's LoadCredential= hands such a key to the service).</summary>
    private static string ReadableOrThrow(string path, string what)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            string reason = ex switch
            {
                FileNotFoundException or DirectoryNotFoundException => "does not exist",
                UnauthorizedAccessException => "is not readable by this user (permission denied; see LoadCredential= in the README)",
                _ => ex.Message.TrimEnd('.'),
            };
            throw new TlsLoadException($"{what} {path} {reason}");
        }
    }

    private static string[] DnsNames(X509Certificate2 cert)
    {
        foreach (X509Extension extension in cert.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
                return [.. san.EnumerateDnsNames().Select(n => n.ToLowerInvariant())];
        }
        string cn = cert.GetNameInfo(X509NameType.DnsName, forIssuer: false);
        return string.IsNullOrEmpty(cn) ? [] : [cn.ToLowerInvariant()];
    }

    /// <summary>Whether the certificate covers <paramref name="host"/> (RFC 6125: a wildcard covers one label).</summary>
    public bool Covers(string host)
    {
        foreach (string name in Names)
        {
            if (name == host) return true;
            if (name.StartsWith("*.", StringComparison.Ordinal))
            {
                int dot = host.IndexOf('.');
                // A site's own wildcard host "*.example.com" is covered by the same wildcard certificate.
                if (dot > 0 && host.AsSpan(dot).SequenceEqual(name.AsSpan(1))) return true;
            }
        }
        return false;
    }

    public void Dispose()
    {
        Ssl.FreeContext(Handle);
        Handle = 0;
    }
}

/// <summary>A certificate or key that cannot be served, with the reason in one line.</summary>
internal sealed class TlsLoadException(string message) : Exception(message);
