using System.Diagnostics;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using StaticD.IntegrationTests.Tls;
using Xunit;
using Xunit.Abstractions;

namespace StaticD.IntegrationTests.Acme;

/// <summary>
/// The ACME client against a real ACME server: Debian's pebble (Let's Encrypt's test server) on loopback, with
/// PEBBLE_VA_ALWAYS_VALID=0 so it really fetches the http-01 answer from staticd's plain port and really shakes
/// hands for tls-alpn-01 on its TLS port, resolving the test names to 127.0.0.1 through pebble-challtestsrv's DNS.
/// Pebble's own HTTPS certificate comes from the test CA, which staticd trusts through Acme:CaCertificate.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class IssuanceSmokeTests(ITestOutputHelper output)
{
    private static readonly TimeSpan IssueWithin = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("http-01")]
    [InlineData("tls-alpn-01")]
    public async Task FirstCertificateIsIssuedAndServed(string challenge)
    {
        using var root = new WebRoot();
        root.AddFile("index.html", "hello over acme\n");
        string host = $"{challenge.Replace("-", "")}.smoke.test";
        string state = Path.Combine(root.BasePath, "acme-state");
        SmokePebble? pebble = null;
        try
        {
            var clock = Stopwatch.StartNew();
            // Pebble validates on staticd's ports: started once staticd's plain port is chosen, before staticd.
            using StaticDProcess server = StaticDProcess.Start(root, s =>
            {
                pebble = SmokePebble.Start((int)s["Port"]!, StaticDProcess.FreePort());
                clock.Restart();
                s["HttpsPort"] = pebble.TlsPort;
                s.Remove("Root");
                s["Acme"] = new JsonObject
                {
                    ["Directory"] = pebble.DirectoryUrl,
                    ["AgreeToTerms"] = true,
                    ["Email"] = "ops@smoke.test",
                    ["CaCertificate"] = TestPki.Shared.CaPath,
                    ["StateDirectory"] = state,
                    ["ChallengeTypes"] = new JsonArray(challenge),
                };
                s["Sites"] = new JsonArray(new JsonObject
                {
                    ["Hosts"] = new JsonArray(host, "www." + host),
                    ["Root"] = root.RootPath,
                    ["Tls"] = "acme",
                });
            });
            server.WaitForStderr("certificate issued for " + host, IssueWithin);
            output.WriteLine($"{challenge}: certificate issued {clock.Elapsed.TotalSeconds:0.00} s after staticd started");

            (X509Certificate2 intermediate, X509Certificate2 pebbleRoot) = await pebble!.IssuerAsync();
            foreach (string name in new[] { host, "www." + host })
            {
                await using TlsClient client = await TlsClient.ConnectAsync(pebble.TlsPort, name);
                Assert.Contains(name, client.Certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()));
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(pebbleRoot);
                chain.ChainPolicy.ExtraStore.Add(intermediate);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                Assert.True(chain.Build(client.Certificate), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
                HttpResponse response = await TlsKit.HttpsAsync(pebble.TlsPort, name, TlsKit.HttpRequest("GET", name, "/"));
                Assert.Equal(200, response.Status);
                Assert.Equal("hello over acme\n", response.BodyText);
            }
        }
        finally
        {
            pebble?.Dispose();
        }

        // The state directory holds the certificate, its key and no order in flight; it and its files are private.
        string certificates = Path.Combine(state, "certificates", host);
        Assert.True(File.Exists(Path.Combine(certificates, "cert.pem")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(certificates, "key.pem")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(state));
        Assert.DoesNotContain("\"url\"", File.ReadAllText(Path.Combine(certificates, "order.json")));
    }

    /// <summary>pebble and pebble-challtestsrv (as DNS only) on free loopback ports, stopped at dispose.</summary>
    private sealed class SmokePebble : IDisposable
    {
        private readonly ChildProcess _dns, _pebble;
        private readonly string _directory;

        private SmokePebble(ChildProcess dns, ChildProcess pebble, string directory, int listenPort, int managementPort, int httpPort, int tlsPort)
        {
            _dns = dns;
            _pebble = pebble;
            _directory = directory;
            DirectoryUrl = $"https://localhost:{listenPort}/dir";
            ManagementPort = managementPort;
            HttpPort = httpPort;
            TlsPort = tlsPort;
        }

        public string DirectoryUrl { get; }
        public int ManagementPort { get; }
        public int HttpPort { get; }
        public int TlsPort { get; }

        public static SmokePebble Start(int http, int https)
        {
            string directory = Directory.CreateTempSubdirectory("staticd-pebble-").FullName;
            CertificateFiles tls = TestPki.Shared.Issue(["localhost"]);
            int listen = StaticDProcess.FreePort(), management = StaticDProcess.FreePort(), dns = StaticDProcess.FreePort();
            string config = Path.Combine(directory, "pebble.json");
            File.WriteAllText(config, new JsonObject
            {
                ["pebble"] = new JsonObject
                {
                    ["listenAddress"] = $"127.0.0.1:{listen}",
                    ["managementListenAddress"] = $"127.0.0.1:{management}",
                    ["certificate"] = tls.CertificatePath,
                    ["privateKey"] = tls.KeyPath,
                    ["httpPort"] = http,
                    ["tlsPort"] = https,
                    ["ocspResponderURL"] = "",
                    ["externalAccountBindingRequired"] = false,
                },
            }.ToJsonString());
            ChildProcess dnsServer = ChildProcess.Start("pebble-challtestsrv",
                ["-dns01", $"127.0.0.1:{dns}", "-http01", "", "-https01", "", "-tlsalpn01", "", "-management", $"127.0.0.1:{StaticDProcess.FreePort()}",
                 "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""]);
            ChildProcess pebble = ChildProcess.Start("pebble", ["-config", config, "-dnsserver", $"127.0.0.1:{dns}"], new ChildProcessOptions
            {
                Environment = new Dictionary<string, string?> { ["PEBBLE_VA_ALWAYS_VALID"] = "0", ["PEBBLE_VA_NOSLEEP"] = "1" },
                WorkingDirectory = directory,
            });
            var started = new SmokePebble(dnsServer, pebble, directory, listen, management, http, https);
            try
            {
                pebble.WaitUntilAccepting(listen, TimeSpan.FromSeconds(15));
                return started;
            }
            catch
            {
                started.Dispose();
                throw;
            }
        }

        /// <summary>Pebble's intermediate and root for this run (it makes new ones at every start).</summary>
        public async Task<(X509Certificate2 Intermediate, X509Certificate2 Root)> IssuerAsync()
        {
            using var handler = new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    RemoteCertificateValidationCallback = (_, c, _, _) => TlsClient.ChainToTestCa(c as X509Certificate2) == X509ChainStatusFlags.NoError,
                },
            };
            using var http = new HttpClient(handler);
            string intermediate = await http.GetStringAsync($"https://localhost:{ManagementPort}/intermediates/0");
            string root = await http.GetStringAsync($"https://localhost:{ManagementPort}/roots/0");
            return (X509Certificate2.CreateFromPem(intermediate), X509Certificate2.CreateFromPem(root));
        }

        public void Dispose()
        {
            _pebble.Dispose();
            _dns.Dispose();
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
