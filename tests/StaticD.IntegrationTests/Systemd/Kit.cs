using System.Diagnostics;
using System.Net.Sockets;
using Xunit;

namespace StaticD.IntegrationTests.Systemd;

/// <summary>Small pieces the systemd tests share.</summary>
internal static class Kit
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public const string Ready = "READY=1\nSTATUS=Serving";
    public const string FdStore = "FDSTORE=1\nFDNAME=staticd-listen";
    public const string Stopping = "STOPPING=1\nSTATUS=Finishing responses in flight";

    /// <summary>staticd with NOTIFY_SOCKET pointing at <paramref name="notify"/>, once READY=1 has arrived.</summary>
    public static ChildProcess StartNotified(SiteConfig site, NotifyListener notify, Dictionary<string, string>? environment = null)
    {
        var env = new Dictionary<string, string>(environment ?? []) { ["NOTIFY_SOCKET"] = notify.Path };
        var server = ServiceProcess.StartStaticD(site.Path, env);
        try
        {
            notify.WaitForText(Ready, Timeout);
            return server;
        }
        catch (TimeoutException e)
        {
            server.Dispose();
            throw new TimeoutException(e.Message + "\n" + server.Output);
        }
    }

    public static async Task<HttpResponse> GetAsync(int port, string target, params string[] headers)
    {
        using var client = await RawHttpClient.ConnectAsync(port);
        return await client.RoundTripAsync(Http.Get(target, headers));
    }

    /// <summary>True if a TCP connect to 127.0.0.1:<paramref name="port"/> is refused.</summary>
    public static bool IsRefused(int port)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Connect(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port));
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
    }

    /// <summary>SIGTERM and wait for exit code 0.</summary>
    public static void Stop(ChildProcess server)
    {
        server.Signal(TestLibc.SIGTERM);
        Assert.True(server.WaitForExit(Timeout), "staticd did not exit on SIGTERM\n" + server.Output);
        Assert.True(server.ExitCode == 0, $"exit code {server.ExitCode}\n{server.Output}");
    }
}

/// <summary>
/// Clients requesting as fast as they can until stopped, each failure recorded with its reason: the measure of
/// "no request fails" across a reload or a restart. Each client uses a fresh connection per request
/// (<paramref name="keepAlive"/> false: what a restart must not refuse) or keeps one open (a reload must not
/// close it). <paramref name="request"/> replaces the plain GET of <paramref name="target"/> (another Host), and
/// <see cref="Connects"/> counts every (re)connect.
/// </summary>
internal sealed class LoadClients : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _clients;
    private readonly List<string> _failures = [];
    private long _ok, _connects;

    public LoadClients(int port, string target, int clients, bool keepAlive, Action<HttpResponse>? check = null, string? request = null)
    {
        _clients = Enumerable.Range(0, clients).Select(_ => Task.Run(() => Run(port, request ?? Http.Get(target), keepAlive, check))).ToArray();
    }

    public long Succeeded => Interlocked.Read(ref _ok);

    public long Connects => Interlocked.Read(ref _connects);

    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_failures) return [.. _failures];
        }
    }

    private async Task Run(int port, string request, bool keepAlive, Action<HttpResponse>? check)
    {
        RawHttpClient? client = null;
        while (!_stop.IsCancellationRequested)
        {
            var clock = Stopwatch.StartNew();
            try
            {
                if (client is null)
                {
                    client = await RawHttpClient.ConnectAsync(port);
                    Interlocked.Increment(ref _connects);
                }
                HttpResponse response = await client.RoundTripAsync(request);
                if (response.Status != 200) throw new InvalidOperationException($"status {response.Status}");
                check?.Invoke(response);
                Interlocked.Increment(ref _ok);
                if (!keepAlive || response.ConnectionTokens.Contains("close"))
                {
                    client.Dispose();
                    client = null;
                }
            }
            catch (Exception e)
            {
                lock (_failures) _failures.Add($"{e.GetType().Name}: {e.Message} (after {clock.ElapsedMilliseconds} ms)");
                client?.Dispose();
                client = null;
            }
        }
        client?.Dispose();
    }

    /// <summary>Waits until at least <paramref name="more"/> further requests have succeeded.</summary>
    public async Task WaitForProgressAsync(long more)
    {
        long target = Succeeded + more;
        var clock = Stopwatch.StartNew();
        while (Succeeded < target)
        {
            if (clock.Elapsed > Kit.Timeout) throw new TimeoutException($"load made no progress: {Succeeded} ok, failures: {string.Join("; ", Failures)}");
            await Task.Delay(10);
        }
    }

    public async Task StopAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_clients);
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
