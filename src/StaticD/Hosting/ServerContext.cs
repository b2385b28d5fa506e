using StaticD.Http;
using StaticD.Interop;

namespace StaticD.Hosting;

/// <summary>What every loop needs to serve a request: the validated options and the open root directory. One
/// instance is shared read-only by all loops.</summary>
internal sealed class ServerContext : IDisposable
{
    public ServerOptions Options { get; }
    public int RootFd { get; private set; }
    public ParserLimits ParserLimits { get; }

    /// <summary>Open connections across all loops, for MaxConnections.</summary>
    public int OpenConnections;

    private ServerContext(ServerOptions options, int rootFd)
    {
        Options = options;
        RootFd = rootFd;
        LimitsOptions l = options.Limits;
        ParserLimits = new ParserLimits(l.MaxRequestLineBytes, l.MaxHeaderBytes, l.MaxHeaderCount);
    }

    /// <summary>Opens the root as an O_PATH directory descriptor: every file is later opened relative to it, so
    /// renaming or replacing the path after start-up cannot redirect requests elsewhere.</summary>
    public static unsafe ServerContext Open(ServerOptions options)
    {
        byte[] path = System.Text.Encoding.UTF8.GetBytes(options.Root + "\0");
        int fd;
        fixed (byte* p = path)
        {
            // Plain openat: the root is the operator's choice and may well be reached through symlinks.
            fd = Libc.openat(Libc.AT_FDCWD, p, (int)(Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC), 0);
        }
        if (fd < 0)
            throw new ConfigException("StaticD:Root", $"\"{options.Root}\" cannot be opened: {ErrnoExtensions.Last().Describe()}");
        return new ServerContext(options, fd);
    }

    public void Dispose()
    {
        Syscall.Close(RootFd);
        RootFd = -1;
    }
}
