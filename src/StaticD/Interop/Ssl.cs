using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace StaticD.Interop;

/// <summary>What a non-blocking TLS call asks of its caller.</summary>
internal enum TlsStatus : byte
{
    Ok,
    /// <summary>Wait until the socket is readable (EPOLLIN), then call again.</summary>
    WantRead,
    /// <summary>Wait until the socket is writable (EPOLLOUT), then call again with the same bytes.</summary>
    WantWrite,
    /// <summary>The peer closed the session (close_notify, or a plain EOF: SSL_OP_IGNORE_UNEXPECTED_EOF).</summary>
    Closed,
    /// <summary>A protocol or socket error: the session is unusable.</summary>
    Failed,
}

/// <summary>Chooses the certificate context for a ClientHello's server name (SNI); returns 0 to keep the one the
/// session started with. Called on the loop thread inside <see cref="Ssl.Handshake"/>.</summary>
internal delegate nint ServerNameSelector(nint initialContext, ReadOnlySpan<byte> serverName);

/// <summary>Session-ticket keys shared by every context and loop, so a ticket issued by one loop (or before a
/// reload) is accepted by all.</summary>
internal interface ITicketKeySource
{
    /// <summary>The current key: its 16-byte name, 32-byte AES key and 32-byte HMAC key.</summary>
    void Current(Span<byte> name, Span<byte> aesKey, Span<byte> hmacKey);

    /// <summary>The key named <paramref name="name"/>: 0 unknown (full handshake), 1 found, 2 found but old (the
    /// client gets a new ticket).</summary>
    int Find(ReadOnlySpan<byte> name, Span<byte> aesKey, Span<byte> hmacKey);
}

/// <summary>
/// OpenSSL wrapped for staticd: contexts (one per certificate) and sessions on non-blocking sockets. Results follow
/// OpenSSL's own rule that the thread's error queue must be empty before each I/O call: every failure path clears
/// it, so success paths pay nothing.
/// </summary>
internal static unsafe partial class Ssl
{
    /// <summary>Set once by the TLS layer before any context exists.</summary>
    public static ServerNameSelector? SelectContext;
    public static ITicketKeySource? TicketKeys;

    // ───────────────────────────── contexts ─────────────────────────────

    public static nint NewServerContext() => LibSsl.SSL_CTX_new(LibSsl.TLS_server_method());

    public static void FreeContext(nint ctx)
    {
        if (ctx != 0) LibSsl.SSL_CTX_free(ctx);
    }

    public static void SetOptions(nint ctx, ulong options) => LibSsl.SSL_CTX_set_options(ctx, options);

    public static void SetMode(nint ctx, nint mode) => LibSsl.SSL_CTX_ctrl(ctx, LibSsl.SSL_CTRL_MODE, mode, null);

    /// <summary>Each read() from the socket asks for all the room in the record buffer, not the 5 bytes of a
    /// record header and then its body: one syscall per request instead of two, and a short read then means the
    /// socket is drained (see <see cref="Read"/>).</summary>
    public static void SetReadAhead(nint ctx) => LibSsl.SSL_CTX_ctrl(ctx, LibSsl.SSL_CTRL_SET_READ_AHEAD, 1, null);

    public static bool SetMinVersion(nint ctx, int version) =>
        LibSsl.SSL_CTX_ctrl(ctx, LibSsl.SSL_CTRL_SET_MIN_PROTO_VERSION, version, null) == 1;

    public static void SetServerSessionCache(nint ctx, int size)
    {
        LibSsl.SSL_CTX_ctrl(ctx, LibSsl.SSL_CTRL_SET_SESS_CACHE_MODE, LibSsl.SSL_SESS_CACHE_SERVER, null);
        LibSsl.SSL_CTX_ctrl(ctx, LibSsl.SSL_CTRL_SET_SESS_CACHE_SIZE, size, null);
    }

    public static bool SetSessionIdContext(nint ctx, ReadOnlySpan<byte> id)
    {
        fixed (byte* p = id) return LibSsl.SSL_CTX_set_session_id_context(ctx, p, (uint)id.Length) == 1;
    }

