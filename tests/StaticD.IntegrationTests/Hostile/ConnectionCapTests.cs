using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;
using Xunit.Abstractions;

namespace StaticD.IntegrationTests.Hostile;

public sealed class ConnectionCapTests(ITestOutputHelper output)
{
    [Fact]
    public async Task FloodToTheCap_ExtraClientsGet503OrClose_AndServerRecovers()
    {
        using var root = new WebRoot();
        root.AddFile("index.html", HostileSupport.IndexHtml);
        using var server = StaticDProcess.Start(root, s => s["Limits"] = new JsonObject { ["MaxConnections"] = 50 });
        await Task.Delay(300); // let the readiness probe's connection go

        const int total = 200;
        var sockets = new List<Socket>();
        try
        {
            for (int i = 0; i < total; i++)
            {
                sockets.Add(await HostileSupport.ConnectRawAsync(server.Port));
            }

            // Every client asks for the page; exactly the admitted ones get 200, the rest 503 or a bare close.
            var outcomes = await Task.WhenAll(sockets.Select(s => Task.Run(() => Outcome(s))));
            int ok = outcomes.Count(o => o == "200");
            int busy = outcomes.Count(o => o == "503");
            int closed = outcomes.Count(o => o == "close");
            output.WriteLine($"200: {ok}, 503: {busy}, closed without response: {closed}, other: {total - ok - busy - closed}");
            Assert.True(ok + busy + closed == total, "unexpected outcomes: " + string.Join(",", outcomes.Where(o => o is not ("200" or "503" or "close"))));
            Assert.True(ok <= 50, $"{ok} clients were served with MaxConnections=50");
            Assert.True(ok >= 45, $"only {ok} clients were served with MaxConnections=50");
            Assert.True(busy + closed >= total - 50, "the clients over the cap were neither refused nor closed");
        }
        finally
        {
            foreach (var s in sockets)
            {
                s.Dispose();
            }
        }

        // Once they are gone, capacity returns: 50 new clients are all served, all open at once.
        var again = new List<RawHttpClient>();
        try
        {
            for (int i = 0; i < 50; i++)
            {
                again.Add(await HostileSupport.ConnectServedAsync(server.Port, TimeSpan.FromSeconds(10)));
            }
        }
        finally
        {
            foreach (var c in again)
            {
                c.Dispose();
            }
        }

        await Task.Delay(300);
        await HostileSupport.AssertHealthyAsync(server);
    }

    private static async Task<string> Outcome(Socket s)
    {
        try
        {
            await HostileSupport.SendAsync(s, Http.Get("/index.html"));
            var buffer = new byte[4096];
            int n = 0;
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            while (n < 12)
            {
                int got = await s.ReceiveAsync(buffer.AsMemory(n), SocketFlags.None, cts.Token);
                if (got == 0)
                {
                    return n == 0 ? "close" : "partial";
                }

                n += got;
            }

            var status = Encoding.ASCII.GetString(buffer, 9, 3);
            return status;
        }
        catch (SocketException)
        {
            return "close"; // reset
        }
        catch (OperationCanceledException)
        {
            return "hang";
        }
    }
}
