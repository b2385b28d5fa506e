using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace StaticD.IntegrationTests;

/// <summary>One parsed HTTP response.</summary>
public sealed class HttpResponse
{
    public required string RawHead { get; init; }
    public required string Version { get; init; }
    public required int Status { get; init; }
    public required string Reason { get; init; }

    /// <summary>Case-insensitive; repeated fields are joined with ", " as RFC 9110 allows.</summary>
    public required Dictionary<string, string> Headers { get; init; }

    public byte[] Body { get; set; } = [];

    /// <summary>True when the body had no Content-Length/chunked framing and ran until the server closed.</summary>
    public bool BodyDelimitedByClose { get; set; }

    public string BodyText => Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    public long? ContentLength =>
        Header("Content-Length") is { } v ? long.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture) : null;

    /// <summary>Connection header tokens, lower-cased.</summary>
    public IReadOnlyList<string> ConnectionTokens =>
        (Header("Connection") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(t => t.ToLowerInvariant()).ToArray();

    public override string ToString()
    {
        var preview = Body.Length <= 512 ? BodyText : Encoding.UTF8.GetString(Body, 0, 512) + "...";
        return RawHead + preview;
    }
}

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
                return ParseHead(head);
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

    private static HttpResponse ParseHead(string head)
    {
        var lines = head[..^4].Split("\r\n");
        var statusParts = lines[0].Split(' ', 3);
        if (statusParts.Length < 2 || !statusParts[0].StartsWith("HTTP/", StringComparison.Ordinal)
            || !int.TryParse(statusParts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
        {
            throw new FormatException($"malformed status line: '{lines[0]}'\n{head}");
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                throw new FormatException($"malformed header line: '{line}'\n{head}");
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            headers[name] = headers.TryGetValue(name, out var existing) ? existing + ", " + value : value;
        }

        return new HttpResponse
        {
            RawHead = head,
            Version = statusParts[0],
            Status = status,
            Reason = statusParts.Length > 2 ? statusParts[2] : "",
            Headers = headers,
        };
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
