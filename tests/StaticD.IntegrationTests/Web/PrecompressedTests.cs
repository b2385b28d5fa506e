using System.Net;
using Xunit;

namespace StaticD.IntegrationTests.Web;

/// <summary>app.js with .br, .gz and .zst sidecars; style.css with only .gz; plain.txt with none.</summary>
public static class PrecompressedSite
{
    public const string JsType = "text/javascript; charset=utf-8";
    public static readonly byte[] AppJs = TestContent.JavaScript(400);
    public static readonly byte[] AppJsBr = TestContent.Brotli(AppJs);
    public static readonly byte[] AppJsGz = TestContent.Gzip(AppJs);
    public static readonly byte[] AppJsZst = TestContent.ZstdStored(AppJs);
    public static readonly byte[] Css = TestContent.Text(8000, "css");
    public static readonly byte[] CssGz = TestContent.Gzip(Css);
    public static readonly byte[] Plain = TestContent.Text(5000, "plain");

    public static void Populate(WebRoot root)
    {
        root.AddFile("index.html", Site.IndexHtml);
        root.AddFile("app.js", AppJs);
        root.AddFile("app.js.br", AppJsBr);
        root.AddFile("app.js.gz", AppJsGz);
        root.AddFile("app.js.zst", AppJsZst);
        root.AddFile("style.css", Css);
        root.AddFile("style.css.gz", CssGz);
        root.AddFile("plain.txt", Plain);
    }

    public static byte[] Variant(string? encoding) => encoding switch
    {
        null => AppJs,
        "br" => AppJsBr,
        "gzip" => AppJsGz,
        "zstd" => AppJsZst,
        _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, null),
    };
}

/// <summary>Sidecars alone: with on-the-fly compression on, plain.txt would be negotiable too (Compression/ tests
/// that, and that sidecars win over it).</summary>
public sealed class PrecompressedFixture() : ServerFixture(PrecompressedSite.Populate,
    s => s["Compression"] = new System.Text.Json.Nodes.JsonObject { ["Enabled"] = false });

public sealed class PrecompressedOffFixture() : ServerFixture(PrecompressedSite.Populate, s => s["Precompressed"] = false);

/// <summary>Serving precompressed sidecar files by Accept-Encoding (RFC 9110 §12.5.3, §8.4).</summary>
public sealed class PrecompressedTests(PrecompressedFixture site) : IClassFixture<PrecompressedFixture>
{
    private const string Probe = "/index.html";

    private Task<HttpResponse> GetAppJsAsync(string? acceptEncoding, params string[] more)
    {
        var headers = (acceptEncoding is null ? [] : new[] { "Accept-Encoding: " + acceptEncoding }).Concat(more).ToArray();
        return site.RoundTripThenProbeAsync(Http.Get("/app.js", headers), Probe);
    }

    [Theory]
    [InlineData("br", "br")]
    [InlineData("gzip", "gzip")]
    [InlineData("zstd", "zstd")]
    [InlineData("BR", "br")]                          // content-codings are case-insensitive
    [InlineData("br;q=0.5, gzip;q=0.9", "gzip")]      // the higher q wins
    [InlineData("zstd;q=0.1, br;q=0.2", "br")]
    [InlineData("gzip;q=1.0", "gzip")]
    [InlineData("gzip;q=0, identity", null)]          // q=0 means "not acceptable"
    [InlineData("br;q=0", null)]
    [InlineData("deflate", null)]                     // no deflate sidecar
    [InlineData("identity", null)]
    [InlineData(null, null)]                          // no Accept-Encoding: identity
    public async Task AcceptEncoding_SelectsTheSidecar(string? acceptEncoding, string? expectedEncoding)
    {
        var r = await GetAppJsAsync(acceptEncoding);

        HttpAssert.Status(200, r);
        HttpAssert.Body(PrecompressedSite.Variant(expectedEncoding), r);
        if (expectedEncoding is null)
        {
            HttpAssert.Absent("Content-Encoding", r);
        }
        else
        {
            HttpAssert.Header("Content-Encoding", expectedEncoding, r);
        }

        HttpAssert.Header("Content-Type", PrecompressedSite.JsType, r);
        HttpAssert.VaryIncludes("Accept-Encoding", r); // even for identity: the choice depended on the header
        HttpAssert.StrongETag(r);
    }

