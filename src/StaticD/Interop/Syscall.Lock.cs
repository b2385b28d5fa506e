using Microsoft.Win32.SafeHandles;

namespace StaticD.Interop;

/// <summary>flock(2), for the ACME state directory: one process at a time may talk to the ACME server for it. The
/// file is opened here rather than with FileStream, whose own share-mode emulation takes flock locks of its own
/// (and reports a held lock as an IOException).</summary>
internal static unsafe partial class Syscall
{
    private const int LOCK_EX = 2, LOCK_NB = 4;

    /// <summary>Opens (creating, mode 0600) <paramref name="path"/> and takes an exclusive lock on it without
    /// waiting. The handle holds the lock until disposed (or the process ends). Null with EWOULDBLOCK (EAGAIN) when
    /// another open file description holds it, or with the error that prevented it.</summary>
    public static SafeFileHandle? TryLockFile(string path, out Errno errno)
    {
        byte[] name = NulTerminated(path);
        int fd;
        fixed (byte* p = name)
        {
            while ((fd = Libc.openat(Libc.AT_FDCWD, p, (int)(Libc.O_RDWR | Libc.O_CREAT | Libc.O_CLOEXEC), 0b110_000_000)) < 0)
            {
                errno = ErrnoExtensions.Last();
                if (errno != Errno.EINTR) return null;
            }
        }
        while (Libc.flock(fd, LOCK_EX | LOCK_NB) < 0)
        {
            errno = ErrnoExtensions.Last();
            if (errno == Errno.EINTR) continue;
            Close(fd);
            return null;
        }
        errno = Errno.None;
        return new SafeFileHandle(fd, ownsHandle: true);
    }
}
