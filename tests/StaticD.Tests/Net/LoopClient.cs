using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace StaticD.Tests.Net;

/// <summary>
/// A plain client socket for the event-loop tests, used from the thread that drives the loop: it sends, and
/// between rounds it takes whatever has arrived without blocking (<see cref="Poll"/>). The end of the stream —
/// recv() returning 0, or ECONNRESET — is what "the server closed the connection" means here.
/// </summary>
internal sealed class LoopClient : IDisposable
{
    private readonly MemoryStream _received = new();
    private readonly byte[] _buffer = new byte[256 * 1024];

    private LoopClient(Socket socket) => Socket = socket;

    public Socket Socket { get; }
    /// <summary>The end of the stream has been seen (FIN or reset).</summary>
    public bool Closed { get; private set; }
    /// <summary>The end was a reset rather than a FIN.</summary>
    public bool WasReset { get; private set; }
    public long ReceivedCount => _received.Length;
    public byte[] Received => _received.ToArray();
    public string Text => Encoding.Latin1.GetString(_received.GetBuffer(), 0, (int)_received.Length);

    /// <param name="receiveBufferSize">Set before connecting, so the advertised window really is that small.</param>
    public static LoopClient Connect(int port, int? receiveBufferSize = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } size) socket.ReceiveBufferSize = size;
        // The kernel completes the handshake from the listen backlog; the loop does not have to run for it.
        socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
        socket.Blocking = false;
        return new LoopClient(socket);
    }

    public void Send(string text) => Send(Encoding.Latin1.GetBytes(text));

    /// <summary>Sends all of <paramref name="data"/> (small requests: the socket buffer takes them at once).</summary>
    public void Send(byte[] data)
    {
        int sent = Socket.Send(data, SocketFlags.None, out SocketError error);
        Assert.True(error == SocketError.Success && sent == data.Length, $"send: {error}, {sent} of {data.Length} bytes");
    }

    /// <summary>Takes every byte that has arrived, without blocking; false once the stream has ended.</summary>
    public bool Poll()
    {
        while (!Closed)
        {
            int n = Socket.Receive(_buffer, 0, _buffer.Length, SocketFlags.None, out SocketError error);
            if (error == SocketError.WouldBlock) break;
            if (error == SocketError.ConnectionReset)
            {
                Closed = WasReset = true;
                break;
            }
            Assert.True(error == SocketError.Success, $"recv: {error}");
            if (n == 0) Closed = true;
            else _received.Write(_buffer, 0, n);
        }
        return !Closed;
    }

    /// <summary>Waits (in poll(2), for an event) until the stream ends, taking the bytes before it; false if it
    /// has not ended within <paramref name="timeout"/> (default 10 s: a deadline for a failure, not a pause).</summary>
    public bool WaitClosed(TimeSpan? timeout = null)
    {
        var end = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (Poll())
        {
            var left = end - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) return false;
            Socket.Poll((int)Math.Min(left.TotalMicroseconds, int.MaxValue), SelectMode.SelectRead);
        }
        return true;
    }

    /// <summary>Waits (in poll(2)) until <paramref name="count"/> complete responses have arrived; false if the
    /// stream ends or 10 s pass first.</summary>
    public bool WaitForResponses(int count)
    {
        var end = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            bool open = Poll();
            if (Responses().Count >= count) return true;
            var left = end - DateTime.UtcNow;
            if (!open || left <= TimeSpan.Zero) return false;
            Socket.Poll((int)left.TotalMicroseconds, SelectMode.SelectRead);
        }
    }

    /// <summary>No more requests from this client (FIN); it can still read.</summary>
    public void ShutdownSend() => Socket.Shutdown(SocketShutdown.Send);

    /// <summary>Closes with a reset instead of a FIN (SO_LINGER with a zero timeout).</summary>
    public void Reset()
    {
        Socket.LingerState = new LingerOption(true, 0);
        Socket.Close();
    }

    /// <summary>The complete responses received so far (Content-Length framing; no HEAD responses).</summary>
    public List<Response> Responses() => Response.ParseAll(Received);

    public void Dispose() => Socket.Dispose();
}

/// <summary>One HTTP/1.1 response as received.</summary>
internal sealed record Response(int Status, string Head, byte[] Body)
{
    public string BodyText => Encoding.Latin1.GetString(Body);

    public string? Header(string name)
    {
        foreach (string line in Head.Split("\r\n").Skip(1))
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && line[..colon].Equals(name, StringComparison.OrdinalIgnoreCase)) return line[(colon + 1)..].Trim();
        }
        return null;
    }

    public static List<Response> ParseAll(byte[] data)
    {
        var responses = new List<Response>();
        int at = 0;
        while (true)
        {
            int end = data.AsSpan(at).IndexOf("\r\n\r\n"u8);
            if (end < 0) break;
            string head = Encoding.Latin1.GetString(data, at, end);
            int status = int.Parse(head.AsSpan(9, 3));
            var partial = new Response(status, head, []);
            long length = long.Parse(partial.Header("Content-Length") ?? "0");
            int bodyStart = at + end + 4;
            if (data.Length - bodyStart < length) break;
            responses.Add(partial with { Body = data.AsSpan(bodyStart, (int)length).ToArray() });
            at = bodyStart + (int)length;
        }
        return responses;
    }
}
