namespace StaticD.Acme;

/// <summary>
/// When to ask the ACME server again, as pure functions of times (the worker supplies the clock and the random
/// jitter, so tests give both). Renewal starts at two thirds of the certificate's lifetime (Let's Encrypt's own
/// advice: 60 days into 90), or inside the server's ARI window when it offers one; jitter spreads many servers (and
/// many sites) over the window instead of all asking at the same second. After a failure, attempts back off
/// exponentially; and a host whose last order ended invalid gets no new order before the failed-order interval has
/// passed (CAs rate-limit failed validations per host: Let's Encrypt allows 5 per hour).
/// </summary>
internal static class Schedule
{
    public static readonly TimeSpan BackoffBase = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan BackoffCap = TimeSpan.FromHours(6);
    public static readonly TimeSpan DefaultFailedOrderInterval = TimeSpan.FromHours(1);

    /// <summary>When to renew a certificate valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>.
    /// <paramref name="jitter"/> in [0, 1): with an ARI window, the point that far into it (RFC 9773 §4.2 asks for
    /// a uniformly random time in the window); without, up to a twentieth of the lifetime before the two-thirds
    /// mark (never after it, so the margin before expiry is at least a third).</summary>
    public static DateTimeOffset RenewAt(DateTimeOffset notBefore, DateTimeOffset notAfter, AcmeWindow? window, double jitter)
    {
        jitter = Math.Clamp(jitter, 0, 1);
        if (window is not null && window.End > window.Start)
            return window.Start + (window.End - window.Start) * jitter;
        TimeSpan lifetime = notAfter - notBefore;
        return notBefore + lifetime * 2 / 3 - lifetime / 20 * jitter;
    }

    /// <summary>The wait after <paramref name="failures"/> (≥ 1) attempts failed in a row: 1 min, 2, 4, … up to
    /// <see cref="BackoffCap"/>, each stretched by up to a quarter (<paramref name="jitter"/> in [0, 1)).</summary>
    public static TimeSpan Backoff(int failures, double jitter)
    {
        if (failures <= 0) return TimeSpan.Zero;
        double minutes = BackoffBase.TotalMinutes * Math.Pow(2, Math.Min(failures - 1, 20));
        TimeSpan wait = TimeSpan.FromMinutes(Math.Min(minutes, BackoffCap.TotalMinutes));
        return wait + wait / 4 * Math.Clamp(jitter, 0, 1);
    }

    /// <summary>The earliest time a new attempt may start, given the failure history in
    /// <paramref name="record"/> (now when there is none).</summary>
    public static DateTimeOffset NextAttempt(OrderRecord record, DateTimeOffset now, TimeSpan failedOrderInterval, double jitter)
    {
        DateTimeOffset next = now;
        if (record.LastFailure is { } failed && record.ConsecutiveFailures > 0)
            next = Later(next, failed + Backoff(record.ConsecutiveFailures, jitter));
        if (record.LastFailedOrder is { } invalid)
            next = Later(next, invalid + failedOrderInterval);
        return next;
    }

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
