using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace StaticD.IntegrationTests.Web;

/// <summary>
/// What curl saw. <see cref="Status"/> is the status line the server actually sent (from the -D dump):
/// curl's own %{http_code} says 304 for "-z" even when the server answered 200 and curl itself
/// discarded the body because Last-Modified was not newer.
/// </summary>
public sealed record CurlResult(int ExitCode, int Status, int ReportedStatus, Dictionary<string, string> Headers, byte[] Body, string RawHeaders, string Stderr)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    public override string ToString() => $"curl exit={ExitCode} wire status={Status} curl's http_code={ReportedStatus}\n{RawHeaders}\n--- stderr ---\n{Stderr}";
}

/// <summary>Runs the real curl binary against the server (a second, independent HTTP implementation).</summary>
public static class Curl
{
    public const string Path = "/usr/bin/curl";

    /// <summary>
    /// GET http://127.0.0.1:port{target} with extra curl <paramref name="args"/>; headers are dumped
    /// with -D and the body written with -o so binary bodies survive byte for byte.
    /// </summary>
    public static async Task<CurlResult> GetAsync(int port, string target, params string[] args)
    {
        var dir = Directory.CreateTempSubdirectory("staticd-curl-");
        try
        {
            var headerFile = System.IO.Path.Combine(dir.FullName, "headers");
            var bodyFile = System.IO.Path.Combine(dir.FullName, "body");
            var psi = new ProcessStartInfo(Path)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
            };
            foreach (var a in new[] { "-sS", "--max-time", "30", "-D", headerFile, "-o", bodyFile, "-w", "%{http_code}" })
            {
                psi.ArgumentList.Add(a);
            }

            foreach (var a in args)
            {
                psi.ArgumentList.Add(a);
            }

            psi.ArgumentList.Add(FormattableString.Invariant($"http://127.0.0.1:{port}{target}"));

            using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start curl");
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(40)))
            {
                try
                {
                    await process.WaitForExitAsync(cts.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill();
                    throw new TimeoutException("curl did not finish within 40 s");
                }
            }

            var code = (await stdout).Trim();
            var rawHeaders = File.Exists(headerFile) ? await File.ReadAllTextAsync(headerFile) : "";
            var body = File.Exists(bodyFile) ? await File.ReadAllBytesAsync(bodyFile) : [];
            var reported = int.TryParse(code, NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : -1;
            return new CurlResult(process.ExitCode, WireStatus(rawHeaders), reported, ParseHeaders(rawHeaders), body, rawHeaders, await stderr);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Status code of the last status line in a -D dump; -1 if there is none.</summary>
    private static int WireStatus(string raw)
    {
        var status = -1;
        foreach (var line in raw.Split("\r\n"))
        {
            var parts = line.Split(' ', 3);
            if (parts.Length >= 2 && parts[0].StartsWith("HTTP/", StringComparison.Ordinal)
                && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var code))
            {
                status = code;
            }
        }

        return status;
    }

    /// <summary>Headers of the last response in a -D dump (earlier ones would be 1xx).</summary>
    private static Dictionary<string, string> ParseHeaders(string raw)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in raw.Split("\r\n"))
        {
            if (line.StartsWith("HTTP/", StringComparison.Ordinal))
            {
                headers.Clear();
                continue;
            }

            var colon = line.IndexOf(':');
            if (colon > 0)
            {
                var name = line[..colon];
                var value = line[(colon + 1)..].Trim();
                headers[name] = headers.TryGetValue(name, out var existing) ? existing + ", " + value : value;
            }
        }

        return headers;
    }
}

/// <summary>System.Net.Http.HttpClient pointed at one server.</summary>
public static class Clients
{
    public static HttpClient Create(int port, DecompressionMethods decompression = DecompressionMethods.None)
    {
        var handler = new SocketsHttpHandler { AutomaticDecompression = decompression, UseProxy = false };
        var client = new HttpClient(handler)
        {
            BaseAddress = new Uri(FormattableString.Invariant($"http://127.0.0.1:{port}/")),
            Timeout = TimeSpan.FromSeconds(30),
        };
        client.DefaultRequestHeaders.AcceptEncoding.Clear();
        return client;
    }

    public static string? ContentEncoding(HttpResponseMessage response) =>
        response.Content.Headers.ContentEncoding.Count == 0 ? null : string.Join(", ", response.Content.Headers.ContentEncoding);

    public static void AddAcceptEncoding(HttpRequestMessage request, string value) =>
        request.Headers.TryAddWithoutValidation("Accept-Encoding", value);

    public static string Describe(HttpResponseMessage response) =>
        $"{(int)response.StatusCode} {response.ReasonPhrase}\n{response.Headers}{response.Content.Headers}";

    public static IEnumerable<string> Values(HttpHeaders headers, string name) =>
        headers.TryGetValues(name, out var v) ? v : [];
}
