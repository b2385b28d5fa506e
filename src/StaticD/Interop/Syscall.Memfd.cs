namespace StaticD.Interop;

/// <summary>memfd_create(2) and file sealing (fcntl F_ADD_SEALS): an anonymous file whose contents can no longer
/// change, for handing to another process that must be able to trust them.</summary>
internal static unsafe partial class Syscall
{
    /// <summary>
    /// A close-on-exec memfd holding <paramref name="contents"/>, sealed against every change (write, shrink, grow)
    /// and against further sealing; -1 and the errno if any step fails. <paramref name="name"/> is NUL-terminated
    /// (it shows in /proc/PID/fd as "memfd:NAME").
    /// </summary>
    public static int CreateSealedMemfd(ReadOnlySpan<byte> name, ReadOnlySpan<byte> contents, out Errno errno)
    {
        RequireNul(name);
        int fd;
        fixed (byte* n = name) fd = Libc.memfd_create(n, Libc.MFD_CLOEXEC | Libc.MFD_ALLOW_SEALING);
        if (fd < 0)
        {
            errno = ErrnoExtensions.Last();
            return -1;
        }
        while (!contents.IsEmpty)
        {
            nint written = Write(fd, contents, out errno);
            if (written < 0)
            {
                Close(fd);
                return -1;
            }
            contents = contents[(int)written..];
        }
        if (Libc.fcntl_int(fd, Libc.F_ADD_SEALS, Libc.F_SEAL_SHRINK | Libc.F_SEAL_GROW | Libc.F_SEAL_WRITE | Libc.F_SEAL_SEAL) < 0)
        {
            errno = ErrnoExtensions.Last();
            Close(fd);
            return -1;
        }
        errno = Errno.None;
        return fd;
    }
}
