using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using StaticD.IntegrationTests.Systemd;
using Xunit;
using static StaticD.IntegrationTests.Acme.AcmeKit;

namespace StaticD.IntegrationTests.Acme;

/// <summary>
/// An acme site added by <c>systemctl reload</c> (SIGHUP): the worker takes up the new site and its certificate is
/// issued, while the site that already had one keeps it (no new order for it).
/// </summary>
public sealed class AcmeReloadTests
{
    [Fact]
    public async Task ASiteAddedByReloadGetsItsCertificateAndTheOtherKeepsItsOwn()
    {
        using AcmeWorld world = await AcmeWorld.CreateAsync([["h.acme.test"]], ["http-01"]);
        using ChildProcess server = world.StartStaticD();
        X509Certificate2 first = await WaitForIssuedAsync(world, "h.acme.test", server);
        Assert.Equal(1, world.Pebble.NewOrders);

        Sites.SitesKit.SiteDirectory(world.Config.Root, "i.acme.test");
        world.Config.Section["Sites"]!.AsArray().Add(Sites.SitesKit.Site(["i.acme.test"],
            ("Root", Path.Combine("sites", "i.acme.test")), ("Tls", "acme")));
        world.Config.Save();
        server.Signal(TestLibc.SIGHUP);

        await WaitForIssuedAsync(world, "i.acme.test", server);
        Assert.Equal("i.acme.test", (await CurlAsync(world, "i.acme.test", "/who.txt")).Trim());
        X509Certificate2 still = await WaitForIssuedAsync(world, "h.acme.test", server);
        Assert.Equal(first.Thumbprint, still.Thumbprint);
        Assert.Equal(2, world.Pebble.NewOrders);
        Kit.Stop(server);
    }
}
