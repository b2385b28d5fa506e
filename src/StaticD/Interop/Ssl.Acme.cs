using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StaticD.Interop;

/// <summary>Finds the tls-alpn-01 challenge context for a ClientHello's server name; 0 when none is pending.</summary>
internal delegate nint ChallengeSelector(ReadOnlySpan<byte> serverName);

/// <summary>
/// ACME's part of the TLS layer (RFC 8737, tls-alpn-01): a ClientHello that offers the protocol "acme-tls/1" for a
/// name with a pending challenge is switched, before OpenSSL chooses a certificate, to that challenge's context
/// (the self-signed certificate with the acmeIdentifier extension); the session negotiates "acme-tls/1" and is
/// closed after the handshake by its transport. Any other ClientHello goes on untouched.
/// </summary>
internal static unsafe partial class Ssl
{
    /// <summary>Set by the TLS layer; null while no challenge is pending, so an ordinary handshake pays one
    /// static read in the ClientHello callback.</summary>
    public static volatile ChallengeSelector? ChallengeContext;

    private static ReadOnlySpan<byte> AcmeTls1 => "acme-tls/1"u8;

    /// <summary>Loads the PEM chain (leaf first) and key held in memory into the context; false with the reason in
    /// <paramref name="error"/>.</summary>
    public static bool UsePem(nint ctx, ReadOnlySpan<byte> chainPem, ReadOnlySpan<byte> keyPem, out string error)
    {
        error = "";
        fixed (byte* chain = chainPem)
        fixed (byte* key = keyPem)
        {
            nint bio = LibSsl.BIO_new_mem_buf(chain, chainPem.Length);
            if (bio == 0) return Fail(out error);
            try
            {
                nint leaf = LibSsl.PEM_read_bio_X509(bio, 0, 0, 0);
                if (leaf == 0) return Fail(out error);
                int used = LibSsl.SSL_CTX_use_certificate(ctx, leaf);
                LibSsl.X509_free(leaf); // use_certificate took its own reference
                if (used != 1) return Fail(out error);
                nint next;
                while ((next = LibSsl.PEM_read_bio_X509(bio, 0, 0, 0)) != 0)
                {
                    // add_extra_chain_cert takes ownership of the certificate.
                    if (LibSsl.SSL_CTX_ctrl(ctx, LibSsl.SSL_CTRL_EXTRA_CHAIN_CERT, 0, (void*)next) != 1)
                    {
                        LibSsl.X509_free(next);
                        return Fail(out error);
                    }
                }
                LibSsl.ERR_clear_error(); // the end of the chain reads as "no start line"
            }
            finally
            {
                LibSsl.BIO_free(bio);
            }
            bio = LibSsl.BIO_new_mem_buf(key, keyPem.Length);
            if (bio == 0) return Fail(out error);
            try
            {
                nint pkey = LibSsl.PEM_read_bio_PrivateKey(bio, 0, 0, 0);
                if (pkey == 0) return Fail(out error);
                int used = LibSsl.SSL_CTX_use_PrivateKey(ctx, pkey);
                LibSsl.EVP_PKEY_free(pkey);
                if (used != 1 || LibSsl.SSL_CTX_check_private_key(ctx) != 1) return Fail(out error);
            }
            finally
            {
                LibSsl.BIO_free(bio);
            }
        }
        return true;
    }

    private static bool Fail(out string error)
    {
        error = TakeErrors();
        return false;
    }

    /// <summary>Every serving context looks at the ClientHello first, for tls-alpn-01 (see the class summary).</summary>
    public static void EnableChallengeSwitch(nint ctx) =>
        LibSsl.SSL_CTX_set_client_hello_cb(ctx, (delegate* unmanaged[Cdecl]<nint, int*, nint, int>)&OnClientHello, 0);

