using StaticD.Files;
using StaticD.Hosting;
using StaticD.Http;
using Xunit;

namespace StaticD.Tests.Hosting;

/// <summary>StaticD:Compression: defaults, what a site may set, and errors that name the key.</summary>
public sealed class CompressionConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("staticd-compression-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ServerOptions Load(params (string Key, string? Value)[] values) =>
        InMemoryConfig.Load(_dir, [("StaticD:Port", "80"), ("StaticD:Root", _dir), .. values]);

    [Fact]
    public void DefaultsAreOn_ZstdBrGzip_1KiBTo8MiB_64MiBInMemory()
    {
        ServerOptions o = Load();
        CompressionSettings c = Assert.IsType<CompressionSettings>(o.Compression);
        Assert.Equal([ContentCoding.Zstd, ContentCoding.Brotli, ContentCoding.Gzip], c.Encodings);
        Assert.Equal(1024, c.MinBytes);
        Assert.Equal(8 * 1024 * 1024, c.MaxBytes);
        Assert.Equal(64 * 1024 * 1024, c.CacheBytes);
        Assert.Null(c.CacheDirectory);
        Assert.True(o.Site.Compress);
        Assert.True(o.Site.CompressTypes.Matches("text/css; charset=utf-8"u8));
        Assert.False(o.Site.CompressTypes.Matches("image/png"u8));
    }

    [Fact]
    public void ServerWideKeysAreRead()
    {
        string cache = Path.Combine(_dir, "cache");
        ServerOptions o = Load(("StaticD:Compression:Encodings:0", "GZIP"), ("StaticD:Compression:Encodings:1", "br"),
            ("StaticD:Compression:MinBytes", "10"), ("StaticD:Compression:MaxBytes", "20"),
            ("StaticD:Compression:CacheBytes", "100000"), ("StaticD:Compression:CacheDirectory", cache),
            ("StaticD:Compression:Types:0", "application/json"));
        CompressionSettings c = o.Compression!;
        Assert.Equal([ContentCoding.Gzip, ContentCoding.Brotli], c.Encodings);
        Assert.Equal((10L, 20L, 100000L, cache), (c.MinBytes, c.MaxBytes, c.CacheBytes, c.CacheDirectory));
        Assert.True(Directory.Exists(cache)); // created, as systemd's CacheDirectory= would
        Assert.True(o.Site.CompressTypes.Matches("application/json"u8));
        Assert.False(o.Site.CompressTypes.Matches("text/html"u8));
    }

    [Fact]
    public void OffEverywhere_NoCompressor_ButASiteMayTurnItBackOn()
    {
        Assert.Null(Load(("StaticD:Compression:Enabled", "false")).Compression);
        ServerOptions o = Load(("StaticD:Compression:Enabled", "false"),
            ("StaticD:Sites:0:Hosts:0", "a.test"), ("StaticD:Sites:0:Compression:Enabled", "true"),
            ("StaticD:Sites:1:Hosts:0", "b.test"));
        Assert.NotNull(o.Compression);
        Assert.False(o.Site.Compress);
        Assert.True(o.Sites[0].Compress);
        Assert.False(o.Sites[1].Compress); // inherited
    }

    [Fact]
    public void ASiteInheritsTypes_OrSetsItsOwn()
    {
        ServerOptions o = Load(("StaticD:Compression:Types:0", "text/*"),
            ("StaticD:Sites:0:Hosts:0", "a.test"), ("StaticD:Sites:1:Hosts:0", "b.test"), ("StaticD:Sites:1:Compression:Types:0", "image/svg+xml"));
        Assert.True(o.Sites[0].CompressTypes.Matches("text/plain"u8));
        Assert.False(o.Sites[1].CompressTypes.Matches("text/plain"u8));
        Assert.True(o.Sites[1].CompressTypes.Matches("image/SVG+xml"u8));
    }

    [Theory]
    [InlineData("StaticD:Compression:Encodings:0", "deflate", "StaticD:Compression:Encodings:0", "\"deflate\" is not allowed")]
    [InlineData("StaticD:Compression:Encodings:1", "zstd", "StaticD:Compression:Encodings:1", "listed twice")]
    [InlineData("StaticD:Compression:MinBytes", "0", "StaticD:Compression:MinBytes", "from 1 to")]
    [InlineData("StaticD:Compression:MaxBytes", "abc", "StaticD:Compression:MaxBytes", "\"abc\"")]
    [InlineData("StaticD:Compression:MaxBytes", "100", "StaticD:Compression:MaxBytes", "at least MinBytes (1024)")]
    [InlineData("StaticD:Compression:CacheBytes", "10", "StaticD:Compression:CacheBytes", "from 4096")]
    [InlineData("StaticD:Compression:CacheDirectory", "var/cache", "StaticD:Compression:CacheDirectory", "absolute path")]
    [InlineData("StaticD:Compression:Types:0", "javascript", "StaticD:Compression:Types:0", "not a media type")]
    [InlineData("StaticD:Compression:Types:0", "*/*", "StaticD:Compression:Types:0", "not a media type")]
    [InlineData("StaticD:Compression:Level", "9", "StaticD:Compression:Level", "unknown key")]
    [InlineData("StaticD:Compression:Enabled", "yes", "StaticD:Compression:Enabled", "expected true or false")]
    [InlineData("StaticD:Sites:0:Compression:CacheBytes", "100000", "StaticD:Sites:0:Compression:CacheBytes", "server-wide")]
    [InlineData("StaticD:Sites:0:Compression:Colour", "red", "StaticD:Sites:0:Compression:Colour", "allowed keys per site are Enabled, Types")]
    public void BadValues_NameTheKey(string key, string value, string expectedKey, string expectedText)
    {
        var values = new List<(string, string?)> { (key, value) };
        if (key.StartsWith("StaticD:Sites", StringComparison.Ordinal)) values.Add(("StaticD:Sites:0:Hosts:0", "a.test"));
        if (key.EndsWith("Encodings:1", StringComparison.Ordinal)) values.Add(("StaticD:Compression:Encodings:0", "zstd"));
        ConfigException ex = Assert.Throws<ConfigException>(() => Load([.. values]));
        Assert.Equal(expectedKey, ex.Key);
        Assert.Contains(expectedText, ex.Message);
    }
}
