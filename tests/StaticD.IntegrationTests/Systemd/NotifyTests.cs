using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

namespace StaticD.IntegrationTests.Systemd;

/// <summary>
/// sd_notify(3) as systemd sees it: the test binds the NOTIFY_SOCKET datagram socket and asserts on every
/// message — FDSTORE with the listening sockets, READY only once serving, STATUS figures, RELOADING with
/// MONOTONIC_USEC then READY on SIGHUP, STOPPING on SIGTERM.
/// </summary>
public sealed class NotifyTests
{
    private static readonly TimeSpan Timeout = Kit.Timeout;

    /// <summary>FDSTORE carries one listening socket per loop per address (each loop binds its own with
    /// SO_REUSEPORT), and comes before READY; when READY arrives the port serves.</summary>
    [Theory]
    [InlineData(1, new[] { "127.0.0.1" })]
    [InlineData(2, new[] { "127.0.0.1" })]
    [InlineData(3, new[] { "127.0.0.1", "::1" })]
    public async Task FdStoreThenReady(int loops, string[] listen)
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "ready"), c => c["StaticD"]!["Listen"] = new JsonArray([.. listen.Select(a => (JsonNode)a)]), loops);
        using var notify = new NotifyListener();
        using var server = Kit.StartNotified(site, notify);

        // Served the moment READY is seen: READY=1 means every listener is bound and every loop runs.
        HttpAssert.Status(200, await Kit.GetAsync(site.Port, "/index.html"));

        IReadOnlyList<NotifyMessage> messages = notify.Messages;
        int ready = messages.ToList().FindIndex(m => m.Text == Kit.Ready);
        Assert.True(ready == 1, "expected exactly FDSTORE then READY first:\n" + notify.Transcript);
        NotifyMessage store = messages[0];
        Assert.Equal(Kit.FdStore, store.Text);
        Assert.Equal(loops * listen.Length, store.Fds.Length);
        foreach (int fd in store.Fds)
        {
            Assert.True(fd >= 0, "control data truncated:\n" + notify.Transcript);
            Assert.Equal(TestLibc.SOCK_STREAM, TestLibc.GetInt(fd, TestLibc.SOL_SOCKET, TestLibc.SO_TYPE));
            Assert.Equal(1, TestLibc.GetInt(fd, TestLibc.SOL_SOCKET, TestLibc.SO_ACCEPTCONN));
            Assert.Equal(site.Port, TestLibc.LocalPort(fd));
        }
        // Each address once per loop.
        var domains = store.Fds.Select(fd => TestLibc.GetInt(fd, TestLibc.SOL_SOCKET, TestLibc.SO_DOMAIN)).ToList();
        Assert.Equal(loops, domains.Count(d => d == TestLibc.AF_INET));
        Assert.Equal(listen.Contains("::1") ? loops : 0, domains.Count(d => d == TestLibc.AF_INET6));
    }

    [Fact]
    public void AbstractNotifySocketWorks()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "x"));
        using var notify = new NotifyListener(abstractName: true);
        using var server = Kit.StartNotified(site, notify);
        Assert.Equal(Kit.FdStore, notify.Messages[0].Text);
    }

    /// <summary>Every 5 s: "STATUS=Serving 1 site: N connections, X req/s, Y MB/s" with live figures.</summary>
    [Fact]
    public async Task StatusReportsLiveFigures()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", new string('s', 100_000)));
        using var notify = new NotifyListener();
        using var server = Kit.StartNotified(site, notify);

        // One connection kept open across the report, and a few hundred requests in the interval.
        using var held = await RawHttpClient.ConnectAsync(site.Port);
        HttpAssert.Status(200, await held.RoundTripAsync(Http.Get("/index.html")));
        for (int i = 0; i < 200; i++) HttpAssert.Status(200, await held.RoundTripAsync(Http.Get("/index.html")));

        var pattern = new Regex(@"^STATUS=Serving 1 site: (\d+) connections, (\d+) req/s, (\d+\.\d) MB/s$");
        NotifyMessage status = notify.WaitFor(m => m.Text.StartsWith("STATUS=Serving 1 site:", StringComparison.Ordinal), TimeSpan.FromSeconds(6.5));
        Match match = pattern.Match(status.Text);
        Assert.True(match.Success, $"unexpected STATUS line: {status.Text}");
        Assert.True(int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) >= 1, $"the held connection is not counted: {status.Text}");
        Assert.True(int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture) >= 20, $"201 requests in ≤5 s should show as ≥ 20 req/s (well, ≥ 40): {status.Text}");
        Assert.True(double.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture) >= 1.0, $"201 × 100 kB in ≤5 s is ≥ 4 MB/s: {status.Text}");
    }

    /// <summary>Type=notify-reload: RELOADING=1 with MONOTONIC_USEC (CLOCK_MONOTONIC when the reload began),
    /// then READY=1 — also when the new file is invalid — and STOPPING=1 on SIGTERM.</summary>
    [Fact]
    public void ReloadAndStopAreAnnounced()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "x"));
        using var notify = new NotifyListener();
        using var server = Kit.StartNotified(site, notify);

        foreach (bool valid in new[] { true, false })
        {
            if (!valid) site.Write("{ \"StaticD\": ");
            int from = notify.Count;
            long before = TestLibc.MonotonicMicroseconds();
            server.Signal(TestLibc.SIGHUP);
            NotifyMessage reloading = notify.WaitFor(m => m.Text.StartsWith("RELOADING=1\n", StringComparison.Ordinal), Timeout, from);
            long after = TestLibc.MonotonicMicroseconds();
            Match match = Regex.Match(reloading.Text, "^RELOADING=1\nMONOTONIC_USEC=([0-9]+)\nSTATUS=Reloading the configuration$");
            Assert.True(match.Success, $"unexpected reload message: {reloading}");
            long usec = long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.InRange(usec, before, after);

            NotifyMessage ready = notify.WaitForText(Kit.Ready, Timeout, from);
            Assert.True(ready.At >= reloading.At && notify.Messages.ToList().IndexOf(ready) > notify.Messages.ToList().IndexOf(reloading),
                "READY=1 before RELOADING=1:\n" + notify.Transcript);
        }
        server.WaitForStderr("reload failed", Timeout);

        int beforeStop = notify.Count;
        Kit.Stop(server);
        notify.WaitForText(Kit.Stopping, Timeout, beforeStop);
    }
}
