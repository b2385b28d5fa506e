using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace StaticD.Acme;

/// <summary>
/// The ACME account's key (ECDSA P-256) and the JSON Web Signatures made with it (RFC 7515, flattened JSON
/// serialization, ES256): every request to the ACME server is one (RFC 8555 §6.2). The first request (newAccount)
/// carries the public key as a <c>jwk</c>; later ones name the account by its URL (<c>kid</c>).
/// </summary>
internal sealed class AccountKey : IDisposable
{
    private readonly ECDsa _key;

    private AccountKey(ECDsa key)
    {
        _key = key;
        ECParameters p = key.ExportParameters(includePrivateParameters: false);
        Jwk = JwkJson([("crv", "P-256"), ("kty", "EC"), ("x", Base64Url(p.Q.X!)), ("y", Base64Url(p.Q.Y!))]);
        Thumbprint = Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes(Jwk)));
    }

    public static AccountKey Create() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>The key from its PKCS#8 PEM; throws <see cref="CryptographicException"/> for anything else.</summary>
    public static AccountKey FromPem(string pem)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        if (key.KeySize != 256) throw new CryptographicException("the account key is not a P-256 key");
        return new AccountKey(key);
    }

    public string ExportPem() => _key.ExportPkcs8PrivateKeyPem();

    /// <summary>The public key as a JWK in RFC 7638's canonical form (members in lexicographic order, no
    /// whitespace): the same text is the <c>jwk</c> header and the input of the thumbprint.</summary>
    public string Jwk { get; }

    /// <summary>RFC 7638 thumbprint (SHA-256, base64url): the second half of every key authorization.</summary>
    public string Thumbprint { get; }

    /// <summary>RFC 8555 §8.1: what the ACME server expects to find for a challenge token.</summary>
    public string KeyAuthorization(string token) => token + "." + Thumbprint;

    /// <summary>RFC 7638 §3: the required members, sorted by name, as compact JSON (values here are base64url or
    /// plain names, which need no escaping).</summary>
    internal static string JwkJson(IEnumerable<(string Name, string Value)> members) =>
        "{" + string.Join(",", members.OrderBy(m => m.Name, StringComparer.Ordinal).Select(m => $"\"{m.Name}\":\"{m.Value}\"")) + "}";

    /// <summary>A flattened JWS (RFC 7515 §7.2.2) of <paramref name="payload"/> for <paramref name="url"/>: with
    /// <paramref name="kid"/> null, the key itself goes in the header (newAccount, RFC 8555 §6.2). An empty payload
    /// is a POST-as-GET (§6.3).</summary>
    public byte[] Sign(string url, string nonce, string? kid, string payload)
    {
        var header = new MemoryStream();
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            w.WriteString("alg", "ES256");
            if (kid is null) w.WritePropertyName("jwk"); else w.WriteString("kid", kid);
            if (kid is null) w.WriteRawValue(Jwk);
            w.WriteString("nonce", nonce);
            w.WriteString("url", url);
            w.WriteEndObject();
        }
        string protectedPart = Base64Url(header.ToArray());
        string payloadPart = Base64Url(Encoding.UTF8.GetBytes(payload));
        // ES256 is the raw r||s pair (RFC 7518 §3.4), which is .NET's IEEE P1363 format, not DER.
        byte[] signature = _key.SignData(Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart), HashAlgorithmName.SHA256,
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var body = new MemoryStream();
        using (var w = new Utf8JsonWriter(body))
        {
            w.WriteStartObject();
            w.WriteString("protected", protectedPart);
            w.WriteString("payload", payloadPart);
            w.WriteString("signature", Base64Url(signature));
            w.WriteEndObject();
        }
        return body.ToArray();
    }

    /// <summary>Checks a signature made by <see cref="Sign"/> (for tests: the JWS a server would verify).</summary>
    internal bool Verify(string protectedPart, string payloadPart, byte[] signature) =>
        _key.VerifyData(Encoding.ASCII.GetBytes(protectedPart + "." + payloadPart), signature, HashAlgorithmName.SHA256,
            DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] FromBase64Url(string text)
    {
        string s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s + new string('=', (4 - s.Length % 4) % 4));
    }

    public void Dispose() => _key.Dispose();
}
