using System.Net.Http;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace StaticD.Acme;

/// <summary>An ACME server's answer that is an error: its problem document (RFC 8555 §6.7) and the URL asked.</summary>
internal sealed class AcmeProblemException(AcmeProblem problem, string url)
    : Exception($"{url}: {problem}")
{
    public AcmeProblem Problem { get; } = problem;
}

/// <summary>
/// RFC 8555 over <see cref="HttpClient"/>: every request is a JWS POST (POST-as-GET for reads, §6.3) with a fresh
/// nonce from the last answer's Replay-Nonce (§7.2). A <c>badNonce</c> answer is retried with the nonce it carries
/// (§6.5: servers reject nonces at will; pebble rejects 5% on purpose). Runs on the thread pool, never on a loop.
/// </summary>
internal sealed class AcmeClient : IDisposable
{
    private const string BadNonce = "urn:ietf:params:acme:error:badNonce";
    private const int NonceRetries = 10;

    private readonly HttpClient _http;
    private readonly string _directoryUrl;
    private readonly AccountKey _key;
    private AcmeDirectory? _directory;
    private string? _nonce;

    /// <param name="caCertificate">Acme:CaCertificate: the only root trusted for the server's own HTTPS (a
    /// private CA or pebble's test root); null for the system's roots.</param>
    public AcmeClient(string directoryUrl, X509Certificate2? caCertificate, AccountKey key)
    {
        _directoryUrl = directoryUrl;
        _key = key;
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = TimeSpan.FromSeconds(30) };
        if (caCertificate is not null)
        {
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => TrustedBy(caCertificate, certificate, errors),
            };
        }
        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("staticd", "1"));
    }

    /// <summary>What the server expects to find for <paramref name="token"/> (RFC 8555 §8.1).</summary>
    public string KeyAuthorization(string token) => _key.KeyAuthorization(token);

    /// <summary>The account URL (the <c>kid</c> of every request after newAccount).</summary>
    public string? AccountUrl { get; set; }

    /// <summary>The server's certificate must chain to <paramref name="ca"/> alone (CustomRootTrust: the system's
    /// roots do not count) and name the host asked for (a name mismatch is never forgiven).</summary>
    private static bool TrustedBy(X509Certificate2 ca, X509Certificate? presented, SslPolicyErrors errors)
    {
        if (presented is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(presented);
        return chain.Build(leaf);
    }

    public async Task<AcmeDirectory> Directory(CancellationToken ct)
    {
        if (_directory is not null) return _directory;
        using HttpResponseMessage response = await _http.GetAsync(_directoryUrl, ct).ConfigureAwait(false);
        byte[] body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw Problem(response, body, _directoryUrl);
        AcmeDirectory directory = Parse(body, AcmeJson.Default.AcmeDirectory, _directoryUrl);
        if (directory.NewNonce is null || directory.NewAccount is null || directory.NewOrder is null)
            throw new AcmeProblemException(new AcmeProblem { Type = "staticd:directory", Detail = "the directory lacks newNonce, newAccount or newOrder" }, _directoryUrl);
        return _directory = directory;
    }

    /// <summary>newAccount (RFC 8555 §7.3): creates the account or, for a key already registered, finds it
    /// (200 instead of 201); either way the Location is the account URL.</summary>
    public async Task<string> Account(string? email, CancellationToken ct)
    {
        AcmeDirectory d = await Directory(ct).ConfigureAwait(false);
        var request = new NewAccountRequest { TermsOfServiceAgreed = true, Contact = email is null ? null : ["mailto:" + email] };
        (HttpResponseMessage response, _) = await Post(d.NewAccount!, Json(request, AcmeJson.Default.NewAccountRequest), useJwk: true, ct).ConfigureAwait(false);
        using (response)
            return AccountUrl = response.Headers.Location?.ToString()
                ?? throw new AcmeProblemException(new AcmeProblem { Type = "staticd:account", Detail = "newAccount answered without a Location" }, d.NewAccount!);
    }

    public async Task<(string Url, AcmeOrder Order)> NewOrder(IEnumerable<string> names, string? replaces, CancellationToken ct)
    {
        AcmeDirectory d = await Directory(ct).ConfigureAwait(false);
        var request = new NewOrderRequest { Identifiers = [.. names.Select(n => new AcmeIdentifier { Value = n })], Replaces = replaces };
        (HttpResponseMessage response, byte[] body) = await Post(d.NewOrder!, Json(request, AcmeJson.Default.NewOrderRequest), false, ct).ConfigureAwait(false);
        using (response)
        {
            string url = response.Headers.Location?.ToString()
                ?? throw new AcmeProblemException(new AcmeProblem { Type = "staticd:order", Detail = "newOrder answered without a Location" }, d.NewOrder!);
            return (url, Parse(body, AcmeJson.Default.AcmeOrder, url));
        }
    }

    public Task<AcmeOrder> GetOrder(string url, CancellationToken ct) => Read(url, AcmeJson.Default.AcmeOrder, ct);

    public Task<AcmeAuthorization> GetAuthorization(string url, CancellationToken ct) => Read(url, AcmeJson.Default.AcmeAuthorization, ct);

    /// <summary>Tells the server the challenge is ready to be validated (RFC 8555 §7.5.1: an empty object).</summary>
    public async Task RespondToChallenge(string url, CancellationToken ct)
    {
        (HttpResponseMessage response, _) = await Post(url, "{}", false, ct).ConfigureAwait(false);
        response.Dispose();
    }

    public async Task<AcmeOrder> Finalize(string url, byte[] csrDer, CancellationToken ct)
    {
        var request = new FinalizeRequest { Csr = AccountKey.Base64Url(csrDer) };
        (HttpResponseMessage response, byte[] body) = await Post(url, Json(request, AcmeJson.Default.FinalizeRequest), false, ct).ConfigureAwait(false);
        using (response) return Parse(body, AcmeJson.Default.AcmeOrder, url);
    }

    /// <summary>The certificate chain, PEM (application/pem-certificate-chain, RFC 8555 §7.4.2).</summary>
    public async Task<string> DownloadCertificate(string url, CancellationToken ct)
    {
        (HttpResponseMessage response, byte[] body) = await Post(url, "", false, ct).ConfigureAwait(false);
        using (response) return Encoding.ASCII.GetString(body);
    }

    /// <summary>RFC 9773: the suggested renewal window for a certificate, or null when the server has no ARI or
    /// does not answer it (renewal then falls back to two thirds of the lifetime). A plain GET, no JWS.</summary>
    public async Task<AcmeWindow?> RenewalWindow(string certificateId, CancellationToken ct)
    {
        AcmeDirectory d = await Directory(ct).ConfigureAwait(false);
        if (d.RenewalInfo is null) return null;
        string url = d.RenewalInfo.TrimEnd('/') + "/" + certificateId;
        using HttpResponseMessage response = await _http.GetAsync(url, ct).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) return null;
        byte[] body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize(body, AcmeJson.Default.AcmeRenewalInfo)?.SuggestedWindow;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>How long the server asks us to wait before polling again (Retry-After, §8.2), or null.</summary>
    public TimeSpan? LastRetryAfter { get; private set; }

    private async Task<T> Read<T>(string url, JsonTypeInfo<T> type, CancellationToken ct)
    {
        (HttpResponseMessage response, byte[] body) = await Post(url, "", false, ct).ConfigureAwait(false);
        using (response) return Parse(body, type, url);
    }

    private async Task<(HttpResponseMessage, byte[])> Post(string url, string payload, bool useJwk, CancellationToken ct)
    {
        AcmeDirectory d = await Directory(ct).ConfigureAwait(false);
        for (int attempt = 0; ; attempt++)
        {
            string nonce = _nonce ?? await NewNonce(d.NewNonce!, ct).ConfigureAwait(false);
            _nonce = null;
            string? kid = useJwk ? null : AccountUrl ?? throw new InvalidOperationException("no ACME account yet");
            using var content = new ByteArrayContent(_key.Sign(url, nonce, kid, payload));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/jose+json");
            HttpResponseMessage response = await _http.PostAsync(url, content, ct).ConfigureAwait(false);
            byte[] body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            if (response.Headers.TryGetValues("Replay-Nonce", out IEnumerable<string>? nonces)) _nonce = nonces.FirstOrDefault();
            LastRetryAfter = RetryAfter(response);
            if (response.IsSuccessStatusCode) return (response, body);
            AcmeProblemException problem = Problem(response, body, url);
            response.Dispose();
            if (problem.Problem.Type != BadNonce || attempt >= NonceRetries) throw problem;
        }
    }

    private async Task<string> NewNonce(string url, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(System.Net.Http.HttpMethod.Head, url);
        using HttpResponseMessage response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        if (response.Headers.TryGetValues("Replay-Nonce", out IEnumerable<string>? nonces) && nonces.FirstOrDefault() is { } nonce)
            return nonce;
        throw new AcmeProblemException(new AcmeProblem { Type = "staticd:nonce", Detail = $"newNonce answered {(int)response.StatusCode} without a Replay-Nonce" }, url);
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        RetryConditionHeaderValue? value = response.Headers.RetryAfter;
        if (value?.Delta is { } delta) return delta;
        if (value?.Date is { } date) return date - DateTimeOffset.UtcNow;
        return null;
    }

    private static AcmeProblemException Problem(HttpResponseMessage response, byte[] body, string url)
    {
        AcmeProblem? problem = null;
        try
        {
            problem = JsonSerializer.Deserialize(body, AcmeJson.Default.AcmeProblem);
        }
        catch (JsonException)
        {
        }
        problem ??= new AcmeProblem();
        problem.Type ??= "staticd:http";
        problem.Detail ??= $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
        return new AcmeProblemException(problem, url);
    }

    private static T Parse<T>(byte[] body, JsonTypeInfo<T> type, string url)
    {
        try
        {
            return JsonSerializer.Deserialize(body, type)
                   ?? throw new JsonException("null");
        }
        catch (JsonException ex)
        {
            throw new AcmeProblemException(new AcmeProblem { Type = "staticd:json", Detail = $"not the expected JSON object ({ex.Message})" }, url);
        }
    }

    private static string Json<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.Serialize(value, type);

    public void Dispose() => _http.Dispose();
}
