using System.Text;
using StaticD.Interop;

namespace StaticD.Systemd;

/// <summary>
/// sd_notify(3), ours: one datagram of "KEY=value\n" lines to $NOTIFY_SOCKET, optionally carrying descriptors
/// (SCM_RIGHTS) for the file-descriptor store. Microsoft.Extensions.Hosting.Systemd sends READY/STOPPING when it
/// detects systemd, but it cannot pass descriptors and it only activates when systemd is the parent; this class
/// covers STATUS, WATCHDOG, RELOADING, FDSTORE, and READY whenever NOTIFY_SOCKET is set (tests bind their own).
/// </summary>
internal sealed class SystemdNotifier : IDisposable
{
    private readonly SockAddrUnix _address;
    private readonly uint _addressLength;
    private readonly int _fd;
    private readonly Lock _lock = new();

    /// <summary>The notifier for $NOTIFY_SOCKET, or null when the service manager did not ask for notifications.</summary>
    public static SystemdNotifier? FromEnvironment() =>
        Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is { Length: > 0 } path ? Create(path) : null;

    // internal for testing: a test binds its own datagram socket and passes its path.
    internal static SystemdNotifier? Create(string path)
    {
        byte[] name = Encoding.UTF8.GetBytes(path);
        if (name.Length == 0 || name.Length > SockAddr.UnixPathMax || (name[0] != (byte)'/' && name[0] != (byte)'@')) return null;
        int fd = Syscall.OpenUnixDatagramSocket(nonBlocking: false, out _);
        return fd < 0 ? null : new SystemdNotifier(fd, name);
    }

    private SystemdNotifier(int fd, byte[] name)
    {
        _fd = fd;
        // '@' names an abstract socket: a leading NUL, and the length counts only the name (no terminator).
        _addressLength = name[0] == (byte)'@'
            ? SockAddr.UnixAbstract(name.AsSpan(1), out _address)
            : SockAddr.UnixPath(name, out _address);
    }

    public bool Notify(string state) => Notify(state, []);

    /// <summary>Sends the state; with descriptors, they travel as SCM_RIGHTS (FDSTORE=1). Never throws.</summary>
    public bool Notify(string state, ReadOnlySpan<int> fds)
    {
        byte[] payload = Encoding.UTF8.GetBytes(state);
        lock (_lock)
        {
            return Syscall.SendMsg(_fd, _address, _addressLength, payload, fds, dontWait: false) == Errno.None;
        }
    }

    public void Dispose() => Syscall.Close(_fd);
}
