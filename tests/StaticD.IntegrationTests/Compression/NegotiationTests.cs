using Xunit;
using static StaticD.IntegrationTests.Compression.CompressionKit;

namespace StaticD.IntegrationTests.Compression;

/// <summary>app.js and style.css without sidecars (compressed on the fly); sidecar.js with a stored-block .zst
/// sidecar; tiny.css under MinBytes; photo.png not a compressible type.</summary>
public sealed class CompressionFixture() : ServerFixture(root =>
{
    root.AddFile("index.html", Site.IndexHtml);
    root.AddFile("app.js", CompressionSite.App);
    root.AddFile("style.css", CompressionSite.Style);
    root.AddFile("sidecar.js", CompressionSite.Sidecar);
    root.AddFile("sidecar.js.zst", Web.TestContent.ZstdStored(CompressionSite.Sidecar));
    root.AddFile("tiny.css", CompressionSite.Tiny);
    root.AddFile("photo.png", CompressionSite.Png);
});

public static class CompressionSite
{
    public static readonly byte[] App = Script(200 * 1024, 1);
    public static readonly byte[] Style = Script(4 * 1024, 2);
    public static readonly byte[] Sidecar = Script(30 * 1024, 3);
    public static readonly byte[] Tiny = Script(500, 4);
    public static readonly byte[] Png = [.. Site.Png, .. Script(8000, 5)];
}

/// <summary>On-the-fly compression is negotiated exactly like the sidecars (RFC 9110 §12.5.3): the client's
/// weights, then the server's order (Compression:Encodings, zstd first by default); each coding is a complete
/// representation with its own strong ETag.</summary>
public sealed class NegotiationTests(CompressionFixture site) : IClassFixture<CompressionFixture>
{
    [Theory]
    [InlineData("zstd", "zstd")]
    [InlineData("br", "br")]
    [InlineData("gzip", "gzip")]
    [InlineData("gzip, deflate, br, zstd", "zstd")]   // a browser's field: equal weights, the server's order
    [InlineData("br;q=1, zstd;q=0.5", "br")]          // the client's weights first
    [InlineData("gzip;q=0.9, br;q=0.2", "gzip")]
    [InlineData("*", "zstd")]
    public async Task TheNegotiatedCodingIsServedOnceMade(string acceptEncoding, string expected)
    {
        HttpResponse r = await PollUntilEncodedAsync(site.Port, "/app.js", expected, acceptEncoding);
        AssertEncodedFrom(CompressionSite.App, expected, r);
        HttpAssert.Header("Content-Type", "text/javascript; charset=utf-8", r);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("identity")]
    [InlineData("deflate")]
    [InlineData("zstd;q=0, br;q=0, gzip;q=0")]
    public async Task ClientsThatTakeNoneOfOurCodingsGetTheFile(string? acceptEncoding)
    {
        await PollUntilEncodedAsync(site.Port, "/app.js", "gzip"); // made, so identity below is a choice
        HttpResponse r = await GetAsync(site.Port, "/app.js", acceptEncoding);
        HttpAssert.Status(200, r);
        HttpAssert.Absent("Content-Encoding", r);
        HttpAssert.Body(CompressionSite.App, r);
        HttpAssert.VaryIncludes("Accept-Encoding", r);
    }

    [Fact]
    public async Task IdentityRefusedAndNoCodingTaken_Is406()
    {
        HttpResponse r = await GetAsync(site.Port, "/app.js", "identity;q=0, deflate");
        HttpAssert.Status(406, r);
    }

    [Fact]
    public async Task EachCodingHasItsOwnStrongETag_DerivedFromTheFile()
    {
        string identity = HttpAssert.StrongETag(await GetAsync(site.Port, "/style.css", null));
        var tags = new List<string> { identity };
        foreach (string coding in new[] { "zstd", "br", "gzip" })
        {
            HttpResponse r = await PollUntilEncodedAsync(site.Port, "/style.css", coding);
            AssertEncodedFrom(CompressionSite.Style, coding, r);
            string tag = HttpAssert.StrongETag(r);
            Assert.Equal(identity[..^1] + "-" + coding + "\"", tag);
            tags.Add(tag);
        }
        Assert.Equal(4, tags.Distinct().Count());
    }

    [Fact]
    public async Task SidecarsWin_AFileWithSidecarsIsNeverCompressedOnTheFly()
    {
        HttpResponse zstd = await GetAsync(site.Port, "/sidecar.js", "zstd");
        HttpAssert.Header("Content-Encoding", "zstd", zstd);
        HttpAssert.Body(Web.TestContent.ZstdStored(CompressionSite.Sidecar), zstd); // the sidecar's bytes, stored blocks

        // br and gzip have no sidecar: the file is sent as it is, however often it is asked for.
        for (int i = 0; i < 20; i++)
        {
            HttpResponse br = await GetAsync(site.Port, "/sidecar.js", "br, gzip");
            HttpAssert.Status(200, br);
            HttpAssert.Absent("Content-Encoding", br);
            HttpAssert.Body(CompressionSite.Sidecar, br);
            HttpAssert.VaryIncludes("Accept-Encoding", br);
        }
    }

    [Theory]
    [InlineData("/tiny.css")]   // under MinBytes
    [InlineData("/photo.png")]  // not a listed type
    public async Task FilesThatDoNotQualifyAreNotNegotiated(string path)
    {
        for (int i = 0; i < 10; i++)
        {
            HttpResponse r = await GetAsync(site.Port, path, "zstd, br, gzip");
            HttpAssert.Status(200, r);
            HttpAssert.Absent("Content-Encoding", r);
            HttpAssert.Absent("Vary", r);
        }
    }

    [Fact]
    public async Task HeadOfACompressedResponse_HasItsLengthAndNoBody()
    {
        HttpResponse get = await PollUntilEncodedAsync(site.Port, "/app.js", "br");
        HttpResponse head = await site.RoundTripThenProbeAsync(Http.Head("/app.js", "Accept-Encoding: br"), "/index.html", isHead: true);
        HttpAssert.Status(200, head);
        HttpAssert.Header("Content-Encoding", "br", head);
        HttpAssert.Header("Content-Length", get.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), head);
        Assert.Empty(head.Body);
    }

    [Fact]
    public async Task KeepAliveConnection_ServesCompressedBodiesBackToBack()
    {
        HttpResponse first = await PollUntilEncodedAsync(site.Port, "/app.js", "zstd");
        using RawHttpClient client = await site.ConnectAsync();
        for (int i = 0; i < 50; i++)
        {
            HttpResponse r = await client.RoundTripAsync(Http.Get("/app.js", "Accept-Encoding: zstd"));
            HttpAssert.Header("Content-Encoding", "zstd", r);
            Assert.Equal(first.Body, r.Body);
        }
    }
}
