using System.Globalization;
using System.Text;
using StaticD.Net;

namespace StaticD.Hosting;

/// <summary>
/// What <c>staticd --help</c> prints: the usage, then one line per configuration key with its default. The keys
/// come from the loaders' own arrays (<see cref="KeysInCode"/>), so a key added to a loader shows up here even
/// before anyone describes it; <c>ConfigKeyDocsTests</c> then fails until it has a line in <see cref="Described"/>,
/// a row in README.md and an entry in staticd(8).
/// </summary>
internal static class HelpText
{
    public const string Usage = """
        Usage: staticd [-c PATH | --config PATH] [-t | --check-config]
               staticd serve [DIR] [--port N] [--listen ADDR]... [--spa] [--list]
               staticd --help | --version
        Serve static files over HTTP/1.1.

          -c, --config PATH    configuration file (default: /etc/staticd/appsettings.json)
          -t, --check-config   validate the configuration and exit: 0 if valid, 78 if not
          -h, --help           show this help and exit
          -V, --version        show the version and exit

        staticd serve: serve DIR (default: .) without a configuration file until Ctrl-C, one line per request on stdout.
          --port N             TCP port (default: 8080)
          --listen ADDR        an IP address to listen on, repeatable (default: 127.0.0.1 and ::1)
          --spa                answer missing paths without an extension with /index.html (SpaFallback)
          --list               list directories that have no index.html (DirectoryListing)
          StaticD__KEY variables apply as below, except Root, Port and Listen, which serve decides.

        Exit status: 0 stopped, 64 bad command line, 69 cannot listen, 77 port not allowed, 78 bad configuration
        or value, 1 any other failure to start.
        """;

    private static readonly Limits L = new();

    /// <summary>Default and a few words for each key, in the order of the table.</summary>
    internal static readonly (string Key, string Default, string Text)[] Described =
    [
        ("Port", "(required)", "TCP port, 1-65535"),
        ("Root", "(required)", "the default site's directory (optional with Sites)"),
        ("HttpsPort", "off", "TLS port on every Listen address (needs Tls)"),
        ("Listen", "0.0.0.0, ::", "IP addresses to listen on"),
        ("Loops", "cores", "event loops, 1-1024"),
        ("ShutdownTimeoutSeconds", "10", "how long a stop waits for responses in flight"),
        ("Limits:MaxRequestLineBytes", Num(L.MaxRequestLineBytes), "a longer request line gets 414"),
        ("Limits:MaxHeaderBytes", Num(L.MaxHeaderBytes), "a larger request head gets 431"),
        ("Limits:MaxHeaderCount", Num(L.MaxHeaderCount), "more header fields get 431"),
        ("Limits:HeaderTimeoutSeconds", Num(L.HeaderTimeoutSeconds), "the whole head must arrive within this"),
        ("Limits:KeepAliveTimeoutSeconds", Num(L.KeepAliveTimeoutSeconds), "idle keep-alive connections close; 0 disables"),
        ("Limits:SendTimeoutSeconds", Num(L.SendTimeoutSeconds), "a client that reads nothing is dropped"),
        ("Limits:MaxConnections", Num(L.MaxConnections), "beyond this, 503 and close"),
        ("Limits:MaxRanges", Num(L.MaxRanges), "more ranges get the whole file (200)"),
        ("Limits:Http2MaxConcurrentStreams", Num(L.Http2MaxConcurrentStreams), "open streams per HTTP/2 connection"),
        ("Limits:Http2MaxHeaderListBytes", "MaxHeaderBytes", "larger HTTP/2 request head (CONTINUATION included) gets 431"),
        ("Limits:Http2ResetBudget", Num(L.Http2ResetBudget), "reset/refused streams per 10 s, then GOAWAY and close"),
        ("Limits:Http2ControlFrameBudget", Num(L.Http2ControlFrameBudget), "SETTINGS/PING/PRIORITY/surplus WINDOW_UPDATE per 10 s"),
        ("Limits:Http2IdleTimeoutSeconds", Num(L.Http2IdleTimeoutSeconds), "an HTTP/2 connection with no stream closes"),
        ("FileCache", "true", "keep open files and small files in memory"),
        ("Metrics:Listen", "off", "serve Prometheus GET /metrics on ADDRESS:PORT or unix:PATH"),
        ("Tls:Certificate", "none", "PEM certificate chain (also per site: Sites:*:Tls)"),
        ("Tls:Key", "none", "PEM private key of that certificate"),
        ("Tls:Ktls", "auto", "kernel TLS where the kernel has it; off"),
        ("Http2", "true", "offer HTTP/2 (h2) by ALPN on HTTPS, before http/1.1"),
        ("Http2Cleartext", "false", "the plain port also takes HTTP/2 with prior knowledge"),
        ("Acme:Directory", "none", "ACME directory URL for sites with \"Tls\": \"acme\""),
        ("Acme:Email", "none", "contact address for the ACME account"),
        ("Acme:AgreeToTerms", "false", "must be true: agree to the ACME server's terms"),
        ("Acme:CaCertificate", "system", "PEM root trusted for the ACME server's HTTPS"),
        ("Acme:StandIn", "none", "before the first certificate: none or self-signed"),
        ("Acme:ChallengeTypes", "both", "[\"http-01\", \"tls-alpn-01\"] in order of preference"),
        ("Acme:StateDirectory", "STATE/acme", "account, keys, certificates, orders; STATE=$STATE_DIRECTORY"),
        ("Acme:FailedOrderInterval", "01:00:00", "at most one failing order per host this often"),
        ("RedirectHttp", "false", "plain HTTP gets 308 to https:// (ACME challenges excepted)"),
        ("Hsts", "none", "Strict-Transport-Security on HTTPS, e.g. max-age=63072000"),
        ("ServeHiddenFiles", "false", "serve dotfiles (/.well-known/ always is)"),
        ("DirectoryListing", "false", "list directories without an index"),
        ("SpaFallback", "none", "e.g. /index.html for missing extension-less paths"),
        ("Precompressed", "true", "serve FILE.br, .zst, .gz by Accept-Encoding"),
        ("Compression:Enabled", "true", "compress once on the fly, then from cache (per site too)"),
        ("Compression:Encodings", "zstd, br, gzip", "codings produced, in order of preference"),
        ("Compression:MinBytes", "1024", "smaller files are sent as they are"),
        ("Compression:MaxBytes", "8388608", "larger files are sent as they are"),
        ("Compression:Types", "text/*, ...", "media types compressed (per site too)"),
        ("Compression:CacheBytes", "67108864", "room for compressed results (LRU)"),
        ("Compression:CacheDirectory", "none", "keep results as files here across restarts"),
        ("ErrorPages", "none", "{ \"404\": \"/404.html\" }"),
        ("MimeTypes", "none", "{ \"m3u8\": \"application/vnd.apple.mpegurl\" }"),
        ("Headers", "nosniff", "headers on every response (X-Content-Type-Options)"),
        ("PathHeaders", "none", "headers for paths matching a pattern"),
        ("CacheControl", "none", "Cache-Control rules by Path or ContentType"),
        ("DefaultCacheControl", "public, max-age=3600", "Cache-Control when no rule applies"),
        ("AccessLog", "true", "one journal entry per request; { \"Path\": FILE } logs to a file"),
        ("Redirects", "none", "[ { \"From\": \"/old\", \"To\": \"/new\" } ], 301 by default"),
        ("RedirectTo", "none", "send every request of the site to this origin"),
        ("Cors", "none", "CORS preset: { \"Origins\": [\"https://app.example\"] }"),
        ("Sites", "none", "more sites on the same listeners, by host name"),
        ("Sites:*:Hosts", "(required)", "the names a site answers to"),
        ("Logging:LogLevel:Default", "Information", "Trace, Debug, Information, Warning, Error, Critical, None"),
    ];

