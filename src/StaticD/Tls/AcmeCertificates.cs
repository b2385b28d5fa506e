using System.Collections.Concurrent;
using System.Text;
using StaticD.Interop;

namespace StaticD.Tls;

/// <summary>
/// One ACME site's certificate, swapped in place: the loops read <see cref="Current"/> at SNI time, so new
/// handshakes get a new certificate the moment it is installed while sessions already open keep theirs (each
/// holds a reference to its SSL_CTX). Slots outlive configurations: a reload finds the certificate it had.
/// </summary>
internal sealed class AcmeSlot(string name)
{
    /// <summary>A replaced context is freed this long after the swap: a loop may have read the handle just
    /// before and not yet taken its own reference with SSL_set_SSL_CTX.</summary>
    private static readonly TimeSpan RetireAfter = TimeSpan.FromMinutes(1);

    private volatile CertificateContext? _current;

    /// <summary>The first host name of the site (the state directory's name for its certificate).</summary>
    public string Name { get; } = name;

    /// <summary>The certificate in force, or null (no certificate yet: handshakes for the site fail).</summary>
    public CertificateContext? Current => _current;

    /// <summary>Whether <see cref="Current"/> is the self-signed stand-in rather than an issued certificate.</summary>
    public bool IsStandIn { get; private set; }

    public void Install(CertificateContext next, bool standIn)
    {
        IsStandIn = standIn;
        CertificateContext? old = Interlocked.Exchange(ref _current, next);
        if (old is not null) _ = Task.Delay(RetireAfter).ContinueWith(_ => old.Dispose(), TaskScheduler.Default);
    }
}

/// <summary>
/// What the loops need from ACME, shared with the one worker that talks to the ACME server: the certificate slot
/// of each ACME site, the http-01 answers (token → key authorization) and the tls-alpn-01 challenge contexts (host
/// → context). Loops only read; the worker writes.
/// </summary>
internal static class AcmeCertificates
{
    private static readonly ConcurrentDictionary<string, AcmeSlot> Slots = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, byte[]> Tokens = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, CertificateContext> Challenges = new(StringComparer.Ordinal);
    private static readonly Lazy<CertificateContext> NoCertificate = new(() => CertificateContext.Bare(kernelTls: false, http2: false));

    /// <summary>The slot for the site whose first host is <paramref name="name"/> (created empty the first time).</summary>
    public static AcmeSlot Slot(string name) => Slots.GetOrAdd(name, static n => new AcmeSlot(n));

    /// <summary>The context an ACME site without a certificate is switched to: the handshake then fails with an
    /// alert instead of presenting another site's certificate.</summary>
    public static CertificateContext Waiting => NoCertificate.Value;

    // ───────────────────────────── http-01 ─────────────────────────────

    public static void AddToken(string token, string keyAuthorization) => Tokens[token] = Encoding.ASCII.GetBytes(keyAuthorization);

    public static void RemoveToken(string token) => Tokens.TryRemove(token, out _);

    /// <summary>The key authorization for a token asked for at /.well-known/acme-challenge/TOKEN, or null (the
    /// request is then served as any other). Only such requests get here, and while none is pending it does
    /// not allocate.</summary>
    public static byte[]? KeyAuthorization(ReadOnlySpan<byte> token)
    {
        if (Tokens.IsEmpty || token.IsEmpty || token.Length > 256) return null;
        return Tokens.TryGetValue(Encoding.ASCII.GetString(token), out byte[]? answer) ? answer : null;
    }

    // ───────────────────────────── tls-alpn-01 ─────────────────────────────

    public static void AddChallenge(string host, CertificateContext context)
    {
        if (Challenges.TryGetValue(host, out CertificateContext? old)) Retire(old);
        Challenges[host] = context;
        Ssl.ChallengeContext = FindChallenge;
    }

    public static void RemoveChallenge(string host)
    {
        if (Challenges.TryRemove(host, out CertificateContext? old)) Retire(old);
        if (Challenges.IsEmpty) Ssl.ChallengeContext = null;
    }

    private static void Retire(CertificateContext context) =>
        _ = Task.Delay(TimeSpan.FromMinutes(1)).ContinueWith(_ => context.Dispose(), TaskScheduler.Default);

    private static nint FindChallenge(ReadOnlySpan<byte> serverName)
    {
        // Host names are ASCII and, in a ClientHello, compared case-insensitively (RFC 6066 §3).
        Span<char> name = stackalloc char[Math.Min(serverName.Length, 253)];
        if (serverName.Length > name.Length) return 0;
        for (int i = 0; i < serverName.Length; i++) name[i] = (char)(serverName[i] | (serverName[i] is >= (byte)'A' and <= (byte)'Z' ? 0x20 : 0));
        var lookup = Challenges.GetAlternateLookup<ReadOnlySpan<char>>();
        return lookup.TryGetValue(name, out CertificateContext? context) ? context.Handle : 0;
    }
}
