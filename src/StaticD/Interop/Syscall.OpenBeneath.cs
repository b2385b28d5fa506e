namespace StaticD.Interop;

/// <summary>The span form of <see cref="OpenBeneath(int, byte*, ulong, out Errno)"/>.</summary>
internal static unsafe partial class Syscall
{
    /// <summary>Opens <paramref name="path"/> (NUL-terminated, relative to <paramref name="dirFd"/>) without ever
    /// leaving <paramref name="dirFd"/>; -1 and the errno (EXDEV for an escape) otherwise.</summary>
    public static int OpenBeneath(int dirFd, ReadOnlySpan<byte> path, OpenFlags flags, out Errno errno)
    {
        RequireNul(path);
        fixed (byte* p = path) return OpenBeneath(dirFd, p, (ulong)flags, out errno);
    }
}
