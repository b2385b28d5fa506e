using System.Security.Cryptography.X509Certificates;
using StaticD.IntegrationTests.Systemd;
using Xunit;
using Xunit.Abstractions;
using static StaticD.IntegrationTests.Acme.AcmeKit;

namespace StaticD.IntegrationTests.Acme;

/// <summary>
/// staticd killed (SIGKILL: no chance to clean up) in the middle of an order, after pebble created it and staticd
/// read it back, before it was finalized; restarted with the same state directory it must carry on with that order,
/// not make a second one for the same names, and the certificate must arrive.
/// </summary>
public sealed class RestartMidOrderTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KilledMidOrderTheRestartFinishesTheSameOrder()
    {
        using AcmeWorld world = await AcmeWorld.CreateAsync([["c.acme.test", "www.c.acme.test"]], ["http-01"]);
        using (ChildProcess first = world.StartStaticD())
        {
            // Pebble logs each request as it starts handling it. A request for an authorization comes after the
            // new-order answer, so by then the order exists on both sides; it is not valid before finalize.
            await world.Pebble.WaitForLogAsync("POST /authZ/", 1, Deadline);
            TestLibc.Kill(first.Pid, TestLibc.SIGKILL);
            Assert.True(first.WaitForExit(Deadline), "staticd did not die on SIGKILL");
            output.WriteLine($"killed after {world.Pebble.NewOrders} new-order(s), {world.Pebble.Count("POST /chalZ/")} challenge answer(s), {world.Pebble.Count("/finalize-order/")} finalize(s)");
            Assert.Equal(1, world.Pebble.NewOrders);
            Assert.True(world.Pebble.Count("/finalize-order/") == 0, "the order was finalized before the kill: not a restart mid-order\n" + world.Pebble.Log);
        }

        using ChildProcess second = world.StartStaticD();
        X509Certificate2 issued = await WaitForIssuedAsync(world, "c.acme.test", second);
        Assert.Equal("c.acme.test", (await CurlAsync(world, "www.c.acme.test", "/who.txt")).Trim());
        Assert.True(world.Pebble.NewOrders == 1, $"pebble saw {world.Pebble.NewOrders} new-order requests for the same names\n{world.Pebble.Log}");
        Assert.Equal(1, world.Pebble.Issued);
        output.WriteLine($"certificate {issued.SerialNumber} from the one order");
        Kit.Stop(second);
    }
}
