using System.Runtime.InteropServices;

namespace StaticD.IntegrationTests.Systemd;

/// <summary>
/// libc calls the systemd tests need and .NET does not offer: a datagram socket that receives SCM_RIGHTS
/// (recvmsg), socket options of a received descriptor, signals, and CLOCK_MONOTONIC as the kernel reports it.
/// x86-64 Linux layouts only, as staticd itself.
/// </summary>
internal static unsafe partial class SystemdNative
{
    public const int SIGKILL = 9, SIGHUP = 1, SIGTERM = 15;
    public const int AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;
    public const int SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1, SO_TYPE = 3, SO_RCVBUF = 8, SO_RCVTIMEO = 20, SO_ACCEPTCONN = 30, SO_DOMAIN = 39;
    public const int SCM_RIGHTS = 1;
    public const int MSG_CMSG_CLOEXEC = 0x40000000, MSG_CTRUNC = 0x8;
    public const int EAGAIN = 11, EINTR = 4;
    private const int CLOCK_MONOTONIC = 1;

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CmsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport("libc", EntryPoint = "bind", SetLastError = true)]
    public static partial int Bind(int fd, byte* address, uint length);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint RecvMsg(int fd, MsgHdr* message, int flags);

    [LibraryImport("libc", EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(int fd, int level, int name, void* value, uint length);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static partial int GetSockOpt(int fd, int level, int name, void* value, uint* length);

    [LibraryImport("libc", EntryPoint = "getsockname", SetLastError = true)]
    private static partial int GetSockName(int fd, byte* address, uint* length);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, TimeSpec* time);

    /// <summary>An int socket option, or -1 if getsockopt fails (not a socket, closed descriptor).</summary>
    public static int GetInt(int fd, int level, int name)
    {
        int value = 0;
        uint length = sizeof(int);
        return GetSockOpt(fd, level, name, &value, &length) == 0 ? value : -1;
    }

    /// <summary>The local TCP port of a socket (0 if it has none).</summary>
    public static int LocalPort(int fd)
    {
        byte* address = stackalloc byte[128];
        uint length = 128;
        if (GetSockName(fd, address, &length) != 0) return 0;
        return (address[2] << 8) | address[3]; // sin_port / sin6_port, network order, same offset in both
    }

    /// <summary>CLOCK_MONOTONIC in microseconds: the clock sd_notify's MONOTONIC_USEC= is defined on.</summary>
    public static long MonotonicMicroseconds()
    {
        TimeSpec t;
        ClockGetTime(CLOCK_MONOTONIC, &t);
        return t.Seconds * 1_000_000 + t.Nanoseconds / 1000;
    }

    public static void Signal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
            throw new InvalidOperationException($"kill({pid}, {signal}) failed, errno {Marshal.GetLastPInvokeError()}");
    }
}
