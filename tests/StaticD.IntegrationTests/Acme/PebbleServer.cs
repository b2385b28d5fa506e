using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using StaticD.IntegrationTests.Tls;

namespace StaticD.IntegrationTests.Acme;

/// <summary>What a test asks of its <see cref="PebbleServer"/>.</summary>
public sealed record PebbleOptions
{
    /// <summary>The port pebble validates http-01 on: staticd's plain port, or one nothing listens on.</summary>
    public required int HttpPort { get; init; }

    /// <summary>The port pebble validates tls-alpn-01 on: staticd's HTTPS port.</summary>
    public required int TlsPort { get; init; }

    /// <summary>Lifetime of the certificates pebble issues (its <c>certificateValidityPeriod</c>); null: pebble's
    /// default of five years.</summary>
    public int? ValiditySeconds { get; init; }

    /// <summary>PEBBLE_WFE_NONCEREJECT: the share of good nonces pebble rejects as bad (null: pebble's 5 %, which
    /// a client must survive by retrying).</summary>
    public int? NonceRejectPercent { get; init; }

    /// <summary>PEBBLE_AUTHZREUSE: how often pebble reuses a valid authorization in a new order (null: pebble's 50 %).</summary>
    public int? AuthzReusePercent { get; init; }
}

/// <summary>
/// Debian's pebble (the Let's Encrypt project's ACME test server, 2.4) on loopback for one test, validating for real
/// (PEBBLE_VA_ALWAYS_VALID=0, no random sleeps: PEBBLE_VA_NOSLEEP=1) against the ports of the staticd under test,
/// with pebble-challtestsrv as its only DNS server: every name answers 127.0.0.1 (no AAAA) unless a test says
/// otherwise (<see cref="SetAddressAsync"/>), so pebble's validation connections land on staticd. Pebble's own HTTPS
/// certificate comes from <see cref="TestPki"/>, which staticd trusts through <c>Acme:CaCertificate</c>
/// (<see cref="CaCertificatePath"/>); the root pebble issues under (made anew at every start) is fetched from its
/// management interface into <see cref="RootPath"/> for the clients that check staticd's new certificate.
/// Disposal stops both processes and deletes the working directory.
/// </summary>
public sealed class PebbleServer : IDisposable
{
    public const string PebblePath = "/usr/bin/pebble";
    public const string ChallTestSrvPath = "/usr/bin/pebble-challtestsrv";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(15);
    private static readonly CertificateFiles Certificate = TestPki.Shared.Issue(["localhost"], ipAddresses: [IPAddress.Loopback]);

    private readonly ChildProcess _dns;
    private readonly ChildProcess _pebble;
    private readonly HttpClient _client;
    private readonly string _work;
    private readonly int _managementPort, _dnsManagementPort;

