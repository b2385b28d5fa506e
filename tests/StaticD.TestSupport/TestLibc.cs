using System.Runtime.InteropServices;

namespace StaticD.TestSupport;

/// <summary>
/// Every libc call the tests make themselves, each declared once: signals, FIFOs, descriptor flags, rlimits,
/// CLOCK_MONOTONIC as the kernel reports it, and the datagram socket that receives SCM_RIGHTS (recvmsg) with the
/// socket options of what it receives. Separate from StaticD.Interop, so the code under test does not check
/// itself (and the integration tests, which only run the binary, never see it). x86-64 Linux layouts only, as
/// staticd itself.
/// </summary>
public static unsafe partial class TestLibc
{
    public const int SIGHUP = 1, SIGKILL = 9, SIGTERM = 15;
    public const int O_WRONLY = 0x1, O_NONBLOCK = 0x800;
    public const int F_GETFD = 1, F_GETFL = 3;
    public const int AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;
    public const int SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1, SO_TYPE = 3, SO_RCVBUF = 8, SO_RCVTIMEO = 20, SO_ACCEPTCONN = 30, SO_DOMAIN = 39;
    public const int SCM_RIGHTS = 1;
    public const int MSG_CMSG_CLOEXEC = 0x40000000, MSG_CTRUNC = 0x8;
    public const int RLIMIT_NOFILE = 7;
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
    public struct RLimit
    {
        public ulong Soft;
        public ulong Hard;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MkFifo(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int Fcntl(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "fstat", SetLastError = true)]
    private static partial int FStat(int fd, byte* stat);

    [LibraryImport("libc", EntryPoint = "prlimit", SetLastError = true)]
    private static partial int PrLimit(int pid, int resource, RLimit* newLimit, RLimit* oldLimit);

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

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameNative(string from, string to);

    /// <summary>rename(2) itself — what mv does, and what makes a deploy's swap atomic (File.Move refuses to
    /// replace a directory or a symlink to one).</summary>
    public static void Rename(string from, string to)
    {
        if (RenameNative(from, to) != 0)
            throw new IOException($"rename({from}, {to}): errno {Marshal.GetLastPInvokeError()}");
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, TimeSpec* time);

    /// <summary>kill(2) that throws when it fails.</summary>
    public static void Signal(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
            throw new InvalidOperationException($"kill({pid}, {signal}) failed, errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>
    /// Opens and closes the write end of a FIFO without blocking. If a reader is stuck in open(2) on it, this
    /// releases that reader (it then sees EOF); otherwise it is a no-op.
    /// </summary>
    public static void ReleaseFifoReaders(string path)
    {
        int fd = Open(path, O_WRONLY | O_NONBLOCK);
        if (fd >= 0) Close(fd);
    }

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

    /// <summary>(st_dev, st_ino) from fstat: two descriptors with the same pair refer to the same open file or socket.</summary>
    public static (ulong Device, ulong Inode) Identity(int fd)
    {
        byte* stat = stackalloc byte[256]; // struct stat is 144 bytes on x86-64; st_dev at 0, st_ino at 8
        if (FStat(fd, stat) != 0) throw new InvalidOperationException($"fstat({fd}): errno {Marshal.GetLastPInvokeError()}");
        return (*(ulong*)stat, *(ulong*)(stat + 8));
    }

    /// <summary>A resource limit of process <paramref name="pid"/> (0: this process), from prlimit(2).</summary>
    public static RLimit GetLimit(int pid, int resource)
    {
        RLimit current;
        if (PrLimit(pid, resource, null, &current) != 0)
            throw new InvalidOperationException($"prlimit({pid}) get failed, errno {Marshal.GetLastPInvokeError()}");
        return current;
    }

    /// <summary>Sets a resource limit of process <paramref name="pid"/> (0: this process), like `prlimit --pid`.</summary>
    public static void SetLimit(int pid, int resource, RLimit limit)
    {
        if (PrLimit(pid, resource, &limit, null) != 0)
            throw new InvalidOperationException($"prlimit({pid}) set failed, errno {Marshal.GetLastPInvokeError()}");
    }
}
