using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace StaticD.IntegrationTests.Hostile;

/// <summary>Helpers shared by the attack tests: health checks, /proc probes, rlimits, raw sockets.</summary>
internal static class HostileSupport
{
    public const string IndexHtml = "<!doctype html><title>staticd</title><p>hello</p>\n";

    /// <summary>The check every attack ends with: the process is alive and a fresh client gets 200 quickly.</summary>
    public static async Task AssertHealthyAsync(StaticDProcess server, string target = "/index.html")
    {
        Assert.False(server.HasExited, $"staticd exited (code {(server.HasExited ? server.ExitCode : 0)})\n{server.Output}");
        var sw = Stopwatch.StartNew();
        using var client = await RawHttpClient.ConnectAsync(server.Port);
        client.ReadTimeout = TimeSpan.FromSeconds(5);
        var r = await client.RoundTripAsync(Http.Get(target));
        HttpAssert.Status(200, r);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(2), $"a normal request took {sw.Elapsed}");
        Assert.False(server.HasExited, "staticd exited");
    }

    public static int OpenFdCount(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    /// <summary>Open socket descriptors (listeners and connections); files the server caches are not counted.</summary>
    public static int OpenSocketCount(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Count(f =>
    {
        try
        {
            return new FileInfo(f).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true;
        }
        catch (IOException)
        {
            return false;
        }
    });

    /// <summary>Every open descriptor with its target, for failure messages.</summary>
    public static string DescribeFds(int pid) => string.Join("\n", Directory.GetFileSystemEntries($"/proc/{pid}/fd").Select(f =>
    {
        try
        {
            return $"{Path.GetFileName(f)} -> {new FileInfo(f).LinkTarget}";
        }
        catch (IOException)
        {
            return Path.GetFileName(f) + " -> (gone)";
        }
    }));

    /// <summary>VmRSS of a process in bytes.</summary>
    public static long RssBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException("no VmRSS in /proc/" + pid + "/status");
    }

    /// <summary>Polls until <paramref name="condition"/> holds or <paramref name="timeout"/> passes; returns whether it held.</summary>
    /// <summary>
    /// Connects and asks for /index.html until the answer is 200, and returns that open connection. Under
    /// MaxConnections a slot comes back only once the server has seen the previous client hang up, which takes a
    /// moment (longer on a busy machine); this waits for it instead of guessing with a fixed sleep.
    /// </summary>
    public static async Task<RawHttpClient> ConnectServedAsync(int port, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        string last = "nothing";
        while (true)
        {
            var client = await RawHttpClient.ConnectAsync(port);
            try
            {
                var response = await client.RoundTripAsync(Http.Get("/index.html"));
                if (response.Status == 200) return client;
                last = $"status {response.Status}";
            }
            catch (Exception e) when (e is IOException or SocketException or TimeoutException)
            {
                last = e.GetType().Name + ": " + e.Message;
            }
            client.Dispose();
            if (clock.Elapsed > timeout) throw new Xunit.Sdk.XunitException($"no 200 from :{port} within {timeout.TotalSeconds} s; last: {last}");
            await Task.Delay(100);
        }
    }

    public static async Task<bool> EventuallyAsync(Func<bool> condition, TimeSpan timeout, int pollMs = 100)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (condition())
            {
                return true;
            }

            if (sw.Elapsed > timeout)
            {
                return false;
            }

            await Task.Delay(pollMs);
        }
    }

    // ── rlimits ──────────────────────────────────────────────────────────────────────────────────────

    /// <summary>Raises this test process's soft RLIMIT_NOFILE to its hard limit; returns the new soft limit.</summary>
    public static ulong RaiseOwnFdLimit()
    {
        var current = TestLibc.GetLimit(0, TestLibc.RLIMIT_NOFILE);
        TestLibc.SetLimit(0, TestLibc.RLIMIT_NOFILE, new TestLibc.RLimit { Soft = current.Hard, Hard = current.Hard });
        return current.Hard;
    }

    /// <summary>Sets another process's RLIMIT_NOFILE (soft and hard), like `prlimit --pid PID --nofile=N:N`.</summary>
    public static void SetFdLimit(int pid, ulong limit) =>
        TestLibc.SetLimit(pid, TestLibc.RLIMIT_NOFILE, new TestLibc.RLimit { Soft = limit, Hard = limit });

    // ── raw sockets (cheap: no 64 KiB client buffer per connection) ───────────────────────────────────

    public static async Task<Socket> ConnectRawAsync(int port, int? receiveBufferSize = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } size)
        {
            socket.ReceiveBufferSize = size;
        }

        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cts.Token);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static Task SendAsync(Socket socket, string text) => SendAsync(socket, Encoding.Latin1.GetBytes(text));

    public static async Task SendAsync(Socket socket, ReadOnlyMemory<byte> data)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!data.IsEmpty)
        {
            data = data[await socket.SendAsync(data, SocketFlags.None, cts.Token)..];
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes into <paramref name="scratch"/> (reused), or throws.</summary>
    public static async Task ReadExactlyAsync(Socket socket, int count, byte[] scratch, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        int got = 0;
        while (got < count)
        {
            int n = await socket.ReceiveAsync(scratch.AsMemory(0, Math.Min(scratch.Length, count - got)), SocketFlags.None, cts.Token);
            if (n == 0)
            {
                throw new IOException($"server closed after {got} of {count} bytes");
            }

            got += n;
        }
    }

    /// <summary>
    /// True if the server closes within <paramref name="timeout"/> (FIN or RST), discarding any bytes it sends;
    /// false if the socket is still open then.
    /// </summary>
    public static async Task<bool> DrainUntilClosedAsync(Socket socket, TimeSpan timeout)
    {
        var buffer = new byte[64 * 1024];
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                if (await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (SocketException)
        {
            return true;
        }
    }

    /// <summary>Closes with a TCP reset instead of a FIN (SO_LINGER with a zero timeout).</summary>
    public static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
        }

        socket.Dispose();
    }
}
