using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using StaticD.IntegrationTests.Tls;
using Xunit;

namespace StaticD.IntegrationTests.Http2;

/// <summary>
/// A real browser over HTTP/2: headless chromium loads a page with 20 assets (a stylesheet, a script, 18 images)
/// over HTTPS, and its network log must show every request on one HTTP/2 session (one connection), each answered
/// 200, with no HTTP/1.1 transaction at all; the script ran, so its bytes arrived whole. Chromium trusts the test
/// certificate by its public key (--ignore-certificate-errors-spki-list), with h2.test mapped to 127.0.0.1.
/// </summary>
public sealed class Http2BrowserTests : IDisposable
{
    private const string Chromium = "/usr/bin/chromium";
    private const string Host = "h2.test";
    private static readonly string[] Assets =
        ["/assets/site.css", "/assets/app.js", .. Enumerable.Range(1, 18).Select(i => $"/img/{i}.svg")];

    private readonly WebRoot _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task Chromium_LoadsEveryAsset_OverOneHttp2Connection()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: tests/install-deps.sh installs Debian's chromium");
        var page = new StringBuilder("<!doctype html><html><head><title>h2</title><link rel=stylesheet href=/assets/site.css>"
            + "<script src=/assets/app.js defer></script></head><body><p id=state>waiting</p>\n");
        for (int i = 1; i <= 18; i++)
        {
            page.Append(CultureInfo.InvariantCulture, $"<img src=/img/{i}.svg width=20 height=20>\n");
            _root.AddFile($"img/{i}.svg", $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"20\" height=\"20\"><rect width=\"{i}\" height=\"20\" fill=\"#{i * 13:x3}\"/></svg>\n");
        }
        _root.AddFile("index.html", page.Append("</body></html>\n").ToString());
        _root.AddFile("assets/site.css", "body { font-family: sans-serif; }\n" + string.Concat(Enumerable.Range(0, 400).Select(i => $".c{i} {{ margin: {i}px; }}\n")));
        _root.AddFile("assets/app.js", "// " + new string('x', 30_000) + "\ndocument.getElementById('state').textContent = 'script ran over ' + performance.getEntriesByType('navigation')[0].nextHopProtocol;\n");

        CertificateFiles certificate = TestPki.Shared.Issue([Host]);
        int https = StaticDProcess.FreePort();
        using StaticDProcess server = StaticDProcess.Start(_root, s =>
        {
            s["HttpsPort"] = https;
            s["Tls"] = TlsKit.TlsSection(certificate);
        });

        (ProcessResult run, NetLog net) = await LoadAsync(certificate, https);
        Assert.True(run.Stdout.Contains("script ran over h2", StringComparison.Ordinal),
            $"the page's script did not run over h2 (exit {run.ExitCode})\n{run.Stdout}\n{run.Stderr}");

