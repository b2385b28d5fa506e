using System.Diagnostics;
using Xunit;

namespace StaticD.IntegrationTests;

/// <summary>
/// Single event loop on purpose: if opening the FIFO blocked the loop thread, the second
/// client in the FIFO test could not be served, so that test would catch it.
/// </summary>
public sealed class SpecialFileFixture() : ServerFixture(
    root =>
    {
        root.AddFile("index.html", Site.IndexHtml);
        root.AddFifo("pipe");
        root.AddUnixSocket("sock");
        root.AddSymlink("zero", "/dev/zero");
    },
    section => section["Loops"] = 1);

public sealed class SpecialFileTests(SpecialFileFixture site) : IClassFixture<SpecialFileFixture>
{
    [Fact]
    public async Task Fifo_Is404Quickly_AndDoesNotBlockOtherClients()
    {
        try
        {
            await FifoScenario();
        }
        finally
        {
            // If the server wrongly opened the FIFO and is stuck in open(2), unstick it so the
            // other tests of this class report their own results rather than this failure.
            TestLibc.ReleaseFifoReaders(site.Root.FullPath("pipe"));
        }
    }

    private async Task FifoScenario()
    {
        using var fifoClient = await site.ConnectAsync();
        var sw = Stopwatch.StartNew();
        await fifoClient.SendAsync(Http.Get("/pipe"));
        var fifoResponse = fifoClient.ReadResponseAsync();

        // While the FIFO request is (possibly) pending, an unrelated client must be served.
        using (var other = await site.ConnectAsync())
        {
            other.ReadTimeout = TimeSpan.FromSeconds(2);
            var ok = await other.RoundTripAsync(Http.Get("/index.html"));
            HttpAssert.Status(200, ok);
            HttpAssert.Body(Site.IndexHtml, ok);
        }

        var r = await fifoResponse;
        sw.Stop();
        HttpAssert.Status(404, r);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"FIFO request took {sw.Elapsed}");
    }

    [Fact]
    public async Task UnixSocketFile_Is404()
    {
        HttpAssert.Status(404, await site.GetAsync("/sock"));
    }

    [Fact]
    public async Task SymlinkToCharacterDevice_IsRefusedQuickly()
    {
        // /dev/zero is both outside the root (a 403 per the symlink rule) and not a regular
        // file (a 404): either 4xx is right, but streaming endless zeros never is.
        var sw = Stopwatch.StartNew();
        var r = await site.GetAsync("/zero");
        HttpAssert.ClientError(r);
        HttpAssert.CommonHeaders(r);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"device request took {sw.Elapsed}");
        Assert.DoesNotContain("\0\0\0\0", r.BodyText);
    }
}
