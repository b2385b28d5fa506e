using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace StaticD.IntegrationTests.Hostile;

/// <summary>
/// The server's end of one loopback connection as the kernel lists it in /proc/net/tcp — for a client that must
/// not read (reading would be progress) but wants to know whether the server has let the connection go.
/// </summary>
internal static class ServerSocketState
{
    /// <summary>
    /// True once the server no longer holds its end of <paramref name="client"/>'s connection with a descriptor:
    /// the entry is gone, or it is an orphan (inode 0: closed by the process, the kernel still flushing it). Only
    /// for a connection the server has accepted (one it has answered): a queued one has inode 0 too.
    /// </summary>
    public static bool Released(int serverPort, Socket client)
    {
        var local = $"0100007F:{serverPort:X4}";
        var remote = $"0100007F:{((IPEndPoint)client.LocalEndPoint!).Port:X4}";
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length > 9 && f[1] == local && f[2] == remote)
            {
                return long.Parse(f[9], CultureInfo.InvariantCulture) == 0;
            }
        }

        return true;
    }

    /// <summary>Polls <see cref="Released"/> until it holds or <paramref name="timeout"/> passes.</summary>
    public static Task<bool> WaitReleasedAsync(int serverPort, Socket client, TimeSpan timeout) =>
        HostileSupport.EventuallyAsync(() => Released(serverPort, client), timeout, pollMs: 50);
}
