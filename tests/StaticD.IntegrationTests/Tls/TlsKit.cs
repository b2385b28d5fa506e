using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using StaticD.IntegrationTests.Web;
using Xunit;

namespace StaticD.IntegrationTests.Tls;

/// <summary>
/// An HTTPS client for tests: .NET's SslStream over a TcpClient (the server is what is under test), with the
/// server certificate kept and checked against the test CA, and a minimal HTTP/1.1 reader (Content-Length framing,
/// or until close) with a hard timeout on every read.
/// </summary>
public sealed class TlsClient : IAsyncDisposable, IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly TcpClient _tcp;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start, _end;

    private TlsClient(TcpClient tcp, SslStream stream, X509Certificate2 certificate, SslPolicyErrors errors, X509ChainStatusFlags chain)
    {
        _tcp = tcp;
        Stream = stream;
        Certificate = certificate;
        PolicyErrors = errors;
        ChainStatus = chain;
    }

    public SslStream Stream { get; }

    /// <summary>The certificate the server presented.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>What SslStream found wrong (name mismatch); chain errors are judged against the test CA instead.</summary>
    public SslPolicyErrors PolicyErrors { get; }

    /// <summary>The chain to the test CA (NoError when it builds to it).</summary>
    public X509ChainStatusFlags ChainStatus { get; }

    /// <summary>The certificate chains to the test CA and covers the name asked for (when one was).</summary>
    public bool Verified => ChainStatus == X509ChainStatusFlags.NoError && (PolicyErrors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;

    /// <summary>Connects to 127.0.0.1:<paramref name="port"/> and shakes hands, sending <paramref name="serverName"/>
    /// as SNI (null: no SNI at all). Throws (AuthenticationException, IOException) if the handshake fails.</summary>
    public static async Task<TlsClient> ConnectAsync(int port, string? serverName, SslProtocols protocols = SslProtocols.None,
        IPAddress? address = null)
    {
        var tcp = new TcpClient(AddressFamily.InterNetwork) { NoDelay = true };
        try
        {
            using var cts = new CancellationTokenSource(Timeout);
            await tcp.ConnectAsync(new IPEndPoint(address ?? IPAddress.Loopback, port), cts.Token);
            X509ChainStatusFlags chainStatus = X509ChainStatusFlags.NoError;
            SslPolicyErrors policyErrors = SslPolicyErrors.None;
            var stream = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            var options = new SslClientAuthenticationOptions
            {
                // An empty TargetHost sends no server_name extension.
                TargetHost = serverName ?? "",
                EnabledSslProtocols = protocols,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                ApplicationProtocols = [SslApplicationProtocol.Http11],
                // .NET resumes sessions to the same name by default: a resumed session shows the certificate of the
                // session it resumed (the server sends none), which would hide what the server serves now.
                AllowTlsResume = false,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    policyErrors = errors & ~SslPolicyErrors.RemoteCertificateChainErrors;
                    chainStatus = ChainToTestCa(certificate as X509Certificate2);
                    return true; // judged by the test, which has the certificate and both verdicts
                },
            };
            try
            {
                await stream.AuthenticateAsClientAsync(options, cts.Token);
            }
            catch
            {
                await stream.DisposeAsync();
                throw;
            }

            var served = new X509Certificate2(stream.RemoteCertificate!);
            return new TlsClient(tcp, stream, served, policyErrors, chainStatus);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Whether <paramref name="certificate"/> chains to the test CA (and only it).</summary>
    public static X509ChainStatusFlags ChainToTestCa(X509Certificate2? certificate)
    {
        if (certificate is null) return X509ChainStatusFlags.PartialChain;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(TestPki.Shared.Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain.Build(certificate)) return X509ChainStatusFlags.NoError;
        return chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
    }

    public async Task SendAsync(string text)
    {
        using var cts = new CancellationTokenSource(Timeout);
        await Stream.WriteAsync(Encoding.Latin1.GetBytes(text), cts.Token);
        await Stream.FlushAsync(cts.Token);
    }

    public async Task<HttpResponse> RoundTripAsync(string request, bool isHead = false)
    {
        await SendAsync(request);
        return await ReadResponseAsync(isHead);
    }

    /// <summary>One response: the head, then Content-Length bytes (none for HEAD, 304, 1xx, 204), or until close.</summary>
    public async Task<HttpResponse> ReadResponseAsync(bool isHead = false)
    {
        int headEnd;
        while ((headEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (!await FillAsync()) throw new IOException($"the server closed before a complete response head ({_end - _start} bytes: {Encoding.Latin1.GetString(_buffer, _start, Math.Min(_end - _start, 200))})");
        }

        var response = HttpResponse.ParseHead(Encoding.Latin1.GetString(_buffer, _start, headEnd + 4));
        _start += headEnd + 4;
        if (isHead || response.Status is (>= 100 and < 200) or 204 or 304) return response;
        using var body = new MemoryStream();
        if (response.ContentLength is { } length)
        {
            while (body.Length < length)
            {
                if (_start == _end && !await FillAsync()) throw new IOException($"the server closed after {body.Length} of {length} body bytes");
                int take = (int)Math.Min(_end - _start, length - body.Length);
                body.Write(_buffer, _start, take);
                _start += take;
            }
        }
        else
        {
            response.BodyDelimitedByClose = true;
            do
            {
                body.Write(_buffer, _start, _end - _start);
                _start = _end;
            }
            while (await FillAsync());
        }

        response.Body = body.ToArray();
        return response;
    }

    /// <summary>True when the server ends the TLS stream (close_notify or TCP close) within the timeout; bytes are discarded.</summary>
    public async Task<bool> ClosedByServerAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            while (await Stream.ReadAsync(_buffer, cts.Token) > 0)
            {
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    private async Task<bool> FillAsync()
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length) throw new IOException("response head larger than 64 KiB");
        using var cts = new CancellationTokenSource(Timeout);
        int n;
        try
        {
            n = await Stream.ReadAsync(_buffer.AsMemory(_end), cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no bytes from the server within {Timeout.TotalSeconds} s");
        }

        _end += n;
        return n > 0;
    }

    public void Dispose()
    {
        Stream.Dispose();
        _tcp.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await Stream.DisposeAsync();
        _tcp.Dispose();
    }
}

/// <summary>Shared pieces of the TLS tests: configuration, one-request helpers, openssl s_client, curl.</summary>
public static class TlsKit
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    /// <summary>{ "Certificate": …, "Key": … } for a config file.</summary>
    public static JsonObject TlsSection(CertificateFiles files) => new()
    {
        ["Certificate"] = files.CertificatePath,
        ["Key"] = files.KeyPath,
    };

    /// <summary>A raw request with the given Host (SitesKit.Get is the GET one).</summary>
    public static string HttpRequest(string method, string host, string target, params string[] headers)
    {
        var sb = new StringBuilder();
        sb.Append(method).Append(' ').Append(target).Append(" HTTP/1.1\r\nHost: ").Append(host).Append("\r\n");
        foreach (string h in headers) sb.Append(h).Append("\r\n");
        return sb.Append("\r\n").ToString();
    }

    /// <summary>One request on a fresh TLS connection with <paramref name="serverName"/> as SNI.</summary>
    public static async Task<HttpResponse> HttpsAsync(int port, string? serverName, string request, bool isHead = false)
    {
        await using TlsClient client = await TlsClient.ConnectAsync(port, serverName);
        return await client.RoundTripAsync(request, isHead);
    }

    /// <summary>One request on a fresh plain connection.</summary>
    public static async Task<HttpResponse> HttpAsync(int port, string request, bool isHead = false)
    {
        using RawHttpClient client = await RawHttpClient.ConnectAsync(port);
        return await client.RoundTripAsync(request, isHead);
    }

    /// <summary>Runs openssl with <paramref name="args"/>, stdin at end of file.</summary>
    public static Task<ProcessResult> OpenSslAsync(params string[] args) =>
        ChildProcess.RunAsync("/usr/bin/openssl", args, TimeSpan.FromSeconds(30));

    /// <summary>openssl s_client to 127.0.0.1:<paramref name="port"/>, verifying against the test CA, sending one GET
    /// with "Connection: close" and reading until the server closes (-ign_eof): the handshake summary, the session
    /// (and any tickets the server sends after the handshake) and the response all land in the output.</summary>
    public static Task<ProcessResult> SClientRequestAsync(int port, string serverName, string target, params string[] args)
    {
        string request = Sites.SitesKit.Get(serverName, target, "Connection: close");
        string script = "printf '%s' \"$REQUEST\" | exec /usr/bin/openssl s_client \"$@\"";
        string[] arguments =
        [
            "-c", script, "sh", "-connect", FormattableString.Invariant($"127.0.0.1:{port}"), "-servername", serverName,
            "-CAfile", TestPki.Shared.CaPath, "-verify_return_error", "-ign_eof", .. args,
        ];
        var options = new ChildProcessOptions { Environment = new Dictionary<string, string?> { ["REQUEST"] = request } };
        return ChildProcess.RunAsync("/bin/sh", arguments, TimeSpan.FromSeconds(30), options);
    }

    /// <summary>curl https://<paramref name="host"/>:port<paramref name="target"/>, the name resolved to 127.0.0.1
    /// (--resolve) and the certificate verified against the test CA only (--cacert).</summary>
    public static async Task<CurlResult> CurlAsync(int port, string host, string target, params string[] args)
    {
        var dir = Directory.CreateTempSubdirectory("staticd-curl-");
        try
        {
            string headerFile = Path.Combine(dir.FullName, "headers"), bodyFile = Path.Combine(dir.FullName, "body");
            string portText = port.ToString(CultureInfo.InvariantCulture);
            string[] arguments =
            [
                "-sS", "--max-time", "30", "--http1.1", "--cacert", TestPki.Shared.CaPath, "--resolve", $"{host}:{portText}:127.0.0.1",
                "-D", headerFile, "-o", bodyFile, "-w", "%{http_code}", .. args, $"https://{host}:{portText}{target}",
            ];
            ProcessResult result = await ChildProcess.RunAsync(Curl.Path, arguments, TimeSpan.FromSeconds(40));
            if (result.TimedOut) throw new TimeoutException("curl did not finish within 40 s");
            string rawHeaders = File.Exists(headerFile) ? await File.ReadAllTextAsync(headerFile) : "";
            byte[] body = File.Exists(bodyFile) ? await File.ReadAllBytesAsync(bodyFile) : [];
            int reported = int.TryParse(result.Stdout.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int s) ? s : -1;
            return new CurlResult(result.ExitCode, reported, HttpResponse.ParseLastHead(rawHeaders), body, rawHeaders, result.Stderr);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>The server's certificate for <paramref name="serverName"/> must be <paramref name="expected"/> and
    /// verify against the test CA (for that name, when <paramref name="checkName"/>).</summary>
    public static async Task AssertServes(int port, string? serverName, CertificateFiles expected, bool checkName = true)
    {
        await using TlsClient client = await TlsClient.ConnectAsync(port, serverName);
        Assert.True(client.Certificate.Thumbprint == expected.Thumbprint,
            $"SNI {serverName ?? "(none)"}: expected the certificate for {string.Join(",", expected.DnsNames)} (serial {expected.SerialNumber}), got {client.Certificate.Subject} (serial {client.Certificate.SerialNumber})");
        Assert.True(client.ChainStatus == X509ChainStatusFlags.NoError, $"SNI {serverName}: the certificate does not chain to the test CA: {client.ChainStatus}");
        if (checkName) Assert.True(client.Verified, $"SNI {serverName}: {client.PolicyErrors}");
    }
}
