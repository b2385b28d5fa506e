using System.Runtime.InteropServices;

namespace StaticD.Interop;

/// <summary>
/// The system's OpenSSL 3 (Debian's libssl3), called directly: TLS runs inside our own epoll loops on the
/// non-blocking socket, which SslStream (a stream over async sockets, no kernel TLS) cannot do. Only what staticd
/// uses is imported; macros of ssl.h (SSL_CTX_set_mode, SSL_CTX_set_min_proto_version, the servername and ticket
/// callbacks…) are the *_ctrl calls they expand to, with the command numbers from OpenSSL 3.0's headers.
/// </summary>
internal static unsafe partial class LibSsl
{
    private const string Ssl = "libssl.so.3";
    private const string Crypto = "libcrypto.so.3";

    [LibraryImport(Ssl)] internal static partial nint TLS_server_method();
    [LibraryImport(Ssl)] internal static partial nint SSL_CTX_new(nint method);
    [LibraryImport(Ssl)] internal static partial void SSL_CTX_free(nint ctx);
    [LibraryImport(Ssl)] internal static partial ulong SSL_CTX_set_options(nint ctx, ulong options);
    [LibraryImport(Ssl)] internal static partial nint SSL_CTX_ctrl(nint ctx, int command, nint larg, void* parg);
    [LibraryImport(Ssl)] internal static partial nint SSL_CTX_callback_ctrl(nint ctx, int command, void* callback);
    [LibraryImport(Ssl)] internal static partial int SSL_CTX_use_certificate_chain_file(nint ctx, byte* path);
    [LibraryImport(Ssl)] internal static partial int SSL_CTX_use_PrivateKey_file(nint ctx, byte* path, int type);
    [LibraryImport(Ssl)] internal static partial int SSL_CTX_check_private_key(nint ctx);
    [LibraryImport(Ssl)] internal static partial int SSL_CTX_set_cipher_list(nint ctx, byte* list);
    [LibraryImport(Ssl)] internal static partial int SSL_CTX_set_ciphersuites(nint ctx, byte* list);
    [LibraryImport(Ssl)] internal static partial int SSL_CTX_set_session_id_context(nint ctx, byte* id, uint length);
    [LibraryImport(Ssl)] internal static partial void SSL_CTX_set_alpn_select_cb(nint ctx, void* callback, nint arg);
    [LibraryImport(Ssl)] internal static partial void SSL_get0_alpn_selected(nint ssl, byte** data, uint* length);

    [LibraryImport(Ssl)] internal static partial nint SSL_new(nint ctx);
    [LibraryImport(Ssl)] internal static partial void SSL_free(nint ssl);
    [LibraryImport(Ssl)] internal static partial int SSL_set_fd(nint ssl, int fd);
    [LibraryImport(Ssl)] internal static partial nint SSL_get_rbio(nint ssl);
    [LibraryImport(Ssl)] internal static partial void SSL_set0_wbio(nint ssl, nint wbio);
    [LibraryImport(Ssl)] internal static partial int SSL_has_pending(nint ssl);
    [LibraryImport(Ssl)] internal static partial void SSL_set_accept_state(nint ssl);
    [LibraryImport(Ssl)] internal static partial int SSL_do_handshake(nint ssl);
    [LibraryImport(Ssl)] internal static partial int SSL_read_ex(nint ssl, void* buffer, nuint count, nuint* read);
    [LibraryImport(Ssl)] internal static partial int SSL_write_ex(nint ssl, void* buffer, nuint count, nuint* written);
    [LibraryImport(Ssl)] internal static partial nint SSL_sendfile(nint ssl, int fd, long offset, nuint size, int flags);
    [LibraryImport(Ssl)] internal static partial int SSL_get_error(nint ssl, int result);
    [LibraryImport(Ssl)] internal static partial int SSL_shutdown(nint ssl);
    [LibraryImport(Ssl)] internal static partial byte* SSL_get_servername(nint ssl, int type);
    [LibraryImport(Ssl)] internal static partial nint SSL_get_SSL_CTX(nint ssl);
    [LibraryImport(Ssl)] internal static partial nint SSL_set_SSL_CTX(nint ssl, nint ctx);
    [LibraryImport(Ssl)] internal static partial nint SSL_get_wbio(nint ssl);
    [LibraryImport(Ssl)] internal static partial int SSL_version(nint ssl);
    [LibraryImport(Ssl)] internal static partial int SSL_session_reused(nint ssl);

