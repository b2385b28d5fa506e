using System.Runtime.InteropServices;

namespace StaticD.Interop;

/// <summary>
/// The syscalls and kernel structs the journald sink needs (systemd.io/JOURNAL_NATIVE_PROTOCOL): a datagram
/// sendmsg(2) to an AF_UNIX path, and for entries too large for one datagram a sealed memfd passed with
/// SCM_RIGHTS. Layouts are x86-64 (staticd ships linux-x64 only); unit tests pin every size.
/// </summary>
internal static unsafe partial class Libc
{
    [LibraryImport(Lib, SetLastError = true)] internal static partial nint sendmsg(int fd, MsgHdr* message, int flags);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int memfd_create(byte* name, uint flags);

    // fcntl(2) is variadic in C. Its third argument is an int here, which the x86-64 SysV convention passes in a
    // general register exactly as for a fixed-argument call (as with syscall(2) in Libc.cs).
    [LibraryImport(Lib, EntryPoint = "fcntl", SetLastError = true)] internal static partial int fcntl_int(int fd, int command, int argument);

    // memfd_create(2)
    public const uint MFD_CLOEXEC = 0x1, MFD_ALLOW_SEALING = 0x2;

    // fcntl(2) file sealing: F_ADD_SEALS is F_LINUX_SPECIFIC_BASE (1024) + 9.
    public const int F_ADD_SEALS = 1033;
    public const int F_SEAL_SEAL = 0x1, F_SEAL_SHRINK = 0x2, F_SEAL_GROW = 0x4, F_SEAL_WRITE = 0x8;

    // unix(7) ancillary data
    public const int SCM_RIGHTS = 1;

    // inode(7): file type of a socket, for "is the journal socket there" checks.
    public const ushort S_IFSOCK = 0xC000;

    /// <summary>sun_path's capacity in struct sockaddr_un, including the terminating NUL.</summary>
    public const int UnixPathCapacity = 108;
}

/// <summary>struct iovec: 16 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct IoVec
{
    public void* Base;
    public nuint Length;
}

/// <summary>struct msghdr: 56 bytes on x86-64 (4 bytes of padding after msg_namelen and after msg_flags).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct MsgHdr
{
    public void* Name;
    public uint NameLength;
    public IoVec* Iov;
    public nuint IovLength;
    public void* Control;
    public nuint ControlLength;
    public int Flags;
}

/// <summary>struct cmsghdr: 16 bytes; the data that follows starts at CMSG_ALIGN(16) = 16 (see
/// <see cref="Syscall.ControlSpace"/>).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CmsgHdr
{
    public nuint Length;
    public int Level;
    public int Type;
}

/// <summary>struct sockaddr_un: 110 bytes (sa_family_t + 108-byte path).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct SockAddrUnix
{
    public ushort Family;
    public fixed byte Path[Libc.UnixPathCapacity];

    /// <summary>offsetof(struct sockaddr_un, sun_path).</summary>
    public const int PathOffset = 2;
}
