using System.Runtime.InteropServices;

namespace StaticD.Interop;

internal static unsafe partial class Libc
{
    [LibraryImport(Lib, SetLastError = true)] internal static partial int inotify_init1(int flags);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int inotify_add_watch(int fd, byte* path, uint mask);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int inotify_rm_watch(int fd, int watch);

    public const int IN_NONBLOCK = 0x800, IN_CLOEXEC = 0x80000;
    public const uint IN_MODIFY = 0x2, IN_ATTRIB = 0x4, IN_CLOSE_WRITE = 0x8, IN_MOVED_FROM = 0x40, IN_MOVED_TO = 0x80,
        IN_CREATE = 0x100, IN_DELETE = 0x200, IN_DELETE_SELF = 0x400, IN_MOVE_SELF = 0x800, IN_Q_OVERFLOW = 0x4000,
        IN_UNMOUNT = 0x2000, IN_IGNORED = 0x8000, IN_ONLYDIR = 0x1000000;
}

/// <summary>struct inotify_event without its trailing name (16 bytes; the name's length follows in Length).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct InotifyEvent
{
    public int Watch;
    public uint Mask;
    public uint Cookie;
    public uint Length;
}
