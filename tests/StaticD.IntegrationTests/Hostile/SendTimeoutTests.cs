using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace StaticD.IntegrationTests.Hostile;

public sealed class SendTimeoutTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ClientThatStopsReading100MiB_IsDroppedAfterSendTimeout()
    {
        using var root = new WebRoot();
        root.AddFile("index.html", HostileSupport.IndexHtml);
        root.AddRandomFile("huge.bin", 100L * 1024 * 1024);
        using var server = StaticDProcess.Start(root, s => s["Limits"] = new JsonObject { ["SendTimeoutSeconds"] = 2 });
        // Warm up first: the first requests may open long-lived descriptors of the process's own (not per connection).
        await HostileSupport.AssertHealthyAsync(server);
        using (var warm = await RawHttpClient.ConnectAsync(server.Port))
        {
            HttpAssert.Status(200, await warm.RoundTripAsync(Http.Head("/huge.bin"), isHead: true));
        }

        await Task.Delay(500);
        int baseline = HostileSupport.OpenSocketCount(server.Pid);

        using var client = await RawHttpClient.ConnectAsync(server.Port, receiveBufferSize: 64 * 1024);
        await client.SendAsync(Http.Get("/huge.bin"));
        var head = await client.ReadResponseHeadAsync();
        HttpAssert.Status(200, head);
        Assert.Equal(100L * 1024 * 1024, head.ContentLength);

        // Stop reading. Once the socket buffers fill, nothing moves; SendTimeoutSeconds=2 must drop us. Watch the
        // server's socket descriptors (the file's descriptor may stay in the server's file cache).
        var sw = Stopwatch.StartNew();
        bool released = await HostileSupport.EventuallyAsync(() => HostileSupport.OpenSocketCount(server.Pid) <= baseline, TimeSpan.FromSeconds(10), 50);
        output.WriteLine($"server released the stalled connection after {sw.Elapsed.TotalSeconds:F2} s");
        Assert.True(released, $"the stalled connection's socket is still open after 10 s (baseline {baseline} sockets):\n{HostileSupport.DescribeFds(server.Pid)}");
        Assert.True(sw.Elapsed > TimeSpan.FromSeconds(1.5), $"dropped after only {sw.Elapsed}: before the send timeout");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(6), $"dropped only after {sw.Elapsed} with SendTimeoutSeconds=2");

        // And from the client's side the body is cut short.
        var got = await client.ReadBodyAsync(head.ContentLength!.Value, _ => ValueTask.CompletedTask, throwOnEarlyClose: false);
        Assert.True(got < head.ContentLength, "the whole 100 MiB arrived: the stalled connection was never dropped");
        await HostileSupport.AssertHealthyAsync(server);
    }
}