    private PebbleServer(PebbleOptions options)
    {
        Options = options;
        _work = Directory.CreateTempSubdirectory("staticd-pebble-").FullName;
        int port = StaticDProcess.FreePort();
        _managementPort = StaticDProcess.FreePort();
        DnsPort = StaticDProcess.FreePort();
        _dnsManagementPort = StaticDProcess.FreePort();
        DirectoryUrl = FormattableString.Invariant($"https://127.0.0.1:{port}/dir");
        RootPath = Path.Combine(_work, "pebble-root.pem");
        IntermediatePath = Path.Combine(_work, "pebble-intermediate.pem");
        _client = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                // Pebble's listeners present the TestPki certificate made for 127.0.0.1.
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                    TlsClient.ChainToTestCa(certificate as X509Certificate2) == X509ChainStatusFlags.NoError
                    && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0,
            },
        })
        { Timeout = TimeSpan.FromSeconds(10) };

        // Only the DNS server (UDP and TCP) and the management interface that changes its answers: the challenge
        // servers of challtestsrv would answer in staticd's place.
        _dns = ChildProcess.Start(ChallTestSrvPath,
        [
            "-defaultIPv4", "127.0.0.1", "-defaultIPv6", "", "-dns01", Loopback(DnsPort), "-http01", "", "-https01", "",
            "-tlsalpn01", "", "-management", Loopback(_dnsManagementPort),
        ], new ChildProcessOptions { CloseStdin = true, WorkingDirectory = _work, StopTimeout = TimeSpan.FromSeconds(5) });

        string config = Path.Combine(_work, "pebble-config.json");
        var section = new JsonObject
        {
            ["listenAddress"] = Loopback(port),
            ["managementListenAddress"] = Loopback(_managementPort),
            ["certificate"] = Certificate.CertificatePath,
            ["privateKey"] = Certificate.KeyPath,
            ["httpPort"] = options.HttpPort,
            ["tlsPort"] = options.TlsPort,
            ["ocspResponderURL"] = "",
            ["externalAccountBindingRequired"] = false,
        };
        if (options.ValiditySeconds is { } validity) section["certificateValidityPeriod"] = validity;
        File.WriteAllText(config, new JsonObject { ["pebble"] = section }.ToJsonString());
        var environment = new Dictionary<string, string?> { ["PEBBLE_VA_ALWAYS_VALID"] = "0", ["PEBBLE_VA_NOSLEEP"] = "1" };
        if (options.NonceRejectPercent is { } reject) environment["PEBBLE_WFE_NONCEREJECT"] = reject.ToString(CultureInfo.InvariantCulture);
        if (options.AuthzReusePercent is { } reuse) environment["PEBBLE_AUTHZREUSE"] = reuse.ToString(CultureInfo.InvariantCulture);
        _pebble = ChildProcess.Start(PebblePath, ["-config", config, "-dnsserver", Loopback(DnsPort), "-strict=false"],
            new ChildProcessOptions { CloseStdin = true, WorkingDirectory = _work, Environment = environment, StopTimeout = TimeSpan.FromSeconds(5) });
    }

    public PebbleOptions Options { get; }

    /// <summary>The ACME directory URL (<c>Acme:Directory</c>).</summary>
    public string DirectoryUrl { get; }

    /// <summary>The CA that signed pebble's own HTTPS certificate (<c>Acme:CaCertificate</c>).</summary>
    public static string CaCertificatePath => TestPki.Shared.CaPath;

    /// <summary>The root pebble issues under, as PEM: what a client trusts to verify staticd's ACME certificate.</summary>
    public string RootPath { get; }

    /// <summary>Pebble's intermediate (the issuer of every leaf), as PEM.</summary>
    public string IntermediatePath { get; }

    public int DnsPort { get; }

    /// <summary>Pebble's log so far (it logs every request: "POST /order-plz -> calling handler()").</summary>
    public string Log => _pebble.Output;

    /// <summary>Orders pebble has created. Not its "POST /order-plz" lines: a request pebble refused for a bad nonce
    /// (it rejects 5 % of good ones unless told otherwise) is logged too, and the client rightly sends it again.</summary>
    public int NewOrders => Count("Added order \"");

    /// <summary>Certificates pebble has issued.</summary>
    public int Issued => Count("Issued certificate serial ");

    /// <summary>Starts challtestsrv and pebble and returns once pebble's directory answers and its root is fetched.</summary>
    public static async Task<PebbleServer> StartAsync(PebbleOptions options)
    {
        var server = new PebbleServer(options);
        try
        {
            await server.WaitUntilReadyAsync();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Lines of pebble's log containing <paramref name="fragment"/>.</summary>
    public int Count(string fragment) =>
        Log.Split('\n').Count(line => line.Contains(fragment, StringComparison.Ordinal));

    /// <summary>Waits (polling, bounded) until pebble's log has <paramref name="count"/> lines with <paramref name="fragment"/>.</summary>
    public async Task WaitForLogAsync(string fragment, int count, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (Count(fragment) < count)
        {
            if (clock.Elapsed > timeout || _pebble.HasExited)
                throw new TimeoutException($"pebble logged \"{fragment}\" {Count(fragment)} times, not {count}, within {timeout.TotalSeconds} s\n{Log}");
            await Task.Delay(5);
        }
    }

    /// <summary>Makes challtestsrv answer A queries for <paramref name="host"/> with <paramref name="address"/>
    /// (no longer the default 127.0.0.1): pebble's validation then goes there.</summary>
    public async Task SetAddressAsync(string host, string address)
    {
        using HttpResponseMessage response = await _client.PostAsync(DnsManagement("add-a"),
            Json(new JsonObject { ["host"] = host, ["addresses"] = new JsonArray(address) }));
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Back to the default answer (127.0.0.1) for <paramref name="host"/>.</summary>
    public async Task ClearAddressAsync(string host)
    {
        using HttpResponseMessage response = await _client.PostAsync(DnsManagement("clear-a"), Json(new JsonObject { ["host"] = host }));
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Pebble's record of the certificate with <paramref name="serialHex"/> (its management interface).</summary>
    public async Task<string> CertificateStatusAsync(string serialHex) =>
        await _client.GetStringAsync(FormattableString.Invariant($"https://127.0.0.1:{_managementPort}/cert-status-by-serial/{serialHex.ToLowerInvariant()}"));

    private static StringContent Json(JsonObject body) => new(body.ToJsonString(), System.Text.Encoding.UTF8, "application/json");

    private string DnsManagement(string endpoint) => FormattableString.Invariant($"http://127.0.0.1:{_dnsManagementPort}/{endpoint}");

    private static string Loopback(int port) => FormattableString.Invariant($"127.0.0.1:{port}");

    private async Task WaitUntilReadyAsync()
    {
        var clock = Stopwatch.StartNew();
        _dns.WaitUntilAccepting(_dnsManagementPort, StartTimeout);
        while (true)
        {
            if (_pebble.HasExited) throw new InvalidOperationException($"pebble exited with {_pebble.ExitCode}\n{Log}");
            try
            {
                using HttpResponseMessage response = await _client.GetAsync(DirectoryUrl);
                if (response.StatusCode == HttpStatusCode.OK) break;
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            if (clock.Elapsed > StartTimeout) throw new TimeoutException($"pebble's directory did not answer within {StartTimeout.TotalSeconds} s\n{Log}");
            await Task.Delay(20);
        }

        await File.WriteAllTextAsync(RootPath, await _client.GetStringAsync(FormattableString.Invariant($"https://127.0.0.1:{_managementPort}/roots/0")));
        await File.WriteAllTextAsync(IntermediatePath, await _client.GetStringAsync(FormattableString.Invariant($"https://127.0.0.1:{_managementPort}/intermediates/0")));
    }

    public void Dispose()
    {
        _pebble.Dispose();
        _dns.Dispose();
        _client.Dispose();
        try
        {
            Directory.Delete(_work, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
