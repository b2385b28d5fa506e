using System.Text.Json;
using Xunit;

namespace StaticD.IntegrationTests.Web;

public static class ListingSite
{
    public const string Tricky = "<b>x&y.txt";
    public const string TrickyEscaped = "&lt;b&gt;x&amp;y.txt";

    public static void Populate(WebRoot root)
    {
        root.AddFile("index.html", Site.IndexHtml);

        // Created out of order so a listing in creation (or inode) order is caught.
        root.AddFile("files/gamma.txt", "gamma\n");
        root.AddFile("files/alpha.txt", "alpha file, 23 bytes.\n");
        root.AddFile("files/beta.txt", "b\n");
        root.AddFile("files/" + Tricky, "tricky\n");
        root.AddFile("files/.secret", "hidden\n");
        root.AddFile("files/.hiddendir/x.txt", "hidden\n");
        root.AddDirectory("files/subdir");
        root.AddFile("odd/<i>dir/a#b.txt", "x\n");
        root.AddFile("odd/<i>dir/a?b.txt", "x\n");
        root.AddFile("withindex/index.html", "<p>an index wins over a listing</p>\n");
        root.AddFile("withindex/other.txt", "other\n");
        root.AddFile(".git/config", "[core]\n");
    }
}

public sealed class ListingFixture() : ServerFixture(ListingSite.Populate, s => s["DirectoryListing"] = true);

public sealed class NoListingFixture() : ServerFixture(ListingSite.Populate);

public sealed class DirectoryListingTests(ListingFixture site) : IClassFixture<ListingFixture>
{
    [Fact]
    public async Task Html_ListsEscapedSortedNames_WithoutHiddenFiles()
    {
        var r = await site.RoundTripThenProbeAsync(Http.Get("/files/"), "/index.html");
        HttpAssert.Status(200, r);
        var type = r.Header("Content-Type") ?? "";
        Assert.True(type.StartsWith("text/html", StringComparison.OrdinalIgnoreCase), $"listing Content-Type '{type}'\n{r}");
        var html = r.BodyText;

        foreach (var name in new[] { "alpha.txt", "beta.txt", "gamma.txt", "subdir", ListingSite.TrickyEscaped })
        {
            Assert.True(html.Contains(name, StringComparison.Ordinal), $"listing does not contain '{name}'\n{html}");
        }

        // The raw name would inject markup.
        Assert.False(html.Contains("<b>x", StringComparison.Ordinal), $"listing contains the raw, unescaped '<b>x'\n{html}");
        Assert.False(html.Contains("x&y", StringComparison.Ordinal), $"listing contains an unescaped '&'\n{html}");

        Assert.False(html.Contains(".secret", StringComparison.Ordinal), $"listing shows a hidden file\n{html}");
        Assert.False(html.Contains(".hiddendir", StringComparison.Ordinal), $"listing shows a hidden directory\n{html}");

        var a = html.IndexOf("alpha.txt", StringComparison.Ordinal);
        var b = html.IndexOf("beta.txt", StringComparison.Ordinal);
        var g = html.IndexOf("gamma.txt", StringComparison.Ordinal);
        Assert.True(a < b && b < g, $"names are not sorted (alpha@{a}, beta@{b}, gamma@{g})\n{html}");
    }

    [Fact]
    public async Task Html_EscapesTheDirectoryPath_AndPercentEncodesHrefs()
    {
        var r = await site.GetAsync("/odd/%3Ci%3Edir/");
        HttpAssert.Status(200, r);
        var html = r.BodyText;
        Assert.False(html.Contains("<i>dir", StringComparison.Ordinal), $"the directory path is not HTML-escaped\n{html}");
        Assert.True(html.Contains("&lt;i&gt;dir", StringComparison.Ordinal), $"the escaped directory path is missing\n{html}");

        // '#' and '?' in a name must be percent-encoded in the link, or the link points elsewhere.
        Assert.False(html.Contains("href=\"a#b.txt\"", StringComparison.Ordinal) || html.Contains("href=\"a?b.txt\"", StringComparison.Ordinal),
            $"links with raw '#' or '?'\n{html}");
        Assert.True(html.Contains("a%23b.txt", StringComparison.Ordinal) && html.Contains("a%3Fb.txt", StringComparison.OrdinalIgnoreCase),
            $"percent-encoded links missing\n{html}");
    }

