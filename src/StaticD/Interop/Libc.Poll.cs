using System.Runtime.InteropServices;

namespace StaticD.Interop;

internal static unsafe partial class Libc
{
    // poll(2), not epoll: the root watcher waits on two descriptors and nothing else, so a per-call array is
    // simpler than an epoll instance with its own lifetime.
    [LibraryImport(Lib, SetLastError = true)] internal static partial int poll(PollFd* fds, nuint count, int timeoutMs);

    public const short POLLIN = 0x001;
    public const short POLLOUT = 0x004;
}

/// <summary>struct pollfd (8 bytes on every Linux architecture).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct PollFd
{
    public int Fd;
    public short Events;
    public short Revents;
}
