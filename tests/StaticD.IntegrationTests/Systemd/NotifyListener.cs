using System.Diagnostics;
using System.Text;

namespace StaticD.IntegrationTests.Systemd;

/// <summary>One sd_notify datagram: its text, the descriptors it carried (open in the test process), and when it
/// arrived (time since the listener was created).</summary>
public sealed record NotifyMessage(string Text, int[] Fds, TimeSpan At)
{
    public override string ToString() => $"{At.TotalMilliseconds:0} ms: {Text.Replace("\n", "\\n")}" + (Fds.Length > 0 ? $" +{Fds.Length} fds" : "");
}

/// <summary>
/// What systemd is to a Type=notify service: an AF_UNIX datagram socket whose path goes into NOTIFY_SOCKET. A
/// thread receives with recvmsg so SCM_RIGHTS descriptors (FDSTORE=1) arrive as real descriptors in this
/// process; they are closed on dispose. A name starting with '@' binds in the abstract namespace.
/// </summary>
public sealed class NotifyListener : IDisposable
{
    private readonly DatagramSocket _socket;
    private readonly Thread _thread;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<NotifyMessage> _messages = [];
    private volatile bool _stopping;

    public NotifyListener(bool abstractName = false)
    {
        // A receive timeout lets the thread notice disposal; a large buffer keeps a burst of STATUS lines.
        _socket = new DatagramSocket(abstractName, "staticd-test-notify", TimeSpan.FromMilliseconds(100), receiveBuffer: 1 << 20);
        _thread = new Thread(Receive) { IsBackground = true, Name = "notify-listener" };
        _thread.Start();
    }

    /// <summary>The value for NOTIFY_SOCKET.</summary>
    public string Path => _socket.Name;

    public TimeSpan Now => _clock.Elapsed;

    public IReadOnlyList<NotifyMessage> Messages
    {
        get
        {
            lock (_messages) return [.. _messages];
        }
    }

    public string Transcript => string.Join("\n", Messages);

    /// <summary>Waits for the first message (at or after index <paramref name="from"/>) that satisfies the predicate.</summary>
    public NotifyMessage WaitFor(Func<NotifyMessage, bool> predicate, TimeSpan timeout, int from = 0)
    {
        var deadline = _clock.Elapsed + timeout;
        lock (_messages)
        {
            while (true)
            {
                for (int i = from; i < _messages.Count; i++)
                {
                    if (predicate(_messages[i])) return _messages[i];
                }
                var left = deadline - _clock.Elapsed;
                if (left <= TimeSpan.Zero)
                    throw new TimeoutException($"no matching notification within {timeout.TotalSeconds} s; received:\n{string.Join("\n", _messages)}");
                Monitor.Wait(_messages, left);
            }
        }
    }

    public NotifyMessage WaitForText(string text, TimeSpan timeout, int from = 0) => WaitFor(m => m.Text == text, timeout, from);

    public int Count
    {
        get
        {
            lock (_messages) return _messages.Count;
        }
    }

    private void Receive()
    {
        byte[] data = new byte[64 * 1024];
        while (!_stopping)
        {
            if (!_socket.TryReceive(data, out int length, out int[] fds)) continue; // the receive timeout, or EINTR
            var received = new NotifyMessage(Encoding.UTF8.GetString(data, 0, length), fds, _clock.Elapsed);
            lock (_messages)
            {
                _messages.Add(received);
                Monitor.PulseAll(_messages);
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _socket.Dispose();
        foreach (NotifyMessage m in Messages)
        {
            foreach (int fd in m.Fds)
            {
                if (fd >= 0) TestLibc.Close(fd);
            }
        }
    }
}
