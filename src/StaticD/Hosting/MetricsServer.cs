using System.Text;
using Microsoft.Extensions.Logging;
using StaticD.Interop;
using StaticD.Logging;
using StaticD.Net;

namespace StaticD.Hosting;

/// <summary>
/// The metrics listener (<c>StaticD:Metrics:Listen</c>): its own socket (TCP, or a unix socket whose file gets
/// <see cref="UnixSocketMode"/>) and its own small thread, never an event loop's, so a scrape cannot slow serving. One connection at a time, one request per connection: read the head
/// (at most <see cref="MaxRequestBytes"/>, within <see cref="TimeoutMs"/>), answer <c>GET /metrics</c> (HEAD too)
/// with the exposition and anything else with 404 or 405, always with <c>Connection: close</c>, then close.
/// </summary>
internal sealed class MetricsServer : IDisposable
{
    public const int MaxRequestBytes = 4096;
    public const int TimeoutMs = 2000;

    /// <summary>0660: the staticd user and its group may connect, nobody else. A scraper on the same host joins
    /// the group (usermod -aG staticd prometheus) rather than the socket being open to every local user.</summary>
    public const UnixFileMode UnixSocketMode =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    /// <summary>The listening socket: a <see cref="Listener"/> or a <see cref="UnixListener"/>.</summary>
    private readonly IDisposable _socket;
    private readonly int _listenFd;
    private readonly MetricsRegistry _registry;
    private readonly ILogger _logger;
    private readonly int _wakeFd;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private readonly byte[] _request = new byte[MaxRequestBytes];

    /// <summary>Binds <paramref name="address"/> (throws <see cref="ListenException"/>) and starts the thread.</summary>
    public MetricsServer(MetricsAddress address, MetricsRegistry registry, ILogger logger)
    {
        _registry = registry;
        _logger = logger;
        _wakeFd = Syscall.CreateEventFd(out Errno errno);
        if (_wakeFd < 0) throw new InvalidOperationException($"eventfd: {errno.Describe()}");
        try
        {
            if (address.UnixPath is { } path)
            {
                var unix = UnixListener.Bind(path, UnixSocketMode);
                (_socket, _listenFd) = (unix, unix.Fd);
            }
            else
            {
                var tcp = Listener.Bind(address.EndPoint!, reusePort: false);
                (_socket, _listenFd) = (tcp, tcp.Fd);
            }
        }
        catch
        {
            Syscall.Close(_wakeFd);
            throw;
        }
        Address = address;
        _thread = new Thread(Run) { Name = "staticd-metrics", IsBackground = true };
        _thread.Start();
    }

    public MetricsAddress Address { get; }

    private void Run()
    {
        while (!_stopping)
        {
            if (!Syscall.WaitReadable(_listenFd, _wakeFd, -1, out bool ready, out _, out Errno errno))
            {
                Log.MetricsFailed(_logger, "poll", errno.Describe());
                Thread.Sleep(100);
                continue;
            }
            if (_stopping || !ready) continue;
            while (!_stopping)
            {
                int fd = Syscall.Accept(_listenFd, out _, out errno);
                if (fd < 0)
                {
                    if (errno is Errno.EMFILE or Errno.ENFILE or Errno.ENOBUFS or Errno.ENOMEM) Thread.Sleep(100);
                    if (errno != Errno.ECONNABORTED) break;
                    continue;
                }
                try
                {
                    Serve(fd);
                }
                catch (Exception ex)
                {
                    Log.MetricsFailed(_logger, "scrape", ex.Message);
                }
                finally
                {
                    Syscall.Close(fd);
                }
            }
        }
    }

