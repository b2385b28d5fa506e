namespace StaticD.Interop;

/// <summary>getrlimit(2) and setrlimit(2) for RLIMIT_NOFILE, the number of descriptors the process may hold.</summary>
internal static unsafe partial class Syscall
{
    public static Errno GetOpenFileLimit(out RLimit limit)
    {
        RLimit l;
        if (Libc.getrlimit(Libc.RLIMIT_NOFILE, &l) < 0)
        {
            limit = default;
            return ErrnoExtensions.Last();
        }
        limit = l;
        return Errno.None;
    }

    public static Errno SetOpenFileLimit(RLimit limit) =>
        Libc.setrlimit(Libc.RLIMIT_NOFILE, &limit) < 0 ? ErrnoExtensions.Last() : Errno.None;
}
