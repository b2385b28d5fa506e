using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using StaticD.IntegrationTests.Tls;
using Xunit;

namespace StaticD.IntegrationTests.Http2;

/// <summary>One HTTP/2 response as h2client.py saw it: header names lower case (HTTP/2 requires it), the body as sent.</summary>
public sealed record H2Response(int? Status, IReadOnlyList<(string Name, string Value)> Headers, byte[] Body, bool Ended, string? Reset)
{
    public string? Header(string name) =>
        Headers.Where(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault();

    public override string ToString() =>
        $"status {Status?.ToString(CultureInfo.InvariantCulture) ?? "none"} ended {Ended} reset {Reset ?? "-"} body {Body.Length} B\n"
        + string.Join("\n", Headers.Select(h => h.Name + ": " + h.Value));
}

/// <summary>A request for h2client.py's "requests" command.</summary>
public sealed record H2Request(string Method, string Path, params (string Name, string Value)[] Headers)
{
    public JsonObject ToJson() => new()
    {
        ["method"] = Method,
        ["path"] = Path,
        ["headers"] = new JsonArray(Headers.Select(h => (JsonNode?)new JsonArray(h.Name.ToLowerInvariant(), h.Value)).ToArray()),
    };
}

/// <summary>
/// Shared pieces of the HTTP/2 tests: staticd started with HTTPS (HTTP/2 on by default) and prior-knowledge h2c,
/// and h2client.py (copied next to the test assembly) run by Debian's /usr/bin/python3, the interpreter
/// python3-h2 is installed for (a python3 found first on PATH, e.g. pyenv's, would not have it).
/// </summary>
public static class H2Kit
{
    public const string Python = "/usr/bin/python3";
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    public static string Script => Path.Combine(AppContext.BaseDirectory, "Http2", "h2client.py");

    /// <summary>staticd with the default HTTP port (h2c on unless <paramref name="cleartext"/> is false) and an HTTPS
    /// port whose certificate covers <paramref name="names"/>; returns the server and its HTTPS port.</summary>
    public static (StaticDProcess Server, int HttpsPort) Start(WebRoot root, string[] names, Action<JsonObject>? configure = null, bool cleartext = true)
    {
        int https = StaticDProcess.FreePort();
        CertificateFiles certificate = TestPki.Shared.Issue(names);
        StaticDProcess server = StaticDProcess.Start(root, section =>
        {
            section["HttpsPort"] = https;
            section["Tls"] = TlsKit.TlsSection(certificate);
            if (cleartext) section["Http2Cleartext"] = true;
            configure?.Invoke(section);
        });
        return (server, https);
    }

    /// <summary>The arguments that reach the server: TLS (ALPN h2, verified against the test CA, SNI
    /// <paramref name="host"/>) when <paramref name="tls"/>, otherwise prior-knowledge h2c.</summary>
    public static string[] Target(int port, bool tls, string host) =>
        tls ? ["--port", port.ToString(CultureInfo.InvariantCulture), "--tls", "--ca", TestPki.Shared.CaPath, "--host", host]
            : ["--port", port.ToString(CultureInfo.InvariantCulture), "--host", host];

    /// <summary>Runs h2client.py <paramref name="command"/> and returns the JSON object on its last stdout line;
    /// fails the test if it crashed or timed out (its traceback in the message).</summary>
    public static async Task<JsonElement> RunAsync(string command, string[] target, params string[] args)
    {
        Assert.True(File.Exists(Python), $"{Python} is missing: tests/install-deps.sh installs python3-h2");
        ProcessResult r = await ChildProcess.RunAsync(Python, [Script, command, .. target, .. args], Deadline);
        Assert.False(r.TimedOut, $"h2client.py {command} did not finish within {Deadline.TotalSeconds} s\n{r.Stdout}\n{r.Stderr}");
        string? last = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        Assert.True(r.ExitCode == 0 && last is not null, $"h2client.py {command} failed (exit {r.ExitCode})\n{r.Stdout}\n{r.Stderr}");
        using JsonDocument doc = JsonDocument.Parse(last!);
        return doc.RootElement.Clone();
    }

    /// <summary>Requests on one HTTP/2 connection, one after another (or all at once with --concurrent in
    /// <paramref name="args"/>); also returns the whole report (server SETTINGS, largest DATA frame).</summary>
    public static async Task<(List<H2Response> Responses, JsonElement Report)> RequestsAsync(string[] target, IEnumerable<H2Request> requests, params string[] args)
    {
        string json = new JsonArray(requests.Select(r => (JsonNode?)r.ToJson()).ToArray()).ToJsonString();
        JsonElement report = await RunAsync("requests", target, ["--requests", json, .. args]);
        return ([.. report.GetProperty("responses").EnumerateArray().Select(Parse)], report);
    }

    public static async Task<H2Response> GetAsync(string[] target, string path, params (string, string)[] headers) =>
        (await RequestsAsync(target, [new H2Request("GET", path, headers)])).Responses[0];

    public static H2Response Parse(JsonElement e) => new(
        e.GetProperty("status").ValueKind == JsonValueKind.Number ? e.GetProperty("status").GetInt32() : null,
        [.. e.GetProperty("headers").EnumerateArray().Select(h => (h[0].GetString()!, h[1].GetString()!))],
        e.TryGetProperty("body", out JsonElement b) ? Convert.FromBase64String(b.GetString()!) : [],
        e.GetProperty("ended").GetBoolean(),
        e.GetProperty("reset").ValueKind == JsonValueKind.String ? e.GetProperty("reset").GetString() : null);

    /// <summary>The process's user + system CPU time so far, from /proc/&lt;pid&gt;/stat (fields 14 and 15, in clock
    /// ticks of 1/100 s: Linux's USER_HZ).</summary>
    public static TimeSpan CpuTime(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        // The command name (field 2) may hold spaces; the fields after it start past its closing parenthesis.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }
}
