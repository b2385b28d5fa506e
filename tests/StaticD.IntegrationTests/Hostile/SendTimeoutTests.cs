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

        using var client = await RawHttpClient.ConnectAsync(server.Port, receiveBufferSize: 64 * 1024);
        await client.SendAsync(Http.Get("/huge.bin"));
        var head = await client.ReadResponseHeadAsync();
        HttpAssert.Status(200, head);
        Assert.Equal(100L * 1024 * 1024, head.ContentLength);

        // Stop reading. Once the socket buffers fill, nothing moves; SendTimeoutSeconds=2 must make the server let
        // go of the connection: its end of it no longer has a descriptor in the server. The exact deadline (and that
        // progress moves it) is unit-tested on a fake clock (StaticD.Tests/Net/TimeoutTests); here a generous
        // deadline only catches a connection that is never dropped.
        var sw = Stopwatch.StartNew();
        bool released = await ServerSocketState.WaitReleasedAsync(server.Port, client.Socket, TimeSpan.FromSeconds(30));
        output.WriteLine($"server released the stalled connection after {sw.Elapsed.TotalSeconds:F2} s");
        Assert.True(released, $"the stalled connection is still held after 30 s:\n{HostileSupport.DescribeFds(server.Pid)}");

        // And from the client's side the body is cut short.
        var got = await client.ReadBodyAsync(head.ContentLength!.Value, _ => ValueTask.CompletedTask, throwOnEarlyClose: false);
        Assert.True(got < head.ContentLength, "the whole 100 MiB arrived: the stalled connection was never dropped");
        await HostileSupport.AssertHealthyAsync(server);
    }
}
