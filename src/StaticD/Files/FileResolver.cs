using StaticD.Interop;

namespace StaticD.Files;

/// <summary>
/// Turns a decoded, normalised request path into an open regular file under the root — or a status saying why
/// not. Runs on the thread pool, never on an event loop: open() and statx() may block on a slow disk, a FIFO or a
/// network file system.
/// </summary>
internal static class FileResolver
{
    public static ReadOnlySpan<byte> IndexFile => "index.html"u8;

    // PATH_MAX: longer paths cannot name a file, so they are a plain 404 without a syscall.
    private const int PathMax = 4096;

    /// <param name="rootFd">An O_PATH|O_DIRECTORY descriptor of the document root.</param>
    /// <param name="path">Decoded and normalised (starts with '/', no "." or ".." segments, no NUL).</param>
    public static void Resolve(int rootFd, ReadOnlySpan<byte> path, ref FileResolution result)
    {
        result.Reset();
        ReadOnlySpan<byte> relative = path.Length > 0 && path[0] == (byte)'/' ? path[1..] : path;
        if (relative.Length + IndexFile.Length + 2 > PathMax)
        {
            Fail(ref result, 404, Errno.ENAMETOOLONG);
            return;
        }

        // The kernel wants a NUL-terminated path relative to rootFd; "" must be spelt "." for the root itself.
        Span<byte> name = stackalloc byte[relative.Length + IndexFile.Length + 2];
        int length;
        if (relative.IsEmpty)
        {
            name[0] = (byte)'.';
            length = 1;
        }
        else
        {
            relative.CopyTo(name);
            length = relative.Length;
        }
        name[length] = 0;

        // First look with O_PATH: it opens FIFOs, sockets and devices without side effects (a FIFO opened for
        // reading would block until a writer appears), so the type can be checked before anything is read.
        if (!Inspect(rootFd, name, ref result, out Statx st)) return;

        if (st.IsDirectory)
        {
            if (relative.Length > 0 && relative[^1] != (byte)'/')
            {
                // "/dir" names a directory: the client must come back as "/dir/" so relative links resolve.
                result.Status = 301;
                return;
            }
            length = relative.Length;
            IndexFile.CopyTo(name[length..]);
            length += IndexFile.Length;
            name[length] = 0;
            result.IsIndex = true;
            if (!Inspect(rootFd, name, ref result, out st))
            {
                // A directory without an index is forbidden rather than missing, as in nginx without autoindex.
                if (result.Status == 404)
                {
                    result.Status = 403;
                    result.IsDirectoryWithoutIndex = true;
                }
                return;
            }
            if (st.IsDirectory)
            {
                Fail(ref result, 403, Errno.EISDIR);
                return;
            }
        }

        if (!st.IsRegularFile)
        {
            // FIFOs, sockets and device nodes are not content: answer as if they were not there.
            Fail(ref result, 404, Errno.None);
            return;
        }

        int fd = Syscall.OpenBeneath(rootFd, name, OpenFlags.ReadOnly | OpenFlags.NonBlock | OpenFlags.NoCtty, out Errno errno);
        if (fd < 0)
        {
            Fail(ref result, StatusFor(errno), errno);
            return;
        }
        // The name was looked up twice; make sure both lookups found the same regular file, so a file swapped
        // for a FIFO or device in between is never read.
        if (!Syscall.StatFd(fd, out Statx again, out errno) || !again.IsRegularFile || again.Ino != st.Ino ||
            again.DevMajor != st.DevMajor || again.DevMinor != st.DevMinor)
        {
            Syscall.Close(fd);
            Fail(ref result, 404, errno);
            return;
        }
        result.Status = 200;
        result.Fd = fd;
        result.Length = (long)again.Size;
        result.MtimeSeconds = again.Mtime.Seconds;
        result.MtimeNanoseconds = again.Mtime.Nanoseconds;
        result.Inode = again.Ino;
        result.Device = (ulong)again.DevMajor << 32 | again.DevMinor;
    }

    private static bool Inspect(int rootFd, ReadOnlySpan<byte> name, ref FileResolution result, out Statx st)
    {
        int fd = Syscall.OpenBeneath(rootFd, name, OpenFlags.Path, out Errno errno);
        if (fd < 0)
        {
            st = default;
            Fail(ref result, StatusFor(errno), errno);
            return false;
        }
        bool ok = Syscall.StatFd(fd, out st, out errno);
        Syscall.Close(fd);
        if (!ok) Fail(ref result, StatusFor(errno), errno);
        return ok;
    }

    private static void Fail(ref FileResolution result, int status, Errno errno)
    {
        result.Status = status;
        result.Errno = errno;
    }

    /// <summary>errno → status, in one place (nginx's ngx_http_static_handler switch). EXDEV is what
    /// RESOLVE_BENEATH returns for an escape ("..", an absolute symlink, a symlink leading out of the root).</summary>
    public static int StatusFor(Errno errno) => errno switch
    {
        Errno.ENOENT or Errno.ENOTDIR or Errno.ENAMETOOLONG or Errno.ENXIO or Errno.ENODEV => 404,
        Errno.EACCES or Errno.EPERM or Errno.EXDEV or Errno.ELOOP => 403,
        Errno.EMFILE or Errno.ENFILE or Errno.ENOMEM => 503,
        _ => 500,
    };
}
