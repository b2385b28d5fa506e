using System.Text.Json.Nodes;
using Xunit;

namespace StaticD.IntegrationTests.Systemd;

/// <summary>
/// Zero-downtime restart through the file-descriptor store, with fdstore_manager.py playing systemd: the first
/// staticd hands its listening sockets over (FDSTORE=1); while no staticd runs, the kernel keeps queueing
/// connections on those sockets; the next staticd gets them back on fd 3.. (LISTEN_FDNAMES=staticd-listen:…)
/// and answers what queued. A restart therefore refuses nothing.
/// </summary>
public sealed class FdStoreRestartTests
{
    private static readonly TimeSpan Timeout = Kit.Timeout;

    private static ChildProcess StartManager(SiteConfig site) =>
        ServiceProcess.StartPython("fdstore_manager.py", [StaticDProcess.BinaryPath, "--config", site.Path]);

    [Fact]
    public async Task RestartRefusesNoConnection()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "restart"), loops: 2);
        using var manager = StartManager(site);

        manager.WriteLine("start");
        manager.WaitForStdout("ready ", Timeout);
        Assert.Equal("stored 2", manager.WaitForStdout("stored ", Timeout)); // 2 loops × 1 address

        await using (var load = new LoadClients(site.Port, "/index.html", clients: 4, keepAlive: false))
        {
            await load.WaitForProgressAsync(50);

            manager.WriteLine("stop");
            Assert.Equal("exited 0", manager.WaitForStdout("exited ", Timeout));

            // No staticd runs now. The connection still completes: the manager holds the listening sockets.
            using var queued = await RawHttpClient.ConnectAsync(site.Port);
            await queued.SendAsync(Http.Get("/index.html?queued"));
            Task<HttpResponse> answer = queued.ReadResponseAsync();
            await Task.Delay(300);
            Assert.False(answer.IsCompleted, "answered while no staticd was running?");

            manager.WriteLine("start");
            manager.WaitForStdout("ready ", Timeout, count: 2);
            HttpResponse response = await answer;
            Assert.Equal(200, response.Status);
            Assert.Equal("restart", response.BodyText);

            await load.WaitForProgressAsync(50);
            await load.DisposeAsync();
            Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} failed requests across the restart ({load.Succeeded} ok):\n" +
                string.Join("\n", load.Failures.Take(10)) + "\n" + manager.Output);
        }

        manager.WaitForStderr("took back 2 listening sockets", Timeout);
        // The second staticd adopted the stored sockets: it sends no new FDSTORE and removes nothing.
        Assert.Equal(1, manager.Stdout.Split('\n').Count(l => l.StartsWith("notify FDSTORE=1", StringComparison.Ordinal)));
        Assert.DoesNotContain("FDSTOREREMOVE", manager.Stdout, StringComparison.Ordinal);
        manager.WriteLine("quit");
    }

    /// <summary>Stored sockets for addresses the configuration no longer names are closed and dropped from the
    /// store (FDSTOREREMOVE=1); the new process binds, and hands its new sockets over instead.</summary>
    [Fact]
    public async Task StoredSocketsForOtherAddressesAreDropped()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "moved"), loops: 2);
        using var manager = StartManager(site);
        manager.WriteLine("start");
        manager.WaitForStdout("ready ", Timeout);
        manager.WriteLine("stop");
        manager.WaitForStdout("exited ", Timeout);

        int oldPort = site.Port, newPort = StaticDProcess.FreePort();
        site.Section["Port"] = newPort;
        site.Save();
        manager.WriteLine("start");
        manager.WaitForStdout("ready ", Timeout, count: 2);

        Assert.Equal("moved", (await Kit.GetAsync(newPort, "/index.html")).BodyText);
        string events = manager.Stdout;
        Assert.Contains("notify FDSTOREREMOVE=1|FDNAME=staticd-listen", events, StringComparison.Ordinal);
        // After the removal the store holds exactly the new process's two sockets.
        Assert.EndsWith("stored 2", events.Split('\n').Last(l => l.StartsWith("stored ", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Equal(2, events.Split('\n').Count(l => l.StartsWith("notify FDSTORE=1", StringComparison.Ordinal)));
        Assert.DoesNotContain("took back", manager.Stderr, StringComparison.Ordinal);
        // The old port's sockets were closed by staticd and dropped by the manager: nothing holds them now.
        Assert.True(Kit.IsRefused(oldPort), $"old port {oldPort} still accepts connections");
        manager.WriteLine("quit");
    }
}
