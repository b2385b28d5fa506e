using System.Net;
using System.Net.Sockets;

namespace StaticD.IntegrationTests.Acme;

/// <summary>
/// A TCP proxy on another loopback address that holds every connection it accepts until <see cref="Release"/>, then
/// joins it to the real server: pointed at by pebble's DNS, it keeps a validation request waiting, so a test can
/// look at staticd while an order is certainly in progress (not yet validated), and then let the order finish.
/// </summary>
internal sealed class HeldProxy : IDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];
    private int _accepted;

    public HeldProxy(IPAddress address, int port, IPEndPoint target)
    {
        _target = target;
        _listener = new TcpListener(address, port);
        _listener.Start();
        _ = AcceptLoop();
    }

    /// <summary>Connections accepted so far.</summary>
    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Joins the held connections (and every later one) to the target.</summary>
    public void Release() => _released.TrySetResult();

    private async Task AcceptLoop()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_clients) _clients.Add(client);
                Interlocked.Increment(ref _accepted);
                _ = Join(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task Join(TcpClient client)
    {
        try
        {
            await _released.Task.WaitAsync(_stop.Token);
            using var upstream = new TcpClient();
            await upstream.ConnectAsync(_target, _stop.Token);
            NetworkStream a = client.GetStream(), b = upstream.GetStream();
            Task up = Pump(a, b), down = Pump(b, a);
            await Task.WhenAny(up, down);
            await Task.WhenAll(up, down).WaitAsync(TimeSpan.FromSeconds(10), _stop.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException or TimeoutException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }

    /// <summary>Copies until end of file, then half-closes the other side (an HTTP/1.0-style exchange ends so).</summary>
    private async Task Pump(NetworkStream from, NetworkStream to)
    {
        await from.CopyToAsync(to, _stop.Token);
        to.Socket.Shutdown(SocketShutdown.Send);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        lock (_clients)
        {
            foreach (TcpClient c in _clients) c.Dispose();
        }
    }
}
