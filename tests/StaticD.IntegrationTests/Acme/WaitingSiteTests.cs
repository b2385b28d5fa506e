using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using StaticD.IntegrationTests.Tls;
using Xunit;

namespace StaticD.IntegrationTests.Acme;

/// <summary>
/// An ACME site whose ACME server cannot be reached (a closed port): what it serves meanwhile. Nothing here needs
/// an ACME server: a certificate already in the state directory is served from the first handshake, a site
/// without one fails its handshakes with an alert (or serves the self-signed stand-in it asked for), and the
/// journal says why.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class WaitingSiteTests : IDisposable
{
    private const string Host = "waiting.test";
    private readonly WebRoot _root = new();
    private readonly int _httpsPort = StaticDProcess.FreePort();

    public WaitingSiteTests() => _root.AddFile("index.html", "waiting site\n");

    public void Dispose() => _root.Dispose();

    private string StateDirectory => Path.Combine(_root.BasePath, "acme");

    private StaticDProcess Start(string standIn) => StaticDProcess.Start(_root, s =>
    {
        s["HttpsPort"] = _httpsPort;
        s.Remove("Root");
        s["Acme"] = new JsonObject
        {
            // Nothing listens there: every attempt fails at once, and is retried with back-off.
            ["Directory"] = $"https://127.0.0.1:{StaticDProcess.FreePort()}/dir",
            ["AgreeToTerms"] = true,
            ["StateDirectory"] = StateDirectory,
            ["StandIn"] = standIn,
        };
        s["Sites"] = new JsonArray(new JsonObject
        {
            ["Hosts"] = new JsonArray(Host, "www." + Host),
            ["Root"] = _root.RootPath,
            ["Tls"] = "acme",
        });
    });

    [Fact]
    public async Task WithoutACertificateHandshakesFailAndTheLogSaysWhy()
    {
        using StaticDProcess server = Start("none");
        server.WaitForStderr($"acme: {Host} has no certificate yet; its HTTPS handshakes fail", TlsKit.Deadline);
        server.WaitForStderr($"acme: {Host}: no certificate for {Host}, www.{Host}", TlsKit.Deadline);
        Exception refused = await Assert.ThrowsAnyAsync<Exception>(async () => await TlsClient.ConnectAsync(_httpsPort, Host));
        Assert.True(refused is AuthenticationException or IOException, refused.ToString());
        // Plain HTTP still serves the site.
        HttpResponse plain = await TlsKit.HttpAsync(server.Port, TlsKit.HttpRequest("GET", Host, "/"));
        Assert.Equal(200, plain.Status);
    }

    [Fact]
    public async Task TheSelfSignedStandInServesUntilTheFirstCertificate()
    {
        using StaticDProcess server = Start("self-signed");
        server.WaitForStderr("served with a self-signed stand-in", TlsKit.Deadline);
        await using TlsClient client = await TlsClient.ConnectAsync(_httpsPort, "www." + Host);
        Assert.Equal(client.Certificate.Subject, client.Certificate.Issuer);
        Assert.Equal([Host, "www." + Host], client.Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames());
        HttpResponse response = await TlsKit.HttpsAsync(_httpsPort, Host, TlsKit.HttpRequest("GET", Host, "/"));
        Assert.Equal("waiting site\n", response.BodyText);
    }

    /// <summary>A certificate as the worker leaves it in the state directory.</summary>
    private CertificateFiles StoreCertificate()
    {
        CertificateFiles stored = TestPki.Shared.Issue([Host, "www." + Host]);
        string directory = Path.Combine(StateDirectory, "certificates", Host);
        Directory.CreateDirectory(directory);
        File.Copy(stored.CertificatePath, Path.Combine(directory, "cert.pem"));
        File.Copy(stored.KeyPath, Path.Combine(directory, "key.pem"));
        return stored;
    }

    [Fact]
    public async Task ACertificateInTheStateDirectoryIsServedWithoutTheAcmeServer()
    {
        CertificateFiles stored = StoreCertificate();
        using StaticDProcess server = Start("none");
        await TlsKit.AssertServes(_httpsPort, Host, stored);
        await TlsKit.AssertServes(_httpsPort, "www." + Host, stored);
        Assert.Equal(0, server.CountStderr("has no certificate yet"));
        // The state directory was made private when the worker took its lock.
        server.WaitForStderr("renewal due at", TlsKit.Deadline);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(StateDirectory));
    }

    /// <summary>An issued certificate outlives reloads, but ALPN is fixed in its OpenSSL context: a reload that turns
    /// HTTP/2 off must reach the ACME site too, as it does a site whose certificate comes from files.</summary>
    [Fact]
    public async Task AReloadThatTurnsHttp2Off_AppliesToTheAcmeSite()
    {
        StoreCertificate();
        using StaticDProcess server = Start("none");
        Assert.Contains("ALPN protocol: h2\n", await NegotiatedAsync(), StringComparison.Ordinal);

        JsonNode config = JsonNode.Parse(File.ReadAllText(server.ConfigPath))!;
        config["StaticD"]!["Http2"] = false;
        File.WriteAllText(server.ConfigPath, config.ToJsonString());
        int before = server.CountStderr("configuration reloaded");
        server.Signal(TestLibc.SIGHUP);
        server.WaitForStderr("configuration reloaded", TlsKit.Deadline, before + 1);
        Assert.Contains("ALPN protocol: http/1.1\n", await NegotiatedAsync(), StringComparison.Ordinal);
    }

    private async Task<string> NegotiatedAsync()
    {
        ProcessResult r = await TlsKit.OpenSslAsync("s_client", "-connect", $"127.0.0.1:{_httpsPort}", "-servername", Host, "-alpn", "h2,http/1.1");
        return r.Stdout + "\n" + r.Stderr;
    }
}
