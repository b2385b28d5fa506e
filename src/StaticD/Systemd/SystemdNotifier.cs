using System.Text;
using StaticD.Interop;

namespace StaticD.Systemd;

/// <summary>
/// sd_notify(3), ours: one datagram of "KEY=value\n" lines to $NOTIFY_SOCKET, optionally carrying descriptors
/// (SCM_RIGHTS) for the file-descriptor store. Microsoft.Extensions.Hosting.Systemd sends READY/STOPPING when it
/// detects systemd, but it cannot pass descriptors and it only activates when systemd is the parent; this class
/// covers STATUS, WATCHDOG, RELOADING, FDSTORE, and READY whenever NOTIFY_SOCKET is set (tests bind their own).
/// </summary>
internal sealed unsafe class SystemdNotifier : IDisposable
{
    private readonly byte[] _address;
    private readonly int _addressLength;
    private readonly int _fd;
    private readonly Lock _lock = new();

    /// <summary>The notifier for $NOTIFY_SOCKET, or null when the service manager did not ask for notifications.</summary>
    public static SystemdNotifier? FromEnvironment() =>
        Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is { Length: > 0 } path ? Create(path) : null;

    // internal for testing: a test binds its own datagram socket and passes its path.
    internal static SystemdNotifier? Create(string path)
    {
        byte[] name = Encoding.UTF8.GetBytes(path);
        if (name.Length == 0 || name.Length >= Libc.UnixPathCapacity || (name[0] != (byte)'/' && name[0] != (byte)'@')) return null;
        int fd = Libc.socket(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        return fd < 0 ? null : new SystemdNotifier(fd, name);
    }

    private SystemdNotifier(int fd, byte[] name)
    {
        _fd = fd;
        _address = new byte[sizeof(SockAddrUnix)];
        BitConverter.TryWriteBytes(_address, (ushort)Libc.AF_UNIX);
        name.CopyTo(_address, SockAddrUnix.PathOffset);
        // '@' names an abstract socket: a leading NUL, and the length counts only the name (no terminator).
        if (name[0] == (byte)'@') _address[SockAddrUnix.PathOffset] = 0;
        _addressLength = SockAddrUnix.PathOffset + name.Length + (name[0] == (byte)'@' ? 0 : 1);
    }

    public bool Notify(string state) => Notify(state, []);

    /// <summary>Sends the state; with descriptors, they travel as SCM_RIGHTS (FDSTORE=1). Never throws.</summary>
    public bool Notify(string state, ReadOnlySpan<int> fds)
    {
        byte[] payload = Encoding.UTF8.GetBytes(state);
        int controlLength = fds.IsEmpty ? 0 : sizeof(CmsgHdr) + ((fds.Length * sizeof(int) + 7) & ~7);
        byte* control = stackalloc byte[Math.Max(controlLength, 1)];
        if (controlLength > 0)
        {
            new Span<byte>(control, controlLength).Clear();
            var header = (CmsgHdr*)control;
            header->Length = (nuint)(sizeof(CmsgHdr) + fds.Length * sizeof(int));
            header->Level = Libc.SOL_SOCKET;
            header->Type = Libc.SCM_RIGHTS;
            fds.CopyTo(new Span<int>(control + sizeof(CmsgHdr), fds.Length));
        }
        lock (_lock)
        {
            fixed (byte* data = payload)
            fixed (byte* address = _address)
            {
                IoVec iov = new() { Base = data, Length = (nuint)payload.Length };
                MsgHdr message = new()
                {
                    Name = address, NameLength = (uint)_addressLength, Iov = &iov, IovLength = 1,
                    Control = controlLength > 0 ? control : null, ControlLength = (nuint)controlLength,
                };
                nint sent;
                while ((sent = Libc.sendmsg(_fd, &message, Libc.MSG_NOSIGNAL)) < 0 && ErrnoExtensions.Last() == Errno.EINTR) { }
                return sent >= 0;
            }
        }
    }

    public void Dispose() => Syscall.Close(_fd);
}
