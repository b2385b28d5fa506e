namespace StaticD.Interop;

/// <summary>read(2), write(2) and pread(2) on spans.</summary>
internal static unsafe partial class Syscall
{
    /// <summary>Bytes read (0 at end of file), or -1 and the errno (EAGAIN: nothing to read on a non-blocking fd).</summary>
    public static nint Read(int fd, Span<byte> buffer, out Errno errno)
    {
        nint n;
        fixed (byte* p = buffer)
        {
            while ((n = Libc.read(fd, p, (nuint)buffer.Length)) < 0)
            {
                errno = ErrnoExtensions.Last();
                if (errno != Errno.EINTR) return -1;
            }
        }
        errno = Errno.None;
        return n;
    }

    /// <summary>Bytes written (possibly fewer than given), or -1 and the errno.</summary>
    public static nint Write(int fd, ReadOnlySpan<byte> buffer, out Errno errno)
    {
        nint n;
        fixed (byte* p = buffer)
        {
            while ((n = Libc.write(fd, p, (nuint)buffer.Length)) < 0)
            {
                errno = ErrnoExtensions.Last();
                if (errno != Errno.EINTR) return -1;
            }
        }
        errno = Errno.None;
        return n;
    }

    /// <summary>Bytes read at <paramref name="offset"/> (0 at end of file; the file position is not used or moved),
    /// or -1 and the errno.</summary>
    public static nint PRead(int fd, Span<byte> buffer, long offset, out Errno errno)
    {
        nint n;
        fixed (byte* p = buffer)
        {
            while ((n = Libc.pread(fd, p, (nuint)buffer.Length, offset)) < 0)
            {
                errno = ErrnoExtensions.Last();
                if (errno != Errno.EINTR) return -1;
            }
        }
        errno = Errno.None;
        return n;
    }
}
