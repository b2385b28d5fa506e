using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using Xunit;

namespace StaticD.IntegrationTests;

/// <summary>Just the content; every shutdown test starts (and kills) its own server.</summary>
public sealed class ShutdownRootFixture : IDisposable
{
    public const long BigSize = 100L * 1024 * 1024;

    public ShutdownRootFixture()
    {
        Root = new WebRoot();
        Root.AddFile("index.html", Site.IndexHtml);
        Root.AddRandomFile("big.bin", BigSize);
        BigHash = LargeFileFixture.HashFile(Root.FullPath("big.bin"));
    }

    public WebRoot Root { get; }

    public byte[] BigHash { get; }

    public void Dispose() => Root.Dispose();
}

public sealed class ShutdownTests(ShutdownRootFixture content) : IClassFixture<ShutdownRootFixture>
{
    [Fact]
    public async Task Sigterm_LetsInFlightDownloadFinish_RefusesNewConnections_Exits0()
    {
        using var server = StaticDProcess.Start(content.Root, s => s["ShutdownTimeoutSeconds"] = 10);

        // A small receive window keeps most of the file on the server side when the signal lands.
        using var client = await RawHttpClient.ConnectAsync(server.Port, receiveBufferSize: 64 * 1024);
        await client.SendAsync(Http.Get("/big.bin"));
        var head = await client.ReadResponseHeadAsync();
        HttpAssert.Status(200, head);
        HttpAssert.Header("Content-Length", ShutdownRootFixture.BigSize.ToString(), head);

        // Paced at ~25 MiB/s: the transfer takes ~4 s, comfortably inside the 10 s shutdown budget.
        const double bytesPerSecond = 25.0 * 1024 * 1024;
        const long signalAt = 5L * 1024 * 1024;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var transfer = Stopwatch.StartNew();
        var sinceSignal = new Stopwatch();
        long received = 0;
        Task<long>? refusalProbe = null;

        var total = await client.ReadBodyAsync(ShutdownRootFixture.BigSize, async chunk =>
        {
            hash.AppendData(chunk.Span);
            received += chunk.Length;
            if (refusalProbe is null && received >= signalAt)
            {
                server.Signal(TestLibc.SIGTERM);
                sinceSignal.Start();
                refusalProbe = WaitForRefusal(server.Port, () => Interlocked.Read(ref received));
            }

            var due = TimeSpan.FromSeconds(received / bytesPerSecond) - transfer.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due);
            }
        });
        var downloadTime = sinceSignal.Elapsed;

        Assert.NotNull(refusalProbe);
        var receivedWhenRefused = await refusalProbe;
        Assert.True(receivedWhenRefused < ShutdownRootFixture.BigSize,
            "new connections were only refused after the download finished (expected refusal right after SIGTERM)");
        Assert.Equal(ShutdownRootFixture.BigSize, total);
        Assert.Equal(Convert.ToHexString(content.BigHash), Convert.ToHexString(hash.GetHashAndReset()));
        Assert.True(downloadTime < TimeSpan.FromSeconds(10), $"download took {downloadTime} after SIGTERM");

        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(10)), $"staticd still running 10 s after the last in-flight response\n{server.Output}");
        Assert.True(server.ExitCode == 0, $"exit code {server.ExitCode}\n{server.Output}");
    }

    [Fact]
    public async Task Sigterm_ClosesIdleKeepAliveConnection_AndExits0Promptly()
    {
        using var server = StaticDProcess.Start(content.Root);
        using var client = await RawHttpClient.ConnectAsync(server.Port);
        HttpAssert.Status(200, await client.RoundTripAsync(Http.Get("/index.html")));

        var sw = Stopwatch.StartNew();
        server.Signal(TestLibc.SIGTERM);
        Assert.True(await client.WaitForCloseAsync(TimeSpan.FromSeconds(3)), "idle keep-alive connection not closed within 3 s of SIGTERM");
        var left = TimeSpan.FromSeconds(3) - sw.Elapsed;
        Assert.True(server.WaitForExit(left > TimeSpan.Zero ? left : TimeSpan.Zero), $"not exited 3 s after SIGTERM\n{server.Output}");
        Assert.True(server.ExitCode == 0, $"exit code {server.ExitCode}\n{server.Output}");
    }

    [Fact]
    public void Sigterm_WithNothingInFlight_Exits0Within3Seconds()
    {
        using var server = StaticDProcess.Start(content.Root);
        var sw = Stopwatch.StartNew();
        server.Signal(TestLibc.SIGTERM);
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(3)), $"not exited 3 s after SIGTERM\n{server.Output}");
        sw.Stop();
        Assert.True(server.ExitCode == 0, $"exit code {server.ExitCode} after {sw.Elapsed}\n{server.Output}");
    }

    [Fact]
    public async Task ShutdownTimeout_BoundsAStalledDownload()
    {
        using var server = StaticDProcess.Start(content.Root, s => s["ShutdownTimeoutSeconds"] = 1);
        using var client = await RawHttpClient.ConnectAsync(server.Port, receiveBufferSize: 16 * 1024);
        await client.SendAsync(Http.Get("/big.bin"));
        HttpAssert.Status(200, await client.ReadResponseHeadAsync());

        // The client never reads again, so the response can never finish on its own:
        // only ShutdownTimeoutSeconds=1 can end the process.
        var sw = Stopwatch.StartNew();
        server.Signal(TestLibc.SIGTERM);
        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(5)), $"not exited 5 s after SIGTERM with ShutdownTimeoutSeconds=1\n{server.Output}");
        Assert.True(sw.Elapsed > TimeSpan.FromMilliseconds(500), $"exited after {sw.Elapsed}: the in-flight response was not given its grace period");
    }

    /// <summary>Polls connect() until it is refused; returns the download progress at that moment.</summary>
    private static async Task<long> WaitForRefusal(int port, Func<long> progress)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(2))
        {
            try
            {
                using var probe = await RawHttpClient.ConnectAsync(port);
            }
            // Reset, too: a probe that reached the backlog just before the listener closed is reset by the kernel,
            // which is as much a refusal (a clean-clone run hit that window once).
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
            {
                return progress();
            }

            await Task.Delay(50);
        }

        throw new InvalidOperationException("connections were still accepted 2 s after SIGTERM");
    }
}
