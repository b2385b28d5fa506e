using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Xunit;

namespace StaticD.IntegrationTests.Systemd;

/// <summary>
/// SIGHUP: the file is read again and, if valid, applies to requests that start afterwards — root, headers, port,
/// access log — without closing a connection or failing a request; if invalid, the reason is logged and the old
/// configuration keeps serving. (Logs go to stderr here: no INVOCATION_ID, so the console sink.)
/// </summary>
public sealed class ReloadTests
{
    private static readonly TimeSpan Timeout = Kit.Timeout;

    private static ChildProcess Start(SiteConfig site, Dictionary<string, string>? environment = null)
    {
        var server = ServiceProcess.StartStaticD(site.Path, environment);
        // The SIGHUP handler is in place before the start-up line is logged; a HUP before that would kill.
        server.WaitForStderr("listening on", Timeout);
        return server;
    }

    /// <summary>Saves the file, sends SIGHUP and waits for the outcome line (success or failure).</summary>
    private static void Reload(ChildProcess server, SiteConfig site, bool expectSuccess = true)
    {
        site.Save();
        SendHup(server, expectSuccess);
    }

    private static void SendHup(ChildProcess server, bool expectSuccess)
    {
        int succeeded = server.CountStderr("configuration reloaded"), failed = server.CountStderr("reload failed");
        server.Signal(TestLibc.SIGHUP);
        if (expectSuccess)
        {
            server.WaitForStderr("configuration reloaded", Timeout, succeeded + 1);
            Assert.True(server.CountStderr("reload failed") == failed, server.Stderr);
        }
        else
        {
            server.WaitForStderr("reload failed", Timeout, failed + 1);
            Assert.True(server.CountStderr("configuration reloaded") == succeeded, server.Stderr);
        }
    }

