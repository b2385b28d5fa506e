using System.Diagnostics;
using System.Globalization;
using System.Net.Http;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using StaticD.Logging;
using StaticD.Tls;

namespace StaticD.Acme;

/// <summary>An order or authorization the ACME server declared invalid: counts against
/// <see cref="AcmeSettings.FailedOrderInterval"/>.</summary>
internal sealed class FailedOrderException(AcmeProblem problem) : Exception(problem.ToString())
{
    public AcmeProblem Problem { get; } = problem;
}

/// <summary>
/// The one ACME client of a process, on the thread pool: for each ACME site it obtains the certificate, renews
/// it when due and installs it in the site's <see cref="AcmeSlot"/>. It holds the state directory's lock for as
/// long as it runs; without the lock (another staticd process has it) it only picks up the certificates that
/// process writes there. Loops never wait for it.
/// </summary>
internal sealed partial class AcmeWorker(ILogger logger, TimeProvider time, Action certificatesChanged)
{
    /// <summary>How often a worker without the lock looks for certificates written by the one with it.</summary>
    private static readonly TimeSpan Recheck = TimeSpan.FromMinutes(1);
    /// <summary>An authorization or order not done after this long is given up (and retried with back-off).</summary>
    private static readonly TimeSpan PollLimit = TimeSpan.FromMinutes(5);

    private readonly Lock _lock = new();
    private AcmeSettings _settings = new();
    private IReadOnlyList<AcmeTarget> _targets = [];
    private CancellationTokenSource _wake = new();
    /// <summary>Per certificate name: when its current certificate is due for renewal (computed once per
    /// certificate, with its jitter, so the time does not move at every round).</summary>
    private readonly Dictionary<string, (DateTimeOffset NotAfter, DateTimeOffset RenewAt)> _renewAt = [];
    private readonly HashSet<string> _warned = [];
    private readonly HashSet<string> _lockHeldSaid = [];

    /// <summary>New settings or sites (start, reload): the worker looks at them at once.</summary>
    public void Update(AcmeSettings settings, IReadOnlyList<AcmeTarget> targets)
    {
        lock (_lock)
        {
            _settings = settings;
            _targets = targets;
            if (targets.Count > 0) AcmeCounters.Active = true;
            _wake.Cancel();
        }
    }

