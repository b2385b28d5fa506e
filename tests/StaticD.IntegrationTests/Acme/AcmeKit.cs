using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using StaticD.IntegrationTests.Systemd;
using StaticD.IntegrationTests.Tls;
using Xunit;

namespace StaticD.IntegrationTests.Acme;

/// <summary>
/// One ACME test's world: pebble (with challtestsrv as its DNS) and a staticd configuration whose sites get their
/// certificates from it, state in a directory of the test's own. Every site's root holds who.txt naming the site.
/// </summary>
internal sealed class AcmeWorld : IDisposable
{
    private AcmeWorld(PebbleServer pebble, SiteConfig config, int httpsPort, string stateDirectory)
    {
        Pebble = pebble;
        Config = config;
        HttpsPort = httpsPort;
        StateDirectory = stateDirectory;
    }

    public PebbleServer Pebble { get; }

    public SiteConfig Config { get; }

    /// <summary>staticd's plain port (Config.Port): pebble's http-01 port unless <c>plainPortForPebble</c> was false.</summary>
    public int Port => Config.Port;

    public int HttpsPort { get; }

    /// <summary>Acme:StateDirectory (does not exist before staticd makes it).</summary>
    public string StateDirectory { get; }

    public JsonObject Acme => Config.Section["Acme"]!.AsObject();