    [Fact]
    public async Task BrowserAcceptEncoding_GetsOneOfTheSidecars()
    {
        // What Chrome sends. Any sidecar is a correct answer; identity is not (all three exist).
        var r = await GetAppJsAsync("gzip, deflate, br, zstd");
        HttpAssert.Status(200, r);
        var encoding = r.Header("Content-Encoding");
        Assert.True(encoding is "br" or "gzip" or "zstd", $"expected a precompressed variant, got Content-Encoding '{encoding}'\n{r}");
        HttpAssert.Body(PrecompressedSite.Variant(encoding), r);
        HttpAssert.VaryIncludes("Accept-Encoding", r);
    }

    [Fact]
    public async Task EachVariant_HasItsOwnStrongETag()
    {
        var tags = new Dictionary<string, string>();
        foreach (var encoding in new[] { "identity", "br", "gzip", "zstd" })
        {
            var r = await GetAppJsAsync(encoding);
            HttpAssert.Status(200, r);
            tags[encoding] = HttpAssert.StrongETag(r);
        }

        Assert.True(tags.Values.Distinct().Count() == 4,
            "variants must not share an ETag: " + string.Join(", ", tags.Select(t => $"{t.Key}={t.Value}")));
    }

    [Fact]
    public async Task PartialSidecars_OnlyAvailableEncodingIsUsed()
    {
        var br = await site.RoundTripThenProbeAsync(Http.Get("/style.css", "Accept-Encoding: br"), Probe);
        HttpAssert.Status(200, br);
        HttpAssert.Body(PrecompressedSite.Css, br);
        HttpAssert.Absent("Content-Encoding", br);
        HttpAssert.VaryIncludes("Accept-Encoding", br);

        var both = await site.RoundTripThenProbeAsync(Http.Get("/style.css", "Accept-Encoding: br, gzip"), Probe);
        HttpAssert.Status(200, both);
        HttpAssert.Body(PrecompressedSite.CssGz, both);
        HttpAssert.Header("Content-Encoding", "gzip", both);
        HttpAssert.Header("Content-Type", "text/css; charset=utf-8", both);
    }

    [Theory]
    [InlineData("br")]
    [InlineData(null)]
    public async Task FileWithoutSidecars_HasNoVary(string? acceptEncoding)
    {
        var headers = acceptEncoding is null ? [] : new[] { "Accept-Encoding: " + acceptEncoding };
        var r = await site.RoundTripThenProbeAsync(Http.Get("/plain.txt", headers), Probe);
        HttpAssert.Status(200, r);
        HttpAssert.Body(PrecompressedSite.Plain, r);
        HttpAssert.Absent("Content-Encoding", r);
        HttpAssert.Absent("Vary", r);
    }

    [Fact]
    public async Task Range_AppliesToTheEncodedVariant()
    {
        var r = await GetAppJsAsync("br", "Range: bytes=0-9");
        HttpAssert.Status(206, r);
        HttpAssert.Header("Content-Encoding", "br", r);
        HttpAssert.ContentRange(0, 9, PrecompressedSite.AppJsBr.Length, r);
        HttpAssert.Body(PrecompressedSite.AppJsBr[..10], r);
        HttpAssert.VaryIncludes("Accept-Encoding", r);

        var tail = await GetAppJsAsync("gzip", "Range: bytes=-20");
        HttpAssert.Status(206, tail);
        HttpAssert.Header("Content-Encoding", "gzip", tail);
        var gz = PrecompressedSite.AppJsGz;
        HttpAssert.ContentRange(gz.Length - 20, gz.Length - 1, gz.Length, tail);
        HttpAssert.Body(gz[^20..], tail);
    }

