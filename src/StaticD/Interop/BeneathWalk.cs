namespace StaticD.Interop;

/// <summary>
/// The same confinement as openat2(RESOLVE_BENEATH), done one path component at a time for kernels or sandboxes
/// where openat2 is unavailable. It matters in practice: systemd 252's seccomp filter for RestrictSUIDSGID=yes
/// answers openat2 with ENOSYS (it cannot inspect open_how), and that setting is part of a hardened unit.
/// Every component is opened relative to the directory before it with O_NOFOLLOW, so the kernel never follows a
/// symlink or ".." on our behalf: symlinks are read (readlinkat) and expanded here, ".." pops the walk's own
/// directory stack, and anything that would leave the root — an absolute symlink, ".." at the root — fails with
/// EXDEV, exactly as RESOLVE_BENEATH does. Runs on the thread pool; allocations are fine here.
/// </summary>
internal static unsafe class BeneathWalk
{
    private const int MaxSymlinks = 40; // Linux's own limit (ELOOP)
    private const int S_IFLNK = 0xA000;

    public static int Open(int rootFd, byte* path, ulong flags, out Errno errno)
    {
        var pending = new List<byte[]>(); // components still to walk, the next one last
        Push(pending, new ReadOnlySpan<byte>(path, IndexOfNul(path)));
        var dirs = new Stack<int>();      // directories opened below the root, innermost on top
        int links = 0;
        try
        {
            while (pending.Count > 0)
            {
                byte[] name = pending[^1];
                pending.RemoveAt(pending.Count - 1);
                if (name.Length == 0 || name is [(byte)'.']) continue;
                int dir = dirs.Count > 0 ? dirs.Peek() : rootFd;
                if (name is [(byte)'.', (byte)'.'])
                {
                    if (dirs.Count == 0)
                    {
                        errno = Errno.EXDEV; // ".." at the root: RESOLVE_BENEATH's answer
                        return -1;
                    }
                    Syscall.Close(dirs.Pop());
                    continue;
                }
                bool last = pending.Count == 0 || pending.TrueForAll(p => p.Length == 0 || p is [(byte)'.']);
                fixed (byte* component = NulTerminated(name))
                {
                    Statx st;
                    if (Libc.statx(dir, component, Libc.AT_SYMLINK_NOFOLLOW, Libc.STATX_TYPE, &st) < 0)
                    {
                        errno = ErrnoExtensions.Last();
                        return -1;
                    }
                    if ((st.Mode & Libc.S_IFMT) == S_IFLNK)
                    {
                        if (++links > MaxSymlinks)
                        {
                            errno = Errno.ELOOP;
                            return -1;
                        }
                        byte[] target = new byte[4096];
                        nint length;
                        fixed (byte* t = target) length = Libc.readlinkat(dir, component, t, (nuint)target.Length);
                        if (length < 0)
                        {
                            errno = ErrnoExtensions.Last();
                            return -1;
                        }
                        if (length > 0 && target[0] == (byte)'/')
                        {
                            errno = Errno.EXDEV; // an absolute link always points outside the walk's root
                            return -1;
                        }
                        Push(pending, target.AsSpan(0, (int)length));
                        continue;
                    }
                    if (!last)
                    {
                        if ((st.Mode & Libc.S_IFMT) != Libc.S_IFDIR)
                        {
                            errno = Errno.ENOTDIR;
                            return -1;
                        }
                        int next = Libc.openat(dir, component, (int)(Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_NOFOLLOW | Libc.O_CLOEXEC), 0);
                        if (next < 0)
                        {
                            errno = ErrnoExtensions.Last();
                            return -1;
                        }
                        dirs.Push(next);
                        continue;
                    }
                    // The final component: O_NOFOLLOW, so a symlink swapped in since the statx fails (ELOOP) or,
                    // with O_PATH, yields the link itself — never what it points to.
                    int fd = Libc.openat(dir, component, (int)(flags | Libc.O_NOFOLLOW | Libc.O_CLOEXEC), 0);
                    errno = fd < 0 ? ErrnoExtensions.Last() : Errno.None;
                    return fd;
                }
            }
            // Only "." components (or the root itself): open the directory we ended in.
            fixed (byte* dot = "."u8)
            {
                int fd = Libc.openat(dirs.Count > 0 ? dirs.Peek() : rootFd, dot, (int)(flags | Libc.O_CLOEXEC), 0);
                errno = fd < 0 ? ErrnoExtensions.Last() : Errno.None;
                return fd;
            }
        }
        finally
        {
            while (dirs.Count > 0) Syscall.Close(dirs.Pop());
        }
    }

    /// <summary>Adds a path's components so that its first component is walked next.</summary>
    private static void Push(List<byte[]> pending, ReadOnlySpan<byte> path)
    {
        var parts = new List<byte[]>();
        foreach (Range r in path.Split((byte)'/')) parts.Add(path[r].ToArray());
        for (int i = parts.Count - 1; i >= 0; i--) pending.Add(parts[i]);
    }

    private static int IndexOfNul(byte* p)
    {
        int i = 0;
        while (p[i] != 0) i++;
        return i;
    }

    private static byte[] NulTerminated(byte[] name)
    {
        var result = new byte[name.Length + 1];
        name.CopyTo(result, 0);
        return result;
    }
}
