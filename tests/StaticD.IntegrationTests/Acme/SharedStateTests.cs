using System.Security.Cryptography.X509Certificates;
using StaticD.IntegrationTests.Systemd;
using Xunit;
using static StaticD.IntegrationTests.Acme.AcmeKit;

namespace StaticD.IntegrationTests.Acme;

/// <summary>
/// Two staticd processes on one state directory (an overlapping restart, a second instance by mistake): only the
/// one holding the directory's lock orders, so pebble sees one order; and a staticd started later on that directory
/// serves the stored certificate from its first handshake, without ordering again.
/// </summary>
public sealed class SharedStateTests
{
    [Fact]
    public async Task OnlyTheLockHolderOrdersAndALaterStartServesTheStoredCertificate()
    {
        const string Host = "g.acme.test";
        using AcmeWorld world = await AcmeWorld.CreateAsync([[Host]], ["http-01"]);
        using ChildProcess first = world.StartStaticD();
        // Its worker took the lock before it looked at the site (and said the site has no certificate yet).
        first.WaitForStderr($"acme: {Host} has no certificate yet", Deadline);

        // A second process, same state directory, its own ports.
        using var other = new SiteConfig();
        other.Document["StaticD"] = world.Config.Section.DeepClone();
        other.Section["Port"] = other.Port;
        other.Section["HttpsPort"] = StaticDProcess.FreePort();
        other.Section["Root"] = world.Config.Root.RootPath;
        other.Section["Sites"]![0]!["Root"] = Path.Combine(world.Config.Root.BasePath, "sites", Host);
        other.Save();
        using ChildProcess second = ServiceProcess.StartStaticD(other.Path);
        second.WaitForStderr("acme: another process holds the lock on " + Path.Combine(world.StateDirectory, "lock"), Deadline);

        X509Certificate2 issued = await WaitForIssuedAsync(world, Host, first);
        Assert.Equal(1, world.Pebble.NewOrders);
        Assert.Equal(0, second.CountStderr("certificate issued"));
        Kit.Stop(second);
        Kit.Stop(first);

        // Started again on the same directory: the stored certificate is served at once, and no order is made.
        using ChildProcess again = world.StartStaticD();
        await using (Tls.TlsClient client = await Tls.TlsClient.ConnectAsync(world.HttpsPort, Host))
            Assert.Equal(issued.Thumbprint, client.Certificate.Thumbprint);
        Assert.Equal(Host, (await CurlAsync(world, Host, "/who.txt")).Trim());
        Assert.Equal(1, world.Pebble.NewOrders);
        Kit.Stop(again);
        Assert.Equal(1, world.Pebble.NewOrders);
        Assert.Equal(0, again.CountStderr("certificate issued"));
    }
}
