using System.Net.Sockets;
using StaticD.Interop;

namespace StaticD.Systemd;

/// <summary>
/// Socket activation (sd_listen_fds(3)): descriptors from fd 3 on, when LISTEN_PID names this process. They come
/// from a socket unit (staticd.socket) or back from the file-descriptor store after a restart; either way each
/// must be a listening stream socket, and each is made close-on-exec and non-blocking before use.
/// </summary>
internal static class ListenFds
{
    public const int Start = 3;
    /// <summary>FDNAME under which staticd keeps its own listeners in the service manager's fd store.</summary>
    public const string StoreName = "staticd-listen";
    /// <summary>The fd-store name of the HTTPS listeners (kept apart: after a restart they must speak TLS again).</summary>
    public const string StoreNameTls = "staticd-listen-tls";
    /// <summary>A socket unit's socket with FileDescriptorName=https is an HTTPS listener.</summary>
    public const string HttpsName = "https";

    public readonly record struct Passed(int Fd, string Name);

    public static List<Passed> Take()
    {
        List<Passed> result = Take(Environment.GetEnvironmentVariable("LISTEN_PID"), Environment.GetEnvironmentVariable("LISTEN_FDS"),
            Environment.GetEnvironmentVariable("LISTEN_FDNAMES"), Environment.ProcessId);
        // Children (none today) must not think the sockets are theirs.
        Environment.SetEnvironmentVariable("LISTEN_PID", null);
        Environment.SetEnvironmentVariable("LISTEN_FDS", null);
        Environment.SetEnvironmentVariable("LISTEN_FDNAMES", null);
        return result;
    }

    // internal for testing: the environment as values, so tests need not be started by systemd.
    internal static List<Passed> Take(string? listenPid, string? listenFds, string? names, int myPid)
    {
        var result = new List<Passed>();
        if (!int.TryParse(listenPid, out int pid) || pid != myPid) return result;
        if (!int.TryParse(listenFds, out int count) || count <= 0) return result;
        string[] nameList = (names ?? "").Split(':');
        for (int i = 0; i < count; i++)
        {
            int fd = Start + i;
            string name = i < nameList.Length && nameList[i].Length > 0 ? nameList[i] : "unknown";
            if (!Syscall.IsListeningStreamSocket(fd))
                throw new InvalidOperationException($"socket activation: fd {fd} (\"{name}\") is not a listening stream socket");
            if (Syscall.GetSocketFamily(fd) is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
                throw new InvalidOperationException($"socket activation: fd {fd} (\"{name}\") is not a TCP socket");
            // The manager passes them without FD_CLOEXEC and possibly blocking; staticd needs both set.
            Syscall.SetCloseOnExec(fd);
            Syscall.SetNonBlocking(fd);
            result.Add(new Passed(fd, name));
        }
        return result;
    }
}