    [Fact]
    public async Task NewRootAppliesToTheNextRequestOnAnOpenConnection()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "old root"));
        string newRoot = Path.Combine(site.Root.BasePath, "new-root");
        Directory.CreateDirectory(newRoot);
        File.WriteAllText(Path.Combine(newRoot, "index.html"), "new root");
        using var server = Start(site);

        using var client = await RawHttpClient.ConnectAsync(site.Port);
        Assert.Equal("old root", (await client.RoundTripAsync(Http.Get("/index.html"))).BodyText);
        site.Section["Root"] = newRoot;
        Reload(server, site);
        // Same socket: the reload closed no connection, and the request that started after it sees the new root.
        Assert.Equal("new root", (await client.RoundTripAsync(Http.Get("/index.html"))).BodyText);
    }

    [Fact]
    public async Task AddedHeaderAppearsOnTheNextResponse()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "h"));
        using var server = Start(site);
        using var client = await RawHttpClient.ConnectAsync(site.Port);
        HttpAssert.Absent("X-Reloaded", await client.RoundTripAsync(Http.Get("/index.html")));

        site.Section["Headers"] = new JsonObject { ["X-Reloaded"] = "yes" };
        Reload(server, site);
        HttpResponse after = await client.RoundTripAsync(Http.Get("/index.html"));
        HttpAssert.Header("X-Reloaded", "yes", after);
    }

    /// <summary>A new port: bound before the old one is closed; afterwards the new port serves, the old one
    /// refuses, and a 100 MiB download that began on the old port before the reload arrives intact.</summary>
    [Fact]
    public async Task ChangedPortMovesListenersAndDownloadInFlightCompletes()
    {
        const long size = 100L << 20;
        byte[]? expected = null;
        using var site = new SiteConfig(root => expected = root.AddRandomFile("big.bin", size));
        using var server = Start(site);

        // Small receive buffer and a pause in reading: the response is still being sent during the reload.
        using var download = await RawHttpClient.ConnectAsync(site.Port, receiveBufferSize: 64 * 1024);
        await download.SendAsync(Http.Get("/big.bin"));
        HttpResponse head = await download.ReadResponseHeadAsync();
        HttpAssert.Status(200, head);
        Assert.Equal(size, head.ContentLength);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        ValueTask Sink(ReadOnlyMemory<byte> chunk)
        {
            hash.AppendData(chunk.Span);
            return ValueTask.CompletedTask;
        }
        long read = await download.ReadBodyAsync(1 << 20, Sink);

        int oldPort = site.Port, newPort = StaticDProcess.FreePort();
        site.Section["Port"] = newPort;
        Reload(server, site);

        HttpAssert.Status(206, await Kit.GetAsync(newPort, "/big.bin", "Range: bytes=0-9"));
        Assert.True(Kit.IsRefused(oldPort), $"old port {oldPort} still accepts after the reload\n{server.Output}");

        read += await download.ReadBodyAsync(size - read, Sink);
        Assert.Equal(size, read);
        Assert.Equal(expected, hash.GetHashAndReset());
    }

    public static TheoryData<string, Func<SiteConfig, string>, string> InvalidFiles => new()
    {
        { "broken JSON", _ => "{ \"StaticD\": { \"Port\": ", "invalid JSON at line" },
        { "bad value", s => Json(s, c => c["Port"] = "80a"), "StaticD:Port: \"80a\" is not allowed" },
        { "unknown key", s => Json(s, c => c["Prot"] = 1), "StaticD:Prot: unknown key" },
        { "missing root", s => Json(s, c => c["Root"] = "/nonexistent/staticd-root"), "StaticD:Root: \"/nonexistent/staticd-root\" does not exist" },
        { "bad log level", s => Json(s, _ => { }, level: "Loud"), "Logging:LogLevel:Default: \"Loud\" is not allowed" },
        { "empty file", _ => " \n", "the file is empty; expected a JSON object" },
        { "missing error page", s => Json(s, c => c["ErrorPages"] = new JsonObject { ["404"] = "/gone.html" }), "StaticD:ErrorPages:404: \"/gone.html\" does not exist in " },
        { "missing SPA fallback", s => Json(s, c => c["SpaFallback"] = "/app.html"), "StaticD:SpaFallback: \"/app.html\" does not exist in " },
    };

    private static string Json(SiteConfig site, Action<JsonObject> change, string? level = null)
    {
        var document = (JsonObject)site.Document.DeepClone();
        change(document["StaticD"]!.AsObject());
        if (level is not null) document["Logging"] = new JsonObject { ["LogLevel"] = new JsonObject { ["Default"] = level } };
        return document.ToJsonString();
    }

    [Theory]
    [MemberData(nameof(InvalidFiles))]
    public async Task InvalidFileIsLoggedAndTheOldConfigurationKeepsServing(string what, Func<SiteConfig, string> text, string reason)
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "previous " + what), c => c["StaticD"]!["Headers"] = new JsonObject { ["X-Generation"] = "1" });
        using var server = Start(site);
        using var client = await RawHttpClient.ConnectAsync(site.Port);
        HttpAssert.Status(200, await client.RoundTripAsync(Http.Get("/index.html")));

        site.Write(text(site));
        SendHup(server, expectSuccess: false);
        string line = server.Stderr.Split('\n').Single(l => l.Contains("reload failed", StringComparison.Ordinal));
        Assert.Contains("ERR reload failed, still serving with the previous configuration: staticd: " + site.Path + ": ", line, StringComparison.Ordinal);
        Assert.Contains(reason, line, StringComparison.Ordinal);

        // Same connection and a new one: still the previous root and headers.
        HttpResponse again = await client.RoundTripAsync(Http.Get("/index.html"));
        Assert.Equal("previous " + what, again.BodyText);
        HttpAssert.Header("X-Generation", "1", again);
        Assert.Equal("previous " + what, (await Kit.GetAsync(site.Port, "/index.html")).BodyText);
        Assert.False(server.HasExited);
    }

    /// <summary>A new port that is taken: the reload fails (the new socket is bound before anything is given up)
    /// and the old port keeps serving.</summary>
    [Fact]
    public async Task PortInUseFailsTheReloadAndKeepsTheOldPort()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "kept"));
        using var server = Start(site);
        var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        try
        {
            site.Section["Port"] = ((IPEndPoint)taken.LocalEndpoint).Port;
            Reload(server, site, expectSuccess: false);
            Assert.Contains("StaticD:Listen", server.Stderr, StringComparison.Ordinal);
            Assert.Equal("kept", (await Kit.GetAsync(site.Port, "/index.html")).BodyText);
        }
        finally
        {
            taken.Stop();
        }
    }

    [Fact]
    public void LoopsChangeIsLoggedAsNeedingARestart()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "x"), loops: 2);
        using var server = Start(site);
        site.Section["Loops"] = 3;
        Reload(server, site);
        Assert.Contains("reload: Loops changed from 2 to 3; this takes effect at the next restart", server.Stderr, StringComparison.Ordinal);
    }

    /// <summary>AccessLog is reloadable: requests after a reload to false are not logged.</summary>
    [Fact]
    public async Task AccessLogCanBeTurnedOffByReload()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "x"));
        using var server = Start(site);
        HttpAssert.Status(200, await Kit.GetAsync(site.Port, "/index.html?logged"));
        server.WaitForStderr("/index.html?logged", Timeout);

        site.Section["AccessLog"] = false;
        Reload(server, site);
        HttpAssert.Status(200, await Kit.GetAsync(site.Port, "/index.html?not-logged"));
        // Exit drains the access-log queue, so an entry for the second request would be on stderr by now.
        Kit.Stop(server);
        Assert.DoesNotContain("not-logged", server.Stderr, StringComparison.Ordinal);
    }

    /// <summary>Clients hammering (keep-alive and fresh connections) through five reloads, some changing a
    /// header: no request fails, every response carries one of the configured values, and systemd is told
    /// RELOADING=1 then READY=1 for each.</summary>
    [Fact]
    public async Task ContinuousRequestsAcrossFiveReloadsNeverFail()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", new string('r', 4096)), c => c["StaticD"]!["Headers"] = new JsonObject { ["X-Generation"] = "0" });
        using var notify = new NotifyListener();
        using var server = Kit.StartNotified(site, notify);
        server.WaitForStderr("listening on", Timeout);

        var seen = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        void Check(HttpResponse r) => seen.AddOrUpdate(r.Header("X-Generation") ?? "(none)", 1, (_, n) => n + 1);
        await using var keepAlive = new LoadClients(site.Port, "/index.html", clients: 3, keepAlive: true, Check);
        await using var fresh = new LoadClients(site.Port, "/index.html", clients: 2, keepAlive: false, Check);
        await keepAlive.WaitForProgressAsync(50);

        for (int i = 1; i <= 5; i++)
        {
            if (i % 2 == 1) site.Section["Headers"] = new JsonObject { ["X-Generation"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            int from = notify.Count;
            Reload(server, site);
            notify.WaitFor(m => m.Text.StartsWith("RELOADING=1\nMONOTONIC_USEC=", StringComparison.Ordinal), Timeout, from);
            notify.WaitForText(Kit.Ready, Timeout, from);
            await keepAlive.WaitForProgressAsync(30);
            await fresh.WaitForProgressAsync(10);
        }
        await keepAlive.DisposeAsync();
        await fresh.DisposeAsync();

        Assert.True(keepAlive.Failures.Count + fresh.Failures.Count == 0,
            $"failed requests across reloads: keep-alive {keepAlive.Failures.Count} of {keepAlive.Succeeded + keepAlive.Failures.Count}, " +
            $"fresh {fresh.Failures.Count} of {fresh.Succeeded + fresh.Failures.Count}:\n" + string.Join("\n", keepAlive.Failures.Concat(fresh.Failures).Take(10)));
        Assert.Subset(new HashSet<string> { "0", "1", "3", "5" }, seen.Keys.ToHashSet());
        Assert.Contains("5", seen.Keys);
        Assert.Equal(5, notify.Messages.Count(m => m.Text.StartsWith("RELOADING=1\n", StringComparison.Ordinal)));
        Assert.Equal(6, notify.Messages.Count(m => m.Text == Kit.Ready)); // start-up + one per reload
    }
}
