using Xunit;

namespace StaticD.IntegrationTests.Web;

/// <summary>Directory indexes with every combination of precompressed sidecars beside them.</summary>
public static class IndexSidecarSite
{
    public static readonly byte[] Page = TestContent.Text(3000, "html");

    /// <summary>Directory → the sidecars its index.html has.</summary>
    public static readonly (string Dir, string[] Codings)[] Dirs =
    [
        ("/", ["br", "gzip", "zstd"]),
        ("/br/", ["br"]),
        ("/gz/", ["gzip"]),
        ("/zst/", ["zstd"]),
        ("/all/", ["br", "gzip", "zstd"]),
        ("/none/", []),
    ];

    public static void Populate(WebRoot root)
    {
        foreach ((string dir, string[] codings) in Dirs)
        {
            string index = dir.TrimStart('/') + "index.html";
            root.AddFile(index, Page);
            foreach (string coding in codings)
            {
                (string suffix, byte[] body) = coding switch
                {
                    "br" => (".br", TestContent.Brotli(Page)),
                    "gzip" => (".gz", TestContent.Gzip(Page)),
                    _ => (".zst", TestContent.ZstdStored(Page)),
                };
                root.AddFile(index + suffix, body);
            }
        }
    }

    public static IEnumerable<object?[]> Cases()
    {
        string?[] accepts = [null, "gzip", "br", "zstd", "gzip, deflate, br, zstd", "identity"];
        foreach ((string dir, _) in Dirs)
        {
            foreach (string? accept in accepts)
            {
                yield return [dir, accept];
                yield return [dir + "index.html", accept];
            }
        }
    }
}

/// <summary>Sidecars alone: on-the-fly compression would give "/none/" a coding once its result is made, between
/// a request and its revalidation (that path has its own tests in Compression/).</summary>
public sealed class IndexSidecarFixture() : ServerFixture(IndexSidecarSite.Populate,
    s => s["Compression"] = new System.Text.Json.Nodes.JsonObject { ["Enabled"] = false });

/// <summary>
/// Regression: "/" with index.html.br beside it, for a browser's Accept-Encoding, was sent as
/// application/octet-stream with the default Cache-Control (the variant lost the "this is the index" fact, so
/// type and cache rule were computed from "/"), and Chrome downloaded a file instead of showing the site.
/// </summary>
public sealed class IndexSidecarTests(IndexSidecarFixture site) : IClassFixture<IndexSidecarFixture>
{
    [Theory]
    [MemberData(nameof(IndexSidecarSite.Cases), MemberType = typeof(IndexSidecarSite))]
    public async Task Index_is_html_whatever_the_coding(string path, string? acceptEncoding)
    {
        string[] headers = acceptEncoding is null ? [] : ["Accept-Encoding: " + acceptEncoding];
        // Twice: the first answer comes from the thread pool, the second from the loop's file cache.
        for (int round = 0; round < 2; round++)
        {
            HttpResponse r = await site.SendAsync(Http.Get(path, headers));
            HttpAssert.Status(200, r);
            Assert.Equal("text/html; charset=utf-8", r.Header("Content-Type"));
            Assert.Equal("no-cache", r.Header("Cache-Control"));
            string dir = path.EndsWith('/') ? path : path[..(path.LastIndexOf('/') + 1)];
            string[] codings = IndexSidecarSite.Dirs.Single(d => d.Dir == dir).Codings;
            string? expected = ExpectedCoding(acceptEncoding, codings);
            Assert.Equal(expected, r.Header("Content-Encoding"));
            if (codings.Length > 0) HttpAssert.VaryIncludes("Accept-Encoding", r);

            // Revalidation: the 304 carries the same caching rule as the 200 it stands for.
            HttpResponse revalidated = await site.SendAsync(Http.Get(path, [.. headers, "If-None-Match: " + HttpAssert.StrongETag(r)]));
            HttpAssert.Status(304, revalidated);
            Assert.Equal("no-cache", revalidated.Header("Cache-Control"));
        }
    }

    /// <summary>staticd's preference among what the client accepts and what exists: br, zstd, gzip.</summary>
    private static string? ExpectedCoding(string? accept, string[] available)
    {
        if (accept is null) return null;
        foreach (string coding in new[] { "br", "zstd", "gzip" })
        {
            if (available.Contains(coding) && accept.Split(',').Any(t => t.Trim() == coding)) return coding;
        }
        return null;
    }
}
