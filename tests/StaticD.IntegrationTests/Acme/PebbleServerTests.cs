using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Xunit;

namespace StaticD.IntegrationTests.Acme;

/// <summary>The harness itself: pebble 2.4 as Debian ships it takes the settings the ACME tests rely on.</summary>
public sealed class PebbleServerTests
{
    [Fact]
    public async Task StartsWithRealValidationShortCertificatesAndItsRootFetched()
    {
        using PebbleServer pebble = await PebbleServer.StartAsync(new PebbleOptions
        {
            HttpPort = StaticDProcess.FreePort(),
            TlsPort = StaticDProcess.FreePort(),
            ValiditySeconds = 30,
            NonceRejectPercent = 0,
        });

        using var client = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, c, _, _) => Tls.TlsClient.ChainToTestCa(c as X509Certificate2) == X509ChainStatusFlags.NoError },
        });
        using JsonDocument directory = JsonDocument.Parse(await client.GetStringAsync(pebble.DirectoryUrl));
        Assert.StartsWith(pebble.DirectoryUrl.Replace("/dir", "", StringComparison.Ordinal), directory.RootElement.GetProperty("newOrder").GetString(), StringComparison.Ordinal);
        // Pebble 2.4 offers no ACME Renewal Information: renewal falls back to two thirds of the lifetime.
        Assert.False(directory.RootElement.TryGetProperty("renewalInfo", out _));

        using X509Certificate2 root = X509Certificate2.CreateFromPem(File.ReadAllText(pebble.RootPath));
        Assert.StartsWith("CN=Pebble Root CA", root.Subject, StringComparison.Ordinal);
        Assert.True(root.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        using X509Certificate2 intermediate = X509Certificate2.CreateFromPem(File.ReadAllText(pebble.IntermediatePath));
        Assert.Equal(root.Subject, intermediate.Issuer);

        // Real validation, no random sleeps, the lifetime and nonce settings taken, challtestsrv as the resolver.
        Assert.DoesNotContain("Skipping real validation", pebble.Log, StringComparison.Ordinal);
        Assert.Contains("Disabling random VA sleeps", pebble.Log, StringComparison.Ordinal);
        Assert.Contains("Using certificate validity period of 30 seconds", pebble.Log, StringComparison.Ordinal);
        Assert.Contains("Configured to reject 0% of good nonces", pebble.Log, StringComparison.Ordinal);
        Assert.Contains($"Using custom DNS resolver for ACME challenges: 127.0.0.1:{pebble.DnsPort}", pebble.Log, StringComparison.Ordinal);
        await pebble.SetAddressAsync("x.acme.test", "127.0.0.2");
        await pebble.ClearAddressAsync("x.acme.test");
    }
}