    public static bool SetCipherList(nint ctx, string list)
    {
        fixed (byte* p = Terminated(list)) return LibSsl.SSL_CTX_set_cipher_list(ctx, p) == 1;
    }

    public static bool SetTls13Suites(nint ctx, string list)
    {
        fixed (byte* p = Terminated(list)) return LibSsl.SSL_CTX_set_ciphersuites(ctx, p) == 1;
    }

    public static bool UseCertificateChainFile(nint ctx, string path)
    {
        fixed (byte* p = Terminated(path)) return LibSsl.SSL_CTX_use_certificate_chain_file(ctx, p) == 1;
    }

    public static bool UsePrivateKeyFile(nint ctx, string path)
    {
        fixed (byte* p = Terminated(path)) return LibSsl.SSL_CTX_use_PrivateKey_file(ctx, p, LibSsl.SSL_FILETYPE_PEM) == 1;
    }

    public static bool CheckPrivateKey(nint ctx) => LibSsl.SSL_CTX_check_private_key(ctx) == 1;

    /// <summary>Routes the ClientHello's server name to <see cref="SelectContext"/>.</summary>
    public static void EnableServerNameCallback(nint ctx) =>
        LibSsl.SSL_CTX_callback_ctrl(ctx, LibSsl.SSL_CTRL_SET_TLSEXT_SERVERNAME_CB,
            (delegate* unmanaged[Cdecl]<nint, int*, nint, int>)&OnServerName);

    /// <summary>Session tickets are sealed with <see cref="TicketKeys"/> instead of keys private to the context
    /// (which a reload would throw away).</summary>
    public static void EnableTicketKeyCallback(nint ctx) =>
        LibSsl.SSL_CTX_callback_ctrl(ctx, LibSsl.SSL_CTRL_SET_TLSEXT_TICKET_KEY_CB,
            (delegate* unmanaged[Cdecl]<nint, byte*, byte*, nint, nint, int, int>)&OnTicketKey);

    /// <summary>Selects "h2" by ALPN when <paramref name="http2"/> and the client offers it, else "http/1.1", so
    /// clients that ask know what they get; a client that offers only other protocols proceeds without ALPN (RFC
    /// 7301 allows the server to ignore it).</summary>
    public static void EnableAlpn(nint ctx, bool http2) =>
        LibSsl.SSL_CTX_set_alpn_select_cb(ctx, (delegate* unmanaged[Cdecl]<nint, byte**, byte*, byte*, uint, nint, int>)&OnAlpn, http2 ? 1 : 0);

    /// <summary>The protocol ALPN selected for the session is "h2".</summary>
    public static bool SelectedHttp2(nint ssl)
    {
        byte* data;
        uint length;
        LibSsl.SSL_get0_alpn_selected(ssl, &data, &length);
        return length == 2 && data[0] == (byte)'h' && data[1] == (byte)'2';
    }

    /// <summary>Everything on the thread's OpenSSL error queue as one line, and the queue emptied.</summary>
    public static string TakeErrors()
    {
        var text = new StringBuilder();
        byte* buffer = stackalloc byte[256];
        ulong code;
        while ((code = LibSsl.ERR_get_error()) != 0)
        {
            LibSsl.ERR_error_string_n(code, buffer, 256);
            if (text.Length > 0) text.Append("; ");
            text.Append(Marshal.PtrToStringUTF8((nint)buffer));
        }
        return text.Length == 0 ? "unknown OpenSSL error" : text.ToString();
    }

    public static void ClearErrors() => LibSsl.ERR_clear_error();

    // ───────────────────────────── sessions ─────────────────────────────

    /// <summary>A server session on the connected socket <paramref name="fd"/>; 0 if OpenSSL is out of memory.</summary>
    public static nint NewSession(nint ctx, int fd)
    {
        nint ssl = LibSsl.SSL_new(ctx);
        if (ssl == 0)
        {
            LibSsl.ERR_clear_error();
            return 0;
        }
        LibSsl.SSL_set_fd(ssl, fd);
        // The socket BIO reports how each read() went (OnSocketBio), so Read can tell a drained socket.
        LibSsl.BIO_set_callback_ex(LibSsl.SSL_get_rbio(ssl), (delegate* unmanaged[Cdecl]<nint, int, byte*, nuint, int, nint, int, nuint*, nint>)&OnSocketBio);
        LibSsl.SSL_set_accept_state(ssl);
        return ssl;
    }

