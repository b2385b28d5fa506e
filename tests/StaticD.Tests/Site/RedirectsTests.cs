using System.Text;
using StaticD.Site;
using Xunit;

namespace StaticD.Tests.Site;

public sealed class RedirectsTests
{
    private static RedirectRule Exact(string from, string to) => new(Encoding.UTF8.GetBytes(from), false, Encoding.ASCII.GetBytes(to), 301);
    private static RedirectRule Prefix(string from, string to) => new(Encoding.UTF8.GetBytes(from), true, Encoding.ASCII.GetBytes(to), 301);

    private static (RedirectRule? Rule, string Tail) Match(RedirectRule[] rules, string path)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(path);
        RedirectRule? rule = Redirects.Match(rules, bytes, out int rest);
        return (rule, rule is null ? "" : Encoding.UTF8.GetString(bytes, rest, bytes.Length - rest));
    }

    [Theory]
    [InlineData("/blog", true, "")]
    [InlineData("/blog/", true, "")]
    [InlineData("/blog/a/b.html", true, "a/b.html")]
    [InlineData("/blogger", false, "")]
    [InlineData("/blo", false, "")]
    [InlineData("/", false, "")]
    public void APrefixMatchesItselfAndBelow(string path, bool matches, string rest)
    {
        (RedirectRule? rule, string r) = Match([Prefix("/blog", "https://blog.example.com/")], path);
        Assert.Equal(matches, rule is not null);
        Assert.Equal(rest, r);
    }

    [Fact]
    public void TheRootPrefixMatchesEverything()
    {
        (RedirectRule? rule, string rest) = Match([Prefix("", "https://elsewhere.example/")], "/a/b");
        Assert.NotNull(rule);
        Assert.Equal("a/b", rest);
    }

    [Fact]
    public void ExactRulesMatchOnlyTheirPathAndTheFirstMatchWins()
    {
        RedirectRule first = Exact("/old.html", "/new.html");
        RedirectRule second = Prefix("", "/elsewhere/");
        Assert.Same(first, Match([first, second], "/old.html").Rule);
        Assert.Same(second, Match([first, second], "/old.html/x").Rule);
        Assert.Same(second, Match([second, first], "/old.html").Rule);
    }

    [Fact]
    public void OneSlashJoinsTargetAndRest()
    {
        Assert.False(Redirects.NeedsSlash(Prefix("/a", "/b/"), 3));
        Assert.True(Redirects.NeedsSlash(Prefix("/a", "/b"), 3));
        Assert.False(Redirects.NeedsSlash(Prefix("/a", "/b"), 0));
    }

    [Fact]
    public void LoopsInsideTheSiteAreFound()
    {
        Assert.Equal("/a → /b → /a", Redirects.FindLoop([Exact("/a", "/b"), Exact("/b", "/a")]));
        Assert.NotNull(Redirects.FindLoop([Exact("/a", "/a")]));
        // Grows forever: /a/x → /a/b/x → /a/b/b/x ...
        Assert.NotNull(Redirects.FindLoop([Prefix("/a", "/a/b/")]));
        // Percent-encoded targets are compared decoded, as the next request's path would be.
        Assert.NotNull(Redirects.FindLoop([Exact("/a b", "/c"), Exact("/c", "/a%20b")]));
        // A query in the target is not part of the next path.
        Assert.NotNull(Redirects.FindLoop([Exact("/a", "/b?x=1"), Exact("/b", "/a")]));
    }

    [Fact]
    public void ChainsThatEndAreNotLoops()
    {
        Assert.Null(Redirects.FindLoop([Exact("/a", "/b"), Exact("/b", "/c")]));
        Assert.Null(Redirects.FindLoop([Prefix("/old", "/new/"), Exact("/new/x", "/final")]));
        // Another origin ends the chain, even one whose path would match again.
        Assert.Null(Redirects.FindLoop([Prefix("", "https://example.com/")]));
        Assert.Null(Redirects.FindLoop([]));
    }
}
