using System.Text;
using Xunit;

namespace StaticD.IntegrationTests;

/// <summary>
/// secret.txt (containing <see cref="Site.Marker"/>) sits next to the root and in ../outside;
/// no request may return any of its bytes, whatever the encoding or link trickery.
/// </summary>
public sealed class TraversalTests(SiteFixture site) : IClassFixture<SiteFixture>
{
    [Theory]
    [InlineData("/../secret.txt")]
    [InlineData("/%2e%2e/secret.txt")]
    [InlineData("/%2E%2E%2Fsecret.txt")]
    [InlineData("/..%2fsecret.txt")]
    [InlineData("/a/../../secret.txt")]
    [InlineData("/..\\secret.txt")]
    [InlineData("/%5c..%5csecret.txt")]
    [InlineData("/%c0%ae%c0%ae/secret.txt")]
    [InlineData("//../secret.txt")]
    [InlineData("/../../../../../../../../etc/passwd")]
    [InlineData("/./../secret.txt")]
    [InlineData("/dir/../../secret.txt")]
    public async Task EscapingTarget_Is4xxAndLeaksNothing(string target)
    {
        await AssertBlocked(Http.Get(target));
    }

    [Fact]
    public async Task AbsoluteFormTarget_WithDotDot_Is4xxAndLeaksNothing()
    {
        await AssertBlocked("GET http://x/../secret.txt HTTP/1.1\r\nHost: x\r\n\r\n");
    }

    [Theory]
    [InlineData("/link-out.txt")]          // file symlink -> ../secret.txt
    [InlineData("/linkdir/secret.txt")]    // directory symlink -> ../outside
    [InlineData("/linkdir/")]
    [InlineData("/linkdir")]
    [InlineData("/passwd")]                // symlink -> /etc/passwd
    public async Task SymlinkLeavingRoot_Is4xxAndLeaksNothing(string target)
    {
        await AssertBlocked(Http.Get(target));
    }

    [Fact]
    public async Task SymlinkInsideRoot_IsServed()
    {
        var r = await site.GetAsync("/link.txt");
        HttpAssert.Status(200, r);
        HttpAssert.Body(Site.RealText, r);
    }

    private async Task AssertBlocked(string request)
    {
        using var client = await site.ConnectAsync();
        await client.SendAsync(request);
        var r = await client.ReadResponseAsync();

        HttpAssert.ClientError(r);
        HttpAssert.CommonHeaders(r);
        var everything = r.RawHead + Encoding.Latin1.GetString(r.Body);
        Assert.DoesNotContain(Site.Marker, everything);
        Assert.DoesNotContain("root:", everything);

        // Closing or keeping the connection are both fine, but no further bytes may follow
        // the response (WaitForCloseAsync throws if any arrive).
        _ = await client.WaitForCloseAsync(TimeSpan.FromMilliseconds(200));
    }
}
