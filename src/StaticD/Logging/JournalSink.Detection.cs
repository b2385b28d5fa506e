using System.Globalization;
using System.Text;
using StaticD.Interop;

namespace StaticD.Logging;

/// <summary>Deciding whether to log to the journal at all.</summary>
internal sealed partial class JournalSink
{
    /// <summary>
    /// True when the process should log through this sink rather than to stderr: journald's socket is there, and
    /// either stderr is itself connected to the journal (<c>$JOURNAL_STREAM</c> matches fd 2) or systemd started
    /// the process (<c>$INVOCATION_ID</c>).
    /// </summary>
    internal static bool ShouldUseJournal() => ShouldUseJournal(
        Environment.GetEnvironmentVariable("JOURNAL_STREAM"),
        Environment.GetEnvironmentVariable("INVOCATION_ID"),
        stderrFd: 2,
        DefaultSocketPath);

    internal static bool ShouldUseJournal(string? journalStream, string? invocationId, int stderrFd, string socketPath) =>
        IsJournalAvailable(socketPath) && (IsJournalStream(journalStream, stderrFd) || !string.IsNullOrEmpty(invocationId));

    /// <summary>Whether <paramref name="socketPath"/> exists and is a socket. A socket left behind by a journald
    /// that died still passes; sends to it then fail with ECONNREFUSED and go to the fallback writer.</summary>
    internal static bool IsJournalAvailable(string socketPath = DefaultSocketPath)
    {
        int byteCount = Encoding.UTF8.GetByteCount(socketPath);
        if (byteCount == 0 || byteCount >= 4096) return false;
        Span<byte> path = stackalloc byte[byteCount + 1];
        Encoding.UTF8.GetBytes(socketPath, path);
        path[byteCount] = 0;
        return Syscall.StatPath(path, out Statx st, out _) && st.IsSocket;
    }

    /// <summary>
    /// systemd.exec(5): for StandardError=journal systemd sets <c>$JOURNAL_STREAM</c> to "DEVICE:INODE" (decimal) of
    /// the stream it gave the service. Comparing it with fd 2's own device and inode tells apart a process whose
    /// stderr really is that stream from a child whose stderr was redirected elsewhere but inherited the variable
    /// (JOURNAL_NATIVE_PROTOCOL, "Automatic Protocol Upgrading").
    /// </summary>
    internal static bool IsJournalStream(string? journalStream, int fd)
    {
        if (string.IsNullOrEmpty(journalStream)) return false;
        int colon = journalStream.IndexOf(':');
        if (colon <= 0
            || !ulong.TryParse(journalStream.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out ulong device)
            || !ulong.TryParse(journalStream.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out ulong inode))
            return false;
        if (!Syscall.StatFd(fd, out Statx st, out _)) return false;
        return st.Ino == inode && EncodeDevice(st.DevMajor, st.DevMinor) == device;
    }

    /// <summary>glibc's makedev(3): the dev_t that fstat(2) reports and systemd prints, from statx's split
    /// major/minor.</summary>
    internal static ulong EncodeDevice(uint major, uint minor) =>
        ((ulong)(major & 0xFFFFF000u) << 32) | ((ulong)(major & 0x00000FFFu) << 8) |
        ((ulong)(minor & 0xFFFFFF00u) << 12) | (minor & 0x000000FFu);
}
