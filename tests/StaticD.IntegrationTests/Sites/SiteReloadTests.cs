using System.Diagnostics;
using System.Text.Json.Nodes;
using StaticD.IntegrationTests.Systemd;
using Xunit;
using static StaticD.IntegrationTests.Sites.SitesKit;

namespace StaticD.IntegrationTests.Sites;

/// <summary>
/// SIGHUP swaps the whole site table while keep-alive clients hammer a site that every configuration keeps: not
/// one of their requests may fail or be answered by another site, and their connections stay open. A site added
/// by a reload answers as soon as the reload's log line is out; a removed one's host falls to the default site, or
/// to 421 when there is none.
/// </summary>
public sealed class SiteReloadTests : IDisposable
{
    private const int Clients = 6;
    private readonly Systemd.SiteConfig _config;

    public SiteReloadTests()
    {
        _config = new Systemd.SiteConfig(root =>
        {
            root.AddFile("who.txt", "default");
            SiteDirectory(root, "stay");
            SiteDirectory(root, "added");
        });
        _config.Section["Sites"] = List(StaySite());
        _config.Save();
    }

    public void Dispose() => _config.Dispose();

    private static JsonObject StaySite() => Site(["stay.test", "*.stay.test"], ("Root", "sites/stay"));

    private static JsonObject AddedSite() => Site(["added.test"], ("Root", "sites/added"), ("Headers", new JsonObject { ["X-Added"] = "yes" }));

    /// <summary>Keep-alive clients asking <paramref name="host"/> for <paramref name="target"/>: any status but 200 or
    /// any other body (another site answered) is a failure, and every reconnect is counted.</summary>
    private static LoadClients Load(int port, string host, string target, string body) =>
        new(port, target, Clients, keepAlive: true, request: SitesKit.Get(host, target), check: r =>
        {
            if (r.BodyText != body) throw new InvalidOperationException($"body \"{r.BodyText}\" (another site answered)");
        });

    /// <summary>Writes the configuration, sends SIGHUP and waits for the reload's log line; returns it.</summary>
    private static string Reload(ChildProcess server, Systemd.SiteConfig config)
    {
        config.Save();
        int before = server.CountStderr("configuration reloaded");
        server.Signal(TestLibc.SIGHUP);
        return server.WaitForStderr("configuration reloaded", Deadline, before + 1);
    }

    [Fact]
    public async Task AddingAndRemovingASite_UnderLoad_NoRequestFails()
    {
        using ChildProcess server = ServiceProcess.StartStaticD(_config.Path);
        server.WaitForStderr("listening on", Deadline);
        int port = _config.Port;
        await using var load = Load(port, "stay.test", "/who.txt", "stay");
        await load.WaitForProgressAsync(200);

        for (int cycle = 0; cycle < 3; cycle++)
        {
            _config.Section["Sites"] = List(StaySite(), AddedSite());
            string line = Reload(server, _config);
            Assert.Contains("added.test", line, StringComparison.Ordinal);
            // Right after the line: no waiting, no retry.
            HttpResponse added = await GetAsync(port, "added.test", "/who.txt");
            HttpAssert.Status(200, added);
            Assert.Equal("added", added.BodyText);
            HttpAssert.Header("X-Added", "yes", added);
            await load.WaitForProgressAsync(100);

            _config.Section["Sites"] = List(StaySite());
            line = Reload(server, _config);
            Assert.DoesNotContain("added.test", line, StringComparison.Ordinal);
            HttpResponse removed = await GetAsync(port, "added.test", "/who.txt");
            HttpAssert.Status(200, removed);
            Assert.Equal("default", removed.BodyText);
            HttpAssert.Absent("X-Added", removed);
            await load.WaitForProgressAsync(100);
        }

        await load.StopAsync();
        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} failed requests (of {load.Succeeded + load.Failures.Count}):\n" +
            string.Join('\n', load.Failures.Take(20)) + "\n" + server.Output);
        Assert.True(load.Connects == Clients, $"connections were closed across the reloads: {load.Connects} connects for {Clients} clients");
        Assert.False(server.HasExited, server.Output);
    }

    [Fact]
    public async Task RemovingTheDefaultSiteAndASite_UnderLoad_HostsGet421()
    {
        using ChildProcess server = ServiceProcess.StartStaticD(_config.Path);
        server.WaitForStderr("listening on", Deadline);
        int port = _config.Port;
        string root = _config.Section["Root"]!.GetValue<string>();
        await using var load = Load(port, "x.stay.test", "/who.txt", "stay");
        await load.WaitForProgressAsync(200);

        for (int cycle = 0; cycle < 2; cycle++)
        {
            // No top-level Root: only stay.test and added.test are served.
            _config.Section.Remove("Root");
            _config.Section["Sites"] = List(StaySite(), AddedSite());
            Reload(server, _config);
            Assert.Equal("added", (await GetAsync(port, "added.test", "/who.txt")).BodyText);
            HttpAssert.Status(421, await GetAsync(port, "unknown.test", "/who.txt"));
            await load.WaitForProgressAsync(100);

            _config.Section["Sites"] = List(StaySite());
            Reload(server, _config);
            HttpAssert.Status(421, await GetAsync(port, "added.test", "/who.txt"));
            await load.WaitForProgressAsync(100);

            _config.Section["Root"] = root;
            Reload(server, _config);
            Assert.Equal("default", (await GetAsync(port, "added.test", "/who.txt")).BodyText);
            await load.WaitForProgressAsync(100);
        }

        await load.StopAsync();
        Assert.True(load.Failures.Count == 0, $"{load.Failures.Count} failed requests:\n" + string.Join('\n', load.Failures.Take(20)) + "\n" + server.Output);
        Assert.True(load.Connects == Clients, $"connections were closed across the reloads: {load.Connects} connects for {Clients} clients");
    }

    [Fact]
    public async Task BrokenSitesOnReload_KeepThePreviousTable()
    {
        _config.Section["Sites"] = List(StaySite(), AddedSite());
        _config.Save();
        using ChildProcess server = ServiceProcess.StartStaticD(_config.Path);
        server.WaitForStderr("listening on", Deadline);
        int port = _config.Port;
        await using var load = Load(port, "stay.test", "/who.txt", "stay");
        await load.WaitForProgressAsync(100);

        // added.test claimed twice: the whole new table is refused, the old one keeps serving.
        _config.Section["Sites"] = List(StaySite(), Site(["added.test"], ("Root", "sites/stay")), AddedSite());
        _config.Save();
        int failures = server.CountStderr("reload failed");
        server.Signal(TestLibc.SIGHUP);
        string failed = server.WaitForStderr("reload failed", Deadline, failures + 1);
        Assert.Contains("StaticD:Sites:2:Hosts:0", failed, StringComparison.Ordinal);
        HttpResponse still = await GetAsync(port, "added.test", "/who.txt");
        Assert.Equal("added", still.BodyText);
        HttpAssert.Header("X-Added", "yes", still);
        await load.WaitForProgressAsync(100);

        await load.StopAsync();
        Assert.True(load.Failures.Count == 0, string.Join('\n', load.Failures.Take(20)));
    }
}
