using System.Net.Sockets;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace StaticD.IntegrationTests.Hostile;

/// <summary>Idle keep-alive connections hold no receive buffer: 10,000 of them must stay cheap.</summary>
public sealed class IdleConnectionMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TenThousandIdleKeepAliveConnections_CostLittleMemory()
    {
        var limit = HostileSupport.RaiseOwnFdLimit();
        Assert.True(limit >= 10_500, $"RLIMIT_NOFILE hard limit {limit} is too low for 10,000 connections");
        using var root = new WebRoot();
        root.AddFile("index.html", HostileSupport.IndexHtml);
        using var server = StaticDProcess.Start(root, s =>
        {
            s["Limits"] = new JsonObject
            {
                ["MaxConnections"] = 20000,
                ["KeepAliveTimeoutSeconds"] = 600,
                ["HeaderTimeoutSeconds"] = 600,
            };
            // The figure is what a connection costs while it waits, not what logging 10,500 requests costs.
            s["AccessLog"] = false;
        });

        // The exact size of one response (the Date header has a fixed width), so idle clients can read it cheaply.
        int responseLength;
        using (var probe = await RawHttpClient.ConnectAsync(server.Port))
        {
            var r = await probe.RoundTripAsync(Http.Get("/index.html"));
            HttpAssert.Status(200, r);
            responseLength = r.RawHead.Length + r.Body.Length;
        }

        // Warm-up: pools, thread pool, JIT-free AOT code paths, a few hundred connections' worth of slots.
        await OpenIdleAsync(server.Port, 500, responseLength, keep: null);
        await Task.Delay(1000);
        long before = HostileSupport.RssBytes(server.Pid);

        const int count = 10_000;
        var sockets = new List<Socket>(count);
        try
        {
            await OpenIdleAsync(server.Port, count, responseLength, sockets);
            Assert.Equal(count, sockets.Count);
            await Task.Delay(2000);
            long after = HostileSupport.RssBytes(server.Pid);
            double perConnection = (after - before) / (double)count;
            output.WriteLine($"VmRSS: {before / 1024} KiB before, {after / 1024} KiB with {count} idle keep-alive connections");
            output.WriteLine($"RSS per idle keep-alive connection: {perConnection / 1024:F2} KiB ({perConnection:F0} bytes)");
            Assert.False(server.HasExited, "staticd died holding 10,000 connections");

            // Even the smallest receive buffer (4 KiB), kept by each idle connection, would exceed this on its own.
            Assert.True(perConnection < 4 * 1024, $"{perConnection / 1024:F1} KiB of RSS per idle connection");

            // The idle connections are still alive and usable.
            var scratch = new byte[responseLength];
            foreach (var s in sockets.Take(20))
            {
                await HostileSupport.SendAsync(s, Http.Get("/index.html"));
                await HostileSupport.ReadExactlyAsync(s, responseLength, scratch, TimeSpan.FromSeconds(5));
                var response = HttpResponse.Parse(scratch.AsSpan(0, responseLength));
                Assert.Equal("HTTP/1.1", response.Version);
                HttpAssert.Status(200, response);
            }

            await HostileSupport.AssertHealthyAsync(server);
        }
        finally
        {
            foreach (var s in sockets)
            {
                s.Dispose();
            }
        }

        await Task.Delay(500);
        await HostileSupport.AssertHealthyAsync(server);
    }

    /// <summary>Opens <paramref name="count"/> connections, each completing one request; keeps them in <paramref name="keep"/> or closes them.</summary>
    private static async Task OpenIdleAsync(int port, int count, int responseLength, List<Socket>? keep)
    {
        var request = System.Text.Encoding.ASCII.GetBytes(Http.Get("/index.html"));
        const int parallel = 100;
        int next = -1;
        var gate = new object();
        await Task.WhenAll(Enumerable.Range(0, parallel).Select(_ => Task.Run(async () =>
        {
            var scratch = new byte[responseLength];
            while (Interlocked.Increment(ref next) < count)
            {
                var s = await HostileSupport.ConnectRawAsync(port, receiveBufferSize: 4096);
                await HostileSupport.SendAsync(s, request);
                await HostileSupport.ReadExactlyAsync(s, responseLength, scratch, TimeSpan.FromSeconds(10));
                if (keep is null)
                {
                    s.Dispose();
                }
                else
                {
                    lock (gate)
                    {
                        keep.Add(s);
                    }
                }
            }
        })));
    }
}
