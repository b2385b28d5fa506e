using System.Collections.Concurrent;
using System.Text;
using Xunit;

namespace StaticD.IntegrationTests;

public sealed class ConcurrencyTests(SiteFixture site) : IClassFixture<SiteFixture>
{
    private const int Clients = 500;
    private const int RequestsPerClient = 5;

    private static readonly (string Target, byte[] Body)[] Files =
    [
        ("/index.html", Encoding.UTF8.GetBytes(Site.IndexHtml)),
        ("/style.css", Encoding.UTF8.GetBytes(Site.Css)),
        ("/app.js", Encoding.UTF8.GetBytes(Site.Js)),
        ("/data.json", Encoding.UTF8.GetBytes(Site.Json)),
        ("/dir/", Encoding.UTF8.GetBytes(Site.DirIndexHtml)),
        ("/image.png", Site.Png),
    ];

    [Fact]
    public async Task FiveHundredClients_FiveKeepAliveRequestsEach_AllCorrect()
    {
        var clients = new RawHttpClient[Clients];
        try
        {
            // Phase 1: open every connection first so all 500 really are concurrent.
            var connects = Enumerable.Range(0, Clients).Select(async i => clients[i] = await site.ConnectAsync());
            await Task.WhenAll(connects);

            // Phase 2: all clients issue their keep-alive requests at once.
            var failures = new ConcurrentQueue<string>();
            var ok = 0;
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(async i =>
            {
                for (var n = 0; n < RequestsPerClient; n++)
                {
                    var (target, body) = Files[(i + n) % Files.Length];
                    try
                    {
                        var r = await clients[i].RoundTripAsync(Http.Get(target));
                        if (r.Status != 200 || !r.Body.AsSpan().SequenceEqual(body))
                        {
                            failures.Enqueue($"client {i} request {n} {target}: status {r.Status}, {r.Body.Length} body bytes");
                            return;
                        }

                        Interlocked.Increment(ref ok);
                    }
                    catch (Exception e) when (e is IOException or TimeoutException or System.Net.Sockets.SocketException or FormatException)
                    {
                        failures.Enqueue($"client {i} request {n} {target}: {e.GetType().Name}: {e.Message}");
                        return;
                    }
                }
            }));

            Assert.True(failures.IsEmpty, $"{failures.Count} clients failed; first: {string.Join("\n", failures.Take(5))}");
            Assert.Equal(Clients * RequestsPerClient, ok);
        }
        finally
        {
            foreach (var c in clients)
            {
                c?.Dispose();
            }
        }
    }
}