        AssertOneHttp2Session(net);
        foreach (string path in Assets.Prepend("/"))
        {
            Assert.True(net.StatusByPath.TryGetValue(path, out string? status), $"chromium did not fetch {path} over HTTP/2: {string.Join(", ", net.StatusByPath.Keys)}");
            Assert.True(status == "200", $"{path}: status {status}");
        }
    }

    /// <summary>The issue's own check: the repository's sample site, as <c>make run</c> serves it but over HTTPS,
    /// loads in chromium with the page, its stylesheet and its script on one HTTP/2 connection, and the script runs
    /// (it writes the footer).</summary>
    [Fact]
    public async Task Chromium_LoadsTheSampleSite_OverOneHttp2Connection()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: tests/install-deps.sh installs Debian's chromium");
        string sampleSite = Path.Combine(RepositoryRoot(), "sample-site");
        Assert.True(File.Exists(Path.Combine(sampleSite, "index.html")), $"no sample site at {sampleSite}");
        CertificateFiles certificate = TestPki.Shared.Issue([Host]);
        int https = StaticDProcess.FreePort();
        using StaticDProcess server = StaticDProcess.Start(_root, s =>
        {
            s["Root"] = sampleSite;
            s["HttpsPort"] = https;
            s["Tls"] = TlsKit.TlsSection(certificate);
        });

        (ProcessResult run, NetLog net) = await LoadAsync(certificate, https);
        Assert.True(run.Stdout.Contains("Served by staticd in", StringComparison.Ordinal),
            $"the sample script did not run (no footer in the page chromium rendered, exit {run.ExitCode})\n{run.Stdout}\n{run.Stderr}");
        AssertOneHttp2Session(net);
        foreach (string path in (string[])["/", "/assets/site.css", "/assets/app.js"])
            Assert.True(net.StatusByPath.ContainsKey(path), $"chromium did not fetch {path} over HTTP/2: {string.Join(", ", net.StatusByPath.Keys)}");
        // Every asset of the page is there; /favicon.ico is the browser's own guess, which the sample site lacks.
        foreach ((string path, string status) in net.StatusByPath)
            Assert.True(status == "200" || path == "/favicon.ico" && status == "404", $"{path}: status {status}");
    }

    /// <summary>Every request went over one HTTP/2 session, none over HTTP/1.1.</summary>
    private static void AssertOneHttp2Session(NetLog net)
    {
        Assert.True(net.Http11Requests.Count == 0, $"chromium made HTTP/1.1 requests: {string.Join(", ", net.Http11Requests)}");
        Assert.True(net.Sessions.Count == 1, $"expected one HTTP/2 session, got {net.Sessions.Count}: {string.Join(", ", net.Sessions)}");
    }

    /// <summary>Headless chromium loads https://h2.test:PORT/ (mapped to 127.0.0.1, the test certificate trusted by
    /// its key) and gives back what it rendered and its network log.</summary>
    private async Task<(ProcessResult Run, NetLog Net)> LoadAsync(CertificateFiles certificate, int https)
    {
        string log = Path.Combine(_root.BasePath, "net-log.json");
        ProcessResult run = await ChildProcess.RunAsync(Chromium,
            ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
             $"--user-data-dir={Path.Combine(_root.BasePath, "chromium-profile")}", $"--log-net-log={log}",
             $"--ignore-certificate-errors-spki-list={SpkiHash(certificate.CertificatePath)}",
             $"--host-resolver-rules=MAP {Host} 127.0.0.1",
             "--virtual-time-budget=5000", "--dump-dom", $"https://{Host}:{https.ToString(CultureInfo.InvariantCulture)}/"],
            TimeSpan.FromSeconds(90));
        Assert.False(run.TimedOut, "chromium did not finish within 90 s");
        return (run, NetLog.Read(log));
    }

    /// <summary>The directory holding StaticD.sln, above the test assembly.</summary>
    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StaticD.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException($"no StaticD.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>base64(SHA-256(SubjectPublicKeyInfo)) of the certificate: what chromium's flag names.</summary>
    private static string SpkiHash(string certificatePath)
    {
        using X509Certificate2 cert = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath));
        return Convert.ToBase64String(SHA256.HashData(cert.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>What chromium's network log says about HTTP/2: the sessions that sent requests, each request's path
    /// → the status of its response (matched by session and stream id), and any HTTP/1.1 request lines.</summary>
    private sealed record NetLog(HashSet<int> Sessions, Dictionary<string, string> StatusByPath, List<string> Http11Requests)
    {
        public static NetLog Read(string path)
        {
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
            Dictionary<int, string> typeNames = doc.RootElement.GetProperty("constants").GetProperty("logEventTypes")
                .EnumerateObject().ToDictionary(p => p.Value.GetInt32(), p => p.Name);
            var sessions = new HashSet<int>();
            var pathByStream = new Dictionary<(int, int), string>();
            var statusByPath = new Dictionary<string, string>(StringComparer.Ordinal);
            var http11 = new List<string>();
            foreach (JsonElement e in doc.RootElement.GetProperty("events").EnumerateArray())
            {
                if (!e.TryGetProperty("params", out JsonElement p)) continue;
                int source = e.GetProperty("source").GetProperty("id").GetInt32();
                switch (typeNames.GetValueOrDefault(e.GetProperty("type").GetInt32()))
                {
                    case "HTTP2_SESSION_SEND_HEADERS":
                        sessions.Add(source);
                        pathByStream[(source, p.GetProperty("stream_id").GetInt32())] = Field(p, ":path") ?? "?";
                        break;
                    case "HTTP2_SESSION_RECV_HEADERS" when pathByStream.TryGetValue((source, p.GetProperty("stream_id").GetInt32()), out string? requested):
                        statusByPath[requested] = Field(p, ":status") ?? "?";
                        break;
                    case "HTTP_TRANSACTION_SEND_REQUEST_HEADERS" when p.TryGetProperty("line", out JsonElement line):
                        http11.Add(line.GetString() ?? "");
                        break;
                }
            }
            return new NetLog(sessions, statusByPath, http11);
        }

        private static string? Field(JsonElement p, string name) => p.GetProperty("headers").EnumerateArray()
            .Select(h => h.GetString() ?? "").Where(h => h.StartsWith(name + ": ", StringComparison.Ordinal))
            .Select(h => h[(name.Length + 2)..]).FirstOrDefault();
    }
}
