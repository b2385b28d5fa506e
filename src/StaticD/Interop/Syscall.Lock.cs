using Microsoft.Win32.SafeHandles;

namespace StaticD.Interop;

/// <summary>flock(2), for the ACME state directory: one process at a time may talk to the ACME server for it.</summary>
internal static partial class Syscall
{
    private const int LOCK_EX = 2, LOCK_NB = 4;

    /// <summary>An exclusive lock on the open file, without waiting: None when taken, EWOULDBLOCK (EAGAIN) when
    /// another open file description holds it. The lock goes with the descriptor (closed: released, also when the
    /// process dies).</summary>
    public static Errno TryLockExclusive(SafeFileHandle file)
    {
        bool added = false;
        try
        {
            file.DangerousAddRef(ref added);
            int fd = (int)file.DangerousGetHandle();
            while (Libc.flock(fd, LOCK_EX | LOCK_NB) < 0)
            {
                Errno errno = ErrnoExtensions.Last();
                if (errno != Errno.EINTR) return errno;
            }
            return Errno.None;
        }
        finally
        {
            if (added) file.DangerousRelease();
        }
    }
}
