using System.Net;
using System.Net.Sockets;
using StaticD.Interop;
using StaticD.Logging;
using StaticD.Net;
using StaticD.Systemd;

namespace StaticD.Hosting;

/// <summary>Binding, adopting and storing the listening sockets (plain HTTP and HTTPS).</summary>
internal sealed partial class ServerService
{
    // ───────────────────────────── listeners ─────────────────────────────

    /// <summary>
    /// Sockets from a socket unit are used as they are (the unit decides the addresses; Listen and Port are then
    /// ignored). Sockets handed back from the fd store after a restart are used when they are exactly the
    /// configured addresses — that is what makes a restart refuse no connection — and closed otherwise.
    /// </summary>
    private void AdoptPassedSockets(ServerOptions options)
    {
        List<ListenFds.Passed> passed = ListenFds.Take();
        if (passed.Count == 0) return;
        var stored = passed.Where(p => p.Name is ListenFds.StoreName or ListenFds.StoreNameTls).ToList();
        var fromUnit = passed.Except(stored).ToList();
        if (fromUnit.Count > 0)
        {
            foreach (ListenFds.Passed p in stored) Syscall.Close(p.Fd);
            foreach (string name in stored.Select(p => p.Name).Distinct()) _notifier?.Notify($"FDSTOREREMOVE=1\nFDNAME={name}");
            // The socket named "https" (FileDescriptorName=https in its socket unit) speaks TLS; the others HTTP.
            _shared = [.. fromUnit.Select(p => Listener.Adopt(p.Fd, tls: p.Name == ListenFds.HttpsName))];
            _fromSocketUnit = true;
            _endPoints = [.. _shared.Where(l => !l.Tls).Select(l => l.EndPoint).Distinct()];
            _tlsEndPoints = [.. _shared.Where(l => l.Tls).Select(l => l.EndPoint).Distinct()];
            return;
        }
        Listener[] adopted = [.. stored.Select(p => Listener.Adopt(p.Fd, tls: p.Name == ListenFds.StoreNameTls))];
        var wanted = options.Listen.Select(a => new IPEndPoint(a, options.Port)).ToHashSet();
        var wantedTls = options.HttpsPort == 0 ? [] : options.Listen.Select(a => new IPEndPoint(a, options.HttpsPort)).ToHashSet();
        var have = adopted.Where(l => !l.Tls).Select(l => l.EndPoint).ToHashSet();
        var haveTls = adopted.Where(l => l.Tls).Select(l => l.EndPoint).ToHashSet();
        if (wanted.SetEquals(have) && wantedTls.SetEquals(haveTls))
        {
            _shared = adopted;
            _endPoints = [.. have];
            _tlsEndPoints = [.. haveTls];
            Log.ListenersRestored(_logger, adopted.Length);
            return;
        }
        foreach (Listener l in adopted) l.Dispose();
        _releasedStoredListeners = adopted.Length > 0;
        _notifier?.Notify($"FDSTOREREMOVE=1\nFDNAME={ListenFds.StoreName}");
        _notifier?.Notify($"FDSTOREREMOVE=1\nFDNAME={ListenFds.StoreNameTls}");
    }

    /// <summary>The fd store handed back sockets of other addresses (the configuration changed across a restart,
    /// e.g. HTTPS added): they were closed here and removed from the store, but systemd's own copies close only
    /// when it has read that message, and until then an address they share with the new list is in use.</summary>
    private bool _releasedStoredListeners;

    /// <summary><see cref="Listener.ProbeExclusive"/>; after releasing stored sockets, "in use" is retried for up to
    /// two seconds while systemd closes its copies (milliseconds in practice).</summary>
    private void ProbeExclusive(IPEndPoint endPoint)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                Listener.ProbeExclusive(endPoint);
                return;
            }
            catch (ListenException ex) when (_releasedStoredListeners && ex.Errno == Errno.EADDRINUSE && attempt < 40)
            {
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>Checks each address once without SO_REUSEPORT (see <see cref="Listener.ProbeExclusive"/>). With the
    /// default address list, a host without IPv6 is served on IPv4 alone rather than not at all.</summary>
    private List<IPEndPoint> ChooseEndPoints(ServerOptions options)
    {
        var result = new List<IPEndPoint>();
        foreach (IPAddress address in options.Listen)
        {
            var endPoint = new IPEndPoint(address, options.Port);
            try
            {
                ProbeExclusive(endPoint);
                result.Add(endPoint);
            }
            catch (ListenException ex) when (options.ListenIsDefault && address.AddressFamily == AddressFamily.InterNetworkV6 &&
                                             ex.Errno is Errno.EAFNOSUPPORT or Errno.EADDRNOTAVAIL)
            {
                Log.NoIPv6(_logger, ex.Errno.Describe());
            }
        }
        _endPoints = result;
        // HTTPS on the same addresses: those IPv6 left out above stay out; any other failure is the operator's to see.
        _tlsEndPoints = options.HttpsPort == 0 ? [] : [.. result.Select(e => new IPEndPoint(e.Address, options.HttpsPort))];
        foreach (IPEndPoint endPoint in _tlsEndPoints) ProbeExclusive(endPoint);
        return result;
    }

    /// <summary>Each loop gets its own SO_REUSEPORT socket per address. All are bound before any is used, so a
    /// failure leaves nothing half-open.</summary>
    private static Listener[][] BindPerLoop(List<IPEndPoint> endPoints, List<IPEndPoint> tlsEndPoints, int loops)
    {
        var result = new Listener[loops][];
        try
        {
            for (int i = 0; i < loops; i++)
            {
                result[i] = new Listener[endPoints.Count + tlsEndPoints.Count];
                for (int j = 0; j < endPoints.Count; j++) result[i][j] = Listener.Bind(endPoints[j], reusePort: true);
                for (int j = 0; j < tlsEndPoints.Count; j++)
                    result[i][endPoints.Count + j] = Listener.Bind(tlsEndPoints[j], reusePort: true, tls: true);
            }
            return result;
        }
        catch
        {
            foreach (Listener[]? set in result)
                foreach (Listener? l in set ?? []) l?.Dispose();
            throw;
        }
    }

    /// <summary>Hands the listening sockets to systemd's fd store (FDSTORE=1): across `systemctl restart` the
    /// kernel keeps queueing connections on them, and the next process takes them back through LISTEN_FDS.
    /// Ignored by systemd unless the unit sets FileDescriptorStoreMax.</summary>
    private void StoreListeners(Listener[][] perLoop)
    {
        if (_notifier is null) return;
        int[] fds = [.. perLoop.SelectMany(set => set).Where(l => !l.Tls).Select(l => l.Fd)];
        if (fds.Length > 0) _notifier.Notify($"FDSTORE=1\nFDNAME={ListenFds.StoreName}", fds);
        int[] tlsFds = [.. perLoop.SelectMany(set => set).Where(l => l.Tls).Select(l => l.Fd)];
        if (tlsFds.Length > 0) _notifier.Notify($"FDSTORE=1\nFDNAME={ListenFds.StoreNameTls}", tlsFds);
    }
}
