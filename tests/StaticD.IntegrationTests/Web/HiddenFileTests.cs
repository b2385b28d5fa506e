using Xunit;

namespace StaticD.IntegrationTests.Web;

public static class HiddenSite
{
    public const string GitConfig = "[core]\n\trepositoryformatversion = 0\n";
    public const string Env = "DATABASE_PASSWORD=hunter2\n";
    public const string Hidden = "hidden file\n";
    public const string SecurityTxt = "Contact: mailto:security@staticd.test\nExpires: 2030-01-01T00:00:00.000Z\n";

    public static void Populate(WebRoot root)
    {
        root.AddFile("index.html", Site.IndexHtml);
        root.AddFile(".git/config", GitConfig);
        root.AddFile(".git/HEAD", "ref: refs/heads/main\n");
        root.AddFile(".env", Env);
        root.AddFile("sub/.hidden", Hidden);
        root.AddFile("sub/visible.txt", "visible\n");
        root.AddFile(".well-known/security.txt", SecurityTxt);
    }
}

public sealed class HiddenFileFixture() : ServerFixture(HiddenSite.Populate);

public sealed class HiddenServedFixture() : ServerFixture(HiddenSite.Populate, s => s["ServeHiddenFiles"] = true);

/// <summary>Dotfiles and dot-directories are not served by default (except /.well-known/, RFC 8615).</summary>
public sealed class HiddenFileTests(HiddenFileFixture site) : IClassFixture<HiddenFileFixture>
{
    [Theory]
    [InlineData("/.git/config")]
    [InlineData("/.git/HEAD")]
    [InlineData("/.git/")]
    [InlineData("/.git")]
    [InlineData("/.env")]
    [InlineData("/sub/.hidden")]
    [InlineData("/%2egit/config")]     // percent-encoded dot
    [InlineData("/%2Eenv")]
    [InlineData("/sub/../.env")]       // dot segments resolve to a hidden file
    [InlineData("/sub/%2ehidden")]
    public async Task HiddenPaths_Are404(string target)
    {
        var r = await site.GetAsync(target);
        HttpAssert.Status(404, r);
        foreach (var secret in new[] { HiddenSite.GitConfig, HiddenSite.Env, HiddenSite.Hidden })
        {
            Assert.DoesNotContain(secret.TrimEnd(), r.BodyText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task WellKnown_IsServed()
    {
        var r = await site.GetAsync("/.well-known/security.txt");
        HttpAssert.Status(200, r);
        HttpAssert.Body(HiddenSite.SecurityTxt, r);
        HttpAssert.Header("Content-Type", "text/plain; charset=utf-8", r);
    }

    [Fact]
    public async Task VisibleSiblingOfHiddenFile_IsServed()
    {
        var r = await site.GetAsync("/sub/visible.txt");
        HttpAssert.Status(200, r);
        HttpAssert.Body("visible\n", r);
    }
}

public sealed class HiddenServedTests(HiddenServedFixture site) : IClassFixture<HiddenServedFixture>
{
    [Theory]
    [InlineData("/.env", HiddenSite.Env)]
    [InlineData("/.git/config", HiddenSite.GitConfig)]
    [InlineData("/sub/.hidden", HiddenSite.Hidden)]
    [InlineData("/%2eenv", HiddenSite.Env)]
    [InlineData("/.well-known/security.txt", HiddenSite.SecurityTxt)]
    public async Task ServeHiddenFilesTrue_ServesDotfiles(string target, string body)
    {
        var r = await site.GetAsync(target);
        HttpAssert.Status(200, r);
        HttpAssert.Body(body, r);
    }
}
