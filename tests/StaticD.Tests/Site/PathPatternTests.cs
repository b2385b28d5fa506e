using System.Text;
using StaticD.Site;
using Xunit;

namespace StaticD.Tests.Site;

public class PathPatternTests
{
    private static bool Matches(string pattern, string path)
    {
        Assert.True(PathPattern.TryCompile(pattern, out PathPattern? compiled, out string? error), error);
        Assert.Null(error);
        return compiled.IsMatch(Encoding.UTF8.GetBytes(path));
    }

    [Theory]
    // No '/': the file name at any depth.
    [InlineData("*.html", "/index.html", true)]
    [InlineData("*.html", "/a/b/x.html", true)]
    [InlineData("*.html", "/a/b/x.htm", false)]
    [InlineData("*.html", "/a.html/x", false)]
    [InlineData("*.html", "/a/", false)]
    [InlineData("*.HTML", "/x.html", false)]
    [InlineData("favicon.ico", "/favicon.ico", true)]
    [InlineData("favicon.ico", "/deep/favicon.ico", true)]
    [InlineData("favicon.ico", "/xfavicon.ico", false)]
    [InlineData("?.js", "/a.js", true)]
    [InlineData("?.js", "/ab.js", false)]
    [InlineData("*", "/anything/at/all", true)]
    [InlineData("*", "/", true)]
    [InlineData("a*b*c", "/x/aXbYc", true)]
    [InlineData("a*b*c", "/x/abcbc", true)]
    [InlineData("a*b*c", "/x/acb", false)]
    [InlineData("*.min.*", "/x/app.min.js", true)]
    [InlineData("é*.txt", "/dir/été.txt", true)]
    [InlineData("[a].txt", "/[a].txt", true)]
    // Anchored: '*' and '?' stay within a segment.
    [InlineData("/assets/*.js", "/assets/app.js", true)]
    [InlineData("/assets/*.js", "/assets/sub/app.js", false)]
    [InlineData("/assets/*.js", "/x/assets/app.js", false)]
    [InlineData("assets/*.js", "/assets/app.js", true)]
    [InlineData("/*/index.html", "/a/index.html", true)]
    [InlineData("/*/index.html", "/a/b/index.html", false)]
    [InlineData("/a?c", "/abc", true)]
    [InlineData("/a?c", "/a/c", false)]
    [InlineData("/", "/", true)]
    [InlineData("/", "/a", false)]
    [InlineData("/docs/", "/docs/", true)]
    [InlineData("/docs/", "/docs", false)]
    // '**': any number of whole segments; trailing '**' at least one.
    [InlineData("/assets/**", "/assets/app.js", true)]
    [InlineData("/assets/**", "/assets/a/b/c.js", true)]
    [InlineData("/assets/**", "/assets/", true)]
    [InlineData("/assets/**", "/assets", false)]
    [InlineData("/assets/**", "/assetsx/a.js", false)]
    [InlineData("/assets/**", "/other/assets/a.js", false)]
    [InlineData("**/*.js", "/a.js", true)]
    [InlineData("**/*.js", "/a/b/c.js", true)]
    [InlineData("**/*.js", "/a/b/c.css", false)]
    [InlineData("/docs/**/index.html", "/docs/index.html", true)]
    [InlineData("/docs/**/index.html", "/docs/a/b/index.html", true)]
    [InlineData("/docs/**/index.html", "/docs/a/b/index.htm", false)]
    [InlineData("/**/x/**/y", "/x/y", true)]
    [InlineData("/**/x/**/y", "/a/x/b/x/c/y", true)]
    [InlineData("/**/x/**/y", "/a/x/b/z", false)]
    [InlineData("/**/**/a", "/b/c/a", true)]
    [InlineData("**", "/", true)]
    [InlineData("**", "/a/b/c", true)]
    [InlineData("/a/**/b*", "/a/x/y/bz", true)]
    [InlineData("/a/**/b*", "/a/x/y/zb", false)]
    public void MatchesPaths(string pattern, string path, bool expected)
    {
        Assert.Equal(expected, Matches(pattern, path));
    }

    [Theory]
    [InlineData("")]
    [InlineData("***")]
    [InlineData("/assets/***")]
    [InlineData("**.js")]
    [InlineData("/a**/b")]
    [InlineData("/a//b")]
    [InlineData("//a")]
    [InlineData("/a/../b")]
    [InlineData("/./a")]
    [InlineData("/a\nb")]
    [InlineData("a\u007fb")]
    public void RejectsInvalidPatterns(string pattern)
    {
        Assert.False(PathPattern.TryCompile(pattern, out PathPattern? compiled, out string? error));
        Assert.Null(compiled);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void KeepsTheSourceText()
    {
        Assert.True(PathPattern.TryCompile("/assets/**", out PathPattern? compiled, out _));
        Assert.Equal("/assets/**", compiled.Pattern);
        Assert.Equal("/assets/**", compiled.ToString());
    }

    [Fact]
    public void MatchingDoesNotAllocate()
    {
        Assert.True(PathPattern.TryCompile("/**/x/**/*.js", out PathPattern? deep, out _));
        Assert.True(PathPattern.TryCompile("*.min.*", out PathPattern? name, out _));
        byte[] path = "/a/b/x/c/d/e/app.min.js"u8.ToArray();
        deep.IsMatch(path);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            deep.IsMatch(path);
            name.IsMatch(path);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void ManyStarsStayFast()
    {
        // Greedy matching with one backtrack point per level: quadratic at worst, never exponential.
        Assert.True(PathPattern.TryCompile("*a*a*a*a*a*a*a*a*b", out PathPattern? stars, out _));
        Assert.True(PathPattern.TryCompile("/**/a/**/a/**/a/**/a/**/b", out PathPattern? globstars, out _));
        byte[] longName = Encoding.ASCII.GetBytes("/" + new string('a', 3000));
        byte[] manySegments = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("/a", 1500)));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(stars.IsMatch(longName));
        Assert.False(globstars.IsMatch(manySegments));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }
}
