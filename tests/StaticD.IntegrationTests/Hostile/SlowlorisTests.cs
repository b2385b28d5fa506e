using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace StaticD.IntegrationTests.Hostile;

/// <summary>Slow clients that never finish a head: the header timeout covers the whole head, not each byte.</summary>
public sealed class SlowlorisTests(ITestOutputHelper output)
{
    private const int HeaderTimeoutSeconds = 2;

    private static StaticDProcess StartServer(WebRoot root) =>
        StaticDProcess.Start(root, s => s["Limits"] = new JsonObject
        {
            ["HeaderTimeoutSeconds"] = HeaderTimeoutSeconds,
            ["MaxConnections"] = 5000,
        });

    [Fact]
    public async Task ThousandSlowlorisConnections_NormalClientStillFast_AndSlowOnesCutAtHeaderTimeout()
    {
        HostileSupport.RaiseOwnFdLimit();
        using var root = new WebRoot();
        root.AddFile("index.html", HostileSupport.IndexHtml);
        using var server = StartServer(root);

        const int count = 1000;
        var sockets = new Socket[count];
        var closedAfter = new TimeSpan?[count];
        var started = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        try
        {
            for (int i = 0; i < count; i++)
            {
                sockets[i] = await HostileSupport.ConnectRawAsync(server.Port);
            }

            var opened = started.Elapsed;

            // Each sends the start of a head, then one more byte every 500 ms (never the final CRLF), and records
            // when the server hangs up.
            var attackers = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
            {
                var s = sockets[i];
                var sw = Stopwatch.StartNew();
                try
                {
                    await HostileSupport.SendAsync(s, "GET /index.html HTTP/1.1\r\nHost: h\r\nX-Slow: ");
                    while (!stop.IsCancellationRequested)
                    {
                        await Task.Delay(500, stop.Token);
                        await HostileSupport.SendAsync(s, "a");
                    }
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
                {
                }

                if (!stop.IsCancellationRequested && await HostileSupport.DrainUntilClosedAsync(s, TimeSpan.FromSeconds(10)))
                {
                    closedAfter[i] = sw.Elapsed;
                }
            })).ToArray();

            // Meanwhile a normal client keeps getting prompt answers.
            var latencies = new List<TimeSpan>();
            while (started.Elapsed < opened + TimeSpan.FromSeconds(HeaderTimeoutSeconds + 1))
            {
                var sw = Stopwatch.StartNew();
                using var client = await RawHttpClient.ConnectAsync(server.Port);
                client.ReadTimeout = TimeSpan.FromSeconds(3);
                HttpAssert.Status(200, await client.RoundTripAsync(Http.Get("/index.html")));
                latencies.Add(sw.Elapsed);
                await Task.Delay(100);
            }

            // Every slowloris socket must be closed by the server around the header timeout, although each
            // of them keeps sending a byte every 500 ms.
            var all = Task.WhenAll(attackers);
            await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(15)));
            stop.Cancel();
            await all.WaitAsync(TimeSpan.FromSeconds(15));

            var closed = closedAfter.Where(t => t is not null).Select(t => t!.Value).ToArray();
            output.WriteLine($"normal client: {latencies.Count} requests, max {latencies.Max().TotalMilliseconds:F0} ms, " +
                $"median {latencies.Order().ElementAt(latencies.Count / 2).TotalMilliseconds:F0} ms");
            output.WriteLine($"slowloris: {closed.Length}/{count} closed by the server, " +
                $"after {(closed.Length > 0 ? closed.Min().TotalSeconds : 0):F2}–{(closed.Length > 0 ? closed.Max().TotalSeconds : 0):F2} s");

            Assert.True(latencies.Max() < TimeSpan.FromSeconds(1), $"a normal request took {latencies.Max()} during the attack");
            Assert.True(closed.Length == count, $"only {closed.Length} of {count} slowloris connections were closed by the server");
            Assert.True(closed.Min() > TimeSpan.FromSeconds(HeaderTimeoutSeconds - 0.5), $"closed too early: {closed.Min()}");
            // Up to 1 s for the sweep, up to 1 s more for an attacker that only notices the close on a failed send,
            // and room for 1,000 such tasks on a busy 2-core machine. A head timeout that restarted with each byte
            // would never close them at all.
            Assert.True(closed.Max() < TimeSpan.FromSeconds(HeaderTimeoutSeconds + 5), $"closed too late: {closed.Max()}");
        }
        finally
        {
            stop.Cancel();
            foreach (var s in sockets)
            {
                s?.Dispose();
            }
        }

        await HostileSupport.AssertHealthyAsync(server);
    }

    [Fact]
    public async Task OneBytePer500ms_IsCutAtTheHeaderTimeout_NotPerByte()
    {
        using var root = new WebRoot();
        root.AddFile("index.html", HostileSupport.IndexHtml);
        using var server = StartServer(root);

        using var s = await HostileSupport.ConnectRawAsync(server.Port);
        var head = "GET /index.html HTTP/1.1\r\nHost: h\r\nX-Slow: " + new string('a', 100);
        var sw = Stopwatch.StartNew();
        TimeSpan? cut = null;
        foreach (var c in head)
        {
            try
            {
                await HostileSupport.SendAsync(s, c.ToString());
            }
            catch (SocketException)
            {
                cut = sw.Elapsed;
                break;
            }

            // Did the server hang up in the meantime?
            if (s.Poll(500_000, SelectMode.SelectRead))
            {
                var probe = new byte[256];
                int n;
                try
                {
                    n = s.Receive(probe);
                }
                catch (SocketException)
                {
                    n = 0;
                }

                Assert.True(n == 0, "the server answered a head that never ended");
                cut = sw.Elapsed;
                break;
            }

            if (sw.Elapsed > TimeSpan.FromSeconds(15))
            {
                break;
            }
        }

        output.WriteLine($"cut after {cut?.TotalSeconds:F2} s");
        Assert.True(cut is not null, "a client sending one byte every 500 ms was never cut off");
        // Timeouts are swept once a second, so the cut comes up to 1 s after the deadline; the rest is room for a
        // busy CI machine. A timeout that restarted with each byte would never cut this client at all.
        Assert.InRange(cut!.Value.TotalSeconds, HeaderTimeoutSeconds - 0.5, HeaderTimeoutSeconds + 2.5);
        await HostileSupport.AssertHealthyAsync(server);
    }

    [Fact]
    public async Task SlowKeepAliveSecondRequest_IsAlsoCut()
    {
        // The second head on a keep-alive connection gets its own header deadline, not the idle one.
        using var root = new WebRoot();
        root.AddFile("index.html", HostileSupport.IndexHtml);
        using var server = StaticDProcess.Start(root, s => s["Limits"] = new JsonObject
        {
            ["HeaderTimeoutSeconds"] = HeaderTimeoutSeconds,
            ["KeepAliveTimeoutSeconds"] = 30,
        });

        using var client = await RawHttpClient.ConnectAsync(server.Port);
        HttpAssert.Status(200, await client.RoundTripAsync(Http.Get("/index.html")));
        var sw = Stopwatch.StartNew();
        var sending = Task.Run(async () =>
        {
            try
            {
                foreach (var c in "GET /index.html HTTP/1.1\r\nHost: h\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
                {
                    await client.SendAsync(c.ToString());
                    await Task.Delay(300);
                }
            }
            catch (Exception e) when (e is SocketException or IOException or TimeoutException)
            {
            }
        });
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(HeaderTimeoutSeconds + 4)), "slow second head was never cut");
        output.WriteLine($"second head cut after {sw.Elapsed.TotalSeconds:F2} s");
        // The sweep closes up to 1 s after the deadline; the rest is room for a busy CI machine.
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(HeaderTimeoutSeconds + 3), $"cut only after {sw.Elapsed}");
        await sending;
        await HostileSupport.AssertHealthyAsync(server);
    }
}
