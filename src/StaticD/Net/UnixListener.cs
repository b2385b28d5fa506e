using System.Net.Sockets;
using System.Text;
using StaticD.Interop;

namespace StaticD.Net;

/// <summary>
/// A listening AF_UNIX stream socket at a file-system path (the metrics listener's <c>unix:PATH</c>). The path's
/// file is the socket: a file left behind by a process that died is removed before binding (a socket nobody
/// accepts on), a live one or any other kind of file is refused; at dispose the file is removed, but only while it
/// is still the socket this listener made (another process may have replaced it meanwhile).
/// </summary>
internal sealed class UnixListener : IDisposable
{
    private readonly ulong _inode;

    public int Fd { get; private set; }
    public string Path { get; }

    private UnixListener(int fd, string path, ulong inode)
    {
        Fd = fd;
        Path = path;
        _inode = inode;
    }

    /// <summary>Binds and listens at <paramref name="path"/> and gives the socket file <paramref name="mode"/>;
    /// throws <see cref="ListenException"/> naming what failed.</summary>
    public static UnixListener Bind(string path, UnixFileMode mode)
    {
        RemoveStale(path);
        int fd = Syscall.OpenUnixStreamSocket(out Errno errno);
        if (fd < 0) throw new ListenException(path, errno.Describe(), errno);
        try
        {
            uint length = SockAddr.UnixPath(Encoding.UTF8.GetBytes(path), out SockAddrUnix address);
            errno = Syscall.Bind(fd, address, length);
            if (errno != Errno.None) throw new ListenException(path, errno.Describe(), errno);
            // bind(2) made the file with the process's umask; the mode that counts is set before anyone may connect.
            errno = Syscall.ChangeMode(path, mode);
            if (errno != Errno.None) throw new ListenException(path, $"cannot set the socket's mode: {errno.Describe()}", errno);
            errno = Syscall.Listen(fd, Listener.Backlog);
            if (errno != Errno.None) throw new ListenException(path, errno.Describe(), errno);
            Syscall.StatPath(path, out Statx st, out _);
            return new UnixListener(fd, path, st.Ino);
        }
        catch
        {
            Syscall.Close(fd);
            throw;
        }
    }

    /// <summary>A socket file nobody accepts on (its server died without removing it) is removed, since bind(2)
    /// would fail with EADDRINUSE on it; a socket that answers is another server's, and a file of any other kind is
    /// not ours to delete.</summary>
    private static void RemoveStale(string path)
    {
        if (!Syscall.StatPath(path, out Statx st, out Errno errno))
        {
            if (errno == Errno.ENOENT) return;
            throw new ListenException(path, errno.Describe(), errno);
        }
        if (!st.IsSocket) throw new ListenException(path, "the path exists and is not a socket; remove it or choose another", Errno.EEXIST);
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
            throw new ListenException(path, "another process is listening there (EADDRINUSE)", Errno.EADDRINUSE);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            File.Delete(path);
        }
        catch (SocketException ex)
        {
            throw new ListenException(path, $"cannot tell whether the socket there is in use: {ex.Message}", (Errno)ex.NativeErrorCode);
        }
    }

    public void Dispose()
    {
        if (Fd < 0) return;
        if (Syscall.StatPath(Path, out Statx st, out _) && st.IsSocket && st.Ino == _inode)
        {
            try
            {
                File.Delete(Path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Left behind: the next bind removes a stale socket file anyway.
            }
        }
        Syscall.Close(Fd);
        Fd = -1;
    }
}
