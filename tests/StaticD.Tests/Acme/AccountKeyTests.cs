using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StaticD.Acme;
using Xunit;

namespace StaticD.Tests.Acme;

public sealed class AccountKeyTests
{
    /// <summary>RFC 7638 §3.1: the RSA key of RFC 7515 Appendix A.2 and its SHA-256 thumbprint.</summary>
    [Fact]
    public void ThumbprintMatchesTheRfc7638Example()
    {
        const string N = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs" +
                         "tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOp" +
                         "bISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        // Members given out of order: the canonical form sorts them.
        string jwk = AccountKey.JwkJson([("n", N), ("kty", "RSA"), ("e", "AQAB")]);
        Assert.Equal("{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"" + N + "\"}", jwk);
        Assert.Equal("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", AccountKey.Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes(jwk))));
    }

    [Fact]
    public void TheJwkIsAnEcP256KeyInCanonicalOrderAndTheKeyAuthorizationEndsWithItsThumbprint()
    {
        using AccountKey key = AccountKey.Create();
        using JsonDocument jwk = JsonDocument.Parse(key.Jwk);
        Assert.Equal(["crv", "kty", "x", "y"], jwk.RootElement.EnumerateObject().Select(p => p.Name));
        Assert.Equal("P-256", jwk.RootElement.GetProperty("crv").GetString());
        Assert.Equal(32, AccountKey.FromBase64Url(jwk.RootElement.GetProperty("x").GetString()!).Length);
        Assert.Equal(AccountKey.Base64Url(SHA256.HashData(Encoding.UTF8.GetBytes(key.Jwk))), key.Thumbprint);
        Assert.Equal("tok-en_1." + key.Thumbprint, key.KeyAuthorization("tok-en_1"));
        Assert.DoesNotContain('=', key.Thumbprint);
    }

    [Fact]
    public void KeySurvivesPem()
    {
        using AccountKey key = AccountKey.Create();
        using AccountKey again = AccountKey.FromPem(key.ExportPem());
        Assert.Equal(key.Thumbprint, again.Thumbprint);
        using var rsa = RSA.Create(2048);
        Assert.ThrowsAny<CryptographicException>(() => AccountKey.FromPem(rsa.ExportPkcs8PrivateKeyPem()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("https://acme.test/acct/17")]
    public void SignedRequestCarriesJwkOrKidAndVerifies(string? kid)
    {
        using AccountKey key = AccountKey.Create();
        byte[] jws = key.Sign("https://acme.test/new-order", "nonce-1", kid, "{\"a\":1}");
        using JsonDocument body = JsonDocument.Parse(jws);
        string protectedPart = body.RootElement.GetProperty("protected").GetString()!;
        string payloadPart = body.RootElement.GetProperty("payload").GetString()!;
        byte[] signature = AccountKey.FromBase64Url(body.RootElement.GetProperty("signature").GetString()!);
        using JsonDocument header = JsonDocument.Parse(AccountKey.FromBase64Url(protectedPart));
        Assert.Equal("ES256", header.RootElement.GetProperty("alg").GetString());
        Assert.Equal("nonce-1", header.RootElement.GetProperty("nonce").GetString());
        Assert.Equal("https://acme.test/new-order", header.RootElement.GetProperty("url").GetString());
        if (kid is null)
        {
            Assert.False(header.RootElement.TryGetProperty("kid", out _));
            Assert.Equal(key.Jwk, header.RootElement.GetProperty("jwk").GetRawText());
        }
        else
        {
            Assert.False(header.RootElement.TryGetProperty("jwk", out _));
            Assert.Equal(kid, header.RootElement.GetProperty("kid").GetString());
        }
        Assert.Equal("{\"a\":1}", Encoding.UTF8.GetString(AccountKey.FromBase64Url(payloadPart)));
        Assert.Equal(64, signature.Length); // r||s, not DER
        Assert.True(key.Verify(protectedPart, payloadPart, signature));
        signature[5] ^= 1;
        Assert.False(key.Verify(protectedPart, payloadPart, signature));
    }

    [Fact]
    public void PostAsGetHasAnEmptyPayload()
    {
        using AccountKey key = AccountKey.Create();
        using JsonDocument body = JsonDocument.Parse(key.Sign("https://acme.test/order/1", "n", "https://acme.test/acct/1", ""));
        Assert.Equal("", body.RootElement.GetProperty("payload").GetString());
    }
}
