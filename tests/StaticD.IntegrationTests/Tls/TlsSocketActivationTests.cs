using StaticD.IntegrationTests.Systemd;
using Xunit;
using static StaticD.IntegrationTests.Tls.TlsKit;

namespace StaticD.IntegrationTests.Tls;

/// <summary>
/// Socket activation with two sockets, as a staticd.socket plus an HTTPS socket unit (FileDescriptorName=https)
/// pass them: systemd-socket-activate binds both and names them "http" and "https"; staticd serves plain HTTP on
/// the first and TLS on the second, and binds neither configured port.
/// </summary>
public sealed class TlsSocketActivationTests
{
    [Fact]
    public async Task HttpsNamedSocket_ServesTls_AndTheHttpOneServesPlainHttp()
    {
        CertificateFiles certificate = TestPki.Shared.Issue(["default.test"]);
        using var site = new SiteConfig(root => root.AddFile("index.html", "activated"), document =>
        {
            document["StaticD"]!["HttpsPort"] = StaticDProcess.FreePort();
            document["StaticD"]!["Tls"] = TlsSection(certificate);
        });
        int http = StaticDProcess.FreePort(), https = StaticDProcess.FreePort();
        using ChildProcess server = ServiceProcess.Start("systemd-socket-activate",
            ["-l", $"127.0.0.1:{http}", "-l", $"127.0.0.1:{https}", "--fdname=http:https", StaticDProcess.BinaryPath, "--config", site.Path]);
        server.WaitUntilAccepting(https, Kit.Timeout);

        // The first connection (here the TLS one) makes systemd-socket-activate exec staticd with both sockets.
        await using (TlsClient client = await TlsClient.ConnectAsync(https, "default.test"))
        {
            Assert.True(client.Verified, client.PolicyErrors + " " + client.ChainStatus);
            Assert.Equal(certificate.Thumbprint, client.Certificate.Thumbprint);
            HttpResponse r = await client.RoundTripAsync(Sites.SitesKit.Get("default.test", "/index.html"));
            HttpAssert.Status(200, r);
            Assert.Equal("activated", r.BodyText);
        }

        server.WaitForStderr("socket activation: serving on the sockets systemd passed", Kit.Timeout);
        HttpResponse plain = await Kit.GetAsync(http, "/index.html");
        HttpAssert.Status(200, plain);
        Assert.Equal("activated", plain.BodyText);
        HttpResponse wrongPort = await Kit.GetAsync(https, "/index.html");
        HttpAssert.Status(400, wrongPort);

        Assert.True(Kit.IsRefused(site.Port), $"the configured port {site.Port} must not be bound under socket activation");
        Assert.True(Kit.IsRefused(site.Section["HttpsPort"]!.GetValue<int>()), "the configured HttpsPort must not be bound under socket activation");
        Kit.Stop(server);
    }
}