    /// <summary>Whether the last read() from a socket on this thread (a loop's) returned less than it asked for, or
    /// nothing: then the socket is drained and edge-triggered epoll reports the next bytes.</summary>
    [ThreadStatic] private static bool t_socketDrained;

    public static void FreeSession(nint ssl) => LibSsl.SSL_free(ssl);

    public static TlsStatus Handshake(nint ssl)
    {
        int r = LibSsl.SSL_do_handshake(ssl);
        return r == 1 ? TlsStatus.Ok : Status(ssl, r);
    }

    /// <summary>Decrypted bytes read into <paramref name="buffer"/> (≥ 1 when <paramref name="status"/> is Ok).
    /// <paramref name="drained"/>: nothing more can be read until the socket reports new bytes (its last read()
    /// was short and OpenSSL holds no record), so the caller need not call again just to see EAGAIN — as a short
    /// recv() tells a plain connection. False when unsure (this call read nothing from the socket).</summary>
    public static nint Read(nint ssl, Span<byte> buffer, out TlsStatus status, out bool drained)
    {
        nuint n;
        int r;
        t_socketDrained = false;
        fixed (byte* p = buffer) r = LibSsl.SSL_read_ex(ssl, p, (nuint)buffer.Length, &n);
        status = r == 1 ? TlsStatus.Ok : Status(ssl, r);
        drained = t_socketDrained && r == 1 && LibSsl.SSL_has_pending(ssl) == 0;
        return r == 1 ? (nint)n : 0;
    }

    /// <summary>Plaintext bytes taken (with partial writes enabled, whole records); after WantWrite the same
    /// bytes must be offered again (a moved buffer is allowed).</summary>
    public static nint Write(nint ssl, ReadOnlySpan<byte> data, out TlsStatus status)
    {
        nuint n;
        int r;
        fixed (byte* p = data) r = LibSsl.SSL_write_ex(ssl, p, (nuint)data.Length, &n);
        status = r == 1 ? TlsStatus.Ok : Status(ssl, r);
        return r == 1 ? (nint)n : 0;
    }

    /// <summary>Puts a write buffer of <paramref name="size"/> bytes between the session and its socket: the
    /// records of the <see cref="Write"/>s that follow collect there and leave in one write() at
    /// <see cref="FlushBatch"/> (or whenever the buffer fills), instead of one write() per 16 KiB record. For bulk
    /// bodies without kernel TLS (which must write to the socket itself). False if OpenSSL is out of memory.</summary>
    public static bool BeginBatch(nint ssl, int size)
    {
        nint buffer = LibSsl.BIO_new(LibSsl.BIO_f_buffer());
        int writeSide = 1; // BIO_set_write_buffer_size: the int behind parg picks the output buffer
        if (buffer == 0 || LibSsl.BIO_ctrl(buffer, LibSsl.BIO_C_SET_BUFF_SIZE, size, &writeSide) != 1)
        {
            if (buffer != 0) LibSsl.BIO_free(buffer);
            LibSsl.ERR_clear_error();
            return false;
        }
        // The session's socket BIO is its rbio and wbio (two references); the chain takes the wbio's place and
        // needs a reference of its own, since SSL_set0_wbio releases the old wbio's.
        nint socket = LibSsl.SSL_get_wbio(ssl);
        LibSsl.BIO_up_ref(socket);
        LibSsl.BIO_push(buffer, socket);
        LibSsl.SSL_set0_wbio(ssl, buffer);
        return true;
    }

    /// <summary>Writes what the batch buffer holds: Ok once it is empty, WantWrite if the socket is full (the rest
    /// stays buffered; call again on EPOLLOUT), Failed.</summary>
    public static TlsStatus FlushBatch(nint ssl)
    {
        nint buffer = LibSsl.SSL_get_wbio(ssl);
        if (LibSsl.BIO_ctrl(buffer, LibSsl.BIO_CTRL_FLUSH, 0, null) > 0) return TlsStatus.Ok;
        if (LibSsl.BIO_test_flags(buffer, LibSsl.BIO_FLAGS_SHOULD_RETRY) != 0) return TlsStatus.WantWrite;
        LibSsl.ERR_clear_error();
        return TlsStatus.Failed;
    }

