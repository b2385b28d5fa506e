using System.Runtime.InteropServices;

namespace StaticD.Interop;

/// <summary>struct epoll_event. Packed to 12 bytes on x86-64 (the kernel declares it __packed__ there);
/// arm64 would need natural alignment (16 bytes) — staticd ships linux-x64 only, and a unit test pins the size.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal struct EpollEvent
{
    public uint Events;
    public ulong Data;
}

/// <summary>struct open_how for openat2(2): 24 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct OpenHow
{
    public ulong Flags;
    public ulong Mode;
    public ulong Resolve;
}

[StructLayout(LayoutKind.Sequential)]
internal struct StatxTimestamp
{
    public long Seconds;
    public uint Nanoseconds;
    private int _reserved;
}

/// <summary>struct statx (256 bytes). statx is used instead of fstat because its layout is the same on every
/// architecture.</summary>
[StructLayout(LayoutKind.Sequential, Size = 256)]
internal struct Statx
{
    public uint Mask;
    public uint BlockSize;
    public ulong Attributes;
    public uint Nlink;
    public uint Uid;
    public uint Gid;
    public ushort Mode;
    private ushort _spare0;
    public ulong Ino;
    public ulong Size;
    public ulong Blocks;
    public ulong AttributesMask;
    public StatxTimestamp Atime;
    public StatxTimestamp Btime;
    public StatxTimestamp Ctime;
    public StatxTimestamp Mtime;
    public uint RdevMajor;
    public uint RdevMinor;
    public uint DevMajor;
    public uint DevMinor;

    public readonly bool IsRegularFile => (Mode & Libc.S_IFMT) == Libc.S_IFREG;
    public readonly bool IsDirectory => (Mode & Libc.S_IFMT) == Libc.S_IFDIR;
    public readonly bool IsSocket => (Mode & Libc.S_IFMT) == Libc.S_IFSOCK;
}

/// <summary>struct sockaddr_in6 (28 bytes); an IPv4 sockaddr_in (16 bytes) fits in its first half, so one buffer
/// serves both families.</summary>
[StructLayout(LayoutKind.Sequential, Size = 28)]
internal struct SockAddrStorage
{
    public ushort Family;
    public ushort PortBigEndian;
    public uint FlowInfoOrIPv4;
    public ulong Addr6Low;
    public ulong Addr6High;
    public uint ScopeId;
}

[StructLayout(LayoutKind.Sequential)]
internal struct RLimit
{
    public ulong Current;
    public ulong Maximum;
}
