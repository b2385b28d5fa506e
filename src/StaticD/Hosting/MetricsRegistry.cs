using System.Globalization;
using System.Text;
using StaticD.Net;

namespace StaticD.Hosting;

/// <summary>
/// Everything <c>GET /metrics</c> reports, in the Prometheus text exposition format 0.0.4. The loops count on
/// their own (<see cref="LoopMetrics"/>, <see cref="SiteCounters"/>); a scrape sums them. Per-site counts are kept
/// per configuration: when a reload replaces it, the old set stays readable (requests that began under it may
/// still finish) and is folded into per-site-name totals <see cref="FoldAfter"/> later, so a site that is still
/// configured after a reload keeps its totals. Site labels come from the configuration only: a site's first host
/// name, <c>_</c> for the default site, <c>-</c> for requests no site answered.
/// </summary>
internal sealed class MetricsRegistry
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";
    /// <summary>How long a replaced configuration's counters are read live before being folded into the totals.
    /// A response that began before the reload and finishes later than this is not counted per site.</summary>
    public static readonly TimeSpan FoldAfter = TimeSpan.FromMinutes(10);
    private static readonly string[] MethodNames = ["GET", "HEAD", "OPTIONS", "other"];
    private static readonly string[] StateNames = ["reading", "writing", "idle"];

    private readonly Lock _lock = new();
    private readonly string _version;
    private readonly TimeProvider _time;
    private SiteCounters _current;
    private readonly List<(SiteCounters Counters, long RetiredAt)> _retired = [];
    private readonly Dictionary<string, long[]> _folded = new(StringComparer.Ordinal);
    private LoopMetrics[] _loops = [];
    private Func<long> _dropped = static () => 0;
    private long _reloadSuccesses, _reloadFailures;
    private long _lastReloadSuccess;
    /// <summary>Each served certificate's end of validity by site label, for the configuration in force.</summary>
    private (string Site, long NotAfter)[] _certificates = [];
    private static readonly string[] HandshakeResults = ["ok", "failed", "incomplete", "plain_http"];

    public MetricsRegistry(string version, SiteCounters current, TimeProvider? time = null)
    {
        _version = version;
        _current = current;
        _time = time ?? TimeProvider.System;
        _lastReloadSuccess = _time.GetUtcNow().ToUnixTimeSeconds();
    }

    /// <summary>The loops' counters and the access log's drop count, once the loops exist.</summary>
    public void Attach(IEnumerable<LoopMetrics> loops, Func<long> dropped)
    {
        lock (_lock)
        {
            _loops = [.. loops];
            _dropped = dropped;
        }
    }

    /// <summary>A reload put a new configuration in force.</summary>
    public void ReloadSucceeded(SiteCounters next)
    {
        lock (_lock)
        {
            FoldOld(); // also here, so that reloads without scrapes do not pile up old counters
            _retired.Add((_current, _time.GetTimestamp()));
            _current = next;
            _reloadSuccesses++;
            _lastReloadSuccess = _time.GetUtcNow().ToUnixTimeSeconds();
        }
    }

    /// <summary>The certificates of the configuration in force (at start and after each successful reload).</summary>
    public void SetCertificates(IEnumerable<(string Site, DateTimeOffset NotAfter)> certificates)
    {
        lock (_lock) _certificates = [.. certificates.Select(c => (c.Site, c.NotAfter.ToUnixTimeSeconds()))];
    }

    public void ReloadFailed()
    {
        lock (_lock) _reloadFailures++;
    }

    /// <summary>The exposition, as UTF-8 text.</summary>
    public byte[] Scrape()
    {
        lock (_lock)
        {
            FoldOld();
            return Encoding.UTF8.GetBytes(Format());
        }
    }

    private void FoldOld()
    {
        for (int i = _retired.Count - 1; i >= 0; i--)
        {
            if (_time.GetElapsedTime(_retired[i].RetiredAt) < FoldAfter) continue;
            AddInto(_folded, _retired[i].Counters, null);
            _retired.RemoveAt(i);
        }
    }

    /// <summary>Adds one configuration's counts, by site name, into <paramref name="totals"/> (and the names, in
    /// first-seen order, to <paramref name="order"/>).</summary>
    private void AddInto(Dictionary<string, long[]> totals, SiteCounters counters, List<string>? order)
    {
        string[] names = counters.Names;
        for (int s = 0; s < names.Length; s++)
        {
            if (!totals.TryGetValue(names[s], out long[]? sum))
            {
                totals[names[s]] = sum = new long[SiteCounters.Stride];
                order?.Add(names[s]);
            }
            for (int loop = 0; loop < _loops.Length; loop++)
            {
                if (counters.ForLoop(loop) is not { } counts) continue;
                int row = s * SiteCounters.Stride;
                for (int k = 0; k < SiteCounters.Stride; k++) sum[k] += Volatile.Read(ref counts[row + k]);
            }
        }
    }

    private string Format()
    {
        var order = new List<string>();
        var totals = new Dictionary<string, long[]>(StringComparer.Ordinal);
        AddInto(totals, _current, order);
        foreach ((SiteCounters counters, _) in _retired) AddInto(totals, counters, order);
        foreach ((string name, long[] folded) in _folded)
        {
            if (!totals.TryGetValue(name, out long[]? sum))
            {
                totals[name] = sum = new long[SiteCounters.Stride];
                order.Add(name);
            }
            for (int k = 0; k < folded.Length; k++) sum[k] += folded[k];
        }

        var w = new StringBuilder(4096 + order.Count * 256);
        Header(w, "staticd_build_info", "gauge", "The staticd version running; the value is always 1.");
        w.Append("staticd_build_info{version=\"").Append(Escape(_version)).Append("\"} 1\n");

        Header(w, "staticd_http_requests_total", "counter", "Finished HTTP responses by site, request method and status class.");
        foreach (string site in order)
        {
            long[] sum = totals[site];
            for (int m = 0; m < SiteCounters.Methods; m++)
            {
                for (int c = 0; c < SiteCounters.Classes; c++)
                {
                    long value = sum[m * SiteCounters.Classes + c];
                    if (value == 0) continue;
                    w.Append("staticd_http_requests_total{site=\"").Append(Escape(site)).Append("\",method=\"")
                        .Append(MethodNames[m]).Append("\",code=\"").Append(c + 1).Append("xx\"} ").Append(value).Append('\n');
                }
            }
        }

        Header(w, "staticd_http_response_bytes_total", "counter", "Bytes sent in HTTP responses by site.");
        foreach (string site in order)
            Sample(w, "staticd_http_response_bytes_total", "site", site, totals[site][SiteCounters.BytesColumn]);

        FormatDurations(w);

        Header(w, "staticd_connections", "gauge", "Open connections by state (reading a request head, writing a response, idle between requests).");
        for (int s = 0; s < StateNames.Length; s++)
        {
            long open = 0;
            foreach (LoopMetrics loop in _loops) open += Volatile.Read(ref loop.States[s]);
            Sample(w, "staticd_connections", "state", StateNames[s], open);
        }

        Counter(w, "staticd_connections_accepted_total", "Connections accepted.", Sum(static l => ref l.Accepted));
        Header(w, "staticd_connections_rejected_total", "counter", "Connections refused with a 503 and closed, by reason.");
        Sample(w, "staticd_connections_rejected_total", "reason", "max_connections", Sum(static l => ref l.RejectedMaxConnections));
        Counter(w, "staticd_file_cache_hits_total", "Requests answered from an event loop's file cache.", Sum(static l => ref l.CacheHits));
        Counter(w, "staticd_file_cache_misses_total", "Requests the file cache could not answer (resolved on the thread pool).", Sum(static l => ref l.CacheMisses));
        Counter(w, "staticd_access_log_dropped_total", "Access log entries dropped because the journal or an access log file could not keep up.", _dropped());

        FormatTls(w);
        FormatHttp2(w);
        FormatAcme(w);

        Header(w, "staticd_config_reloads_total", "counter", "Configuration reloads (SIGHUP) by result.");
        Sample(w, "staticd_config_reloads_total", "result", "success", _reloadSuccesses);
        Sample(w, "staticd_config_reloads_total", "result", "failure", _reloadFailures);
        Header(w, "staticd_config_last_reload_success_timestamp_seconds", "gauge",
            "Unix time of the last successful configuration load (the start, or the last successful reload).");
        w.Append("staticd_config_last_reload_success_timestamp_seconds ").Append(_lastReloadSuccess).Append('\n');
        return w.ToString();
    }

    /// <summary>The TLS series, when the configuration serves HTTPS (or did: handshakes were counted).</summary>
    private void FormatTls(StringBuilder w)
    {
        var results = new long[HandshakeResults.Length];
        foreach (LoopMetrics loop in _loops)
        {
            for (int i = 0; i < results.Length; i++) results[i] += Volatile.Read(ref loop.TlsHandshakes[i]);
        }
        if (_certificates.Length == 0 && results.All(r => r == 0)) return;
        Header(w, "staticd_tls_handshakes_total", "counter",
            "TLS handshakes by result: ok, failed (protocol error), incomplete (closed or timed out first), plain_http (a plain HTTP request on the TLS port).");
        for (int i = 0; i < results.Length; i++) Sample(w, "staticd_tls_handshakes_total", "result", HandshakeResults[i], results[i]);
        Counter(w, "staticd_tls_resumed_total", "TLS handshakes that resumed a session (ticket or session ID).", Sum(static l => ref l.TlsResumed));
        Counter(w, "staticd_tls_kernel_sessions_total", "TLS sessions whose sending the kernel took over (kTLS: files sent with SSL_sendfile).",
            Sum(static l => ref l.KernelTlsSessions));
        if (_certificates.Length == 0) return;
        Header(w, "staticd_tls_certificate_expiry_timestamp_seconds", "gauge", "Unix time at which each site's certificate stops being valid.");
        foreach ((string site, long notAfter) in _certificates) Sample(w, "staticd_tls_certificate_expiry_timestamp_seconds", "site", site, notAfter);
    }

    private static readonly string[] GoAwayReasons = ["shutdown", "idle", "calm"];

    /// <summary>The HTTP/2 series, once a connection has spoken it.</summary>
    private void FormatHttp2(StringBuilder w)
    {
        long connections = Sum(static l => ref l.Http2Connections);
        if (connections == 0) return;
        Counter(w, "staticd_http2_connections_total", "Connections that spoke HTTP/2 (ALPN h2, or prior knowledge).", connections);
        Counter(w, "staticd_http2_streams_total", "HTTP/2 streams opened by clients.", Sum(static l => ref l.Http2Streams));
        Header(w, "staticd_http2_goaway_total", "counter",
            "GOAWAY frames sent, by reason: shutdown (stop), idle (Http2IdleTimeoutSeconds), calm (a reset or control-frame budget spent).");
        for (int i = 0; i < GoAwayReasons.Length; i++)
        {
            long total = 0;
            foreach (LoopMetrics loop in _loops) total += Volatile.Read(ref loop.Http2GoAway[i]);
            Sample(w, "staticd_http2_goaway_total", "reason", GoAwayReasons[i], total);
        }
    }

    /// <summary>staticd_acme_orders_total, while some site's certificate comes from ACME (or one did).</summary>
    private static void FormatAcme(StringBuilder w)
    {
        long issued = Acme.AcmeCounters.Issued, failed = Acme.AcmeCounters.Failed;
        if (!Acme.AcmeCounters.Active && issued == 0 && failed == 0) return;
        Header(w, "staticd_acme_orders_total", "counter", "ACME orders by result: issued (a certificate installed), failed.");
        Sample(w, "staticd_acme_orders_total", "result", "issued", issued);
        Sample(w, "staticd_acme_orders_total", "result", "failed", failed);
    }

    private void FormatDurations(StringBuilder w)
    {
        const string Name = "staticd_http_request_duration_seconds";
        Header(w, Name, "histogram", "Time from a request's head being parsed to its response being finished.");
        long[] bounds = LoopMetrics.BucketMicros;
        var counts = new long[bounds.Length + 1];
        long micros = 0;
        foreach (LoopMetrics loop in _loops)
        {
            for (int i = 0; i < counts.Length; i++) counts[i] += Volatile.Read(ref loop.Durations[i]);
            micros += Volatile.Read(ref loop.DurationMicros);
        }
        long cumulative = 0;
        for (int i = 0; i < bounds.Length; i++)
        {
            cumulative += counts[i];
            w.Append(Name).Append("_bucket{le=\"").Append(Seconds(bounds[i])).Append("\"} ").Append(cumulative).Append('\n');
        }
        cumulative += counts[^1];
        w.Append(Name).Append("_bucket{le=\"+Inf\"} ").Append(cumulative).Append('\n');
        w.Append(Name).Append("_sum ").Append(Seconds(micros)).Append('\n');
        w.Append(Name).Append("_count ").Append(cumulative).Append('\n');
    }

    private delegate ref long Field(LoopMetrics loop);

    private long Sum(Field field)
    {
        long total = 0;
        foreach (LoopMetrics loop in _loops) total += Volatile.Read(ref field(loop));
        return total;
    }

    private static string Seconds(long micros) => (micros / 1_000_000m).ToString(CultureInfo.InvariantCulture);

    private static void Header(StringBuilder w, string name, string type, string help) =>
        w.Append("# HELP ").Append(name).Append(' ').Append(help).Append("\n# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Counter(StringBuilder w, string name, string help, long value)
    {
        Header(w, name, "counter", help);
        w.Append(name).Append(' ').Append(value).Append('\n');
    }

    private static void Sample(StringBuilder w, string name, string label, string value, long sample) =>
        w.Append(name).Append('{').Append(label).Append("=\"").Append(Escape(value)).Append("\"} ").Append(sample).Append('\n');

    /// <summary>Label values escaped as the text format requires (backslash, double quote, line feed).</summary>
    internal static string Escape(string value) =>
        value.AsSpan().IndexOfAny("\\\"\n") < 0 ? value : value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
