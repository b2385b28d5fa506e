using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using StaticD.IntegrationTests.Systemd;
using Xunit;
using Xunit.Abstractions;
using static StaticD.IntegrationTests.Acme.AcmeKit;

namespace StaticD.IntegrationTests.Acme;

/// <summary>
/// First certificates from pebble, validated for real against the AOT binary: over http-01 on staticd's plain
/// listener, and over tls-alpn-01 alone with pebble's http-01 port leading nowhere. The certificate must verify
/// against pebble's root in curl and openssl, name every host of the site, be kept in the state directory, and be
/// announced by one journal entry with ACME_HOST and ACME_ORDER.
/// </summary>
[Collection(JournaldCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // file modes
public sealed class IssuanceTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Http01IssuesOneCertificateForAllHostsThatCurlAndOpenSslVerify()
    {
        using AcmeWorld world = await AcmeWorld.CreateAsync([["a.acme.test", "www.a.acme.test"]], ["http-01"]);
        var since = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        using ChildProcess server = world.StartStaticD(underSystemd: true);

        X509Certificate2 issued = await WaitForIssuedAsync(world, "a.acme.test", server);
        output.WriteLine($"http-01: certificate served {clock.ElapsedMilliseconds} ms after start");

        // The same certificate for the second host, and the site's own files over HTTPS.
        X509Certificate2 www = await WaitForIssuedAsync(world, "www.a.acme.test", server);
        Assert.Equal(issued.Thumbprint, www.Thumbprint);
        Assert.Equal("a.acme.test", (await CurlAsync(world, "a.acme.test", "/who.txt")).Trim());
        Assert.Equal("a.acme.test", (await CurlAsync(world, "www.a.acme.test", "/who.txt")).Trim());

        string leaf = await OpenSslLeafAsync(world, "www.a.acme.test");
        output.WriteLine(leaf);
        Assert.Contains("issuer=CN = Pebble Intermediate CA", leaf, StringComparison.Ordinal);
        Assert.Contains("DNS:a.acme.test", leaf, StringComparison.Ordinal);
        Assert.Contains("DNS:www.a.acme.test", leaf, StringComparison.Ordinal);

        // One order, validated over http-01 (pebble fetched the token from staticd's plain port), one certificate.
        Assert.Equal(1, world.Pebble.NewOrders);
        Assert.Equal(1, world.Pebble.Issued);
        Assert.True(world.Pebble.Count("http-01") > 0 || world.Pebble.Count("/.well-known/acme-challenge/") > 0,
            "pebble's log shows no http-01 validation\n" + world.Pebble.Log);

        // Kept in the state directory, readable by the service only.
        string dir = world.CertificateDirectory("a.acme.test");
        foreach (string file in (string[])["cert.pem", "key.pem", "order.json"])
            Assert.True(File.Exists(Path.Combine(dir, file)), $"{file} missing in {dir}: {string.Join(", ", Directory.GetFileSystemEntries(world.StateDirectory, "*", SearchOption.AllDirectories))}");
        Assert.Equal("700", Mode(world.StateDirectory));
        Assert.Equal("600", Mode(Path.Combine(dir, "key.pem")));
        using (X509Certificate2 stored = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(dir, "cert.pem"))))
            Assert.Equal(issued.Thumbprint, stored.Thumbprint);

        // One journal entry for the issuance (the entries about an order carry ACME_ORDER), with the site's host and
        // pebble's order URL, and none for a failure.
        List<JsonElement> entries = JournaldFixture.QueryPid(server.Pid, since, 1, "ACME_HOST=a.acme.test");
        entries = [.. entries.Where(e => JournaldFixture.Field(e, "ACME_ORDER") is not null)];
        JsonElement entry = Assert.Single(entries);
        string order = JournaldFixture.Field(entry, "ACME_ORDER") ?? "";
        output.WriteLine($"journal: {JournaldFixture.Field(entry, "MESSAGE")} ACME_ORDER={order}");
        Assert.StartsWith(world.Pebble.DirectoryUrl.Replace("/dir", "/my-order/", StringComparison.Ordinal), order, StringComparison.Ordinal);
        Assert.DoesNotContain(entries, e => JournaldFixture.Field(e, "ACME_ERROR") is not null);
        Kit.Stop(server);
    }

    [Fact]
    public async Task TlsAlpn01AloneIssuesWithThePlainPortUnreachable()
    {
        using AcmeWorld world = await AcmeWorld.CreateAsync([["b.acme.test"]], ["tls-alpn-01"], plainPortForPebble: false);
        var clock = Stopwatch.StartNew();
        using ChildProcess server = world.StartStaticD();

        X509Certificate2 issued = await WaitForIssuedAsync(world, "b.acme.test", server);
        output.WriteLine($"tls-alpn-01: certificate served {clock.ElapsedMilliseconds} ms after start");
        Assert.Equal("b.acme.test", (await CurlAsync(world, "b.acme.test", "/who.txt")).Trim());
        string leaf = await OpenSslLeafAsync(world, "b.acme.test");
        Assert.Contains("DNS:b.acme.test", leaf, StringComparison.Ordinal);
        Assert.Equal(1, world.Pebble.NewOrders);
        Assert.Equal(1, world.Pebble.Issued);
        // Nothing listens on pebble's http-01 port: the certificate can only have come through the handshake.
        Assert.True(Kit.IsRefused(world.Pebble.Options.HttpPort), "something listens on pebble's http-01 port");
        Kit.Stop(server);
    }
}
