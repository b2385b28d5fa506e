using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace StaticD.IntegrationTests;

/// <summary>Builders for raw request text; nothing is normalised so malformed input reaches the server verbatim.</summary>
public static class Http
{
    public const string Host = "staticd.test";

    public static string Get(string target, params string[] headers) => Request("GET", target, headers);

    public static string Head(string target, params string[] headers) => Request("HEAD", target, headers);

    public static string Request(string method, string target, params string[] headers)
    {
        var sb = new StringBuilder();
        sb.Append(method).Append(' ').Append(target).Append(" HTTP/1.1\r\n");
        sb.Append("Host: ").Append(Host).Append("\r\n");
        foreach (var h in headers)
        {
            sb.Append(h).Append("\r\n");
        }

        return sb.Append("\r\n").ToString();
    }

    /// <summary>IMF-fixdate, the preferred HTTP date: "Sun, 06 Nov 1994 08:49:37 GMT".</summary>
    public static string ImfDate(DateTime utc) => utc.ToString("r", CultureInfo.InvariantCulture);

    /// <summary>RFC 850 date as RFC 9110 §5.6.7 spells it: "Sunday, 06-Nov-94 08:49:37 GMT".</summary>
    public static string Rfc850Date(DateTime utc) =>
        utc.ToString("dddd, dd'-'MMM'-'yy HH:mm:ss 'GMT'", CultureInfo.InvariantCulture);

    /// <summary>asctime() date: "Sun Nov  6 08:49:37 1994" (day space-padded to two characters).</summary>
    public static string AsctimeDate(DateTime utc) =>
        utc.ToString("ddd MMM ", CultureInfo.InvariantCulture)
        + utc.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2, ' ')
        + utc.ToString(" HH:mm:ss yyyy", CultureInfo.InvariantCulture);
}

