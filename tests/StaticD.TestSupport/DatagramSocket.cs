using System.Runtime.InteropServices;
using System.Text;

namespace StaticD.TestSupport;

/// <summary>
/// What systemd is to a Type=notify service, minus the policy: an AF_UNIX datagram socket bound to a fresh name
/// (a path in a new temporary directory, or an '@abstract' name), for NOTIFY_SOCKET. Receives with recvmsg, so
/// SCM_RIGHTS descriptors (FDSTORE=1) arrive as descriptors of this process; MSG_CMSG_CLOEXEC keeps them from
/// leaking into the next child a test starts. The caller owns (and closes) the descriptors it receives.
/// </summary>
public sealed unsafe class DatagramSocket : IDisposable
{
    private const int MaxFds = 253; // SCM_MAX_FD
    private readonly int _fd;
    private readonly string? _directory;
    private readonly byte[] _control = new byte[sizeof(TestLibc.CmsgHdr) + MaxFds * sizeof(int)];

    /// <param name="abstractName">Bind in the abstract namespace ('@' name) rather than to a path.</param>
    /// <param name="prefix">Start of the name, to tell the tests' sockets apart.</param>
    /// <param name="receiveTimeout">How long one receive waits.</param>
    /// <param name="receiveBuffer">SO_RCVBUF, for a burst of datagrams nobody is reading yet.</param>
    public DatagramSocket(bool abstractName, string prefix, TimeSpan receiveTimeout, int? receiveBuffer = null)
    {
        if (abstractName)
        {
            Name = $"@{prefix}-{Guid.NewGuid():N}";
        }
        else
        {
            _directory = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid().ToString("N")[..12]}");
            Directory.CreateDirectory(_directory);
            Name = Path.Combine(_directory, "notify");
        }

        _fd = TestLibc.Socket(TestLibc.AF_UNIX, TestLibc.SOCK_DGRAM | TestLibc.SOCK_CLOEXEC, 0);
        if (_fd < 0) throw new InvalidOperationException($"socket: errno {Marshal.GetLastPInvokeError()}");
        byte[] address = new byte[110]; // struct sockaddr_un
        address[0] = TestLibc.AF_UNIX;
        byte[] name = Encoding.UTF8.GetBytes(Name);
        name.CopyTo(address, 2);
        uint length = (uint)(2 + name.Length + 1);
        if (abstractName)
        {
            address[2] = 0; // abstract: leading NUL, and the length covers the name only
            length = (uint)(2 + name.Length);
        }

        fixed (byte* a = address)
        {
            if (TestLibc.Bind(_fd, a, length) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                Dispose();
                throw new InvalidOperationException($"bind({Name}): errno {errno}");
            }
        }

        long microseconds = (long)receiveTimeout.TotalMicroseconds;
        long* tv = stackalloc long[2] { microseconds / 1_000_000, microseconds % 1_000_000 }; // struct timeval
        TestLibc.SetSockOpt(_fd, TestLibc.SOL_SOCKET, TestLibc.SO_RCVTIMEO, tv, 16);
        if (receiveBuffer is int size) TestLibc.SetSockOpt(_fd, TestLibc.SOL_SOCKET, TestLibc.SO_RCVBUF, &size, sizeof(int));
    }

    /// <summary>The value for NOTIFY_SOCKET: a path, or '@' and an abstract name.</summary>
    public string Name { get; }

    /// <summary>
    /// One datagram into <paramref name="buffer"/>: its length and the descriptors it carried, in order (a -1 at the
    /// end if the control data was truncated, so asserts see it). False when the receive timeout passed or a signal
    /// interrupted the wait.
    /// </summary>
    public bool TryReceive(byte[] buffer, out int length, out int[] fds)
    {
        nint n;
        TestLibc.MsgHdr message;
        fixed (byte* d = buffer)
        fixed (byte* c = _control)
        {
            var iov = new TestLibc.IoVec { Base = d, Length = (nuint)buffer.Length };
            message = new TestLibc.MsgHdr { Iov = &iov, IovLength = 1, Control = c, ControlLength = (nuint)_control.Length };
            n = TestLibc.RecvMsg(_fd, &message, TestLibc.MSG_CMSG_CLOEXEC);
        }

        if (n < 0)
        {
            length = 0;
            fds = [];
            return false;
        }

        var received = new List<int>();
        fixed (byte* c = _control)
        {
            byte* at = c;
            while (at + sizeof(TestLibc.CmsgHdr) <= c + (int)message.ControlLength)
            {
                var header = (TestLibc.CmsgHdr*)at;
                if (header->Length < (nuint)sizeof(TestLibc.CmsgHdr)) break;
                if (header->Level == TestLibc.SOL_SOCKET && header->Type == TestLibc.SCM_RIGHTS)
                {
                    int count = ((int)header->Length - sizeof(TestLibc.CmsgHdr)) / sizeof(int);
                    for (int i = 0; i < count; i++) received.Add(((int*)(at + sizeof(TestLibc.CmsgHdr)))[i]);
                }

                at += ((int)header->Length + 7) & ~7; // CMSG_ALIGN
            }
        }

        if ((message.Flags & TestLibc.MSG_CTRUNC) != 0) received.Add(-1);
        length = (int)n;
        fds = [.. received];
        return true;
    }

    /// <summary>One datagram and the descriptors it carried; TimeoutException if none arrives within the receive timeout.</summary>
    public (byte[] Data, int[] Fds) Receive()
    {
        byte[] buffer = new byte[64 * 1024];
        if (!TryReceive(buffer, out int length, out int[] fds))
            throw new TimeoutException($"no datagram on {Name} (errno {Marshal.GetLastPInvokeError()})");
        return (buffer[..length], fds);
    }

    public void Dispose()
    {
        if (_fd >= 0) TestLibc.Close(_fd);
        if (_directory is null) return;
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
