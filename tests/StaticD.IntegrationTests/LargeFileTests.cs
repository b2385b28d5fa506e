using System.Diagnostics;
using System.Security.Cryptography;
using Xunit;

namespace StaticD.IntegrationTests;

public sealed class LargeFileFixture : ServerFixture
{
    public const long BigSize = 100L * 1024 * 1024;
    public const long MediumSize = 16L * 1024 * 1024;

    public LargeFileFixture()
        : base(root =>
        {
            root.AddFile("index.html", Site.IndexHtml);
            root.AddRandomFile("big.bin", BigSize);
            root.AddRandomFile("medium.bin", MediumSize);
        })
    {
        // Hash what is on disk (not what we meant to write): that is what must arrive.
        BigHash = HashFile(Root.FullPath("big.bin"));
        MediumHash = HashFile(Root.FullPath("medium.bin"));
    }

    public static byte[] HashFile(string path)
    {
        using var stream = File.OpenRead(path);
        return SHA256.HashData(stream);
    }

    public byte[] BigHash { get; }

    public byte[] MediumHash { get; }
}

public sealed class LargeFileTests(LargeFileFixture site) : IClassFixture<LargeFileFixture>
{
    [Fact]
    public async Task Get100MiB_ArrivesIntact()
    {
        using var client = await site.ConnectAsync();
        await client.SendAsync(Http.Get("/big.bin"));
        var r = await client.ReadResponseHeadAsync();

        HttpAssert.Status(200, r);
        HttpAssert.Header("Content-Length", LargeFileFixture.BigSize.ToString(), r);
        HttpAssert.Header("Content-Type", "application/octet-stream", r);

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var read = await client.ReadBodyAsync(LargeFileFixture.BigSize, chunk =>
        {
            hash.AppendData(chunk.Span);
            return ValueTask.CompletedTask;
        });

        Assert.Equal(LargeFileFixture.BigSize, read);
        Assert.Equal(Convert.ToHexString(site.BigHash), Convert.ToHexString(hash.GetHashAndReset()));

        // The connection is still usable: the body ended exactly at Content-Length.
        var next = await client.RoundTripAsync(Http.Get("/index.html"));
        HttpAssert.Status(200, next);
        HttpAssert.Body(Site.IndexHtml, next);
    }

    [Fact]
    public async Task Head100MiB_HasLengthButNoBody()
    {
        using var client = await site.ConnectAsync();
        await client.SendAsync(Http.Head("/big.bin") + Http.Get("/index.html"));

        var head = await client.ReadResponseAsync(isHead: true);
        HttpAssert.Status(200, head);
        HttpAssert.Header("Content-Length", LargeFileFixture.BigSize.ToString(), head);

        // Any body byte after the HEAD response would corrupt this parse.
        var next = await client.ReadResponseAsync();
        HttpAssert.Status(200, next);
        HttpAssert.Body(Site.IndexHtml, next);
    }

    [Fact]
    public async Task SlowReader_GetsEveryByte_WhileOtherClientsStayFast()
    {
        using var slow = await site.ConnectAsync(receiveBufferSize: 16 * 1024);
        await slow.SendAsync(Http.Get("/medium.bin"));
        var head = await slow.ReadResponseHeadAsync();
        HttpAssert.Status(200, head);
        HttpAssert.Header("Content-Length", LargeFileFixture.MediumSize.ToString(), head);

        long progress = 0;
        var slowStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var slowRead = slow.ReadBodyAsync(LargeFileFixture.MediumSize, async chunk =>
        {
            hash.AppendData(chunk.Span);
            if (Interlocked.Add(ref progress, chunk.Length) >= 1024 * 1024)
            {
                slowStarted.TrySetResult();
            }

            await Task.Delay(2);
        });

        // Once the slow transfer is well under way, other clients must see normal latency.
        await slowStarted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var worst = TimeSpan.Zero;
        using (var keepAlive = await site.ConnectAsync())
        {
            for (var i = 0; i < 20; i++)
            {
                var sw = Stopwatch.StartNew();
                HttpResponse r;
                if (i % 2 == 0)
                {
                    r = await keepAlive.RoundTripAsync(Http.Get("/index.html"));
                }
                else
                {
                    r = await site.GetAsync("/index.html");
                }

                sw.Stop();
                HttpAssert.Status(200, r);
                HttpAssert.Body(Site.IndexHtml, r);
                worst = sw.Elapsed > worst ? sw.Elapsed : worst;
            }
        }

        var progressWhenFastDone = Interlocked.Read(ref progress);
        var total = await slowRead;

        // A loop stalled behind the slow reader would hold a request until the download ends (seconds, and the
        // next assertion proves it was still running); 2 s leaves room for a busy CI machine without hiding that.
        Assert.True(worst < TimeSpan.FromSeconds(2), $"a request took {worst} while a slow reader was being served");
        Assert.True(progressWhenFastDone < LargeFileFixture.MediumSize,
            "the slow download had already finished, so the 'meanwhile' part proved nothing (test too fast)");
        Assert.Equal(LargeFileFixture.MediumSize, total);
        Assert.Equal(Convert.ToHexString(site.MediumHash), Convert.ToHexString(hash.GetHashAndReset()));
    }
}
