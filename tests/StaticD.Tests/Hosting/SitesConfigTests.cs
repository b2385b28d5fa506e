using System.Text;
using Microsoft.Extensions.Configuration;
using StaticD.Hosting;
using StaticD.Net;
using StaticD.Site;
using Xunit;

namespace StaticD.Tests.Hosting;

/// <summary>StaticD:Sites as the loader reads it: inheritance from the top level, what a site may not set, and
/// every problem named by its key.</summary>
public sealed class SitesConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("staticd-sites-").FullName;

    public SitesConfigTests()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "a"));
        Directory.CreateDirectory(Path.Combine(_dir, "b"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ServerOptions Load(params (string Key, string? Value)[] values) => InMemoryConfig.Load(_dir, values);

    private ConfigException Fails(params (string Key, string? Value)[] values) => Assert.Throws<ConfigException>(() => Load(values));

    private static string Headers(SitePolicy site) => Encoding.ASCII.GetString(site.GlobalHeaders);

    [Fact]
    public void SitesInheritTheTopLevelAndOverrideIt()
    {
        ServerOptions o = Load(("StaticD:Port", "80"), ("StaticD:Root", _dir),
            ("StaticD:Headers:X-Top", "top"), ("StaticD:Headers:X-Gone", "top"), ("StaticD:DirectoryListing", "true"),
            ("StaticD:CacheControl:0:Path", "*.css"), ("StaticD:CacheControl:0:Value", "max-age=1"),
            ("StaticD:MimeTypes:.foo", "text/x-top"), ("StaticD:MimeTypes:.bar", "text/x-top"),
            ("StaticD:Redirects:0:From", "/old"), ("StaticD:Redirects:0:To", "/new"),
            ("StaticD:Sites:0:Hosts:0", "a.test"), ("StaticD:Sites:0:Root", "a"),
            ("StaticD:Sites:0:Headers:X-Site", "a"), ("StaticD:Sites:0:Headers:X-Gone", ""),
            ("StaticD:Sites:0:CacheControl:0:Path", "*.css"), ("StaticD:Sites:0:CacheControl:0:Value", "max-age=2"),
            ("StaticD:Sites:0:MimeTypes:bar", "text/x-site"),
            ("StaticD:Sites:1:Hosts", "b.test"), ("StaticD:Sites:1:DirectoryListing", "false"), ("StaticD:Sites:1:AccessLog", "false"));

        Assert.Equal(2, o.Sites.Count);
        SitePolicy a = o.Sites[0], b = o.Sites[1];
        Assert.Equal(Path.Combine(_dir, "a"), a.Root);
        Assert.Equal(_dir, b.Root); // no Root of its own: the top level's
        Assert.Equal(["a.test"], a.Hosts);
        Assert.Equal(["b.test"], b.Hosts); // one string is a list of one
        Assert.Equal("a.test", Encoding.ASCII.GetString(a.LogName));
        Assert.Equal("StaticD:Sites:1", b.ConfigPath);

        // Headers merge by name; an empty value removes an inherited one.
        Assert.Equal("X-Content-Type-Options: nosniff\r\nX-Top: top\r\nX-Site: a\r\n", Headers(a));
        Assert.Contains("X-Gone: top", Headers(b));
        // Scalars: the site's when set, else the top level's.
        Assert.True(a.DirectoryListing);
        Assert.False(b.DirectoryListing);
        Assert.True(a.AccessLog);
        Assert.False(b.AccessLog);
        // Rule lists: the site's first.
        Assert.Equal("max-age=2", Encoding.ASCII.GetString(a.CacheRules.For("/x.css"u8, "text/css"u8)));
        Assert.Equal("max-age=1", Encoding.ASCII.GetString(b.CacheRules.For("/x.css"u8, "text/css"u8)));
        Assert.Equal("text/x-top", Encoding.ASCII.GetString(a.ContentTypeFor("x.foo"u8)));
        Assert.Equal("text/x-site", Encoding.ASCII.GetString(a.ContentTypeFor("x.bar"u8)));
        // Redirects belong to the default site that declared them.
        Assert.Single(o.Site.Redirects);
        Assert.Empty(a.Redirects);
        Assert.Equal("_", Encoding.ASCII.GetString(o.Site.LogName));
    }

    [Fact]
    public void WithSitesTheTopLevelRootIsOptional()
    {
        ServerOptions o = Load(("StaticD:Port", "80"),
            ("StaticD:Sites:0:Hosts:0", "a.test"), ("StaticD:Sites:0:Root", "a"),
            ("StaticD:Sites:1:Hosts:0", "www.a.test"), ("StaticD:Sites:1:RedirectTo", "https://a.test/"));
        Assert.Null(o.Root);
        Assert.Equal("https://a.test", Encoding.ASCII.GetString(o.Sites[1].RedirectTo!));
        Assert.Equal("", o.Sites[1].Root);
        Assert.Contains("hosts no site names get 421", o.DescribeSites());

        using ServeContext context = o.OpenContext();
        Assert.Null(context.Default);
        Assert.Null(context.Sites[1].Root);
        Assert.Same(context.Sites[0], context.FindSite("a.test"u8));
        Assert.Null(context.FindSite("other.test"u8));
        Assert.Null(context.FindSite(default)); // no Host at all
    }

    [Fact]
    public void ATopLevelRedirectToIsADefaultSiteWithoutRoot()
    {
        ServerOptions o = Load(("StaticD:Port", "80"), ("StaticD:RedirectTo", "https://main.test"),
            ("StaticD:Sites:0:Hosts:0", "main.test"), ("StaticD:Sites:0:Root", "a"));
        Assert.Contains("the default site (redirecting to https://main.test)", o.DescribeSites());
        using ServeContext context = o.OpenContext();
        Assert.NotNull(context.Default);
        Assert.Null(context.Default.Root);
        Assert.Same(context.Default, context.FindSite("typo.test"u8));
    }

    [Fact]
    public void TopLevelRedirectsWithoutADefaultSiteAreRefused()
    {
        ConfigException ex = Fails(("StaticD:Port", "80"), ("StaticD:Redirects:0:From", "/a"), ("StaticD:Redirects:0:To", "/b"),
            ("StaticD:Sites:0:Hosts:0", "a.test"), ("StaticD:Sites:0:Root", "a"));
        Assert.Equal("StaticD:Redirects", ex.Key);
        Assert.Contains("no default site", ex.Message);
    }

    [Fact]
    public void ADirectoryServedByManySitesIsOpenedOnce()
    {
        ServerOptions o = Load(("StaticD:Port", "80"), ("StaticD:Root", _dir),
            ("StaticD:Sites:0:Hosts:0", "a.test"), ("StaticD:Sites:0:Root", "a"),
            ("StaticD:Sites:1:Hosts:0", "b.test"), ("StaticD:Sites:1:Root", "a"),
            ("StaticD:Sites:2:Hosts:0", "*.c.test"));
        using ServeContext context = o.OpenContext();
        Assert.Equal(2, context.Roots.Roots.Count());
        Assert.Same(context.Sites[0].Root, context.Sites[1].Root);
        Assert.Same(context.Default!.Root, context.Sites[2].Root);
        Assert.Equal(3, context.Default.Index); // after the configured sites: cache keys never collide
        Assert.Same(context.Sites[2], context.FindSite("x.c.test"u8));
        Assert.Same(context.Default, context.FindSite("c.test"u8));
        Assert.Equal(4, context.SiteCount);
    }

    [Theory]
    [InlineData("StaticD:Sites:0:Port", "81", "StaticD:Sites:0:Port", "server-wide")]
    [InlineData("StaticD:Sites:0:Limits:MaxRanges", "3", "StaticD:Sites:0:Limits", "server-wide")]
    [InlineData("StaticD:Sites:0:Bogus", "1", "StaticD:Sites:0:Bogus", "unknown key")]
    [InlineData("StaticD:Sites:0:Hosts:0", "a.test:80", "StaticD:Sites:0:Hosts:0", "no port")]
    [InlineData("StaticD:Sites:0:Root", "missing", "StaticD:Sites:0:Root", "does not exist")]
    [InlineData("StaticD:Sites:0:Headers:Content-Length", "1", "StaticD:Sites:0:Headers:Content-Length", "set by staticd")]
    [InlineData("StaticD:Sites:0:RedirectTo", "https://a.test", "StaticD:Sites:0:RedirectTo", "own host")]
    [InlineData("StaticD:Sites:0:RedirectTo", "https://b.test/path", "StaticD:Sites:0:RedirectTo", "expected an origin")]
    [InlineData("StaticD:Sites:0:RedirectTo", "ftp://b.test", "StaticD:Sites:0:RedirectTo", "expected an origin")]
    [InlineData("StaticD:Sites:0:Redirects:0:Status", "303", "StaticD:Sites:0:Redirects:0:Status", "301, 302, 307 or 308")]
    [InlineData("StaticD:Sites:0:Redirects:0:To", "/a b", "StaticD:Sites:0:Redirects:0:To", "percent-encode")]
    [InlineData("StaticD:Sites:0:Redirects:0:To", "//evil.test/", "StaticD:Sites:0:Redirects:0:To", "is not allowed")]
    [InlineData("StaticD:Sites:0:Redirects:0:From", "old", "StaticD:Sites:0:Redirects:0:From", "starting with '/'")]
    [InlineData("StaticD:Sites:0:Redirects:0:From", "/a/*.html", "StaticD:Sites:0:Redirects:0:From", "no other '*'")]
    [InlineData("StaticD:Sites:0:Redirects:0:From", "/a/../b", "StaticD:Sites:0:Redirects:0:From", "\"..\"")]
    [InlineData("StaticD:Sites:0:Redirects:0:To", "/b?x=1", "StaticD:Sites:0:Redirects:0:To", "cannot carry a query")]
    [InlineData("StaticD:Sites:0:Redirects:0:To", "/blog/b/", "StaticD:Sites:0:Redirects", "loop")]
    public void ProblemsNameTheSitesKey(string key, string value, string expectedKey, string expectedText)
    {
        var values = new List<(string, string?)>
        {
            ("StaticD:Port", "80"), ("StaticD:Root", _dir), ("StaticD:Sites:0:Hosts:0", "a.test"),
            ("StaticD:Sites:0:Redirects:0:From", "/blog/**"), ("StaticD:Sites:0:Redirects:0:To", "https://blog.test/"),
        };
        values.RemoveAll(v => v.Item1 == key);
        values.Add((key, value));
        ConfigException ex = Fails([.. values]);
        Assert.Equal(expectedKey, ex.Key);
        Assert.Contains(expectedText, ex.Message);
        Assert.Empty(ex.Others);
    }

    [Fact]
    public void ASiteWithoutAnyRootIsNamed()
    {
        ConfigException ex = Fails(("StaticD:Port", "80"), ("StaticD:Sites:0:Hosts:0", "a.test"));
        Assert.Equal("StaticD:Sites:0:Root", ex.Key);
        Assert.Contains("unless it only redirects", ex.Message);
    }

    [Fact]
    public void WithoutSitesTheTopLevelRootIsRequired() =>
        Assert.Equal("StaticD:Root", Fails(("StaticD:Port", "80")).Key);

    [Fact]
    public void ANameClaimedTwiceNamesBothKeys()
    {
        ConfigException ex = Fails(("StaticD:Port", "80"), ("StaticD:Root", _dir),
            ("StaticD:Sites:0:Hosts:0", "a.test"), ("StaticD:Sites:1:Hosts:0", "x.test"), ("StaticD:Sites:1:Hosts:1", "A.test."));
        Assert.Equal("StaticD:Sites:1:Hosts:1", ex.Key);
        Assert.Contains("already claimed by StaticD:Sites:0:Hosts:0", ex.Message);
    }

    [Fact]
    public void EveryBrokenSiteIsReportedInOneLoad()
    {
        ConfigException ex = Fails(("StaticD:Port", "80"), ("StaticD:Root", _dir),
            ("StaticD:Sites:0:Hosts:0", "a.test"), ("StaticD:Sites:0:Loops", "2"),
            ("StaticD:Sites:1:Hosts:0", "ok.test"),
            ("StaticD:Sites:2:Hosts:0", "bad name"),
            ("StaticD:Sites:3:Hosts:0", "ok.test"));
        string[] lines = ex.Format("/etc/staticd/appsettings.json").Split('\n');
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("staticd: /etc/staticd/appsettings.json: StaticD:Sites:0:Loops: ", lines[0]);
        Assert.StartsWith("staticd: /etc/staticd/appsettings.json: StaticD:Sites:2:Hosts:0: ", lines[1]);
        Assert.StartsWith("staticd: /etc/staticd/appsettings.json: StaticD:Sites:3:Hosts:0: ", lines[2]);
    }

    [Fact]
    public void ABrokenTopLevelIsReportedOnce()
    {
        ConfigException ex = Fails(("StaticD:Port", "80"), ("StaticD:Root", _dir), ("StaticD:Headers:Bad Name", "x"),
            ("StaticD:Sites:0:Hosts:0", "a.test"), ("StaticD:Sites:1:Hosts:0", "b.test"));
        Assert.Equal("StaticD:Headers:Bad Name", ex.Key);
        Assert.Empty(ex.Others);
    }
}
