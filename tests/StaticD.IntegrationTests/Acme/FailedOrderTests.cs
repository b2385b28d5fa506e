using System.Diagnostics;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using StaticD.IntegrationTests.Systemd;
using StaticD.IntegrationTests.Tls;
using Xunit;
using Xunit.Abstractions;
using static StaticD.IntegrationTests.Acme.AcmeKit;

namespace StaticD.IntegrationTests.Acme;

/// <summary>
/// An order whose validation fails (the name resolves, in pebble's DNS, to an address staticd does not listen on):
/// one journal entry with ACME_ERROR, no certificate served (or the self-signed stand-in when the operator asked
/// for it), and no new order before Acme:FailedOrderInterval has passed; once the name resolves to staticd again,
/// the next order succeeds and its certificate replaces whatever was served.
/// </summary>
[Collection(JournaldCollection.Name)]
public sealed class FailedOrderTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(4);

    private static JsonElement? ErrorEntry(int pid, DateTimeOffset since, string host) =>
        JournaldFixture.QueryPid(pid, since, 0, "ACME_HOST=" + host).FirstOrDefault(e => JournaldFixture.Field(e, "ACME_ERROR") is not null) is { ValueKind: JsonValueKind.Object } e ? e : null;

    [Fact]
    public async Task FailedValidationIsLoggedServesNothingAndIsNotRetriedBeforeTheInterval()
    {
        const string Host = "d.acme.test";
        using AcmeWorld world = await AcmeWorld.CreateAsync([[Host]], ["http-01"],
            configure: s => s["Acme"]!["FailedOrderInterval"] = Interval.ToString("c"));
        await world.Pebble.SetAddressAsync(Host, "127.0.0.2");
        var since = DateTimeOffset.UtcNow;
        using ChildProcess server = world.StartStaticD(underSystemd: true);

        await world.Pebble.WaitForLogAsync("POST /order-plz ", 1, Deadline);
        var sinceFirstOrder = Stopwatch.StartNew();
        JsonElement? failure = null;
        await Eventually(() => (failure = ErrorEntry(server.Pid, since, Host)) is not null, () => "no journal entry with ACME_ERROR\n" + world.Pebble.Log);
        TimeSpan failedAfter = sinceFirstOrder.Elapsed;
        string error = JournaldFixture.Field(failure!.Value, "ACME_ERROR")!;
        output.WriteLine($"failure logged {failedAfter.TotalMilliseconds:F0} ms after the order: {JournaldFixture.Field(failure.Value, "MESSAGE")} ACME_ERROR={error} ACME_ORDER={JournaldFixture.Field(failure.Value, "ACME_ORDER")}");
        Assert.False(string.IsNullOrWhiteSpace(error));

        // No certificate and no stand-in: the handshake for the name fails.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using TlsClient client = await TlsClient.ConnectAsync(world.HttpsPort, Host);
        });
        Assert.Equal(1, world.Pebble.NewOrders);

        // Fixed: the name resolves to staticd again. The next order waits for the interval.
        await world.Pebble.ClearAddressAsync(Host);
        await Eventually(() => world.Pebble.NewOrders >= 2, () => "no second order\n" + world.Pebble.Log, Interval * 3 + Deadline);
        TimeSpan retriedAfter = sinceFirstOrder.Elapsed;
        output.WriteLine($"second order {retriedAfter.TotalMilliseconds:F0} ms after the first (interval {Interval.TotalSeconds} s)");
        Assert.True(retriedAfter >= Interval, $"a new order {retriedAfter.TotalMilliseconds:F0} ms after the first, before the interval of {Interval.TotalSeconds} s");
        await WaitForIssuedAsync(world, Host, server);
        Assert.Equal(2, world.Pebble.NewOrders);
        Assert.Single(JournaldFixture.QueryPid(server.Pid, since, 0, "ACME_HOST=" + Host), e => JournaldFixture.Field(e, "ACME_ERROR") is not null);
        Kit.Stop(server);
    }

    [Fact]
    public async Task SelfSignedStandInIsServedUntilTheFirstCertificate()
    {
        const string Host = "e.acme.test";
        using AcmeWorld world = await AcmeWorld.CreateAsync([[Host, "www.e.acme.test"]], ["http-01"], configure: s =>
        {
            s["Acme"]!["StandIn"] = "self-signed";
            s["Acme"]!["FailedOrderInterval"] = TimeSpan.FromSeconds(2).ToString("c");
        });
        await world.Pebble.SetAddressAsync(Host, "127.0.0.2");
        using ChildProcess server = world.StartStaticD();

        X509Certificate2 standIn = await WaitForCertificateAsync(world.HttpsPort, Host, _ => true, server);
        output.WriteLine($"stand-in: {standIn.Subject}, issuer {standIn.Issuer}, until {standIn.NotAfter:O}");
        Assert.Equal(standIn.Subject, standIn.Issuer);
        Assert.False(IssuedBy(world.Pebble, standIn));
        string? names = standIn.Extensions.OfType<X509SubjectAlternativeNameExtension>().SingleOrDefault()?.EnumerateDnsNames().Aggregate("", (a, n) => a + n + " ");
        Assert.True(names?.Contains(Host, StringComparison.Ordinal) == true, $"the stand-in does not name {Host}: {names}");
        await using (TlsClient client = await TlsClient.ConnectAsync(world.HttpsPort, Host))
        {
            HttpResponse r = await client.RoundTripAsync(TlsKit.HttpRequest("GET", Host, "/who.txt"));
            Assert.Equal(200, r.Status);
            Assert.Equal(Host, r.BodyText.Trim());
        }

        await world.Pebble.WaitForLogAsync("POST /order-plz ", 1, Deadline);
        await world.Pebble.ClearAddressAsync(Host);
        X509Certificate2 issued = await WaitForIssuedAsync(world, Host, server, Deadline + TimeSpan.FromSeconds(10));
        Assert.NotEqual(standIn.Thumbprint, issued.Thumbprint);
        Assert.Equal(Host, (await CurlAsync(world, "www.e.acme.test", "/who.txt")).Trim());
        Kit.Stop(server);
    }
}