    private void Serve(int fd)
    {
        long deadline = Environment.TickCount64 + TimeoutMs;
        int length = 0;
        int end;
        while ((end = _request.AsSpan(0, length).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (length == _request.Length) return; // too large: not a scrape
            nint n = Syscall.Recv(fd, _request.AsSpan(length), out Errno errno);
            if (n > 0)
            {
                length += (int)n;
                continue;
            }
            if (n == 0 || errno != Errno.EAGAIN) return;
            int left = (int)(deadline - Environment.TickCount64);
            if (left <= 0 || !Syscall.WaitReadable(fd, -1, left, out bool ready, out _, out _) || !ready) return;
        }
        byte[] response = Respond(_request.AsSpan(0, end), _registry);
        SendAll(fd, response, deadline);
    }

    /// <summary>The whole response to a request head (its request line decides): the exposition for GET or HEAD
    /// of /metrics (a query is ignored), else 404, 405 or 400.</summary>
    internal static byte[] Respond(ReadOnlySpan<byte> head, MetricsRegistry registry)
    {
        int lineEnd = head.IndexOf("\r\n"u8);
        ReadOnlySpan<byte> line = lineEnd < 0 ? head : head[..lineEnd];
        int sp1 = line.IndexOf((byte)' ');
        int sp2 = sp1 < 0 ? -1 : line[(sp1 + 1)..].IndexOf((byte)' ');
        if (sp1 <= 0 || sp2 <= 0 || !line[(sp1 + 1 + sp2 + 1)..].StartsWith("HTTP/1."u8))
            return Simple(400, "Bad Request", null, head: false);
        ReadOnlySpan<byte> method = line[..sp1];
        ReadOnlySpan<byte> target = line.Slice(sp1 + 1, sp2);
        int query = target.IndexOf((byte)'?');
        if (query >= 0) target = target[..query];
        bool isHead = method.SequenceEqual("HEAD"u8);
        if (!target.SequenceEqual("/metrics"u8)) return Simple(404, "Not Found", null, isHead);
        if (!isHead && !method.SequenceEqual("GET"u8)) return Simple(405, "Method Not Allowed", "Allow: GET, HEAD\r\n", head: false);
        byte[] body = registry.Scrape();
        string start = $"HTTP/1.1 200 OK\r\n{Common()}Content-Type: {MetricsRegistry.ContentType}\r\nContent-Length: {body.Length}\r\n" +
                       "Cache-Control: no-store\r\nConnection: close\r\n\r\n";
        int headLength = Encoding.ASCII.GetByteCount(start);
        var response = new byte[headLength + (isHead ? 0 : body.Length)];
        Encoding.ASCII.GetBytes(start, response);
        if (!isHead) body.CopyTo(response, headLength);
        return response;
    }

    private static byte[] Simple(int status, string reason, string? extra, bool head)
    {
        string body = $"{status} {reason}\n";
        string text = $"HTTP/1.1 {status} {reason}\r\n{Common()}Content-Type: text/plain; charset=utf-8\r\nContent-Length: {body.Length}\r\n" +
                      $"{extra}Connection: close\r\n\r\n{(head ? "" : body)}";
        return Encoding.ASCII.GetBytes(text);
    }

    private static string Common() =>
        $"Server: staticd\r\nDate: {DateTime.UtcNow.ToString("r", System.Globalization.CultureInfo.InvariantCulture)}\r\n";

    private static void SendAll(int fd, ReadOnlySpan<byte> data, long deadline)
    {
        while (!data.IsEmpty)
        {
            nint n = Syscall.Send(fd, data, more: false, out Errno errno);
            if (n > 0)
            {
                data = data[(int)n..];
                continue;
            }
            if (n < 0 && errno != Errno.EAGAIN) return;
            int left = (int)(deadline - Environment.TickCount64);
            if (left <= 0 || !Syscall.WaitWritable(fd, left)) return;
        }
    }

    public void Dispose()
    {
        _stopping = true;
        Syscall.WriteCounter(_wakeFd, 1);
        _thread.Join(TimeSpan.FromSeconds(5));
        _socket.Dispose();
        Syscall.Close(_wakeFd);
    }
}