    [Fact]
    public async Task Json_WhenAccepted_HasEntriesWithNameTypeSize()
    {
        var r = await site.RoundTripThenProbeAsync(Http.Get("/files/", "Accept: application/json"), "/index.html");
        HttpAssert.Status(200, r);
        var type = r.Header("Content-Type") ?? "";
        Assert.True(type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase), $"Content-Type '{type}'\n{r}");

        using var doc = JsonDocument.Parse(r.Body);
        var entries = doc.RootElement.ValueKind == JsonValueKind.Array
            ? doc.RootElement
            : Property(doc.RootElement, "entries", r);
        Assert.Equal(JsonValueKind.Array, entries.ValueKind);

        var byName = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var e in entries.EnumerateArray())
        {
            var name = Property(e, "name", r).GetString()!;
            byName[name] = e;
            order.Add(name);
        }

        Assert.Equal(
            new[] { ListingSite.Tricky, "alpha.txt", "beta.txt", "gamma.txt", "subdir" }.Order(StringComparer.Ordinal),
            order.Order(StringComparer.Ordinal));

        var fileNames = order.Where(n => n != "subdir").ToList();
        Assert.Equal(fileNames.Order(StringComparer.Ordinal), fileNames); // files in sorted order

        var alpha = byName["alpha.txt"];
        Assert.Equal("file", Property(alpha, "type", r).GetString());
        Assert.Equal(new FileInfo(site.Root.FullPath("files/alpha.txt")).Length, Property(alpha, "size", r).GetInt64());
        Assert.Equal(2, Property(byName["beta.txt"], "size", r).GetInt64());

        var dirType = Property(byName["subdir"], "type", r).GetString();
        Assert.True(dirType is "directory" or "dir", $"subdir has type '{dirType}'\n{r.BodyText}");
    }

    private static JsonElement Property(JsonElement e, string name, HttpResponse r)
    {
        foreach (var p in e.EnumerateObject())
        {
            if (p.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return p.Value;
            }
        }

        throw new Xunit.Sdk.XunitException($"JSON object has no '{name}' property: {e}\n{r.BodyText}");
    }

    [Fact]
    public async Task DirectoryWithIndex_ServesTheIndexNotAListing()
    {
        var r = await site.GetAsync("/withindex/");
        HttpAssert.Status(200, r);
        HttpAssert.Body("<p>an index wins over a listing</p>\n", r);
    }

    [Fact]
    public async Task HiddenDirectory_IsNotListed()
    {
        var r = await site.GetAsync("/.git/");
        HttpAssert.Status(404, r);
        Assert.DoesNotContain("config", r.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DirectoryWithoutSlash_StillRedirects()
    {
        var r = await site.GetAsync("/files");
        HttpAssert.Status(301, r);
        HttpAssert.Header("Location", "/files/", r);
    }
}

public sealed class NoListingTests(NoListingFixture site) : IClassFixture<NoListingFixture>
{
    [Theory]
    [InlineData("/files/")]
    [InlineData("/files/subdir/")]
    public async Task DirectoryWithoutIndex_Is403(string target)
    {
        var r = await site.GetAsync(target);
        HttpAssert.Status(403, r);
        Assert.DoesNotContain("alpha.txt", r.BodyText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonAccept_DoesNotEnableListing()
    {
        var r = await site.SendAsync(Http.Get("/files/", "Accept: application/json"));
        HttpAssert.Status(403, r);
    }
}
