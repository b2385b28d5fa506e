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

    /// <summary>How long a test waits for a slow client to be cut: generous for HeaderTimeoutSeconds=2, and below the
    /// 20 s default, so a cut within it is the configured timeout's doing. How soon after the deadline the cut comes
    /// is unit-tested to the millisecond on a fake clock (StaticD.Tests/Net/TimeoutTests).</summary>
    private static readonly TimeSpan GiveUp = TimeSpan.FromSeconds(15);

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

            // Every slowloris socket must be closed by the server, although each of them keeps sending a byte
            // every 500 ms: a header deadline that restarted with each byte would never close them. Waited for
            // up to GiveUp (the attackers end as soon as they are all cut), not for a fixed time.
            var all = Task.WhenAll(attackers);
            try
            {
                await all.WaitAsync(GiveUp);
            }
            catch (TimeoutException)
            {
                // Some were never cut: counted below.
            }

            stop.Cancel();
            await all.WaitAsync(TimeSpan.FromSeconds(30));

            var closed = closedAfter.Where(t => t is not null).Select(t => t!.Value).ToArray();
            output.WriteLine($"normal client: {latencies.Count} requests, max {latencies.Max().TotalMilliseconds:F0} ms, " +
                $"median {latencies.Order().ElementAt(latencies.Count / 2).TotalMilliseconds:F0} ms");
            output.WriteLine($"slowloris: {closed.Length}/{count} closed by the server, " +
                $"after {(closed.Length > 0 ? closed.Min().TotalSeconds : 0):F2}–{(closed.Length > 0 ? closed.Max().TotalSeconds : 0):F2} s");

            Assert.True(latencies.Max() < TimeSpan.FromSeconds(1), $"a normal request took {latencies.Max()} during the attack");
            Assert.True(closed.Length == count, $"only {closed.Length} of {count} slowloris connections were closed by the server");
            // Not before the header timeout (nothing on a busy machine can make the close come early); how soon after
            // it is unit-tested (TimeoutTests.TrickledHead_IsClosedAtTheDeadlineCountedFromItsFirstByte).
            Assert.True(closed.Min() > TimeSpan.FromSeconds(HeaderTimeoutSeconds - 0.5), $"closed too early: {closed.Min()}");
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

            if (sw.Elapsed > GiveUp)
            {
                break;
            }
        }

        output.WriteLine($"cut after {cut?.TotalSeconds:F2} s");
        // A timeout that restarted with each byte would never cut this client: it would still be trickling when the
        // test gives up (the head is 140 bytes, 70 s at this pace).
        Assert.True(cut is not null, "a client sending one byte every 500 ms was never cut off");
        Assert.True(cut!.Value > TimeSpan.FromSeconds(HeaderTimeoutSeconds - 0.5), $"cut after only {cut}: before the header timeout");
        await HostileSupport.AssertHealthyAsync(server);
    }

    [Fact]
    public async Task SlowKeepAliveSecondRequest_IsAlsoCut()
    {
        // The second head on a keep-alive connection gets its own header deadline, not the idle one (which is
        // set far beyond the wait below, so only the header deadline can end the connection in time).
        using var root = new WebRoot();
        root.AddFile("index.html", HostileSupport.IndexHtml);
        using var server = StaticDProcess.Start(root, s => s["Limits"] = new JsonObject
        {
            ["HeaderTimeoutSeconds"] = HeaderTimeoutSeconds,
            ["KeepAliveTimeoutSeconds"] = 600,
        });

        using var client = await RawHttpClient.ConnectAsync(server.Port);
        HttpAssert.Status(200, await client.RoundTripAsync(Http.Get("/index.html")));
        var sw = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        // A byte every 300 ms, never the end of the head, until the server hangs up.
        var sending = Task.Run(async () =>
        {
            try
            {
                await client.SendAsync("GET /index.html HTTP/1.1\r\nHost: h\r\nX-Slow: ");
                while (!stop.IsCancellationRequested)
                {
                    await Task.Delay(300, stop.Token);
                    await client.SendAsync("a");
                }
            }
            catch (Exception e) when (e is SocketException or IOException or TimeoutException or OperationCanceledException)
            {
            }
        });
        bool cut = await client.WaitForCloseAsync(GiveUp);
        stop.Cancel();
        await sending;
        output.WriteLine($"second head cut after {sw.Elapsed.TotalSeconds:F2} s");
        // The exact deadline (from the second head's first byte) is unit-tested on a fake clock
        // (StaticD.Tests/Net/TimeoutTests.SecondHeadOnAKeepAliveConnection_GetsTheHeaderDeadline_NotTheIdleOne).
        Assert.True(cut, "slow second head was never cut");
        await HostileSupport.AssertHealthyAsync(server);
    }
}