    /// <summary>Takes the (flushed) batch buffer out again: the session writes to its socket directly, and an idle
    /// connection keeps no buffer.</summary>
    public static void EndBatch(nint ssl)
    {
        nint buffer = LibSsl.SSL_get_wbio(ssl);
        // Unlinked, the socket keeps the chain's reference as the wbio's; set0 then frees the buffer alone.
        nint socket = LibSsl.BIO_pop(buffer);
        LibSsl.SSL_set0_wbio(ssl, socket);
    }

    /// <summary>Kernel TLS only (<see cref="KernelSends"/>): file bytes encrypted by the kernel, no copy.</summary>
    public static nint SendFile(nint ssl, int fileFd, long offset, long count, out TlsStatus status)
    {
        nint r = LibSsl.SSL_sendfile(ssl, fileFd, offset, (nuint)count, 0);
        status = r >= 0 ? TlsStatus.Ok : Status(ssl, (int)r);
        return Math.Max(r, 0);
    }

    /// <summary>Sends close_notify if it can (never waits for the peer's).</summary>
    public static void Shutdown(nint ssl)
    {
        if (LibSsl.SSL_shutdown(ssl) < 0) LibSsl.ERR_clear_error();
    }

    /// <summary>The SNI name the client sent (valid while the session lives); empty if none.</summary>
    public static ReadOnlySpan<byte> ServerName(nint ssl) =>
        MemoryMarshal.CreateReadOnlySpanFromNullTerminated(LibSsl.SSL_get_servername(ssl, LibSsl.TLSEXT_NAMETYPE_host_name));

    /// <summary>Whether the kernel took over encryption of what we send (kTLS: SSL_OP_ENABLE_KTLS and the
    /// kernel's tls module); then file bodies may use <see cref="SendFile"/>.</summary>
    public static bool KernelSends(nint ssl) =>
        LibSsl.BIO_ctrl(LibSsl.SSL_get_wbio(ssl), LibSsl.BIO_CTRL_GET_KTLS_SEND, 0, null) != 0;

    public static int Version(nint ssl) => LibSsl.SSL_version(ssl);

    public static bool SessionReused(nint ssl) => LibSsl.SSL_session_reused(ssl) == 1;

    private static TlsStatus Status(nint ssl, int result)
    {
        switch (LibSsl.SSL_get_error(ssl, result))
        {
            case LibSsl.SSL_ERROR_WANT_READ: return TlsStatus.WantRead;
            case LibSsl.SSL_ERROR_WANT_WRITE: return TlsStatus.WantWrite;
            case LibSsl.SSL_ERROR_ZERO_RETURN: return TlsStatus.Closed;
            default:
                LibSsl.ERR_clear_error();
                return TlsStatus.Failed;
        }
    }

    // ───────────────────────────── callbacks from OpenSSL ─────────────────────────────

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnServerName(nint ssl, int* alert, nint arg)
    {
        byte* name = LibSsl.SSL_get_servername(ssl, LibSsl.TLSEXT_NAMETYPE_host_name);
        if (name is null || SelectContext is not { } select) return LibSsl.SSL_TLSEXT_ERR_NOACK;
        nint chosen = select(LibSsl.SSL_get_SSL_CTX(ssl), MemoryMarshal.CreateReadOnlySpanFromNullTerminated(name));
        if (chosen != 0 && chosen != LibSsl.SSL_get_SSL_CTX(ssl)) LibSsl.SSL_set_SSL_CTX(ssl, chosen);
        return LibSsl.SSL_TLSEXT_ERR_OK;
    }

    /// <summary>BIO_set_callback_ex's hook, called before and after every operation on a session's socket BIO;
    /// after a read it notes whether the read() drained the socket. Must return <paramref name="ret"/> unchanged.</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static nint OnSocketBio(nint bio, int operation, byte* data, nuint length, int argi, nint argl, int ret, nuint* processed)
    {
        if (operation == (LibSsl.BIO_CB_READ | LibSsl.BIO_CB_RETURN))
            t_socketDrained = ret <= 0 || processed is null || *processed < length;
        return ret;
    }

