namespace StaticD.Interop;

/// <summary>statx(2) by path; <see cref="StatFd"/> is the by-descriptor form.</summary>
internal static unsafe partial class Syscall
{
    /// <summary>The file <paramref name="path"/> (NUL-terminated; absolute, or relative to the working directory)
    /// names, following symlinks.</summary>
    public static bool StatPath(ReadOnlySpan<byte> path, out Statx result, out Errno errno)
    {
        RequireNul(path);
        Statx st;
        fixed (byte* p = path)
        {
            while (Libc.statx(Libc.AT_FDCWD, p, 0, Libc.STATX_BASIC, &st) < 0)
            {
                errno = ErrnoExtensions.Last();
                if (errno != Errno.EINTR)
                {
                    result = default;
                    return false;
                }
            }
        }
        errno = Errno.None;
        result = st;
        return true;
    }
}
