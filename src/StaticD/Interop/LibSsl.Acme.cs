using System.Runtime.InteropServices;

namespace StaticD.Interop;

/// <summary>What ACME adds: certificates and keys from PEM in memory (the tls-alpn-01 challenge certificate, a
/// self-signed stand-in), the ClientHello callback that sees the offered ALPN protocols before the certificate is
/// chosen, and the protocol ALPN chose.</summary>
internal static unsafe partial class LibSsl
{
    [LibraryImport(Ssl)] internal static partial int SSL_CTX_use_certificate(nint ctx, nint x509);
    [LibraryImport(Ssl)] internal static partial int SSL_CTX_use_PrivateKey(nint ctx, nint pkey);
    [LibraryImport(Ssl)] internal static partial void SSL_CTX_set_client_hello_cb(nint ctx, void* callback, nint arg);
    [LibraryImport(Ssl)] internal static partial int SSL_client_hello_get0_ext(nint ssl, uint type, byte** data, nuint* length);

    [LibraryImport(Crypto)] internal static partial nint BIO_new_mem_buf(void* buffer, int length);
    [LibraryImport(Crypto)] internal static partial nint PEM_read_bio_X509(nint bio, nint x, nint callback, nint userdata);
    [LibraryImport(Crypto)] internal static partial nint PEM_read_bio_PrivateKey(nint bio, nint x, nint callback, nint userdata);
    [LibraryImport(Crypto)] internal static partial void X509_free(nint x509);
    [LibraryImport(Crypto)] internal static partial void EVP_PKEY_free(nint pkey);

    public const ulong SSL_OP_NO_TICKET = 1UL << 14;
    public const int SSL_CTRL_EXTRA_CHAIN_CERT = 14;
    public const int SSL_CLIENT_HELLO_SUCCESS = 1;
    public const int SSL_TLSEXT_ERR_ALERT_FATAL = 2;
    public const uint TLSEXT_TYPE_server_name = 0;
    public const uint TLSEXT_TYPE_application_layer_protocol_negotiation = 16;
}