    [LibraryImport(Crypto)] internal static partial void ERR_clear_error();
    [LibraryImport(Crypto)] internal static partial ulong ERR_get_error();
    [LibraryImport(Crypto)] internal static partial void ERR_error_string_n(ulong error, byte* buffer, nuint length);
    [LibraryImport(Crypto)] internal static partial nint BIO_ctrl(nint bio, int command, nint larg, void* parg);
    [LibraryImport(Crypto)] internal static partial void BIO_set_callback_ex(nint bio, void* callback);
    [LibraryImport(Crypto)] internal static partial nint BIO_f_buffer();
    [LibraryImport(Crypto)] internal static partial nint BIO_new(nint method);
    [LibraryImport(Crypto)] internal static partial int BIO_free(nint bio);
    [LibraryImport(Crypto)] internal static partial int BIO_up_ref(nint bio);
    [LibraryImport(Crypto)] internal static partial nint BIO_push(nint bio, nint next);
    [LibraryImport(Crypto)] internal static partial nint BIO_pop(nint bio);
    [LibraryImport(Crypto)] internal static partial int BIO_test_flags(nint bio, int flags);
    [LibraryImport(Crypto)] internal static partial int RAND_bytes(byte* buffer, int count);
    [LibraryImport(Crypto)] internal static partial nint EVP_aes_256_cbc();
    [LibraryImport(Crypto)] internal static partial nint EVP_sha256();
    [LibraryImport(Crypto)] internal static partial int EVP_EncryptInit_ex(nint ctx, nint cipher, nint engine, byte* key, byte* iv);
    [LibraryImport(Crypto)] internal static partial int EVP_DecryptInit_ex(nint ctx, nint cipher, nint engine, byte* key, byte* iv);
    [LibraryImport(Crypto)] internal static partial int HMAC_Init_ex(nint ctx, byte* key, int length, nint digest, nint engine);

    // ssl.h / tls1.h / bio.h (OpenSSL 3.0)
    public const int SSL_FILETYPE_PEM = 1;
    public const ulong SSL_OP_ENABLE_KTLS = 1UL << 3;
    public const ulong SSL_OP_IGNORE_UNEXPECTED_EOF = 1UL << 7;
    public const ulong SSL_OP_NO_COMPRESSION = 1UL << 17;
    public const ulong SSL_OP_PRIORITIZE_CHACHA = 1UL << 21;
    public const ulong SSL_OP_CIPHER_SERVER_PREFERENCE = 1UL << 22;
    public const ulong SSL_OP_NO_RENEGOTIATION = 1UL << 30;
    public const nint SSL_MODE_ENABLE_PARTIAL_WRITE = 0x1;
    public const nint SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER = 0x2;
    public const nint SSL_MODE_RELEASE_BUFFERS = 0x10;
    public const nint SSL_SESS_CACHE_SERVER = 0x2;
    public const int SSL_CTRL_MODE = 33;
    public const int SSL_CTRL_SET_READ_AHEAD = 41;
    public const int SSL_CTRL_SET_SESS_CACHE_SIZE = 42;
    public const int SSL_CTRL_SET_SESS_CACHE_MODE = 44;
    public const int SSL_CTRL_SET_TLSEXT_SERVERNAME_CB = 53;
    public const int SSL_CTRL_SET_TLSEXT_TICKET_KEY_CB = 72;
    public const int SSL_CTRL_SET_MIN_PROTO_VERSION = 123;
    public const int TLS1_2_VERSION = 0x0303;
    public const int TLS1_3_VERSION = 0x0304;
    public const int TLSEXT_NAMETYPE_host_name = 0;
    public const int SSL_TLSEXT_ERR_OK = 0;
    public const int SSL_TLSEXT_ERR_NOACK = 3;
    public const int SSL_ERROR_NONE = 0, SSL_ERROR_SSL = 1, SSL_ERROR_WANT_READ = 2, SSL_ERROR_WANT_WRITE = 3,
        SSL_ERROR_SYSCALL = 5, SSL_ERROR_ZERO_RETURN = 6;
    public const int BIO_CTRL_GET_KTLS_SEND = 73;
    public const int BIO_CB_READ = 0x02, BIO_CB_RETURN = 0x80;
    public const int BIO_CTRL_FLUSH = 11, BIO_C_SET_BUFF_SIZE = 117, BIO_FLAGS_SHOULD_RETRY = 0x08;
}
