using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;
using Xunit.Abstractions;
using static StaticD.IntegrationTests.Tls.TlsKit;

namespace StaticD.IntegrationTests.Tls;

/// <summary>
/// A reload (SIGHUP) reads the certificate files again: new connections get the new certificate at once, a pair
/// that does not match is refused and the old certificate stays, and HTTPS clients never see a failed request
/// while it happens.
/// </summary>
public sealed class TlsReloadTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly WebRoot _root = new();
    private readonly CertificateFiles _live;
    private readonly StaticDProcess _server;
    private readonly int _https;

    public TlsReloadTests(ITestOutputHelper output)
    {
        _output = output;
        _root.AddFile("index.html", "hello over TLS");
        // The paths the configuration names; tests copy other certificates over them, as an operator (or certbot) does.
        _live = TestPki.Shared.Issue(["default.test"]);
        int https = StaticDProcess.FreePort();
        _https = https;
        _server = StaticDProcess.Start(_root, s =>
        {
            s["HttpsPort"] = https;
            s["Tls"] = TlsSection(_live);
        });
        _server.WaitForStderr("listening on", Deadline);
    }

    public void Dispose()
    {
        _server.Dispose();
        _root.Dispose();
    }

    private string Reload(string expect)
    {
        int before = _server.CountStderr(expect);
        _server.Signal(TestLibc.SIGHUP);
        return _server.WaitForStderr(expect, Deadline, before + 1);
    }

    [Fact]
    public async Task Reload_SwapsTheCertificate_ForNewConnections()
    {
        await AssertServes(_https, "default.test", _live);
        await using TlsClient before = await TlsClient.ConnectAsync(_https, "default.test");
        HttpAssert.Status(200, await before.RoundTripAsync(Sites.SitesKit.Get("default.test", "/index.html")));

        CertificateFiles renewed = TestPki.Shared.Issue(["default.test"]);
        Assert.NotEqual(_live.SerialNumber, renewed.SerialNumber);
        renewed.CopyOver(_live);
        Reload("configuration reloaded");

        // Right after the log line: no retry.
        await AssertServes(_https, "default.test", renewed);
        // The connection from before keeps its session and is still served.
        HttpResponse r = await before.RoundTripAsync(Sites.SitesKit.Get("default.test", "/index.html"));
        HttpAssert.Status(200, r);
        Assert.Equal(_live.Thumbprint, before.Certificate.Thumbprint);
    }

    [Fact]
    public async Task ReloadWithAKeyThatDoesNotMatch_IsRefused_AndTheOldCertificateStays()
    {
        CertificateFiles other = TestPki.Shared.Issue(["default.test"]);
        // The new certificate, the old key: a renewal half copied.
        File.Copy(other.CertificatePath, _live.CertificatePath, overwrite: true);
        string failed = Reload("reload failed");
        Assert.Contains("StaticD:Tls", failed, StringComparison.Ordinal);
        Assert.Contains("does not match", failed, StringComparison.Ordinal);

        await AssertServes(_https, "default.test", _live);
        HttpAssert.Status(200, await HttpsAsync(_https, "default.test", Sites.SitesKit.Get("default.test", "/index.html")));

        // Fixed (both files of the new pair): the next reload takes it.
        other.CopyOver(_live);
        Reload("configuration reloaded");
        await AssertServes(_https, "default.test", other);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // a handshake per request: reloads land in the middle of handshakes
    public async Task WrkOverTls_DuringReloads_NoRequestFails(bool closeEachConnection)
    {
        string[] args =
        [
            "-t1", "-c20", "-d3s", .. closeEachConnection ? (string[])["-H", "Connection: close"] : [],
            $"https://127.0.0.1:{_https.ToString(CultureInfo.InvariantCulture)}/index.html",
        ];
        using ChildProcess wrk = ChildProcess.Start("/usr/bin/wrk", args);
        int reloads = 0;
        // Reload (with a new certificate each time) for as long as wrk runs.
        while (!wrk.HasExited && reloads < 20)
        {
            TestPki.Shared.Issue(["default.test"]).CopyOver(_live);
            Reload("configuration reloaded");
            reloads++;
            await Task.Delay(200);
        }

        Assert.True(wrk.WaitForExit(TimeSpan.FromSeconds(30)), "wrk did not finish\n" + wrk.Output);
        string report = wrk.Stdout;
        _output.WriteLine($"{reloads} reloads during:\n{report}");
        Assert.True(wrk.ExitCode == 0, wrk.Output);
        Assert.True(reloads >= 2, $"only {reloads} reloads while wrk ran");
        Assert.DoesNotContain("Socket errors", report, StringComparison.Ordinal);
        Assert.DoesNotContain("Non-2xx or 3xx responses", report, StringComparison.Ordinal);
        Match requests = Regex.Match(report, @"(\d+) requests in");
        Assert.True(requests.Success && int.Parse(requests.Groups[1].Value, CultureInfo.InvariantCulture) > 20, report);
        Assert.False(_server.HasExited, _server.Output);
    }
}