    /// <summary>Every key the loaders accept, as written in the table: nested keys joined with ':', a key of
    /// each site in Sites as <c>Sites:*:KEY</c>, and the log level outside the StaticD section.</summary>
    public static IReadOnlyList<string> KeysInCode() =>
    [
        .. ServerOptions.Keys.SelectMany(k => k == "Limits" ? LimitsConfig.Keys.Select(l => "Limits:" + l)
            : k == "Metrics" ? MetricsConfig.Keys.Select(m => "Metrics:" + m)
            : k == "Tls" ? TlsConfig.TopKeys.Select(t => "Tls:" + t)
            : k == "Acme" ? AcmeConfig.Keys.Select(a => "Acme:" + a)
            : k == "Compression" ? CompressionConfig.Keys.Select(c => "Compression:" + c) : new[] { k }),
        .. SitesConfig.SiteKeys.Except(ServerOptions.Keys, StringComparer.OrdinalIgnoreCase).Select(k => "Sites:*:" + k),
        ConfigLoader.LogLevelKey,
    ];

    /// <summary>The rows of the key table: the described keys in their order, then any key the code has and
    /// the table does not describe yet.</summary>
    public static IReadOnlyList<(string Key, string Default, string Text)> Rows()
    {
        IReadOnlyList<string> keys = KeysInCode();
        var rows = Described.Where(d => keys.Contains(d.Key)).ToList();
        foreach (string key in keys)
        {
            if (!rows.Any(r => r.Key == key)) rows.Add((key, "?", "see staticd(8)"));
        }
        return rows;
    }

    /// <summary>The whole of <c>--help</c>: usage, then the key table.</summary>
    public static string Full()
    {
        var rows = Rows();
        int keyWidth = rows.Max(r => r.Key.Length) + 2;
        int defaultWidth = rows.Max(r => r.Default.Length) + 2;
        var text = new StringBuilder(Usage).Append("\n\n");
        text.Append("Configuration keys (section \"StaticD\" of the JSON file; StaticD__Limits__MaxRanges=4 overrides one):\n");
        text.Append("  ").Append("KEY".PadRight(keyWidth)).Append("DEFAULT").Append('\n');
        foreach ((string key, string value, string words) in rows)
            text.Append("  ").Append(key.PadRight(keyWidth)).Append(value.PadRight(defaultWidth)).Append(words).Append('\n');
        text.Append("Details: man staticd");
        return text.ToString();
    }

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);
}
