using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using StaticD.Logging;
using StaticD.Tls;

namespace StaticD.Acme;

/// <summary>One order from creation (or resumption) to the installed certificate (RFC 8555 §7.4).</summary>
internal sealed partial class AcmeWorker
{
    /// <summary>Carries an order for the target's names to a valid certificate, installs it in the slot and
    /// stores it; returns the order URL and the leaf. The order is persisted before any challenge is answered, so
    /// a restart resumes it instead of creating a second one.</summary>
    private async Task<(string OrderUrl, X509Certificate2 Leaf)> Obtain(AcmeClient client, AcmeSettings settings, AcmeState state,
        AcmeTarget target, OrderRecord record, CertificateContext? current, CancellationToken ct)
    {
        if (client.AccountUrl is null)
        {
            string account = await client.Account(settings.Email, ct).ConfigureAwait(false);
            state.SaveAccount(settings.Directory, account);
        }
        List<string> names = [.. target.Hosts];
        string? url = record.Url is not null && record.Names.SequenceEqual(names) ? record.Url : null;
        AcmeOrder? order = null;
        if (url is not null)
        {
            try
            {
                order = await client.GetOrder(url, ct).ConfigureAwait(false);
                // Failed while this process was not following it (stopped, or killed mid-validation): a failed order
                // like any other, logged as one, and no new order before Acme:FailedOrderInterval. Invalid without
                // an error (it expired unanswered) is no failure of the names: a new order follows.
                if (order.Status is "invalid" && await FailureOf(client, order, ct).ConfigureAwait(false) is { } failure)
                    throw new FailedOrderException(failure);
                if (order.Status is "invalid") order = null;
                else Log.AcmeResumed(logger, target.Name, string.Join(", ", names), url);
            }
            catch (AcmeProblemException)
            {
                order = null; // gone (expired, or another server's): start a new one
            }
        }
        if (order is null)
        {
            string? replaces = null;
            if (current is not null && File.Exists(state.CertificatePath(target.Name)))
            {
                using X509Certificate2 old = X509Certificate2.CreateFromPem(File.ReadAllText(state.CertificatePath(target.Name)));
                replaces = (await client.Directory(ct).ConfigureAwait(false)).RenewalInfo is null ? null : Certificates.RenewalId(old);
            }
            (url, order) = await client.NewOrder(names, replaces, ct).ConfigureAwait(false);
            record.Url = url;
            record.Names = names;
            record.CreatedAt = time.GetUtcNow();
            state.SaveOrder(target.Name, record);
        }

        var tokens = new List<string>();
        var hosts = new List<string>();
        try
        {
            if (order.Status == "pending") await Authorize(client, settings, order.Authorizations, tokens, hosts, ct).ConfigureAwait(false);
            order = await Await(client, url!, order, static o => o.Status is "pending", ct).ConfigureAwait(false);
        }
        finally
        {
            foreach (string token in tokens) AcmeCertificates.RemoveToken(token);
            foreach (string host in hosts) AcmeCertificates.RemoveChallenge(host);
        }

        string? keyPem = state.PendingKey(target.Name);
        if (order.Status == "ready")
        {
            using ECDsa key = keyPem is null ? Certificates.NewKey() : LoadKey(keyPem);
            if (keyPem is null)
            {
                keyPem = key.ExportPkcs8PrivateKeyPem();
                state.SavePendingKey(target.Name, keyPem); // before finalize: a restart after it still has the key
            }
            order = await client.Finalize(order.Finalize!, Certificates.SigningRequest(key, names), ct).ConfigureAwait(false);
            order = await Await(client, url!, order, static o => o.Status is "processing" or "ready", ct).ConfigureAwait(false);
        }
        if (order.Status != "valid" || order.Certificate is null || keyPem is null)
            throw new FailedOrderException(order.Error ?? new AcmeProblem
            {
                Type = "staticd:order",
                Detail = keyPem is null && order.Status == "valid"
                    ? "the order is valid but the key of its request was lost; a new order follows"
                    : $"the order ended {order.Status}",
            });

        string chain = await client.DownloadCertificate(order.Certificate, ct).ConfigureAwait(false);
        CertificateContext context = CertificateContext.FromPem(chain, keyPem, target.KernelTls, target.Http2, state.CertificatePath(target.Name));
        if (!target.Hosts.All(context.Names.Contains))
        {
            context.Dispose();
            throw new FailedOrderException(new AcmeProblem { Type = "staticd:certificate", Detail = "the issued certificate does not name every host" });
        }
        state.SaveCertificate(target.Name, chain, keyPem);
        target.Slot.Install(context, standIn: false);
        record.Url = null;
        record.ConsecutiveFailures = 0;
        record.LastFailure = null;
        state.SaveOrder(target.Name, record);
        return (url!, X509Certificate2.CreateFromPem(chain));
    }

