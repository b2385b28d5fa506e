using System.Text;
using StaticD.Site;
using Xunit;

namespace StaticD.Tests.Site;

public class HiddenPathsTests
{
    [Theory]
    // Dot-segments anywhere are hidden.
    [InlineData("/.git/config", true)]
    [InlineData("/.git", true)]
    [InlineData("/.git/", true)]
    [InlineData("/.env", true)]
    [InlineData("/.htpasswd", true)]
    [InlineData("/sub/.hidden", true)]
    [InlineData("/a/.b/c", true)]
    [InlineData("/a/b/.DS_Store", true)]
    [InlineData("/...", true)]
    [InlineData("/a/..b", true)]
    [InlineData("/a/.", true)]
    // Only the top-level .well-known is exempt, and not what hides below it.
    [InlineData("/.well-known", false)]
    [InlineData("/.well-known/", false)]
    [InlineData("/.well-known/acme-challenge/x", false)]
    [InlineData("/.well-known/acme-challenge/LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0", false)]
    [InlineData("/.well-known/security.txt", false)]
    [InlineData("/.well-known/.htaccess", true)]
    [InlineData("/.well-known/a/.git/config", true)]
    [InlineData("/sub/.well-known/x", true)]
    [InlineData("/.well-knownx", true)]
    [InlineData("/.well-known.txt", true)]
    [InlineData("/.Well-Known/x", true)]
    // Dots elsewhere in a name are ordinary.
    [InlineData("/", false)]
    [InlineData("", false)]
    [InlineData("/a/", false)]
    [InlineData("/x.y", false)]
    [InlineData("/a.b/c.d/e", false)]
    [InlineData("/index.html", false)]
    [InlineData("/a/b./c", false)]
    [InlineData("/well-known/x", false)]
    [InlineData("/a/b/c.tar.gz", false)]
    public void DetectsDotSegments(string path, bool hidden)
    {
        Assert.Equal(hidden, HiddenPaths.IsHidden(Encoding.UTF8.GetBytes(path)));
    }

    [Fact]
    public void DoesNotAllocate()
    {
        byte[] shown = "/assets/js/app.3f9a1c2b.js"u8.ToArray();
        byte[] hidden = "/.well-known/x/.git"u8.ToArray();
        HiddenPaths.IsHidden(shown);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            HiddenPaths.IsHidden(shown);
            HiddenPaths.IsHidden(hidden);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
