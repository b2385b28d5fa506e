using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using StaticD.IntegrationTests.Systemd;
using StaticD.IntegrationTests.Tls;
using Xunit;
using Xunit.Abstractions;
using static StaticD.IntegrationTests.Acme.AcmeKit;

namespace StaticD.IntegrationTests.Acme;

/// <summary>
/// staticd killed (SIGKILL: no chance to clean up) in the middle of an order: pebble created it, staticd answered
/// the challenge, and pebble's validation request is held by a proxy, so the order is certainly neither valid nor
/// failed. Restarted with the same state directory, staticd must carry on with that order (serve the token again,
/// wait for the verdict), make no second order for the same names, and get the certificate. And when the order
/// failed while staticd was down, the restart finds it invalid: that is a failed order like any other (logged with
/// ACME_ERROR, no new order before Acme:FailedOrderInterval).
/// </summary>
public sealed partial class RestartMidOrderTests(ITestOutputHelper output)
{
    [GeneratedRegex(@"Attempting to validate w/ HTTP: http://[^/]+(/\.well-known/acme-challenge/[A-Za-z0-9_-]+)")]
    private static partial Regex ValidationUrl();

    [Fact]
    public async Task KilledMidValidationTheRestartFinishesTheSameOrder()
    {
        const string Host = "c.acme.test";
        using AcmeWorld world = await AcmeWorld.CreateAsync([[Host]], ["http-01"]);
        using var proxy = new HeldProxy(IPAddress.Parse("127.0.0.3"), world.Port, new IPEndPoint(IPAddress.Loopback, world.Port));
        await world.Pebble.SetAddressAsync(Host, "127.0.0.3");
        using (ChildProcess first = world.StartStaticD())
        {
            await Eventually(() => proxy.Accepted > 0, () => "pebble did not try to validate\n" + world.Pebble.Log);
            TestLibc.Kill(first.Pid, TestLibc.SIGKILL);
            Assert.True(first.WaitForExit(Deadline), "staticd did not die on SIGKILL");
        }
        output.WriteLine($"killed with {world.Pebble.NewOrders} order(s), {world.Pebble.Count("POST /chalZ/")} challenge answer(s), {world.Pebble.Count("/finalize-order/")} finalize(s), the validation held");
        Assert.Equal(1, world.Pebble.NewOrders);
        Assert.Equal(0, world.Pebble.Count("/finalize-order/"));
        string path = ValidationUrl().Match(world.Pebble.Log) is { Success: true } m ? m.Groups[1].Value : throw new Xunit.Sdk.XunitException("no http-01 validation in pebble's log\n" + world.Pebble.Log);

        using ChildProcess second = world.StartStaticD();
        // The restarted server serves the token of the order it resumed; then pebble's held request may reach it.
        string token = path[(path.LastIndexOf('/') + 1)..];
        await Eventually(async () =>
        {
            try
            {
                using RawHttpClient client = await RawHttpClient.ConnectAsync(world.Port);
                HttpResponse r = await client.RoundTripAsync(TlsKit.HttpRequest("GET", Host, path));
                return r.Status == 200 && r.BodyText.StartsWith(token + ".", StringComparison.Ordinal);
            }
            catch (IOException)
            {
                return false;
            }
        }, () => $"the restarted staticd does not serve {path}\n{second.Output}\n{world.Pebble.Log}");
        proxy.Release();

        X509Certificate2 issued = await WaitForIssuedAsync(world, Host, second);
        Assert.Equal(Host, (await CurlAsync(world, Host, "/who.txt")).Trim());
        Assert.True(world.Pebble.NewOrders == 1, $"pebble created {world.Pebble.NewOrders} orders for the same names\n{world.Pebble.Log}\n{second.Output}");
        Assert.Equal(1, world.Pebble.Issued);
        output.WriteLine($"certificate {issued.SerialNumber} from the one order");
        Kit.Stop(second);
    }

    [Fact]
    public async Task AnOrderThatFailedWhileStaticdWasDownIsAFailedOrderAfterTheRestart()
    {
        const string Host = "j.acme.test";
        using AcmeWorld world = await AcmeWorld.CreateAsync([[Host]], ["http-01"],
            configure: s => s["Acme"]!["FailedOrderInterval"] = TimeSpan.FromMinutes(10).ToString("c"));
        // Released, the held validation requests go to a port nothing listens on: the validation fails.
        using var proxy = new HeldProxy(IPAddress.Parse("127.0.0.3"), world.Port, new IPEndPoint(IPAddress.Loopback, StaticDProcess.FreePort()));
        await world.Pebble.SetAddressAsync(Host, "127.0.0.3");
        using (ChildProcess first = world.StartStaticD())
        {
            await Eventually(() => proxy.Accepted > 0, () => "pebble did not try to validate\n" + world.Pebble.Log);
            TestLibc.Kill(first.Pid, TestLibc.SIGKILL);
            Assert.True(first.WaitForExit(Deadline), "staticd did not die on SIGKILL");
        }
        proxy.Release();
        await world.Pebble.WaitForLogAsync(" set INVALID by invalid authz ", 1, Deadline);

        using ChildProcess second = world.StartStaticD();
        string failure = second.WaitForStderr($"acme: {Host}: no certificate for", Deadline);
        output.WriteLine(failure);
        // Logged with the order that failed, the one made before the kill.
        string firstOrder = Regex.Match(world.Pebble.Log, "Added order \"([^\"]+)\"").Groups[1].Value;
        Assert.Contains(world.Pebble.DirectoryUrl.Replace("/dir", "/my-order/", StringComparison.Ordinal) + firstOrder + ")", failure, StringComparison.Ordinal);
        Assert.Contains("urn:ietf:params:acme:error:", failure, StringComparison.Ordinal);
        // The failure is logged after the restarted worker has decided; a second of quiet after it is ample for an
        // order it should not make.
        var quiet = System.Diagnostics.Stopwatch.StartNew();
        while (quiet.Elapsed < TimeSpan.FromSeconds(1))
        {
            Assert.True(world.Pebble.NewOrders == 1, "a new order right after the restart found the old one invalid\n" + second.Output);
            await Task.Delay(20);
        }
        Kit.Stop(second);
    }
}