/// <summary>
/// A deliberately dumb HTTP/1.1 client on a raw socket. Every read has a hard timeout so a
/// hung server fails a test instead of hanging the run; responses are framed by
/// Content-Length (or chunked, or close) exactly as received, which lets tests read
/// several pipelined responses in sequence and detect stray body bytes after HEAD.
/// </summary>
public sealed class RawHttpClient : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private const int MaxHeadBytes = 1 << 20;
    private readonly Socket _socket;
    private byte[] _buf = new byte[64 * 1024];
    private int _start;
    private int _end;
    private bool _eof;

    private RawHttpClient(Socket socket) => _socket = socket;

    public TimeSpan ReadTimeout { get; set; } = DefaultTimeout;

    /// <summary>Set when the last end-of-stream was a TCP reset rather than an orderly FIN.</summary>
    public bool ClosedByReset { get; private set; }

    public Socket Socket => _socket;

    /// <param name="receiveBufferSize">Set before connecting so the advertised TCP window really is small.</param>
    public static async Task<RawHttpClient> ConnectAsync(int port, int? receiveBufferSize = null, IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } size)
        {
            socket.ReceiveBufferSize = size;
        }

        using var cts = new CancellationTokenSource(DefaultTimeout);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(address, port), cts.Token);
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            throw new TimeoutException($"connect to {address}:{port} did not complete within {DefaultTimeout.TotalSeconds} s");
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new RawHttpClient(socket);
    }

    /// <summary>Connects to a unix stream socket at <paramref name="path"/> (the metrics listener's "unix:PATH").</summary>
    public static async Task<RawHttpClient> ConnectUnixAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var cts = new CancellationTokenSource(DefaultTimeout);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cts.Token);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return new RawHttpClient(socket);
    }

    /// <summary>Sends text as Latin-1 so every char maps to exactly one byte on the wire.</summary>
    public Task SendAsync(string text) => SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(ReadOnlyMemory<byte> data)
    {
        using var cts = new CancellationTokenSource(DefaultTimeout);
        while (!data.IsEmpty)
        {
            int n;
            try
            {
                n = await _socket.SendAsync(data, SocketFlags.None, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"send did not complete within {DefaultTimeout.TotalSeconds} s (server not reading?)");
            }

            data = data[n..];
        }
    }

    /// <summary>One send() per byte with a pause, so the server sees every possible split point.</summary>
    public async Task SendByteByByteAsync(string text, TimeSpan pause)
    {
        foreach (var b in Encoding.Latin1.GetBytes(text))
        {
            await SendAsync(new[] { b });
            await Task.Delay(pause);
        }
    }

    public async Task<HttpResponse> RoundTripAsync(string request, bool isHead = false)
    {
        await SendAsync(request);
        return await ReadResponseAsync(isHead);
    }

    /// <summary>Reads one full response. <paramref name="isHead"/>: the request was HEAD, so no body follows.</summary>
    public async Task<HttpResponse> ReadResponseAsync(bool isHead = false)
    {
        var response = await ReadResponseHeadAsync();
        if (isHead || response.Status is (>= 100 and < 200) or 204 or 304)
        {
            return response;
        }

        using var body = new MemoryStream();
        if (response.Header("Transfer-Encoding") is { } te && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            await ReadChunkedAsync(body);
        }
        else if (response.ContentLength is { } length)
        {
            await ReadBodyAsync(length, chunk =>
            {
                body.Write(chunk.Span);
                return ValueTask.CompletedTask;
            });
        }
        else
        {
            while (await FillAsync())
            {
                body.Write(_buf, _start, _end - _start);
                _start = _end;
            }

            response.BodyDelimitedByClose = true;
        }

        response.Body = body.ToArray();
        return response;
    }

    /// <summary>Reads status line and headers only; the body (if any) is left for <see cref="ReadBodyAsync"/>.</summary>
    public async Task<HttpResponse> ReadResponseHeadAsync()
    {
        while (true)
        {
            var idx = _buf.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
            if (idx >= 0)
            {
                var head = Encoding.Latin1.GetString(_buf, _start, idx + 4);
                _start += idx + 4;
                return HttpResponse.ParseHead(head);
            }

            if (!await FillAsync())
            {
                var partial = Encoding.Latin1.GetString(_buf, _start, _end - _start);
                throw new IOException(partial.Length == 0
                    ? $"server closed the connection ({(ClosedByReset ? "reset" : "FIN")}) without sending a response"
                    : $"server closed the connection in the middle of a response head: {partial}");
            }
        }
    }

    /// <summary>
    /// Streams exactly <paramref name="length"/> body bytes to <paramref name="sink"/>, one receive
    /// (at most 64 KiB) at a time. Returns the bytes delivered; if the server closes early this
    /// throws unless <paramref name="throwOnEarlyClose"/> is false.
    /// </summary>
    public async Task<long> ReadBodyAsync(long length, Func<ReadOnlyMemory<byte>, ValueTask> sink, bool throwOnEarlyClose = true)
    {
        long read = 0;
        while (read < length)
        {
            if (_start == _end && !await FillAsync())
            {
                if (throwOnEarlyClose)
                {
                    throw new IOException($"server closed the connection after {read} of {length} body bytes");
                }

                return read;
            }

            var take = (int)Math.Min(_end - _start, length - read);
            await sink(_buf.AsMemory(_start, take));
            _start += take;
            read += take;
        }

        return read;
    }

    /// <summary>
    /// True if the server closes the connection (FIN or RST) within <paramref name="timeout"/>,
    /// false if it is still open. Any data arriving instead is a protocol error and throws.
    /// </summary>
    public async Task<bool> WaitForCloseAsync(TimeSpan timeout)
    {
        if (_start != _end)
        {
            throw new InvalidOperationException(
                "unexpected bytes after the last response: " + Encoding.Latin1.GetString(_buf, _start, Math.Min(_end - _start, 300)));
        }

        if (_eof)
        {
            return true;
        }

        int n;
        try
        {
            n = await ReceiveAsync(_buf.AsMemory(0, _buf.Length), timeout);
        }
        catch (TimeoutException)
        {
            return false;
        }

        if (n == 0)
        {
            _eof = true;
            return true;
        }

        throw new InvalidOperationException(
            "expected the connection to close, but the server sent: " + Encoding.Latin1.GetString(_buf, 0, Math.Min(n, 300)));
    }

    private async Task ReadChunkedAsync(MemoryStream body)
    {
        while (true)
        {
            var sizeLine = await ReadLineAsync();
            var semi = sizeLine.IndexOf(';');
            var size = long.Parse(semi >= 0 ? sizeLine[..semi] : sizeLine, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0)
            {
                while ((await ReadLineAsync()).Length != 0)
                {
                }

                return;
            }

            await ReadBodyAsync(size, chunk =>
            {
                body.Write(chunk.Span);
                return ValueTask.CompletedTask;
            });
            if ((await ReadLineAsync()).Length != 0)
            {
                throw new FormatException("chunk data not followed by CRLF");
            }
        }
    }

    private async Task<string> ReadLineAsync()
    {
        while (true)
        {
            var idx = _buf.AsSpan(_start, _end - _start).IndexOf("\r\n"u8);
            if (idx >= 0)
            {
                var line = Encoding.Latin1.GetString(_buf, _start, idx);
                _start += idx + 2;
                return line;
            }

            if (!await FillAsync())
            {
                throw new IOException("server closed the connection inside chunked framing");
            }
        }
    }

    /// <summary>Appends at least one byte to the buffer; false at end of stream.</summary>
    private async Task<bool> FillAsync()
    {
        if (_eof)
        {
            return false;
        }

        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buf.Length)
        {
            var live = _end - _start;
            if (_start == 0)
            {
                if (_buf.Length >= MaxHeadBytes)
                {
                    throw new InvalidOperationException($"response head larger than {MaxHeadBytes} bytes");
                }

                Array.Resize(ref _buf, _buf.Length * 2);
            }
            else
            {
                Buffer.BlockCopy(_buf, _start, _buf, 0, live);
                _start = 0;
                _end = live;
            }
        }

        var n = await ReceiveAsync(_buf.AsMemory(_end), ReadTimeout);
        if (n == 0)
        {
            _eof = true;
            return false;
        }

        _end += n;
        return true;
    }

    private async Task<int> ReceiveAsync(Memory<byte> into, TimeSpan timeout)
    {
        // Cap each receive at 64 KiB: tests that emulate slow readers rely on small reads.
        if (into.Length > 64 * 1024)
        {
            into = into[..(64 * 1024)];
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _socket.ReceiveAsync(into, SocketFlags.None, cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no data from the server within {timeout.TotalSeconds} s");
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            ClosedByReset = true;
            return 0;
        }
    }

    public void Dispose() => _socket.Dispose();
}
