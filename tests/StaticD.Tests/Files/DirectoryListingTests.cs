using System.Text;
using System.Text.Json;
using StaticD.Files;
using Xunit;

namespace StaticD.Tests.Files;

public sealed class DirectoryListingTests : IDisposable
{
    private const string Nasty = "<script>alert(1)&\"'.txt";
    private const string Accented = "my café.txt";
    private static readonly DateTime Mtime = new(2026, 11, 27, 12, 0, 0, DateTimeKind.Utc);

    private readonly string _root = Directory.CreateTempSubdirectory("staticd-listing-").FullName;

    public DirectoryListingTests()
    {
        Write("b.txt", "hello world!");
        Write("a.txt", "x");
        Write("B.txt", "xy");
        Write(".env", "SECRET=1");
        Write(Nasty, "<>");
        Write(Accented, "é");
        Write("100%:x.txt", "");
        Directory.CreateDirectory(Path.Combine(_root, "zdir"));
        Directory.CreateDirectory(Path.Combine(_root, "Adir"));
        Directory.CreateDirectory(Path.Combine(_root, ".git"));
        Write(Path.Combine("zdir", "inner.txt"), "inner");
        Directory.SetLastWriteTimeUtc(Path.Combine(_root, "zdir"), Mtime);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private void Write(string name, string content)
    {
        string path = Path.Combine(_root, name);
        File.WriteAllText(path, content);
        File.SetLastWriteTimeUtc(path, Mtime);
    }

    [Fact]
    public void ReadsSortedDirectoriesFirstWithoutHidden()
    {
        List<ListingEntry> entries = DirectoryListing.Read(_root, includeHidden: false);
        Assert.Equal(
            ["Adir", "zdir", "100%:x.txt", Nasty, "B.txt", "a.txt", "b.txt", Accented],
            entries.Select(e => e.Name));
        Assert.True(entries[0].IsDirectory);
        Assert.True(entries[1].IsDirectory);
        Assert.All(entries.Skip(2), e => Assert.False(e.IsDirectory));

        ListingEntry b = entries.Single(e => e.Name == "b.txt");
        Assert.Equal(12, b.Size);
        Assert.Equal(new DateTimeOffset(Mtime).ToUnixTimeSeconds(), b.MtimeUnixSeconds);
        Assert.Equal(Encoding.UTF8.GetByteCount("é"), entries.Single(e => e.Name == Accented).Size);
    }

    [Fact]
    public void IncludesHiddenWhenAsked()
    {
        List<ListingEntry> entries = DirectoryListing.Read(_root, includeHidden: true);
        Assert.Equal(".git", entries[0].Name);
        Assert.True(entries[0].IsDirectory);
        Assert.Contains(entries, e => e.Name == ".env" && !e.IsDirectory && e.Size == 8);
    }

    [Fact]
    public void MissingDirectoryThrowsIOException()
    {
        Assert.ThrowsAny<IOException>(() => DirectoryListing.Read(Path.Combine(_root, "nope"), false));
    }

    [Fact]
    public void SymlinksDoNotBreakTheListing()
    {
        File.CreateSymbolicLink(Path.Combine(_root, "link.txt"), Path.Combine(_root, "b.txt"));
        File.CreateSymbolicLink(Path.Combine(_root, "dangling"), Path.Combine(_root, "does-not-exist"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "dirlink"), Path.Combine(_root, "zdir"));
        List<ListingEntry> entries = DirectoryListing.Read(_root, includeHidden: false);
        // Described as .NET reports them, not resolved: see DirectoryListing.Read.
        Assert.Contains(entries, e => e.Name == "link.txt" && !e.IsDirectory);
        Assert.Contains(entries, e => e.Name == "dangling" && !e.IsDirectory);
        Assert.Contains(entries, e => e.Name == "dirlink" && e.IsDirectory);
        Assert.Equal(["Adir", "dirlink", "zdir"], entries.Where(e => e.IsDirectory).Select(e => e.Name));
    }

    [Fact]
    public void RendersEscapedHtml()
    {
        List<ListingEntry> entries = DirectoryListing.Read(_root, includeHidden: false);
        string html = Encoding.UTF8.GetString(DirectoryListing.RenderHtml("/docs/<b>&/", entries));

        Assert.Contains("<meta charset=\"utf-8\">", html);
        Assert.Contains("<title>Index of /docs/&lt;b&gt;&amp;/</title>", html);
        Assert.Contains("<h1>Index of /docs/&lt;b&gt;&amp;/</h1>", html);
        Assert.DoesNotContain("<script>", html);
        Assert.DoesNotContain("<b>", html);

        // Text is HTML-escaped; the href is percent-encoded (so it needs no HTML escaping).
        Assert.Contains(
            "<a href=\"%3Cscript%3Ealert(1)%26%22%27.txt\">&lt;script&gt;alert(1)&amp;&quot;&#39;.txt</a>",
            html);
        Assert.Contains("<a href=\"my%20caf%C3%A9.txt\">my café.txt</a>", html);
        Assert.Contains("<a href=\"100%25%3Ax.txt\">100%:x.txt</a>", html);
        Assert.Contains("<a href=\"zdir/\">zdir/</a></td><td class=\"size\">-</td><td>2026-11-27T12:00:00Z</td>", html);
        Assert.Contains("<a href=\"b.txt\">b.txt</a></td><td class=\"size\">12</td><td>2026-11-27T12:00:00Z</td>", html);
        Assert.Contains("<a href=\"../\">../</a>", html);
        Assert.DoesNotContain(".env", html);

        // Same order as the entries.
        Assert.True(html.IndexOf("href=\"Adir/\"", StringComparison.Ordinal) < html.IndexOf("href=\"zdir/\"", StringComparison.Ordinal));
        Assert.True(html.IndexOf("href=\"zdir/\"", StringComparison.Ordinal) < html.IndexOf("href=\"a.txt\"", StringComparison.Ordinal));
    }

    [Fact]
    public void RootHasNoParentLinkAndPathGetsItsSlash()
    {
        string root = Encoding.UTF8.GetString(DirectoryListing.RenderHtml("/", []));
        Assert.DoesNotContain("../", root);
        Assert.Contains("<title>Index of /</title>", root);

        string sub = Encoding.UTF8.GetString(DirectoryListing.RenderHtml("/sub", []));
        Assert.Contains("<title>Index of /sub/</title>", sub);
        Assert.Contains("href=\"../\"", sub);
    }

    [Fact]
    public void EncodesAstralCharactersAsOneCodePoint()
    {
        string html = Encoding.UTF8.GetString(DirectoryListing.RenderHtml("/", [new ListingEntry("😀.png", false, 1, 0)]));
        Assert.Contains("href=\"%F0%9F%98%80.png\"", html);
        Assert.Contains(">😀.png</a>", html);
        Assert.Contains("1970-01-01T00:00:00Z", html);
    }

    [Fact]
    public void RendersJson()
    {
        List<ListingEntry> entries = DirectoryListing.Read(_root, includeHidden: false);
        byte[] json = DirectoryListing.RenderJson("/docs", entries);

        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        Assert.Equal("/docs/", root.GetProperty("path").GetString());
        JsonElement[] items = [.. root.GetProperty("entries").EnumerateArray()];
        Assert.Equal(entries.Count, items.Length);

        Assert.Equal("Adir", items[0].GetProperty("name").GetString());
        Assert.Equal("directory", items[0].GetProperty("type").GetString());
        Assert.Equal(0, items[0].GetProperty("size").GetInt64());

        JsonElement b = items.Single(i => i.GetProperty("name").GetString() == "b.txt");
        Assert.Equal("file", b.GetProperty("type").GetString());
        Assert.Equal(12, b.GetProperty("size").GetInt64());
        Assert.Equal("2026-11-27T12:00:00Z", b.GetProperty("mtime").GetString());

        Assert.Contains(items, i => i.GetProperty("name").GetString() == Nasty);
        Assert.Contains(items, i => i.GetProperty("name").GetString() == Accented);
        Assert.DoesNotContain("<script>", Encoding.UTF8.GetString(json));
        Assert.Equal(["name", "type", "size", "mtime"], items[0].EnumerateObject().Select(p => p.Name));
    }

    [Fact]
    public void ClampsAbsurdTimestamps()
    {
        byte[] json = DirectoryListing.RenderJson("/", [new ListingEntry("x", false, 0, long.MaxValue), new ListingEntry("y", false, 0, long.MinValue)]);
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement[] items = [.. document.RootElement.GetProperty("entries").EnumerateArray()];
        Assert.Equal("9999-12-31T23:59:59Z", items[0].GetProperty("mtime").GetString());
        Assert.Equal("0001-01-01T00:00:00Z", items[1].GetProperty("mtime").GetString());
    }
}
