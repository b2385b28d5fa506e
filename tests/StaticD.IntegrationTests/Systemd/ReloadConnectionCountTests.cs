using System.Text.Json.Nodes;
using Xunit;

namespace StaticD.IntegrationTests.Systemd;

/// <summary>
/// Regression: the open-connection count lived in the per-configuration context, so a SIGHUP restarted it at zero
/// while connections were open; each reload raised the effective MaxConnections by the connections open at that
/// moment (and the count went negative as they closed). The count belongs to the server, not to a configuration.
/// </summary>
public sealed class ReloadConnectionCountTests
{
    private static readonly TimeSpan Timeout = Kit.Timeout;

    /// <summary>A connection that got a 200, retrying while a previous client's close has not been seen yet.</summary>
    private static async Task<RawHttpClient> OpenServedAsync(int port)
    {
        DateTime deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var client = await RawHttpClient.ConnectAsync(port);
            HttpResponse r = await client.RoundTripAsync(Http.Get("/index.html"));
            if (r.Status == 200) return client;
            client.Dispose();
            Assert.True(DateTime.UtcNow < deadline, $"no 200 within {Timeout}: last answer {r.Status}");
        }
    }

    /// <summary>What a client over the limit gets: the one-shot 503, or (when the close overtakes it) nothing.
    /// Never a 200. The request is sent at once: TCP_DEFER_ACCEPT holds a silent connection in the kernel.</summary>
    private static async Task AssertRefusedAsync(int port)
    {
        using var client = await RawHttpClient.ConnectAsync(port);
        try
        {
            HttpResponse r = await client.RoundTripAsync(Http.Get("/index.html"));
            HttpAssert.Status(503, r);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or EndOfStreamException)
        {
            // closed before the 503 could be read: refused all the same
        }
    }

    private static void Reload(ChildProcess server)
    {
        int before = server.CountStderr("configuration reloaded");
        server.Signal(TestLibc.SIGHUP);
        server.WaitForStderr("configuration reloaded", Timeout, before + 1);
    }

    [Fact]
    public async Task ReloadsDoNotRaiseMaxConnections()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "x"),
            doc => doc["StaticD"]!["Limits"] = new JsonObject { ["MaxConnections"] = 2 });
        using var server = ServiceProcess.StartStaticD(site.Path);
        server.WaitForStderr("listening on", Timeout);

        using RawHttpClient first = await OpenServedAsync(site.Port);
        using RawHttpClient second = await OpenServedAsync(site.Port);
        for (int i = 0; i < 2; i++)
        {
            Reload(server);
            // Still two open, limit two: a third client is refused, however many reloads happened.
            await AssertRefusedAsync(site.Port);
        }

        // The two keep-alive connections were not disturbed, and once one closes its place is free again (the
        // count went down to one, not below zero).
        HttpAssert.Status(200, await first.RoundTripAsync(Http.Get("/index.html")));
        second.Dispose();
        using RawHttpClient replacement = await OpenServedAsync(site.Port);
        await AssertRefusedAsync(site.Port);
    }
}
