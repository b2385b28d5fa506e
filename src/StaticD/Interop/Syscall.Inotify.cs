using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace StaticD.Interop;

internal static unsafe partial class Syscall
{
    /// <summary>A non-blocking, close-on-exec inotify instance, or -1 with the reason (EMFILE when the user's
    /// max_user_instances is used up, ENOSYS in some sandboxes).</summary>
    public static int InotifyInit(out Errno errno)
    {
        int fd = Libc.inotify_init1(Libc.IN_NONBLOCK | Libc.IN_CLOEXEC);
        errno = fd < 0 ? ErrnoExtensions.Last() : Errno.None;
        return fd;
    }

    /// <summary>Watches what <paramref name="path"/> names (symlinks followed, as inotify_add_watch always does
    /// without IN_DONT_FOLLOW). Returns the watch descriptor — the same one again for an inode this instance
    /// already watches, with its mask replaced — or -1 with the reason.</summary>
    public static int InotifyAddWatch(int inotifyFd, string path, uint mask, out Errno errno)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(path + "\0");
        int watch;
        fixed (byte* p = bytes) watch = Libc.inotify_add_watch(inotifyFd, p, mask);
        errno = watch < 0 ? ErrnoExtensions.Last() : Errno.None;
        return watch;
    }

    /// <summary>Removes a watch; EINVAL (the kernel already dropped it: IN_IGNORED is queued) is not an error
    /// worth reporting, so nothing is returned.</summary>
    public static void InotifyRemoveWatch(int inotifyFd, int watch)
    {
        if (inotifyFd >= 0 && watch >= 0) Libc.inotify_rm_watch(inotifyFd, watch);
    }

    /// <summary>read(2) into <paramref name="buffer"/>: the byte count, 0 at EOF, or -1 with the reason (EAGAIN
    /// when a non-blocking descriptor has nothing).</summary>
    public static int Read(int fd, Span<byte> buffer, out Errno errno)
    {
        nint n;
        fixed (byte* p = buffer)
        {
            while ((n = Libc.read(fd, p, (nuint)buffer.Length)) < 0)
            {
                errno = ErrnoExtensions.Last();
                if (errno != Errno.EINTR) return -1;
            }
        }
        errno = Errno.None;
        return (int)n;
    }
}

/// <summary>
/// Walks the events of one read(2) from an inotify descriptor: a 16-byte header each, then Length bytes of
/// name, NUL-padded (only for events about an entry of a watched directory; self events have none).
/// </summary>
internal ref struct InotifyEventReader(ReadOnlySpan<byte> buffer)
{
    private readonly ReadOnlySpan<byte> _buffer = buffer;
    private int _at;

    public bool Next(out InotifyEvent header, out ReadOnlySpan<byte> name)
    {
        int headerSize = Unsafe.SizeOf<InotifyEvent>();
        if (_at + headerSize > _buffer.Length)
        {
            header = default;
            name = default;
            return false;
        }
        header = MemoryMarshal.Read<InotifyEvent>(_buffer[_at..]);
        int nameStart = _at + headerSize;
        int nameLength = (int)Math.Min(header.Length, (uint)(_buffer.Length - nameStart));
        name = _buffer.Slice(nameStart, nameLength);
        int nul = name.IndexOf((byte)0);
        if (nul >= 0) name = name[..nul];
        _at = nameStart + nameLength;
        return true;
    }
}