    private static ECDsa LoadKey(string pem)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(pem);
        return key;
    }

    /// <summary>Answers the order's authorizations (RFC 8555 §7.5): for each, picks the first of Acme:ChallengeTypes
    /// the server offers and sets up the answer (token for http-01, challenge certificate for tls-alpn-01); only
    /// once every answer is in place are the challenges answered (a resumed order's server may validate any of them
    /// at any moment), then the verdicts are awaited.</summary>
    private async Task Authorize(AcmeClient client, AcmeSettings settings, List<string> urls, List<string> tokens, List<string> hosts, CancellationToken ct)
    {
        var pending = new List<(string Url, string Host, AcmeChallenge Challenge)>();
        foreach (string url in urls)
        {
            AcmeAuthorization authorization = await client.GetAuthorization(url, ct).ConfigureAwait(false);
            if (authorization.Status == "valid") continue;
            string host = authorization.Identifier?.Value ?? "?";
            if (authorization.Status != "pending")
                throw new FailedOrderException(ChallengeError(authorization) ?? new AcmeProblem { Type = "staticd:authorization", Detail = $"{host}: authorization is {authorization.Status}" });
            AcmeChallenge? challenge = settings.ChallengeTypes
                .Select(type => authorization.Challenges.FirstOrDefault(c => c.Type == type && c.Token is not null && c.Url is not null))
                .FirstOrDefault(c => c is not null);
            if (challenge is null)
                throw new FailedOrderException(new AcmeProblem
                {
                    Type = "staticd:challenge",
                    Detail = $"{host}: the server offers {string.Join(", ", authorization.Challenges.Select(c => c.Type))}, none of Acme:ChallengeTypes ({string.Join(", ", settings.ChallengeTypes)})",
                });
            string keyAuthorization = client.KeyAuthorization(challenge.Token!);
            if (challenge.Type == AcmeSettings.Http01)
            {
                AcmeCertificates.AddToken(challenge.Token!, keyAuthorization);
                tokens.Add(challenge.Token!);
            }
            else
            {
                (string certificate, string key) = Certificates.Challenge(host, keyAuthorization);
                AcmeCertificates.AddChallenge(host, CertificateContext.Challenge(certificate, key, $"tls-alpn-01 challenge for {host}"));
                hosts.Add(host);
            }
            pending.Add((url, host, challenge));
        }
        foreach ((string url, _, AcmeChallenge challenge) in pending)
        {
            // A resumed order may have answered already (the challenge is then processing): answering twice is an error.
            if (challenge.Status is not (null or "pending")) continue;
            try
            {
                await client.RespondToChallenge(challenge.Url!, ct).ConfigureAwait(false);
            }
            catch (AcmeProblemException)
            {
                // The server may have finished validating the answer given before a restart between our look and this
                // answer ("Cannot update challenge with status valid"): then the verdict below is what counts.
                AcmeAuthorization now = await client.GetAuthorization(url, ct).ConfigureAwait(false);
                string? status = now.Challenges.FirstOrDefault(c => c.Url == challenge.Url)?.Status;
                if (now.Status != "valid" && status is not ("processing" or "valid")) throw;
            }
        }
        DateTimeOffset giveUp = time.GetUtcNow() + PollLimit;
        foreach ((string url, string host, _) in pending)
        {
            TimeSpan delay = TimeSpan.FromMilliseconds(250);
            AcmeAuthorization authorization = await client.GetAuthorization(url, ct).ConfigureAwait(false);
            while (authorization.Status == "pending")
            {
                if (time.GetUtcNow() > giveUp) throw new TimeoutException($"{host}: the authorization was still pending after {PollLimit.TotalMinutes} minutes");
                await Task.Delay(client.LastRetryAfter is { } after && after > delay ? after : delay, time, ct).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
                authorization = await client.GetAuthorization(url, ct).ConfigureAwait(false);
            }
            if (authorization.Status != "valid")
                throw new FailedOrderException(ChallengeError(authorization) ?? new AcmeProblem { Type = "staticd:authorization", Detail = $"{host}: authorization is {authorization.Status}" });
        }
    }

    /// <summary>Why an invalid order failed: its own error, else the first failed challenge's; null when neither says.</summary>
    private static async Task<AcmeProblem?> FailureOf(AcmeClient client, AcmeOrder order, CancellationToken ct)
    {
        if (order.Error is not null) return order.Error;
        foreach (string url in order.Authorizations)
        {
            if (ChallengeError(await client.GetAuthorization(url, ct).ConfigureAwait(false)) is { } error) return error;
        }
        return null;
    }

    private static AcmeProblem? ChallengeError(AcmeAuthorization authorization) =>
        authorization.Challenges.Select(c => c.Error).FirstOrDefault(e => e is not null);

    /// <summary>Polls the order while <paramref name="waiting"/> holds (honouring Retry-After, RFC 8555 §7.4).</summary>
    private async Task<AcmeOrder> Await(AcmeClient client, string url, AcmeOrder order, Func<AcmeOrder, bool> waiting, CancellationToken ct)
    {
        DateTimeOffset giveUp = time.GetUtcNow() + PollLimit;
        TimeSpan delay = TimeSpan.FromMilliseconds(250);
        while (waiting(order))
        {
            if (time.GetUtcNow() > giveUp) throw new TimeoutException($"the order was still {order.Status} after {PollLimit.TotalMinutes} minutes");
            await Task.Delay(client.LastRetryAfter is { } after && after > delay ? after : delay, time, ct).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            order = await client.GetOrder(url, ct).ConfigureAwait(false);
        }
        return order;
    }
}
