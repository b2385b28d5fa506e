using System.Text;
using StaticD.Site;
using Xunit;

namespace StaticD.Tests.Site;

public class MimeTypesTests
{
    private const string OctetStream = "application/octet-stream";

    [Theory]
    [InlineData("index.html", "text/html; charset=utf-8")]
    [InlineData("INDEX.HTML", "text/html; charset=utf-8")]
    [InlineData("page.Htm", "text/html; charset=utf-8")]
    [InlineData("site.css", "text/css; charset=utf-8")]
    [InlineData("app.js", "text/javascript; charset=utf-8")]
    [InlineData("mod.mjs", "text/javascript; charset=utf-8")]
    [InlineData("lib.cjs", "text/javascript; charset=utf-8")]
    [InlineData("data.json", "application/json; charset=utf-8")]
    [InlineData("app.js.map", "application/json; charset=utf-8")]
    [InlineData("feed.xml", "application/xml; charset=utf-8")]
    [InlineData("readme.txt", "text/plain; charset=utf-8")]
    [InlineData("table.csv", "text/csv; charset=utf-8")]
    [InlineData("README.md", "text/markdown; charset=utf-8")]
    [InlineData("logo.svg", "image/svg+xml; charset=utf-8")]
    [InlineData("site.webmanifest", "application/manifest+json; charset=utf-8")]
    [InlineData("cal.ics", "text/calendar; charset=utf-8")]
    [InlineData("subs.vtt", "text/vtt; charset=utf-8")]
    [InlineData("photo.JPG", "image/jpeg")]
    [InlineData("photo.jpeg", "image/jpeg")]
    [InlineData("a.png", "image/png")]
    [InlineData("a.webp", "image/webp")]
    [InlineData("a.avif", "image/avif")]
    [InlineData("favicon.ico", "image/x-icon")]
    [InlineData("font.woff2", "font/woff2")]
    [InlineData("module.wasm", "application/wasm")]
    [InlineData("doc.pdf", "application/pdf")]
    [InlineData("clip.mp4", "video/mp4")]
    [InlineData("clip.webm", "video/webm")]
    [InlineData("song.mp3", "audio/mpeg")]
    [InlineData("song.opus", "audio/ogg")]
    [InlineData("a.tar.gz", "application/gzip")]
    [InlineData("a.zst", "application/zstd")]
    [InlineData("a.7z", "application/x-7z-compressed")]
    [InlineData("conf.yml", "application/yaml; charset=utf-8")]
    [InlineData(".hidden.txt", "text/plain; charset=utf-8")]
    [InlineData("dir.d/file.css", "text/css; charset=utf-8")]
    [InlineData(".bashrc", OctetStream)]
    [InlineData(".hidden", OctetStream)]
    [InlineData("noext", OctetStream)]
    [InlineData("x.", OctetStream)]
    [InlineData(".", OctetStream)]
    [InlineData("", OctetStream)]
    [InlineData("x.unknownext", OctetStream)]
    [InlineData("file.bin", OctetStream)]
    [InlineData("x.thisextensionistoolong", OctetStream)]
    [InlineData("x.caf\u00e9", OctetStream)]
    [InlineData("x.HTML ", OctetStream)]
    public void MapsExtension(string fileName, string expected)
    {
        Assert.Equal(expected, Encoding.UTF8.GetString(MimeTypes.ForFileName(Encoding.UTF8.GetBytes(fileName))));
    }

    [Fact]
    public void DefaultIsOctetStream()
    {
        Assert.Equal(OctetStream, Encoding.ASCII.GetString(MimeTypes.Default));
    }

    [Fact]
    public void ExtensionOfExactlySixteenBytesIsLookedUp()
    {
        // 16 bytes is the limit; this one is unknown but must not be cut short or crash.
        Assert.Equal(OctetStream, Encoding.ASCII.GetString(MimeTypes.ForFileName("x.ABCDEFGHIJKLMNOP"u8)));
    }

    [Fact]
    public void DoesNotAllocate()
    {
        MimeTypes.ForFileName("warm.up"u8);

        long before = GC.GetAllocatedBytesForCurrentThread();
        int total = 0;
        for (int i = 0; i < 100; i++)
        {
            total += MimeTypes.ForFileName("INDEX.HTML"u8).Length;
            total += MimeTypes.ForFileName("a.tar.gz"u8).Length;
            total += MimeTypes.ForFileName("noext"u8).Length;
            total += MimeTypes.ForFileName("x.unknownext"u8).Length;
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
        Assert.True(total > 0);
    }
}
