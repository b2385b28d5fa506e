using System.Net;
using Xunit;

namespace StaticD.IntegrationTests.Web;

/// <summary>only.txt.gz and only2.txt.br exist; only.txt and only2.txt do not.</summary>
public sealed class CompressedOnlyFixture() : ServerFixture(root =>
{
    root.AddFile("index.html", Site.IndexHtml);
    root.AddFile("only.txt.gz", CompressedOnlyFixture.OnlyGz);
    root.AddFile("only2.txt.br", CompressedOnlyFixture.Only2Br);
})
{
    public const int Size = 5 * 1024 * 1024;
    public static readonly byte[] Only = TestContent.Text(Size, "only");
    public static readonly byte[] OnlyGz = TestContent.Gzip(Only);
    public static readonly byte[] Only2 = TestContent.Text(Size, "only2");
    public static readonly byte[] Only2Br = TestContent.Brotli(Only2);
    public static readonly string OnlySha = TestContent.Sha256(Only);
    public static readonly string Only2Sha = TestContent.Sha256(Only2);
}

/// <summary>A file that exists only compressed is sent as is to clients that accept it and decompressed (streamed) for the rest.</summary>
public sealed class CompressedOnlyTests(CompressedOnlyFixture site) : IClassFixture<CompressedOnlyFixture>
{
    private const string Probe = "/index.html";
    private const string TextType = "text/plain; charset=utf-8";

    public static TheoryData<string, string, string> Cases => new()
    {
        { "/only.txt", "gzip", "only.txt.gz" },
        { "/only2.txt", "br", "only2.txt.br" },
    };

    private static (byte[] Original, string Sha, byte[] Compressed) Expected(string target) => target == "/only.txt"
        ? (CompressedOnlyFixture.Only, CompressedOnlyFixture.OnlySha, CompressedOnlyFixture.OnlyGz)
        : (CompressedOnlyFixture.Only2, CompressedOnlyFixture.Only2Sha, CompressedOnlyFixture.Only2Br);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task AcceptingClient_GetsTheCompressedFileAsIs(string target, string encoding, string file)
    {
        var r = await site.RoundTripThenProbeAsync(Http.Get(target, "Accept-Encoding: " + encoding), Probe);
        HttpAssert.Status(200, r);
        HttpAssert.Header("Content-Encoding", encoding, r);
        HttpAssert.Header("Content-Type", TextType, r);
        HttpAssert.Body(File.ReadAllBytes(site.Root.FullPath(file)), r);
        HttpAssert.VaryIncludes("Accept-Encoding", r);
    }

    public static TheoryData<string, string?> IdentityCases => new()
    {
        { "/only.txt", null },
        { "/only.txt", "identity" },
        { "/only.txt", "br" },          // accepts an encoding the file is not stored in
        { "/only.txt", "gzip;q=0" },
        { "/only2.txt", null },
        { "/only2.txt", "gzip" },
    };

    [Theory]
    [MemberData(nameof(IdentityCases))]
    public async Task NonAcceptingClient_GetsDecompressedOriginal(string target, string? acceptEncoding)
    {
        var (original, sha, compressed) = Expected(target);
        var headers = acceptEncoding is null ? [] : new[] { "Accept-Encoding: " + acceptEncoding };

        // The probe on the same connection checks the (probably chunked) framing ended exactly.
        var r = await site.RoundTripThenProbeAsync(Http.Get(target, headers), Probe);

        HttpAssert.Status(200, r);
        HttpAssert.Absent("Content-Encoding", r);
        HttpAssert.Header("Content-Type", TextType, r);
        Assert.True(r.Body.Length == original.Length, $"expected {original.Length} decompressed bytes, got {r.Body.Length}\n{r.RawHead}");
        Assert.Equal(sha, TestContent.Sha256(r.Body));
        if (r.Header("Content-Length") is { } cl)
        {
            Assert.True(cl == original.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), $"Content-Length {cl} is not the decompressed length\n{r.RawHead}");
        }

        Assert.False(r.BodyDelimitedByClose, $"decompressed body was delimited by closing the connection\n{r.RawHead}");
        HttpAssert.VaryIncludes("Accept-Encoding", r);

        // If the decompressed representation has an ETag it must not be the compressed file's.
        if (r.Header("ETag") is { } tag)
        {
            var asIs = await site.SendAsync(Http.Get(target, "Accept-Encoding: " + (target == "/only.txt" ? "gzip" : "br")));
            HttpAssert.Status(200, asIs);
            Assert.True(compressed.AsSpan().SequenceEqual(asIs.Body), "compressed body differs");
            Assert.True(asIs.Header("ETag") != tag, $"decompressed and compressed representations share ETag {tag}");
        }
    }

    [Fact]
    public async Task Head_WithoutAcceptEncoding_Is200WithoutBody()
    {
        var r = await site.RoundTripThenProbeAsync(Http.Head("/only.txt"), Probe, isHead: true);
        HttpAssert.Status(200, r);
        HttpAssert.Absent("Content-Encoding", r);
        HttpAssert.Header("Content-Type", TextType, r);
    }

    [Theory]
    [InlineData("/only.txt")]
    [InlineData("/only2.txt")]
    public async Task HttpClient_WithoutAcceptEncoding_GetsDecompressedOriginal(string target)
    {
        var (_, sha, _) = Expected(target);
        using var client = Clients.Create(site.Port);
        using var response = await client.GetAsync(target);
        Assert.True(response.StatusCode == HttpStatusCode.OK, Clients.Describe(response));
        Assert.Null(Clients.ContentEncoding(response));
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(CompressedOnlyFixture.Size, body.Length);
        Assert.Equal(sha, TestContent.Sha256(body));
    }

    [Theory]
    [InlineData("/only.txt")]
    [InlineData("/only2.txt")]
    public async Task HttpClient_WithAutomaticDecompression_GetsOriginal(string target)
    {
        var (_, sha, _) = Expected(target);
        using var client = Clients.Create(site.Port, DecompressionMethods.All);
        using var response = await client.GetAsync(target);
        Assert.True(response.StatusCode == HttpStatusCode.OK, Clients.Describe(response));
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(sha, TestContent.Sha256(body));
    }

    [Fact]
    public async Task MissingFileWithoutAnySidecar_Is404()
    {
        var r = await site.SendAsync(Http.Get("/nothing.txt", "Accept-Encoding: gzip, br"));
        HttpAssert.Status(404, r);
    }
}
