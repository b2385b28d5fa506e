using System.Runtime.InteropServices;

namespace StaticD.IntegrationTests;

/// <summary>
/// The few libc calls the harness needs that .NET has no managed API for: sending a
/// signal other than SIGKILL to a child process, and creating a FIFO.
/// </summary>
internal static partial class Native
{
    public const int SIGTERM = 15;
    public const int O_WRONLY = 0x1;
    public const int O_NONBLOCK = 0x800;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "mkfifo", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int MkFifo(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>
    /// Opens and closes the write end of a FIFO without blocking. If a reader is stuck in
    /// open(2) on it, this releases that reader (it then sees EOF); otherwise it is a no-op.
    /// </summary>
    public static void ReleaseFifoReaders(string path)
    {
        var fd = Open(path, O_WRONLY | O_NONBLOCK);
        if (fd >= 0)
        {
            Close(fd);
        }
    }
}