    /// <summary>
    /// Pebble validating against this staticd's ports and a configuration with one acme site per entry of
    /// <paramref name="sites"/> (its root named after the first host). <paramref name="plainPortForPebble"/> false:
    /// pebble's http-01 port is one nothing listens on, so only tls-alpn-01 can succeed.
    /// </summary>
    public static async Task<AcmeWorld> CreateAsync(string[][] sites, string[] challengeTypes, bool plainPortForPebble = true,
        int? validitySeconds = null, int? nonceRejectPercent = null, Action<JsonObject>? configure = null)
    {
        var config = new SiteConfig(root =>
        {
            root.AddFile("index.html", "default site");
            foreach (string[] hosts in sites) Sites.SitesKit.SiteDirectory(root, hosts[0]);
        });
        PebbleServer? pebble = null;
        try
        {
            int httpsPort = StaticDProcess.FreePort();
            pebble = await PebbleServer.StartAsync(new PebbleOptions
            {
                HttpPort = plainPortForPebble ? config.Port : StaticDProcess.FreePort(),
                TlsPort = httpsPort,
                ValiditySeconds = validitySeconds,
                NonceRejectPercent = nonceRejectPercent,
            });
            string state = Path.Combine(config.Root.BasePath, "acme-state");
            JsonObject section = config.Section;
            section["HttpsPort"] = httpsPort;
            section["Acme"] = new JsonObject
            {
                ["Directory"] = pebble.DirectoryUrl,
                ["Email"] = "ops@staticd.example.org",
                ["AgreeToTerms"] = true,
                ["CaCertificate"] = PebbleServer.CaCertificatePath,
                ["StateDirectory"] = state,
                ["ChallengeTypes"] = new JsonArray(challengeTypes.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
            };
            section["Sites"] = new JsonArray(sites.Select(hosts => (JsonNode?)Sites.SitesKit.Site(hosts,
                ("Root", Path.Combine("sites", hosts[0])), ("Tls", "acme"))).ToArray());
            configure?.Invoke(section);
            config.Save();
            return new AcmeWorld(pebble, config, httpsPort, state);
        }
        catch
        {
            pebble?.Dispose();
            config.Dispose();
            throw;
        }
    }

    /// <summary>staticd with this configuration, once it accepts on its plain port. <paramref name="underSystemd"/>:
    /// with INVOCATION_ID, so it logs to the journal with fields.</summary>
    public ChildProcess StartStaticD(bool underSystemd = false)
    {
        var environment = underSystemd ? new Dictionary<string, string> { ["INVOCATION_ID"] = Guid.NewGuid().ToString("N") } : null;
        ChildProcess server = ServiceProcess.StartStaticD(Config.Path, environment);
        try
        {
            server.WaitUntilAccepting(HttpsPort, AcmeKit.Deadline);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>The directory of a site's certificate in the state directory (named after its first host).</summary>
    public string CertificateDirectory(string firstHost) => Path.Combine(StateDirectory, "certificates", firstHost);

    public void Dispose()
    {
        Pebble.Dispose();
        Config.Dispose();
    }
}

/// <summary>Waits and checks the ACME tests share.</summary>
internal static class AcmeKit
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>Whether <paramref name="certificate"/> chains to <paramref name="pebble"/>'s root through its intermediate.</summary>
    public static bool IssuedBy(PebbleServer pebble, X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(X509Certificate2.CreateFromPem(File.ReadAllText(pebble.RootPath)));
        chain.ChainPolicy.ExtraStore.Add(X509Certificate2.CreateFromPem(File.ReadAllText(pebble.IntermediatePath)));
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = DateTime.Now;
        return chain.Build(certificate);
    }

    /// <summary>
    /// Shakes hands with <paramref name="host"/> as SNI until the certificate served passes <paramref name="wanted"/>
    /// (failed handshakes are retried: before the first certificate there may be none) and returns it. Fails at once
    /// if <paramref name="server"/> exits.
    /// </summary>
    public static async Task<X509Certificate2> WaitForCertificateAsync(int port, string host, Func<X509Certificate2, bool> wanted,
        ChildProcess server, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        string last = "no handshake yet";
        while (true)
        {
            if (server.HasExited) Assert.Fail($"staticd exited ({server.ExitCode}) while waiting for a certificate for {host}\n{server.Output}");
            try
            {
                await using TlsClient client = await TlsClient.ConnectAsync(port, host);
                if (wanted(client.Certificate)) return client.Certificate;
                last = $"served {client.Certificate.Subject}, issuer {client.Certificate.Issuer}, serial {client.Certificate.SerialNumber}";
            }
            catch (Exception e) when (e is AuthenticationException or IOException or SocketException or TimeoutException)
            {
                last = $"{e.GetType().Name}: {e.Message}";
            }

            if (clock.Elapsed > (timeout ?? Deadline))
                Assert.Fail($"no wanted certificate for {host} within {(timeout ?? Deadline).TotalSeconds} s; last: {last}\n--- staticd ---\n{server.Output}");
            await Task.Delay(20);
        }
    }

    /// <summary>Waits for the first certificate from pebble for <paramref name="host"/>.</summary>
    public static Task<X509Certificate2> WaitForIssuedAsync(AcmeWorld world, string host, ChildProcess server, TimeSpan? timeout = null) =>
        WaitForCertificateAsync(world.HttpsPort, host, c => IssuedBy(world.Pebble, c), server, timeout);

    /// <summary>curl https://<paramref name="host"/>:port<paramref name="target"/> trusting pebble's root only; the body,
    /// or a failed assertion with curl's error.</summary>
    public static async Task<string> CurlAsync(AcmeWorld world, string host, string target)
    {
        string port = world.HttpsPort.ToString(CultureInfo.InvariantCulture);
        ProcessResult r = await ChildProcess.RunAsync(Web.Curl.Path,
        [
            "-sS", "--fail", "--max-time", "10", "--http1.1", "--cacert", world.Pebble.RootPath,
            "--resolve", $"{host}:{port}:127.0.0.1", $"https://{host}:{port}{target}",
        ], TimeSpan.FromSeconds(20));
        Assert.True(r.ExitCode == 0, $"curl --cacert <pebble root> https://{host}:{port}{target} failed\n{r}");
        return r.Stdout;
    }

    /// <summary>openssl s_client to <paramref name="host"/> verifying against pebble's root (fails the test if it
    /// does not verify), then openssl x509 on the leaf served: its issuer, subject alternative names, serial and
    /// end date as openssl prints them.</summary>
    public static async Task<string> OpenSslLeafAsync(AcmeWorld world, string host)
    {
        ProcessResult shake = await TlsKit.OpenSslAsync("s_client", "-connect", FormattableString.Invariant($"127.0.0.1:{world.HttpsPort}"),
            "-servername", host, "-CAfile", world.Pebble.RootPath, "-verify_return_error", "-showcerts");
        Assert.True(shake.ExitCode == 0 && shake.Stdout.Contains("Verify return code: 0 (ok)", StringComparison.Ordinal),
            $"openssl s_client -CAfile <pebble root> does not verify {host}\n{shake}");
        int begin = shake.Stdout.IndexOf("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal);
        const string End = "-----END CERTIFICATE-----";
        int end = shake.Stdout.IndexOf(End, begin, StringComparison.Ordinal) + End.Length;
        string leaf = Path.Combine(world.Config.Root.BasePath, $"leaf-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(leaf, shake.Stdout[begin..end] + "\n");
        ProcessResult x509 = await TlsKit.OpenSslAsync("x509", "-in", leaf, "-noout", "-issuer", "-ext", "subjectAltName", "-serial", "-enddate");
        Assert.True(x509.ExitCode == 0, x509.ToString());
        return x509.Stdout;
    }

    /// <summary>Polls <paramref name="condition"/> every 10 ms until it holds; fails with <paramref name="describe"/> after <paramref name="timeout"/>.</summary>
    public static async Task Eventually(Func<bool> condition, Func<string> describe, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > (timeout ?? Deadline)) Assert.Fail($"not within {(timeout ?? Deadline).TotalSeconds} s: {describe()}");
            await Task.Delay(10);
        }
    }

    /// <summary>Polls <paramref name="condition"/> every 10 ms until it holds; fails with <paramref name="describe"/> after <paramref name="timeout"/>.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, Func<string> describe, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > (timeout ?? Deadline)) Assert.Fail($"not within {(timeout ?? Deadline).TotalSeconds} s: {describe()}");
            await Task.Delay(10);
        }
    }

    /// <summary>The permission bits of <paramref name="path"/> (as "700").</summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public static string Mode(string path) =>
        Convert.ToString((int)File.GetUnixFileMode(path) & 0x1FF, 8);
}
