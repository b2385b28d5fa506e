using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using StaticD.IntegrationTests.Hostile;
using Xunit;
using Xunit.Abstractions;
using static StaticD.IntegrationTests.Tls.TlsKit;

namespace StaticD.IntegrationTests.Tls;

/// <summary>
/// Clients that attack the HTTPS port: silent or stalled handshakes, plain HTTP, garbage and broken ClientHellos,
/// floods past MaxConnections, and ten thousand handshakes abandoned half way. After each, the server still
/// answers over TLS and plain HTTP, and (for the flood) holds no descriptor or memory the attackers left behind.
/// </summary>
public sealed class TlsHostileTests : IDisposable
{
    private const int HeaderTimeoutSeconds = 2;

    /// <summary>Below the 20 s default header timeout, so a close within it is the configured timeout's doing;
    /// generous for 2 s plus TCP_DEFER_ACCEPT's hold of a silent connection (~3 s before accept).</summary>
    private static readonly TimeSpan GiveUp = TimeSpan.FromSeconds(15);

    private readonly WebRoot _root = new();
    private readonly ITestOutputHelper _output;

    public TlsHostileTests(ITestOutputHelper output)
    {
        _output = output;
        _root.AddFile("index.html", HostileSupport.IndexHtml);
    }

    public void Dispose() => _root.Dispose();

    private StaticDProcess Start(out int httpsPort, JsonObject? limits = null)
    {
        int port = StaticDProcess.FreePort();
        httpsPort = port;
        return StaticDProcess.Start(_root, s =>
        {
            s["HttpsPort"] = port;
            s["Tls"] = TlsSection(TestPki.Shared.Issue(["default.test"]));
            s["Limits"] = limits ?? new JsonObject { ["HeaderTimeoutSeconds"] = HeaderTimeoutSeconds };
        });
    }

    /// <summary>Alive, and a fresh client gets the page over TLS (verified) and over plain HTTP.</summary>
    private static async Task AssertHealthy(StaticDProcess server, int httpsPort)
    {
        await HostileSupport.AssertHealthyAsync(server);
        await using TlsClient client = await TlsClient.ConnectAsync(httpsPort, "default.test");
        Assert.True(client.Verified, client.PolicyErrors + " " + client.ChainStatus);
        HttpResponse r = await client.RoundTripAsync(Sites.SitesKit.Get("default.test", "/index.html"));
        HttpAssert.Status(200, r);
        Assert.Equal(HostileSupport.IndexHtml, r.BodyText);
    }

