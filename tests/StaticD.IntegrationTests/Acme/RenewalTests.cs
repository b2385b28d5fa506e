using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using StaticD.IntegrationTests.Systemd;
using StaticD.IntegrationTests.Tls;
using Xunit;
using Xunit.Abstractions;
using static StaticD.IntegrationTests.Acme.AcmeKit;

namespace StaticD.IntegrationTests.Acme;

/// <summary>
/// Renewal with short-lived certificates (pebble's certificateValidityPeriod): staticd renews at two thirds of the
/// lifetime while HTTPS clients keep shaking hands and requesting; not one request fails, and the new certificate
/// (another serial, from another order) is what every handshake gets afterwards, what the metrics report, and what
/// one journal entry announces.
/// </summary>
[Collection(JournaldCollection.Name)]
public sealed class RenewalTests(ITestOutputHelper output)
{
    private const int ValiditySeconds = 24;

    private static async Task<Exposition> Scrape(int port)
    {
        using RawHttpClient client = await RawHttpClient.ConnectAsync(port);
        HttpResponse r = await client.RoundTripAsync("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
        HttpAssert.Status(200, r);
        return new Exposition(r.BodyText);
    }

    private static long Unix(DateTime time) => new DateTimeOffset(time.ToUniversalTime()).ToUnixTimeSeconds();

    [Fact]
    public async Task RenewsBeforeExpiryWithoutAFailedRequest()
    {
        const string Host = "f.acme.test";
        int metricsPort = StaticDProcess.FreePort();
        using AcmeWorld world = await AcmeWorld.CreateAsync([[Host]], ["http-01", "tls-alpn-01"], validitySeconds: ValiditySeconds,
            configure: s => s["Metrics"] = new JsonObject { ["Listen"] = FormattableString.Invariant($"127.0.0.1:{metricsPort}") });
        var since = DateTimeOffset.UtcNow;
        using ChildProcess server = world.StartStaticD(underSystemd: true);
        X509Certificate2 first = await WaitForIssuedAsync(world, Host, server);
        string expiry = $"staticd_tls_certificate_expiry_timestamp_seconds{{site=\"{Host}\"}}";
        await Eventually(async () => (await Scrape(metricsPort)).Samples.GetValueOrDefault(expiry) == Unix(first.NotAfter),
            () => $"the metrics do not report {Unix(first.NotAfter)} as {expiry}");
        TimeSpan lifetime = first.NotAfter - first.NotBefore;
        output.WriteLine($"first certificate {first.SerialNumber}: {first.NotBefore:O} .. {first.NotAfter:O} ({lifetime.TotalSeconds:F0} s)");
        Assert.True(lifetime <= TimeSpan.FromSeconds(ValiditySeconds + 1), $"pebble's certificate lives {lifetime}, not {ValiditySeconds} s");

        var clock = Stopwatch.StartNew();
        TlsLoad load = new(world.HttpsPort, Host, fresh: 4, keepAlive: 2);
        try
        {
            // Renewal is due at two thirds of the lifetime; allow until expiry plus a margin.
            await Eventually(() => load.Serials.Keys.Any(s => s != first.SerialNumber) || load.Failures.Count > 0,
                () => $"no renewed certificate served; {load.Succeeded} requests, serials {string.Join(",", load.Serials.Keys)}\n{world.Pebble.Log}\n{server.Output}",
                lifetime + TimeSpan.FromSeconds(10));
            TimeSpan swappedAfter = clock.Elapsed;
            long atSwap = load.Succeeded;
            await load.WaitForProgressAsync(atSwap + 200);
            await load.StopAsync();
            output.WriteLine($"renewed certificate served {swappedAfter.TotalSeconds:F1} s into the load; {load.Succeeded} HTTPS requests ({load.Succeeded - load.KeptAlive} each on a new connection, {load.KeptAlive} on 2 kept-alive ones), {load.Failures.Count} failed; serials: {string.Join(", ", load.Serials.Select(p => $"{p.Key} x{p.Value}"))}");
            Assert.True(load.Failures.Count == 0, "failed requests:\n" + string.Join("\n", load.Failures.Take(20)));
        }
        finally
        {
            await load.StopAsync();
        }

        // Afterwards every handshake gets the new certificate, from pebble, for the name.
        X509Certificate2 renewed = await WaitForIssuedAsync(world, Host, server);
        Assert.NotEqual(first.SerialNumber, renewed.SerialNumber);
        Assert.True(renewed.NotAfter > first.NotAfter, $"renewed certificate ends {renewed.NotAfter:O}, not after {first.NotAfter:O}");
        Assert.Equal(Host, (await CurlAsync(world, Host, "/who.txt")).Trim());
        Assert.Equal(2, world.Pebble.Issued);
        Assert.Equal(2, world.Pebble.NewOrders);
        Exposition metrics = await Scrape(metricsPort);
        Assert.Equal(Unix(renewed.NotAfter), metrics[expiry]);
        Assert.Equal(2, metrics["staticd_acme_orders_total{result=\"issued\"}"]);
        Assert.Equal(0, metrics["staticd_acme_orders_total{result=\"failed\"}"]);

        // One entry for the issuance (80) and one for the renewal (81), each naming its own order.
        List<JsonElement> entries = [.. JournaldFixture.QueryPid(server.Pid, since, 2, "ACME_HOST=" + Host)
            .Where(e => JournaldFixture.Field(e, "ACME_ORDER") is not null)];
        Assert.Equal(["80", "81"], entries.Select(e => JournaldFixture.Field(e, "EVENT_ID")));
        Assert.NotEqual(JournaldFixture.Field(entries[0], "ACME_ORDER"), JournaldFixture.Field(entries[1], "ACME_ORDER"));
        output.WriteLine(JournaldFixture.Field(entries[1], "MESSAGE"));
        using (X509Certificate2 stored = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(world.CertificateDirectory(Host), "cert.pem"))))
            Assert.Equal(renewed.SerialNumber, stored.SerialNumber);
        Kit.Stop(server);
    }
}

