namespace StaticD.Interop;

/// <summary>fsync(2) of a directory: what makes a rename inside it survive a crash (the file's own fsync
/// covers its data, not the directory entry that names it).</summary>
internal static unsafe partial class Syscall
{
    public static Errno SyncDirectory(string path)
    {
        byte[] name = NulTerminated(path);
        int fd;
        fixed (byte* p = name)
        {
            while ((fd = Libc.openat(Libc.AT_FDCWD, p, (int)(Libc.O_RDONLY | Libc.O_DIRECTORY | Libc.O_CLOEXEC), 0)) < 0)
            {
                Errno errno = ErrnoExtensions.Last();
                if (errno != Errno.EINTR) return errno;
            }
        }
        Errno result = Errno.None;
        while (Libc.fsync(fd) < 0)
        {
            result = ErrnoExtensions.Last();
            if (result != Errno.EINTR) break;
            result = Errno.None;
        }
        Close(fd);
        return result;
    }
}