    /// <summary>Reads until the server closes: what it sent, whether it closed within <paramref name="timeout"/>,
    /// and when.</summary>
    private static async Task<(byte[] Received, bool Closed, TimeSpan After)> ReadUntilClosed(Socket socket, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0) return (received.ToArray(), true, clock.Elapsed);
                received.Write(buffer, 0, n);
            }
        }
        catch (OperationCanceledException)
        {
            return (received.ToArray(), false, clock.Elapsed);
        }
        catch (SocketException)
        {
            return (received.ToArray(), true, clock.Elapsed); // reset
        }
    }

    [Fact]
    public async Task SilentAndStalledHandshakes_AreClosedAfterTheHeaderTimeout()
    {
        using StaticDProcess server = Start(out int https);
        byte[] hello = ClientHello.Bytes;
        using Socket silent = await HostileSupport.ConnectRawAsync(https);
        using Socket half = await HostileSupport.ConnectRawAsync(https);
        using Socket headerOnly = await HostileSupport.ConnectRawAsync(https);
        await HostileSupport.SendAsync(half, hello.AsMemory(0, hello.Length / 2));
        await HostileSupport.SendAsync(headerOnly, hello.AsMemory(0, 5)); // the record header, promising a hello
        var waits = new[] { silent, half, headerOnly }.Select(s => ReadUntilClosed(s, GiveUp)).ToArray();

        // Meanwhile others are served.
        await AssertHealthy(server, https);

        var results = await Task.WhenAll(waits);
        string[] names = ["nothing sent", "half a ClientHello", "a record header only"];
        for (int i = 0; i < results.Length; i++)
        {
            (byte[] received, bool closed, TimeSpan after) = results[i];
            _output.WriteLine($"{names[i]}: closed={closed} after {after.TotalSeconds:F1} s, {received.Length} bytes received");
            Assert.True(closed, $"{names[i]}: still open after {GiveUp.TotalSeconds} s (HeaderTimeoutSeconds={HeaderTimeoutSeconds})");
            Assert.True(after >= TimeSpan.FromSeconds(HeaderTimeoutSeconds - 0.2), $"{names[i]}: closed after {after.TotalSeconds:F2} s, before the header timeout");
            Assert.True(received.Length == 0, $"{names[i]}: the server sent {received.Length} bytes to an unfinished ClientHello");
        }

        await AssertHealthy(server, https);
    }

    [Theory]
    [InlineData("GET /index.html HTTP/1.1\r\nHost: default.test\r\n\r\n")]
    [InlineData("HEAD / HTTP/1.1\r\nHost: default.test\r\n\r\n")]
    [InlineData("GET / HTTP/1.1\r\nHost: default.test\r\nConnection: keep-alive\r\n\r\nGET / HTTP/1.1\r\nHost: default.test\r\n\r\n")]
    public async Task PlainHttpOnTheTlsPort_Gets400InPlainText_ThenClose(string request)
    {
        using StaticDProcess server = Start(out int https);
        using Socket socket = await HostileSupport.ConnectRawAsync(https);
        await HostileSupport.SendAsync(socket, request);
        (byte[] received, bool closed, _) = await ReadUntilClosed(socket, GiveUp);
        Assert.True(closed, "the connection stayed open after the 400");
        HttpResponse r = HttpResponse.Parse(received);
        HttpAssert.Status(400, r);
        Assert.Contains("close", r.ConnectionTokens);
        // One answer only, even to a pipelined second request; HEAD gets the head alone.
        if (request.StartsWith("HEAD", StringComparison.Ordinal))
        {
            Assert.Empty(r.Body);
        }
        else
        {
            Assert.Contains("A plain HTTP request was sent to the HTTPS port", r.BodyText, StringComparison.Ordinal);
            Assert.Equal(r.ContentLength, r.Body.Length);
        }
        await AssertHealthy(server, https);
    }

    [Fact]
    public async Task PlainHttpOnTheTlsPort_CurlSeesThe400()
    {
        using StaticDProcess server = Start(out int https);
        Web.CurlResult r = await Web.Curl.GetAsync(https, "/index.html");
        Assert.True(r.ExitCode == 0 && r.Status == 400, r.ToString());
        Assert.Contains("A plain HTTP request was sent to the HTTPS port", Encoding.UTF8.GetString(r.Body), StringComparison.Ordinal);
    }

    /// <summary>Bytes that are not a usable ClientHello, each sent then followed by a FIN (or not): the server
    /// closes, sends no plaintext, and serves others throughout.</summary>
    [Fact]
    public async Task GarbageAndBrokenClientHellos_AreClosed_AndTheServerGoesOn()
    {
        using StaticDProcess server = Start(out int https);
        byte[] hello = ClientHello.Bytes;
        var cases = new List<(string Name, byte[] Bytes, bool Fin)>
        {
            ("zeros", new byte[1000], false),
            ("random", RandomBytes(5000), false),
            ("lower-case http", Encoding.ASCII.GetBytes("get / http/1.1\r\nhost: x\r\n\r\n"), false),
            ("SSLv2 hello", [0x80, 0x2e, 0x01, 0x00, 0x02, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10, .. RandomBytes(37)], false),
            ("handshake record, not a hello", [0x16, 0x03, 0x01, 0x00, 0x08, 0x02, 0x00, 0x00, 0x04, 0x03, 0x03, 0x00, 0x00], false),
            ("record longer than TLS allows", [0x16, 0x03, 0x01, 0xff, 0xff, .. RandomBytes(2000)], false),
            ("alert record first", [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28], false),
            ("application data first", [0x17, 0x03, 0x03, 0x00, 0x10, .. RandomBytes(16)], false),
            ("hello with the body corrupted", Corrupt(hello), false),
            ("hello cut short, then FIN", hello[..(hello.Length - 7)], true),
            ("hello header only, then FIN", hello[..9], true),
            ("one byte, then FIN", [0x16], true),
            ("two hellos", [.. hello, .. hello], false),
        };

        var sockets = new List<Socket>();
        try
        {
            foreach ((string _, byte[] bytes, bool fin) in cases)
            {
                Socket s = await HostileSupport.ConnectRawAsync(https);
                sockets.Add(s);
                await HostileSupport.SendAsync(s, bytes);
                if (fin) s.Shutdown(SocketShutdown.Send);
            }

            var results = await Task.WhenAll(sockets.Select(s => ReadUntilClosed(s, GiveUp)));
            for (int i = 0; i < cases.Count; i++)
            {
                (byte[] received, bool closed, TimeSpan after) = results[i];
                _output.WriteLine($"{cases[i].Name}: closed={closed} after {after.TotalSeconds:F2} s, {received.Length} bytes back");
                Assert.True(closed, $"{cases[i].Name}: still open after {GiveUp.TotalSeconds} s");
                // Whatever comes back is TLS (an alert, or a server flight for "two hellos"), never plain HTTP.
                Assert.False(Encoding.Latin1.GetString(received).Contains("HTTP/1.1", StringComparison.Ordinal),
                    $"{cases[i].Name}: the server answered in plain text: {Encoding.Latin1.GetString(received)}");
                if (received.Length > 0) Assert.True(received[0] is 0x15 or 0x16, $"{cases[i].Name}: first byte back 0x{received[0]:x2} is not a TLS record");
            }
        }
        finally
        {
            foreach (Socket s in sockets) s.Dispose();
        }

        await AssertHealthy(server, https);
    }

    private static byte[] RandomBytes(int n)
    {
        byte[] b = new byte[n];
        new Random(n).NextBytes(b);
        return b;
    }

    /// <summary>A ClientHello with its bytes after the record and handshake headers (version, random, lengths…) scrambled.</summary>
    private static byte[] Corrupt(byte[] hello)
    {
        byte[] copy = [.. hello];
        for (int i = 43; i < copy.Length; i += 3) copy[i] ^= 0xA5;
        return copy;
    }

    /// <summary>
    /// At Limits:MaxConnections, TLS connections count like plain ones: with the cap filled by TLS clients a plain
    /// client is refused, and an extra TLS client is closed without a byte (a plain 503 would be garbage to it).
    /// When the TLS clients leave, capacity returns.
    /// </summary>
    [Fact]
    public async Task MaxConnections_CountsTlsConnections_AndAnExtraTlsClientGetsOnlyAClose()
    {
        const int cap = 12;
        using StaticDProcess server = Start(out int https, new JsonObject { ["MaxConnections"] = cap, ["HeaderTimeoutSeconds"] = 10 });
        var held = new List<TlsClient>();
        try
        {
            // Fill the cap with served TLS clients (a slot frees only once the server has seen a client leave, so
            // each is retried until served).
            while (held.Count < cap)
            {
                TlsClient? c = await TryServedTls(https);
                if (c is null) continue;
                held.Add(c);
            }

            // A TLS client beyond the cap: its ClientHello is answered with nothing but a close.
            using (Socket extra = await HostileSupport.ConnectRawAsync(https))
            {
                await HostileSupport.SendAsync(extra, ClientHello.Bytes);
                (byte[] received, bool closed, _) = await ReadUntilClosed(extra, GiveUp);
                Assert.True(closed, "the client beyond MaxConnections was not closed");
                Assert.True(received.Length == 0, $"the client beyond MaxConnections got {received.Length} bytes: {Encoding.Latin1.GetString(received[..Math.Min(received.Length, 80)])}");
            }

            await Assert.ThrowsAnyAsync<Exception>(async () =>
            {
                await using TlsClient refused = await TlsClient.ConnectAsync(https, "default.test");
                await refused.RoundTripAsync(Sites.SitesKit.Get("default.test", "/index.html"));
            });

            // A plain client beyond the cap: the TLS connections are counted, so it is refused too.
            using (Socket plain = await HostileSupport.ConnectRawAsync(server.Port))
            {
                await HostileSupport.SendAsync(plain, Http.Get("/index.html"));
                (byte[] received, bool closed, _) = await ReadUntilClosed(plain, GiveUp);
                Assert.True(closed, "the plain client beyond MaxConnections was not closed");
                string text = Encoding.Latin1.GetString(received);
                Assert.True(received.Length == 0 || text.StartsWith("HTTP/1.1 503 ", StringComparison.Ordinal), $"plain client beyond the cap got: {text}");
            }

            // The held clients are still served.
            foreach (TlsClient c in held)
            {
                HttpAssert.Status(200, await c.RoundTripAsync(Sites.SitesKit.Get("default.test", "/index.html")));
            }
        }
        finally
        {
            foreach (TlsClient c in held) await c.DisposeAsync();
        }

        // Capacity returns once they are gone: cap new TLS clients are all served, all open at once.
        var again = new List<TlsClient>();
        try
        {
            var clock = Stopwatch.StartNew();
            while (again.Count < cap)
            {
                Assert.True(clock.Elapsed < GiveUp, $"only {again.Count} of {cap} TLS clients served after the others left");
                if (await TryServedTls(https) is { } c) again.Add(c);
            }
        }
        finally
        {
            foreach (TlsClient c in again) await c.DisposeAsync();
        }
    }

    /// <summary>A TLS client that got 200, or null (after a short pause) if it was refused.</summary>
    private static async Task<TlsClient?> TryServedTls(int https)
    {
        TlsClient? c = null;
        try
        {
            c = await TlsClient.ConnectAsync(https, "default.test");
            HttpResponse r = await c.RoundTripAsync(Sites.SitesKit.Get("default.test", "/index.html"));
            if (r.Status == 200) return c;
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or SocketException or TimeoutException)
        {
        }

        if (c is not null) await c.DisposeAsync();
        await Task.Delay(50);
        return null;
    }

    /// <summary>
    /// 10,000 handshakes abandoned half way (a full ClientHello, the server's flight read, then a reset; or half a
    /// hello and a reset), after a warm-up burst of as many: afterwards the server holds exactly the descriptors it
    /// held before, and its RSS has grown by less than <see cref="RssBoundBytes"/>.
    /// </summary>
    [Fact]
    public async Task TenThousandAbortedHandshakes_LeakNeitherDescriptorsNorMemory()
    {
        HostileSupport.RaiseOwnFdLimit();
        using StaticDProcess server = Start(out int https, new JsonObject { ["HeaderTimeoutSeconds"] = 10, ["MaxConnections"] = 5000 });
        byte[] hello = ClientHello.Bytes;

        // Warm up with the same attack: the first burst raises the loops' malloc arenas to their high-water mark
        // (see RssBoundBytes); a leak is what grows after that.
        long coldRss = HostileSupport.RssBytes(server.Pid);
        await Abort(https, hello, Aborted);
        await SettledFdCount(server.Pid);
        _output.WriteLine($"warm-up: RSS {coldRss / 1024} KiB -> {HostileSupport.RssBytes(server.Pid) / 1024} KiB after {Aborted} aborted handshakes");
        int baselineFds = await SettledFdCount(server.Pid);
        long baselineRss = HostileSupport.RssBytes(server.Pid);

        var clock = Stopwatch.StartNew();
        int completedFlights = await Abort(https, hello, Aborted);
        TimeSpan took = clock.Elapsed;

        bool fdsBack = await HostileSupport.EventuallyAsync(() => HostileSupport.OpenFdCount(server.Pid) <= baselineFds, TimeSpan.FromSeconds(15));
        int fdsAfter = HostileSupport.OpenFdCount(server.Pid);
        long rssAfter = HostileSupport.RssBytes(server.Pid);
        long growth = rssAfter - baselineRss;
        _output.WriteLine($"{Aborted} aborted handshakes in {took.TotalSeconds:F1} s ({completedFlights} with the server's flight read); " +
                         $"fds {baselineFds} -> {fdsAfter}; RSS {baselineRss / 1024} KiB -> {rssAfter / 1024} KiB ({growth / 1024:+#;-#;0} KiB, " +
                         $"{(double)growth / Aborted:F0} bytes per handshake)");
        Assert.True(fdsBack, $"descriptors did not return to {baselineFds} (now {fdsAfter}):\n{HostileSupport.DescribeFds(server.Pid)}");
        Assert.True(growth < RssBoundBytes, $"RSS grew by {growth / 1024} KiB over {Aborted} aborted handshakes (bound {RssBoundBytes / 1024} KiB)");
        Assert.True(completedFlights >= Aborted / 4, $"only {completedFlights} handshakes got as far as the server's flight");
        await AssertHealthy(server, https);
    }

    private const int Aborted = 10_000;

    /// <summary>
    /// 48 MiB over 10,000 handshakes is 4.9 KiB each, less than what one leaked handshake would hold (OpenSSL's SSL
    /// object is ~6 KiB, and a session abandoned mid-handshake still has its 16 KiB read buffer and handshake
    /// state): a per-handshake leak fails, while the allocator's high-water mark does not. Measured, 8 at a time:
    /// the warm-up takes RSS from 17.0 to 24.0 MiB, the 10,000 measured add 8 KiB. With 32 at a time on a loaded
    /// machine the first bursts add 55-110 MiB (the loops' malloc arenas, sized by how many handshakes were in
    /// flight at once) and RSS then stays flat (137 MiB over 60,000 more): a high-water mark, not a leak.
    /// </summary>
    private const long RssBoundBytes = 48L * 1024 * 1024;

    private static async Task<int> SettledFdCount(int pid)
    {
        // The last aborted connections close as the loops see their resets; wait for the count to stop falling.
        int last = HostileSupport.OpenFdCount(pid);
        for (int i = 0; i < 50; i++)
        {
            await Task.Delay(100);
            int now = HostileSupport.OpenFdCount(pid);
            if (now == last) return now;
            last = now;
        }

        return last;
    }

    /// <summary><paramref name="count"/> aborted handshakes, 8 at a time (a few in flight, as a leak needs no crowd): two in three send the whole ClientHello
    /// and read the start of the server's answer before resetting; the rest reset after half a hello. Returns how
    /// many got an answer.</summary>
    private static async Task<int> Abort(int https, byte[] hello, int count)
    {
        int next = -1, flights = 0;
        async Task Worker()
        {
            byte[] scratch = new byte[16 * 1024];
            while (Interlocked.Increment(ref next) < count)
            {
                Socket s = await HostileSupport.ConnectRawAsync(https);
                try
                {
                    if (next % 3 == 2)
                    {
                        await HostileSupport.SendAsync(s, hello.AsMemory(0, hello.Length / 2));
                    }
                    else
                    {
                        await HostileSupport.SendAsync(s, hello);
                        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                        if (await s.ReceiveAsync(scratch, SocketFlags.None, cts.Token) > 0) Interlocked.Increment(ref flights);
                    }
                }
                finally
                {
                    HostileSupport.Reset(s);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(Worker)));
        return flights;
    }
}
