using System.Globalization;
using System.Net;
using System.Net.Http.Headers;

namespace StaticD.IntegrationTests.Web;

/// <summary>
/// What curl saw. <see cref="Status"/> is the status line the server actually sent (the last head of the -D
/// dump): curl's own %{http_code} says 304 for "-z" even when the server answered 200 and curl itself
/// discarded the body because Last-Modified was not newer.
/// </summary>
public sealed record CurlResult(int ExitCode, int ReportedStatus, HttpResponse? Response, byte[] Body, string RawHeaders, string Stderr)
{
    /// <summary>The wire status; -1 if curl got no response head.</summary>
    public int Status => Response?.Status ?? -1;

    public string? Header(string name) => Response?.Header(name);

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
            string[] arguments =
            [
                "-sS", "--max-time", "30", "-D", headerFile, "-o", bodyFile, "-w", "%{http_code}", .. args,
                FormattableString.Invariant($"http://127.0.0.1:{port}{target}"),
            ];
            ProcessResult result = await ChildProcess.RunAsync(Path, arguments, TimeSpan.FromSeconds(40));
            if (result.TimedOut)
            {
                throw new TimeoutException("curl did not finish within 40 s");
            }

            var rawHeaders = File.Exists(headerFile) ? await File.ReadAllTextAsync(headerFile) : "";
            var body = File.Exists(bodyFile) ? await File.ReadAllBytesAsync(bodyFile) : [];
            var reported = int.TryParse(result.Stdout.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : -1;
            return new CurlResult(result.ExitCode, reported, HttpResponse.ParseLastHead(rawHeaders), body, rawHeaders, result.Stderr);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
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
