using System.Diagnostics;
using System.Globalization;
using System.Net;
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
/// one journal entry with ACME_ERROR, no certificate served, and no new order for the host before
/// Acme:FailedOrderInterval has passed, not even after a restart. And the self-signed stand-in, when the operator
/// asked for it, served while the first order is in progress and replaced by the certificate once it is issued.
/// </summary>
[Collection(JournaldCollection.Name)]
public sealed class FailedOrderTests(ITestOutputHelper output)
{
    /// <summary>Longer than the worker's back-off after one failure (1 to 1.25 min), so the interval is what
    /// decides the next attempt.</summary>
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);

    private static List<JsonElement> Entries(int pid, DateTimeOffset since, string host, string eventId) =>
        [.. JournaldFixture.QueryPid(pid, since, 0, "ACME_HOST=" + host, "EVENT_ID=" + eventId)];

    [Fact]
    public async Task FailedValidationIsLoggedServesNothingAndIsNotRetriedBeforeTheInterval()
    {
        const string Host = "d.acme.test";
        using AcmeWorld world = await AcmeWorld.CreateAsync([[Host]], ["http-01"],
            configure: s => s["Acme"]!["FailedOrderInterval"] = Interval.ToString("c"));
        await world.Pebble.SetAddressAsync(Host, "127.0.0.2");
        var since = DateTimeOffset.UtcNow;
        using (ChildProcess server = world.StartStaticD(underSystemd: true))
        {
            List<JsonElement> failures = [];
            await Eventually(() => (failures = Entries(server.Pid, since, Host, "82")).Count > 0, () => "no journal entry with ACME_ERROR\n" + world.Pebble.Log);
            JsonElement failure = Assert.Single(failures);
            string error = JournaldFixture.Field(failure, "ACME_ERROR")!;
            output.WriteLine($"failure: {JournaldFixture.Field(failure, "MESSAGE")}");
            Assert.Contains("urn:ietf:params:acme:error:", error, StringComparison.Ordinal);
            Assert.StartsWith(world.Pebble.DirectoryUrl.Replace("/dir", "/my-order/", StringComparison.Ordinal), JournaldFixture.Field(failure, "ACME_ORDER"), StringComparison.Ordinal);

            // The next attempt is scheduled no earlier than the interval after the failure. NEXT is printed in whole
            // seconds (truncated) and the journal's timestamp is when the entry arrived: 2 s of slack, of 10 min.
            var loggedAt = DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(JournaldFixture.Field(failure, "__REALTIME_TIMESTAMP")!, CultureInfo.InvariantCulture) / 1000);
            var next = DateTimeOffset.ParseExact(JournaldFixture.Field(failure, "NEXT")!, "yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            Assert.True(next >= loggedAt + Interval - TimeSpan.FromSeconds(2), $"next attempt at {next:O}, less than {Interval} after the failure at {loggedAt:O}");

            // No certificate and no stand-in: the handshake for the name fails.
            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                await using TlsClient client = await TlsClient.ConnectAsync(world.HttpsPort, Host);
            });
            Assert.Equal(1, world.Pebble.NewOrders);
            Kit.Stop(server);
        }

        // Fixed, and restarted with the same state directory: the interval still holds. The worker's first round
        // logs that the site waits for a certificate and then, without network, finds the failed order in the state
        // and returns; a second of quiet after that entry is ample for an order it should not make.
        await world.Pebble.ClearAddressAsync(Host);
        since = DateTimeOffset.UtcNow;
        using (ChildProcess restarted = world.StartStaticD(underSystemd: true))
        {
            await Eventually(() => Entries(restarted.Pid, since, Host, "83").Count > 0, () => "the restarted staticd's worker did not look at " + Host);
            var quiet = Stopwatch.StartNew();
            while (quiet.Elapsed < TimeSpan.FromSeconds(1))
            {
                Assert.True(world.Pebble.NewOrders == 1, "a new order after the restart, before the interval\n" + world.Pebble.Log);
                await Task.Delay(20);
            }
            Assert.Empty(Entries(restarted.Pid, since, Host, "82"));
            Kit.Stop(restarted);
        }
    }

    [Fact]
    public async Task SelfSignedStandInIsServedWhileTheFirstOrderIsInProgress()
    {
        const string Host = "e.acme.test";
        using AcmeWorld world = await AcmeWorld.CreateAsync([[Host, "www.e.acme.test"]], ["http-01"],
            configure: s => s["Acme"]!["StandIn"] = "self-signed");
        // Pebble's validation requests for e.acme.test go to a proxy that holds them until released.
        using var proxy = new HeldProxy(IPAddress.Parse("127.0.0.3"), world.Port, new IPEndPoint(IPAddress.Loopback, world.Port));
        await world.Pebble.SetAddressAsync(Host, "127.0.0.3");
        using ChildProcess server = world.StartStaticD();
        await Eventually(() => proxy.Accepted > 0, () => "pebble did not try to validate\n" + world.Pebble.Log);

        // The order is under way (its validation request is held here): the stand-in is what the site serves.
        X509Certificate2 standIn = await WaitForCertificateAsync(world.HttpsPort, Host, _ => true, server);
        output.WriteLine($"stand-in: {standIn.Subject}, issuer {standIn.Issuer}, until {standIn.NotAfter:O}");
        Assert.Equal(standIn.Subject, standIn.Issuer);
        Assert.False(IssuedBy(world.Pebble, standIn));
        string names = string.Join(" ", standIn.Extensions.OfType<X509SubjectAlternativeNameExtension>().SelectMany(e => e.EnumerateDnsNames()));
        Assert.True(names.Contains(Host, StringComparison.Ordinal), $"the stand-in does not name {Host}: {names}");
        await using (TlsClient client = await TlsClient.ConnectAsync(world.HttpsPort, Host))
        {
            HttpResponse r = await client.RoundTripAsync(TlsKit.HttpRequest("GET", Host, "/who.txt"));
            Assert.Equal(200, r.Status);
            Assert.Equal(Host, r.BodyText.Trim());
        }
        Assert.Equal(0, world.Pebble.Issued);

        proxy.Release();
        X509Certificate2 issued = await WaitForIssuedAsync(world, Host, server);
        Assert.NotEqual(standIn.Thumbprint, issued.Thumbprint);
        Assert.Equal(Host, (await CurlAsync(world, "www.e.acme.test", "/who.txt")).Trim());
        Assert.Equal(1, world.Pebble.NewOrders);
        Kit.Stop(server);
    }
}