    public async Task Run(CancellationToken stopping)
    {
        SafeFileHandle? held = null;
        string? heldFor = null;
        AcmeClient? client = null;
        string? clientFor = null;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                AcmeSettings settings;
                IReadOnlyList<AcmeTarget> targets;
                CancellationToken wake;
                lock (_lock)
                {
                    settings = _settings;
                    targets = _targets;
                    if (_wake.IsCancellationRequested) _wake = new CancellationTokenSource();
                    wake = _wake.Token;
                }
                var state = new AcmeState(settings.StateDirectory);
                DateTimeOffset next = time.GetUtcNow() + Recheck;
                try
                {
                    if (targets.Count > 0)
                    {
                        if (held is not null && heldFor != state.Root)
                        {
                            held.Dispose(); // Acme:StateDirectory changed on reload
                            held = null;
                        }
                        if (held is null)
                        {
                            held = TakeLock(state);
                            heldFor = state.Root;
                            if (held is null) PickUpStored(state, targets);
                        }
                        if (held is not null)
                        {
                            string key = state.Root + "\n" + settings.Directory + "\n" + settings.CaCertificatePem;
                            if (client is null || clientFor != key)
                            {
                                client?.Dispose();
                                client = NewClient(settings, state);
                                clientFor = key;
                            }
                            next = DateTimeOffset.MaxValue;
                            foreach (AcmeTarget target in targets)
                            {
                                if (stopping.IsCancellationRequested) break;
                                DateTimeOffset due = await Tend(client, settings, state, target, stopping).ConfigureAwait(false);
                                if (due < next) next = due;
                            }
                        }
                    }
                }
                catch (Exception ex) when (!stopping.IsCancellationRequested)
                {
                    // The state directory (or the account key in it) cannot be used, or something unforeseen: said
                    // once a minute until it passes, never the end of the worker.
                    if (ex is IOException or UnauthorizedAccessException or CryptographicException) Log.AcmeStateUnusable(logger, state.Root, ex.Message);
                    else Log.AcmeWorkerFailed(logger, ex);
                    client?.Dispose();
                    client = null;
                    next = time.GetUtcNow() + Recheck;
                }
                TimeSpan wait = next - time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    // Capped: a wait of weeks would outlive clock changes and suspended machines.
                    if (wait > TimeSpan.FromHours(1)) wait = TimeSpan.FromHours(1);
                    using var both = CancellationTokenSource.CreateLinkedTokenSource(stopping, wake);
                    try
                    {
                        await Task.Delay(wait, time, both.Token).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                    }
                }
            }
        }
        finally
        {
            client?.Dispose();
            held?.Dispose();
        }
    }

    private SafeFileHandle? TakeLock(AcmeState state)
    {
        try
        {
            SafeFileHandle? held = state.Lock();
            // Said once: the lock is tried again every minute, and taken over when the other process stops.
            if (held is null && _lockHeldSaid.Add(state.Root)) Log.AcmeLockHeld(logger, Path.Combine(state.Root, "lock"));
            return held;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.AcmeStateUnusable(logger, state.Root, ex.Message);
            return null;
        }
    }

    private AcmeClient NewClient(AcmeSettings settings, AcmeState state)
    {
        X509Certificate2? ca = settings.CaCertificatePem is { } pem ? X509Certificate2.CreateFromPem(pem) : null;
        return new AcmeClient(settings.Directory, ca, state.LoadOrCreateAccountKey())
        {
            AccountUrl = state.AccountUrl(settings.Directory),
        };
    }

    /// <summary>Without the lock: installs certificates that appeared (or changed) in the state directory.</summary>
    private void PickUpStored(AcmeState state, IReadOnlyList<AcmeTarget> targets)
    {
        foreach (AcmeTarget target in targets)
        {
            if (LoadStored(state, target) is not { } stored) continue;
            if (target.Slot.Current is { } current && !target.Slot.IsStandIn && current.NotAfter >= stored.NotAfter)
            {
                stored.Dispose();
                continue;
            }
            target.Slot.Install(stored, standIn: false);
            certificatesChanged();
        }
    }

    /// <summary>The stored certificate for the target, when there is one that covers all its names.</summary>
    internal static CertificateContext? LoadStored(AcmeState state, AcmeTarget target)
    {
        string cert = state.CertificatePath(target.Name), key = state.KeyPath(target.Name);
        if (!File.Exists(cert) || !File.Exists(key)) return null;
        try
        {
            CertificateContext context = CertificateContext.Load(cert, key, target.KernelTls, target.Http2);
            if (target.Hosts.All(context.Names.Contains)) return context;
            context.Dispose();
        }
        catch (TlsLoadException)
        {
        }
        return null;
    }

    /// <summary>One round for one certificate: nothing (returns when it is next due), or an order carried to its
    /// end. Never throws but for cancellation: a failure is logged, recorded, and paced.</summary>
    private async Task<DateTimeOffset> Tend(AcmeClient client, AcmeSettings settings, AcmeState state, AcmeTarget target, CancellationToken ct)
    {
        DateTimeOffset now = time.GetUtcNow();
        CertificateContext? current = target.Slot.IsStandIn ? null : target.Slot.Current;
        bool coversAll = current is not null && target.Hosts.All(current.Names.Contains);
        if (coversAll)
        {
            DateTimeOffset renewAt = await RenewAt(client, state, target, current!, ct).ConfigureAwait(false);
            if (now < renewAt) return renewAt;
        }
        else if (_warned.Add(target.Name) && current is null)
        {
            Log.AcmeWaiting(logger, target.Name, target.Slot.IsStandIn
                ? "its HTTPS is served with a self-signed stand-in (Acme:StandIn)"
                : "its HTTPS handshakes fail with an alert (set Acme:StandIn to \"self-signed\" to serve a stand-in meanwhile)");
        }

        OrderRecord record = state.Order(target.Name);
        DateTimeOffset earliest = Schedule.NextAttempt(record, now, settings.FailedOrderInterval, Random.Shared.NextDouble());
        if (earliest > now) return earliest;

        var clock = Stopwatch.StartNew();
        try
        {
            (string orderUrl, X509Certificate2 issued) = await Obtain(client, settings, state, target, record, current, ct).ConfigureAwait(false);
            using (issued)
            {
                string names = string.Join(", ", target.Hosts);
                string notAfter = issued.NotAfter.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
                if (current is null) Log.AcmeIssued(logger, target.Name, names, notAfter, orderUrl, clock.Elapsed.TotalSeconds);
                else Log.AcmeRenewed(logger, target.Name, names, notAfter, orderUrl, clock.Elapsed.TotalSeconds);
            }
            AcmeCounters.CountIssued();
            certificatesChanged();
            return time.GetUtcNow(); // computes its renewal time next round
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            now = time.GetUtcNow();
            record = state.Order(target.Name);
            string orderUrl = record.Url ?? "-";
            AcmeProblem problem = ex switch
            {
                FailedOrderException f => f.Problem,
                AcmeProblemException p => p.Problem,
                _ => new AcmeProblem { Type = "staticd:" + ex.GetType().Name, Detail = ex.Message },
            };
            if (ex is FailedOrderException)
            {
                record.LastFailedOrder = now;
                record.Url = null; // an invalid order is final: the next attempt is a new one
            }
            record.LastFailure = now;
            record.ConsecutiveFailures++;
            DateTimeOffset next = Schedule.NextAttempt(record, now, settings.FailedOrderInterval, Random.Shared.NextDouble());
            TrySave(state, target.Name, record);
            AcmeCounters.CountFailed();
            Log.AcmeFailed(logger, target.Name, string.Join(", ", target.Hosts), problem.ToString(), orderUrl,
                next.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));
            return next;
        }
    }

    private static void TrySave(AcmeState state, string name, OrderRecord record)
    {
        try
        {
            state.SaveOrder(name, record);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>The renewal time of the certificate in force: from the server's ARI window when it has one, else
    /// two thirds of its lifetime; jittered once per certificate.</summary>
    private async Task<DateTimeOffset> RenewAt(AcmeClient client, AcmeState state, AcmeTarget target, CertificateContext current, CancellationToken ct)
    {
        if (_renewAt.TryGetValue(target.Name, out var known) && known.NotAfter == current.NotAfter) return known.RenewAt;
        AcmeWindow? window = null;
        try
        {
            using X509Certificate2 leaf = X509Certificate2.CreateFromPem(File.ReadAllText(state.CertificatePath(target.Name)));
            if (leaf.NotAfter.ToUniversalTime() == current.NotAfter.UtcDateTime && Certificates.RenewalId(leaf) is { } id)
                window = await client.RenewalWindow(id, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or HttpRequestException or TaskCanceledException
                                   && !ct.IsCancellationRequested)
        {
        }
        DateTimeOffset at = Schedule.RenewAt(current.NotBefore, current.NotAfter, window, Random.Shared.NextDouble());
        _renewAt[target.Name] = (current.NotAfter, at);
        Log.AcmeRenewalDue(logger, target.Name, at.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture));
        return at;
    }
}