    [Fact]
    public async Task IfNoneMatch_WithVariantETag_Is304OnlyForThatVariant()
    {
        var br = await GetAppJsAsync("br");
        var brTag = HttpAssert.StrongETag(br);
        var identity = await GetAppJsAsync(null);
        var identityTag = HttpAssert.StrongETag(identity);

        var notModified = await GetAppJsAsync("br", "If-None-Match: " + brTag);
        HttpAssert.Status(304, notModified);
        HttpAssert.Header("ETag", brTag, notModified);
        HttpAssert.VaryIncludes("Accept-Encoding", notModified);

        // The br tag does not validate the identity representation, and vice versa.
        var otherVariant = await GetAppJsAsync(null, "If-None-Match: " + brTag);
        HttpAssert.Status(200, otherVariant);
        HttpAssert.Body(PrecompressedSite.AppJs, otherVariant);

        var identityTagForBr = await GetAppJsAsync("br", "If-None-Match: " + identityTag);
        HttpAssert.Status(200, identityTagForBr);
        HttpAssert.Body(PrecompressedSite.AppJsBr, identityTagForBr);
    }

    [Fact]
    public async Task Head_WithEncoding_HasVariantLengthAndNoBody()
    {
        var r = await site.RoundTripThenProbeAsync(Http.Head("/app.js", "Accept-Encoding: br"), Probe, isHead: true);
        HttpAssert.Status(200, r);
        HttpAssert.Header("Content-Encoding", "br", r);
        HttpAssert.Header("Content-Length", PrecompressedSite.AppJsBr.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), r);
    }

    [Fact]
    public async Task HttpClient_WithAutomaticDecompression_GetsOriginalBytes()
    {
        using var client = Clients.Create(site.Port, DecompressionMethods.All);
        using var response = await client.GetAsync("/app.js");
        Assert.True(response.StatusCode == HttpStatusCode.OK, Clients.Describe(response));
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(PrecompressedSite.AppJs.AsSpan().SequenceEqual(body), $"decompressed body differs ({body.Length} bytes)\n{Clients.Describe(response)}");
        Assert.Contains("Accept-Encoding", Clients.Values(response.Headers, "Vary"), StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task HttpClient_WithoutDecompression_SeesContentEncodingAndSidecarBytes()
    {
        using var client = Clients.Create(site.Port);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/app.js");
        Clients.AddAcceptEncoding(request, "br");
        using var response = await client.SendAsync(request);
        Assert.True(response.StatusCode == HttpStatusCode.OK, Clients.Describe(response));
        Assert.Equal("br", Clients.ContentEncoding(response));
        Assert.Equal(PrecompressedSite.AppJsBr, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task CurlCompressed_GetsOriginalBytes()
    {
        // curl 7.88 offers deflate, gzip, br and zstd; whichever the server picks, curl decodes it.
        var result = await Curl.GetAsync(site.Port, "/app.js", "--compressed");
        Assert.True(result.ExitCode == 0 && result.Status == 200, result.ToString());
        Assert.True(result.Header("Content-Encoding") is "br" or "gzip" or "zstd", $"expected a compressed response\n{result}");
        Assert.True(PrecompressedSite.AppJs.AsSpan().SequenceEqual(result.Body), $"curl --compressed body differs ({result.Body.Length} bytes)\n{result}");
    }

    [Fact]
    public async Task CurlCompressed_Zstd_DecodesTheZstSidecar()
    {
        var result = await Curl.GetAsync(site.Port, "/app.js", "--compressed", "-H", "Accept-Encoding: zstd");
        Assert.True(result.ExitCode == 0 && result.Status == 200, result.ToString());
        Assert.Equal("zstd", result.Header("Content-Encoding"));
        Assert.True(PrecompressedSite.AppJs.AsSpan().SequenceEqual(result.Body), $"curl body differs ({result.Body.Length} bytes)\n{result}");
    }
}

public sealed class PrecompressedOffTests(PrecompressedOffFixture site) : IClassFixture<PrecompressedOffFixture>
{
    [Theory]
    [InlineData("br")]
    [InlineData("gzip, deflate, br, zstd")]
    public async Task PrecompressedFalse_AlwaysServesIdentity(string acceptEncoding)
    {
        var r = await site.RoundTripThenProbeAsync(Http.Get("/app.js", "Accept-Encoding: " + acceptEncoding), "/index.html");
        HttpAssert.Status(200, r);
        HttpAssert.Body(PrecompressedSite.AppJs, r);
        HttpAssert.Absent("Content-Encoding", r);
    }
}
