using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StaticD.Hosting;
using StaticD.Interop;
using StaticD.Net;

namespace StaticD;

/// <summary>
/// The hosted service that owns the event loops: StartAsync binds every listener and starts every loop before it
/// returns (so systemd's READY=1, sent after it, means "serving"); StopAsync stops accepting, lets responses in
/// flight finish within ShutdownTimeoutSeconds and joins the loop threads.
/// </summary>
internal sealed class ServerService(ServerContext context, ILoggerFactory loggerFactory) : IHostedService
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("StaticD");
    private EventLoop[] _loops = [];

    public Task StartAsync(CancellationToken cancellationToken)
    {
        ServerOptions options = context.Options;
        List<IPEndPoint> endPoints = ChooseEndPoints(options);

        var loops = new List<EventLoop>();
        try
        {
            for (int i = 0; i < options.Loops; i++)
            {
                var listeners = new Listener[endPoints.Count];
                for (int j = 0; j < endPoints.Count; j++) listeners[j] = Listener.Bind(endPoints[j], reusePort: true);
                loops.Add(new EventLoop(i, context, listeners, _logger));
            }
        }
        catch
        {
            foreach (EventLoop loop in loops) loop.Dispose();
            throw;
        }
        _loops = [.. loops];
        foreach (EventLoop loop in _loops) loop.Start();

        Log.Started(_logger, Program.Version, string.Join(", ", endPoints.Select(e => "http://" + ListenException.Format(e))),
            options.Root, options.Loops);
        return Task.CompletedTask;
    }

    /// <summary>Checks each address once without SO_REUSEPORT (see <see cref="Listener.ProbeExclusive"/>). With the
    /// default address list, a host without IPv6 is served on IPv4 alone rather than not at all.</summary>
    private List<IPEndPoint> ChooseEndPoints(ServerOptions options)
    {
        var result = new List<IPEndPoint>();
        foreach (IPAddress address in options.Listen)
        {
            var endPoint = new IPEndPoint(address, options.Port);
            try
            {
                Listener.ProbeExclusive(endPoint);
                result.Add(endPoint);
            }
            catch (ListenException ex) when (options.ListenIsDefault && address.AddressFamily == AddressFamily.InterNetworkV6 &&
                                             ex.Errno is Errno.EAFNOSUPPORT or Errno.EADDRNOTAVAIL)
            {
                Log.NoIPv6(_logger, ex.Errno.Describe());
            }
        }
        return result;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Log.Stopping(_logger, context.Options.ShutdownTimeoutSeconds);
        foreach (EventLoop loop in _loops) loop.RequestStop();
        // Each loop enforces the shutdown timeout itself; the extra seconds only guard against a wedged loop.
        TimeSpan limit = TimeSpan.FromSeconds(context.Options.ShutdownTimeoutSeconds + 2);
        foreach (EventLoop loop in _loops) loop.Join(limit);
        foreach (EventLoop loop in _loops) loop.Dispose();
        Log.Stopped(_logger);
        return Task.CompletedTask;
    }
}
