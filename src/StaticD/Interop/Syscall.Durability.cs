namespace StaticD.Interop;

/// <summary>For the files staticd writes itself (the last good configuration, a unix socket): fsync(2) of a
/// directory, what makes a rename inside it survive a crash (the file's own fsync covers its data, not the
/// directory entry that names it); and chmod(2).</summary>
internal static unsafe partial class Syscall
{
    /// <summary>chmod(2): <paramref name="mode"/> is the permission bits (0600, 0660).</summary>
    public static Errno ChangeMode(string path, UnixFileMode mode)
    {
        byte[] name = NulTerminated(path);
        fixed (byte* p = name)
            return Libc.chmod(p, (uint)mode) < 0 ? ErrnoExtensions.Last() : Errno.None;
    }

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