/// <summary>
/// HTTPS clients requesting as fast as they can until stopped, checking status and body and recording every failure
/// with its reason. <c>fresh</c> clients open a new connection per request (a full handshake, no resumption: each
/// sees the certificate served at that moment; the serials they see are counted); <c>keepAlive</c> clients keep one
/// connection for all their requests (one opened before a swap must go on working after it).
/// </summary>
internal sealed class TlsLoad
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _clients;
    private long _ok, _keptAlive;

    public TlsLoad(int port, string host, int fresh, int keepAlive)
    {
        _clients = [.. Enumerable.Range(0, fresh).Select(_ => Task.Run(() => Fresh(port, host))),
            .. Enumerable.Range(0, keepAlive).Select(_ => Task.Run(() => KeepAlive(port, host)))];
    }

    public long Succeeded => Interlocked.Read(ref _ok);

    /// <summary>Of <see cref="Succeeded"/>, the requests on kept-alive connections.</summary>
    public long KeptAlive => Interlocked.Read(ref _keptAlive);

    public ConcurrentDictionary<string, long> Serials { get; } = new();

    public ConcurrentQueue<string> Failures { get; } = new();

    private static void Check(HttpResponse response, string host)
    {
        if (response.Status != 200 || response.BodyText.Trim() != host) throw new InvalidOperationException($"status {response.Status}, body {response.BodyText}");
    }

    private async Task Fresh(int port, string host)
    {
        string request = TlsKit.HttpRequest("GET", host, "/who.txt", "Connection: close");
        while (!_stop.IsCancellationRequested)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                await using TlsClient client = await TlsClient.ConnectAsync(port, host);
                Check(await client.RoundTripAsync(request), host);
                Serials.AddOrUpdate(client.Certificate.SerialNumber, 1, (_, n) => n + 1);
                Interlocked.Increment(ref _ok);
            }
            catch (Exception e)
            {
                Failures.Enqueue($"{e.GetType().Name}: {e.Message} (after {clock.ElapsedMilliseconds} ms)");
            }
        }
    }

    private async Task KeepAlive(int port, string host)
    {
        string request = TlsKit.HttpRequest("GET", host, "/who.txt");
        TlsClient? client = null;
        while (!_stop.IsCancellationRequested)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                client ??= await TlsClient.ConnectAsync(port, host);
                HttpResponse response = await client.RoundTripAsync(request);
                Check(response, host);
                Interlocked.Increment(ref _ok);
                Interlocked.Increment(ref _keptAlive);
                if (response.ConnectionTokens.Contains("close"))
                {
                    await client.DisposeAsync();
                    client = null;
                }
            }
            catch (Exception e)
            {
                Failures.Enqueue($"keep-alive: {e.GetType().Name}: {e.Message} (after {clock.ElapsedMilliseconds} ms)");
                if (client is not null) await client.DisposeAsync();
                client = null;
            }
        }
        if (client is not null) await client.DisposeAsync();
    }

    public async Task WaitForProgressAsync(long target)
    {
        await Eventually(() => Succeeded >= target || !Failures.IsEmpty, () => $"load made no progress: {Succeeded} ok");
    }

    public async Task StopAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_clients);
    }
}