    private const int TicketNameLength = 16, TicketKeyLength = 32, TicketIvLength = 16;

    /// <summary>RFC 5077 ticket protection as OpenSSL's callback defines it: AES-256-CBC + HMAC-SHA256 under
    /// keys from <see cref="TicketKeys"/>. Returns 1 (ok), 2 (ok, renew the ticket), 0 (unknown key), -1 (error).</summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnTicketKey(nint ssl, byte* name, byte* iv, nint cipher, nint hmac, int encrypt)
    {
        if (TicketKeys is not { } keys) return encrypt != 0 ? -1 : 0;
        byte* aes = stackalloc byte[TicketKeyLength];
        byte* mac = stackalloc byte[TicketKeyLength];
        try
        {
            if (encrypt != 0)
            {
                keys.Current(new Span<byte>(name, TicketNameLength), new Span<byte>(aes, TicketKeyLength), new Span<byte>(mac, TicketKeyLength));
                if (LibSsl.RAND_bytes(iv, TicketIvLength) != 1) return -1;
                if (LibSsl.EVP_EncryptInit_ex(cipher, LibSsl.EVP_aes_256_cbc(), 0, aes, iv) != 1) return -1;
                return LibSsl.HMAC_Init_ex(hmac, mac, TicketKeyLength, LibSsl.EVP_sha256(), 0) == 1 ? 1 : -1;
            }
            int found = keys.Find(new ReadOnlySpan<byte>(name, TicketNameLength), new Span<byte>(aes, TicketKeyLength), new Span<byte>(mac, TicketKeyLength));
            if (found == 0) return 0;
            if (LibSsl.HMAC_Init_ex(hmac, mac, TicketKeyLength, LibSsl.EVP_sha256(), 0) != 1) return -1;
            if (LibSsl.EVP_DecryptInit_ex(cipher, LibSsl.EVP_aes_256_cbc(), 0, aes, iv) != 1) return -1;
            return found;
        }
        finally
        {
            new Span<byte>(aes, TicketKeyLength).Clear();
            new Span<byte>(mac, TicketKeyLength).Clear();
        }
    }

    private static ReadOnlySpan<byte> Http11 => "http/1.1"u8;
    private static ReadOnlySpan<byte> Http2 => "h2"u8;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnAlpn(nint ssl, byte** selected, byte* selectedLength, byte* offered, uint offeredLength, nint arg)
    {
        // Pick h2 (when the context allows it, arg 1) or else http/1.1 if the client offers it: the server's
        // preference decides, not the order of the client's list.
        if (arg != 0 && Select(offered, offeredLength, Http2, selected, selectedLength)) return LibSsl.SSL_TLSEXT_ERR_OK;
        return Select(offered, offeredLength, Http11, selected, selectedLength) ? LibSsl.SSL_TLSEXT_ERR_OK : LibSsl.SSL_TLSEXT_ERR_NOACK;
    }

    /// <summary>Points the ALPN select callback's answer at <paramref name="protocol"/> in the client's list, if it is
    /// there.</summary>
    private static bool Select(byte* offered, uint offeredLength, ReadOnlySpan<byte> protocol, byte** selected, byte* selectedLength)
    {
        int at = FindProtocol(new ReadOnlySpan<byte>(offered, (int)offeredLength), protocol);
        if (at < 0) return false;
        *selected = offered + at;
        *selectedLength = (byte)protocol.Length;
        return true;
    }

    /// <summary>Where <paramref name="protocol"/> starts in an ALPN protocol list (RFC 7301 §3.1: one-byte-length
    /// names, one after another), or -1; a truncated list ends the search.</summary>
    internal static int FindProtocol(ReadOnlySpan<byte> list, ReadOnlySpan<byte> protocol)
    {
        for (int i = 0; i < list.Length;)
        {
            int length = list[i];
            if (i + 1 + length > list.Length) return -1;
            if (list.Slice(i + 1, length).SequenceEqual(protocol)) return i + 1;
            i += 1 + length;
        }
        return -1;
    }

    private static byte[] Terminated(string s)
    {
        byte[] bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }
}