    /// <summary>Makes <paramref name="ctx"/> a challenge context: ALPN must be "acme-tls/1", no session tickets,
    /// and a server-name callback of its own (OpenSSL would otherwise run the initial context's, which would switch
    /// the session back to the site's certificate).</summary>
    public static void MakeChallengeContext(nint ctx)
    {
        SetOptions(ctx, LibSsl.SSL_OP_NO_TICKET);
        LibSsl.SSL_CTX_set_alpn_select_cb(ctx, (delegate* unmanaged[Cdecl]<nint, byte**, byte*, byte*, uint, nint, int>)&OnAcmeAlpn, 0);
        LibSsl.SSL_CTX_callback_ctrl(ctx, LibSsl.SSL_CTRL_SET_TLSEXT_SERVERNAME_CB,
            (delegate* unmanaged[Cdecl]<nint, int*, nint, int>)&OnChallengeServerName);
    }

    /// <summary>Whether the open session negotiated "acme-tls/1": a validation, which gets no HTTP.</summary>
    public static bool IsChallengeSession(nint ssl)
    {
        if (ChallengeContext is null) return false;
        byte* data;
        uint length;
        LibSsl.SSL_get0_alpn_selected(ssl, &data, &length);
        return data is not null && new ReadOnlySpan<byte>(data, (int)length).SequenceEqual(AcmeTls1);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnClientHello(nint ssl, int* alert, nint arg)
    {
        if (ChallengeContext is not { } find) return LibSsl.SSL_CLIENT_HELLO_SUCCESS;
        byte* data;
        nuint length;
        if (LibSsl.SSL_client_hello_get0_ext(ssl, LibSsl.TLSEXT_TYPE_application_layer_protocol_negotiation, &data, &length) != 1 ||
            !OffersAcmeTls1(new ReadOnlySpan<byte>(data, (int)length)))
            return LibSsl.SSL_CLIENT_HELLO_SUCCESS;
        if (LibSsl.SSL_client_hello_get0_ext(ssl, LibSsl.TLSEXT_TYPE_server_name, &data, &length) != 1) return LibSsl.SSL_CLIENT_HELLO_SUCCESS;
        ReadOnlySpan<byte> name = HostName(new ReadOnlySpan<byte>(data, (int)length));
        nint challenge = name.IsEmpty ? 0 : find(name);
        if (challenge != 0) LibSsl.SSL_set_SSL_CTX(ssl, challenge);
        return LibSsl.SSL_CLIENT_HELLO_SUCCESS;
    }

    /// <summary>RFC 7301 §3.1: a two-byte length, then one-byte-length protocol names.</summary>
    internal static bool OffersAcmeTls1(ReadOnlySpan<byte> extension) =>
        extension.Length >= 2 && FindProtocol(extension[2..], AcmeTls1) >= 0;

    /// <summary>RFC 6066 §3: a two-byte list length, then (type, two-byte length, name); the host_name entry.</summary>
    internal static ReadOnlySpan<byte> HostName(ReadOnlySpan<byte> extension)
    {
        if (extension.Length < 2) return default;
        ReadOnlySpan<byte> list = extension[2..];
        for (int i = 0; i + 3 <= list.Length;)
        {
            int n = list[i + 1] << 8 | list[i + 2];
            if (i + 3 + n > list.Length) return default;
            if (list[i] == 0) return list.Slice(i + 3, n);
            i += 3 + n;
        }
        return default;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnChallengeServerName(nint ssl, int* alert, nint arg) => LibSsl.SSL_TLSEXT_ERR_OK;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnAcmeAlpn(nint ssl, byte** selected, byte* selectedLength, byte* offered, uint offeredLength, nint arg)
    {
        if (Select(offered, offeredLength, AcmeTls1, selected, selectedLength)) return LibSsl.SSL_TLSEXT_ERR_OK;
        // RFC 8737 §3: a challenge certificate is only ever presented with acme-tls/1 negotiated.
        return LibSsl.SSL_TLSEXT_ERR_ALERT_FATAL;
    }
}
