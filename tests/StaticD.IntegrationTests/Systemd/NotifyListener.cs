using System.Diagnostics;
using System.Runtime.InteropServices;
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
public sealed unsafe class NotifyListener : IDisposable
{
    private const int MaxFds = 253; // SCM_MAX_FD
    private readonly int _fd;
    private readonly Thread _thread;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<NotifyMessage> _messages = [];
    private readonly string? _directory;
    private volatile bool _stopping;

    public NotifyListener(bool abstractName = false)
    {
        if (abstractName)
        {
            Path = "@staticd-test-notify-" + Guid.NewGuid().ToString("N");
        }
        else
        {
            _directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "staticd-notify-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(_directory);
            Path = System.IO.Path.Combine(_directory, "notify");
        }

        _fd = SystemdNative.Socket(SystemdNative.AF_UNIX, SystemdNative.SOCK_DGRAM | SystemdNative.SOCK_CLOEXEC, 0);
        if (_fd < 0) throw new InvalidOperationException($"socket: errno {Marshal.GetLastPInvokeError()}");
        byte[] address = new byte[110];
        address[0] = SystemdNative.AF_UNIX;
        byte[] name = Encoding.UTF8.GetBytes(Path);
        name.CopyTo(address, 2);
        uint length = (uint)(2 + name.Length + 1);
        if (abstractName)
        {
            address[2] = 0; // abstract: leading NUL, and the length covers the name only
            length = (uint)(2 + name.Length);
        }
        fixed (byte* a = address)
        {
            if (SystemdNative.Bind(_fd, a, length) != 0)
                throw new InvalidOperationException($"bind({Path}): errno {Marshal.GetLastPInvokeError()}");
        }

        // A receive timeout lets the thread notice disposal; a large buffer keeps a burst of STATUS lines.
        long* tv = stackalloc long[2] { 0, 100_000 }; // struct timeval: 0 s, 100000 µs
        SystemdNative.SetSockOpt(_fd, SystemdNative.SOL_SOCKET, SystemdNative.SO_RCVTIMEO, tv, 16);
        int size = 1 << 20;
        SystemdNative.SetSockOpt(_fd, SystemdNative.SOL_SOCKET, SystemdNative.SO_RCVBUF, &size, sizeof(int));
        _thread = new Thread(Receive) { IsBackground = true, Name = "notify-listener" };
        _thread.Start();
    }

    /// <summary>The value for NOTIFY_SOCKET.</summary>
    public string Path { get; }

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
        int controlLength = sizeof(SystemdNative.CmsgHdr) + MaxFds * sizeof(int);
        byte[] control = new byte[controlLength];
        while (!_stopping)
        {
            nint n;
            SystemdNative.MsgHdr message;
            fixed (byte* d = data)
            fixed (byte* c = control)
            {
                var iov = new SystemdNative.IoVec { Base = d, Length = (nuint)data.Length };
                message = new SystemdNative.MsgHdr { Iov = &iov, IovLength = 1, Control = c, ControlLength = (nuint)controlLength };
                // MSG_CMSG_CLOEXEC: received descriptors must not leak into the next child the test starts.
                n = SystemdNative.RecvMsg(_fd, &message, SystemdNative.MSG_CMSG_CLOEXEC);
            }
            if (n < 0) continue; // EAGAIN from the receive timeout, or EINTR
            var fds = new List<int>();
            fixed (byte* c = control)
            {
                byte* at = c;
                while (at + sizeof(SystemdNative.CmsgHdr) <= c + (int)message.ControlLength)
                {
                    var header = (SystemdNative.CmsgHdr*)at;
                    if (header->Length < (nuint)sizeof(SystemdNative.CmsgHdr)) break;
                    if (header->Level == SystemdNative.SOL_SOCKET && header->Type == SystemdNative.SCM_RIGHTS)
                    {
                        int count = ((int)header->Length - sizeof(SystemdNative.CmsgHdr)) / sizeof(int);
                        for (int i = 0; i < count; i++) fds.Add(((int*)(at + sizeof(SystemdNative.CmsgHdr)))[i]);
                    }
                    at += ((int)header->Length + 7) & ~7;
                }
            }
            if ((message.Flags & SystemdNative.MSG_CTRUNC) != 0) fds.Add(-1); // makes a truncated message visible to asserts
            var received = new NotifyMessage(Encoding.UTF8.GetString(data, 0, (int)n), [.. fds], _clock.Elapsed);
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
        SystemdNative.Close(_fd);
        foreach (NotifyMessage m in Messages)
        {
            foreach (int fd in m.Fds)
            {
                if (fd >= 0) SystemdNative.Close(fd);
            }
        }
        if (_directory is not null)
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
