using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace StaticD.IntegrationTests.Hostile;

public sealed class AbortedDownloadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task TenThousandAbortedDownloads_LeakNoDescriptors()
    {
        HostileSupport.RaiseOwnFdLimit();
        using var root = new WebRoot();
        root.AddFile("index.html", HostileSupport.IndexHtml);
        root.AddRandomFile("big.bin", 8L * 1024 * 1024);
        using var server = StaticDProcess.Start(root, s => s["Limits"] = new JsonObject { ["MaxConnections"] = 20000 });

        // Warm up (thread pool threads, buffers), then take the baseline.
        for (int i = 0; i < 20; i++)
        {
            await HostileSupport.AssertHealthyAsync(server);
        }

        await Task.Delay(500);
        int baseline = HostileSupport.OpenFdCount(server.Pid);
        int baselineSockets = HostileSupport.OpenSocketCount(server.Pid);
        var before = FdTargets(server.Pid);

        const int total = 10_000;
        const int parallel = 64;
        int next = -1;
        int partialReads = 0;
        var sw = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, parallel).Select(_ => Task.Run(async () =>
        {
            var scratch = new byte[4096];
            int i;
            while ((i = Interlocked.Increment(ref next)) < total)
            {
                var s = await HostileSupport.ConnectRawAsync(server.Port, receiveBufferSize: 8192);
                try
                {
                    await HostileSupport.SendAsync(s, Http.Get(i % 10 == 0 ? "/big.bin?range" : "/big.bin", i % 10 == 0 ? ["Range: bytes=1000-7000000"] : []));
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    if (await s.ReceiveAsync(scratch, SocketFlags.None, cts.Token) > 0)
                    {
                        Interlocked.Increment(ref partialReads);
                    }
                }
                catch (SocketException)
                {
                }
                finally
                {
                    // Half of them reset, half close with unread data pending (which the kernel also turns into a reset).
                    if (i % 2 == 0)
                    {
                        HostileSupport.Reset(s);
                    }
                    else
                    {
                        s.Dispose();
                    }
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        output.WriteLine($"{total} aborted downloads in {sw.Elapsed.TotalSeconds:F1} s ({partialReads} read some bytes first)");
        Assert.True(partialReads > total * 9 / 10, $"only {partialReads} downloads had started before the abort");

        // Every aborted connection and its file descriptor must be released.
        int now = 0;
        bool back = await HostileSupport.EventuallyAsync(() => (now = HostileSupport.OpenFdCount(server.Pid)) <= baseline, TimeSpan.FromSeconds(5));
        if (!back)
        {
            // Tolerance for descriptors the runtime opens on its own (thread pool, timers), not per connection.
            back = await HostileSupport.EventuallyAsync(() => (now = HostileSupport.OpenFdCount(server.Pid)) <= baseline + 3, TimeSpan.FromSeconds(10));
        }

        output.WriteLine($"server descriptors: {baseline} before, {now} after");
        foreach (var extra in FdTargets(server.Pid).Except(before))
        {
            output.WriteLine($"  new since the baseline: {extra}");
        }

        Assert.True(back, $"descriptors leaked: {baseline} before, {now} after 10,000 aborted downloads\n" +
            string.Join("\n", Directory.GetFileSystemEntries($"/proc/{server.Pid}/fd").Take(50).Select(f => $"{f} -> {new FileInfo(f).LinkTarget}")));
        // Not one connection socket may survive its client.
        int sockets = 0;
        Assert.True(await HostileSupport.EventuallyAsync(() => (sockets = HostileSupport.OpenSocketCount(server.Pid)) <= baselineSockets, TimeSpan.FromSeconds(10)),
            $"{sockets} sockets open, {baselineSockets} before the aborted downloads:\n{HostileSupport.DescribeFds(server.Pid)}");
        await HostileSupport.AssertHealthyAsync(server);
        await HostileSupport.AssertHealthyAsync(server, "/big.bin");
    }

    private static HashSet<string> FdTargets(int pid) =>
        Directory.GetFileSystemEntries($"/proc/{pid}/fd")
            .Select(f =>
            {
                try
                {
                    return $"{Path.GetFileName(f)} -> {new FileInfo(f).LinkTarget}";
                }
                catch (IOException)
                {
                    return Path.GetFileName(f) + " -> (gone)";
                }
            })
            .ToHashSet();
}
