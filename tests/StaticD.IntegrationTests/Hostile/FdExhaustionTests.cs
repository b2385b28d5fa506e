using System.Net.Sockets;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace StaticD.IntegrationTests.Hostile;

/// <summary>
/// The server runs out of descriptors (its RLIMIT_NOFILE is lowered with prlimit(2) while it runs, like
/// `prlimit --pid PID --nofile=N:N`): accept fails with EMFILE. Open connections must keep being answered,
/// and once descriptors are free again the waiting clients are accepted and served.
/// </summary>
public sealed class FdExhaustionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task OutOfDescriptors_OpenConnectionsServed_ThenAcceptRecovers()
    {
        using var root = new WebRoot();
        root.AddFile("index.html", HostileSupport.IndexHtml);
        using var server = StaticDProcess.Start(root);
        await Task.Delay(300);
        await HostileSupport.AssertHealthyAsync(server);
        await Task.Delay(300);

        int open = HostileSupport.OpenFdCount(server.Pid);
        ulong limit = (ulong)open + 12;
        HostileSupport.SetFdLimit(server.Pid, limit);
        output.WriteLine($"server has {open} descriptors open; RLIMIT_NOFILE lowered to {limit}");

        const int total = 40;
        var sockets = new List<Socket>();
        try
        {
            for (int i = 0; i < total; i++)
            {
                var s = await HostileSupport.ConnectRawAsync(server.Port); // the kernel completes the handshake (backlog)
                sockets.Add(s);
                await HostileSupport.SendAsync(s, Http.Get("/index.html"));
            }

            // Who got an answer? The others wait in the backlog because accept(2) fails.
            var first = await Task.WhenAll(sockets.Select(s => ReadStatusAsync(s, TimeSpan.FromSeconds(2))));
            var served = Enumerable.Range(0, total).Where(i => first[i] is not null).ToList();
            var waiting = Enumerable.Range(0, total).Where(i => first[i] is null).ToList();
            output.WriteLine($"first round: {served.Count} answered ({string.Join(",", served.Select(i => first[i]).Distinct())}), {waiting.Count} waiting");
            Assert.True(waiting.Count > 0, "accept never ran out of descriptors: the limit was not reached");
            Assert.True(served.Count > 0, "no connection was served at all");
            Assert.All(served, i => Assert.True(first[i] is "200" or "503", $"connection {i}: {first[i]}"));
            Assert.False(server.HasExited, "staticd died when it ran out of descriptors\n" + server.Output);

            // Connections already open keep being answered while accept is failing (200, or 503 + Retry-After
            // when even the file cannot be opened).
            foreach (var i in served)
            {
                await HostileSupport.SendAsync(sockets[i], Http.Get("/index.html"));
            }

            var second = await Task.WhenAll(served.Select(i => ReadStatusAsync(sockets[i], TimeSpan.FromSeconds(3))));
            output.WriteLine($"second round on open connections: {string.Join(",", second.GroupBy(x => x ?? "none").Select(g => $"{g.Key}×{g.Count()}"))}");
            Assert.All(second, st => Assert.True(st is "200" or "503", $"an open connection got {st ?? "no answer"} while accept was failing"));

            // Free descriptors: accept must resume, so waiting clients are now accepted and answered (each one
            // accepted takes a freed descriptor again, so with this tight limit they may get 503 + Retry-After).
            foreach (var i in served)
            {
                sockets[i].Dispose();
            }

            var late = await Task.WhenAll(waiting.Select(i => ReadStatusAsync(sockets[i], TimeSpan.FromSeconds(3))));
            output.WriteLine($"after closing them: waiting clients got {string.Join(",", late.GroupBy(x => x ?? "none").Select(g => $"{g.Key}×{g.Count()}"))}");
            Assert.True(late.Count(st => st is "200" or "503") >= Math.Min(waiting.Count, served.Count) / 2,
                "accept did not resume after descriptors were freed");
            Assert.All(late, st => Assert.True(st is null or "200" or "503", $"a waiting client got {st} after recovery"));
        }
        finally
        {
            foreach (var s in sockets)
            {
                s.Dispose();
            }
        }

        // Everything closed: new clients are accepted and get the file again (200, not 503).
        await Task.Delay(500);
        for (int i = 0; i < 5; i++)
        {
            await HostileSupport.AssertHealthyAsync(server);
        }

        var kept = new List<RawHttpClient>();
        try
        {
            for (int i = 0; i < 5; i++)
            {
                var c = await RawHttpClient.ConnectAsync(server.Port);
                kept.Add(c);
                HttpAssert.Status(200, await c.RoundTripAsync(Http.Get("/index.html")));
            }
        }
        finally
        {
            foreach (var c in kept)
            {
                c.Dispose();
            }
        }

        await Task.Delay(300);
        await HostileSupport.AssertHealthyAsync(server);
    }

    /// <summary>Reads one response (head and Content-Length body) and returns its status, or null on timeout.</summary>
    private static async Task<string?> ReadStatusAsync(Socket s, TimeSpan timeout)
    {
        var buffer = new byte[16 * 1024];
        int n = 0;
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var text = Encoding.Latin1.GetString(buffer, 0, n);
                int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (end >= 0)
                {
                    var m = System.Text.RegularExpressions.Regex.Match(text, "(?im)^content-length: *([0-9]+)");
                    int body = m.Success ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
                    if (n >= end + 4 + body)
                    {
                        var status = text.Substring(9, 3);
                        if (status == "503")
                        {
                            Assert.Contains("Retry-After:", text, StringComparison.OrdinalIgnoreCase);
                        }

                        return status;
                    }
                }

                int got = await s.ReceiveAsync(buffer.AsMemory(n), SocketFlags.None, cts.Token);
                if (got == 0)
                {
                    return "close";
                }

                n += got;
            }
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (SocketException)
        {
            return "reset";
        }
    }
}
