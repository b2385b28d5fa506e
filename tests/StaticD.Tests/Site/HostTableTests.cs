using System.Text;
using StaticD.Http;
using StaticD.Site;
using Xunit;

namespace StaticD.Tests.Site;

public sealed class HostTableTests
{
    private static readonly HostTable Table = new([
        ("example.com", 0), ("*.example.org", 1), ("*.deep.example.org", 2), ("exact.example.org", 3),
        ("127.0.0.1", 4), ("[::1]", 5), ("*.org", 6),
    ]);

    private static int Find(string host) => Table.Find(Encoding.ASCII.GetBytes(host));

    [Theory]
    [InlineData("example.com", 0)]
    [InlineData("a.example.org", 1)]            // one label
    [InlineData("a.b.c.example.org", 1)]        // several labels
    [InlineData("x.deep.example.org", 2)]       // the longest wildcard wins
    [InlineData("a.b.deep.example.org", 2)]
    [InlineData("deep.example.org", 1)]         // "*.deep.example.org" needs a label in front of it
    [InlineData("exact.example.org", 3)]        // exact beats wildcard
    [InlineData("example.org", 6)]              // not "*.example.org", but "*.org"
    [InlineData("127.0.0.1", 4)]
    [InlineData("[::1]", 5)]
    [InlineData("www.example.com", -1)]
    [InlineData("example.co", -1)]
    [InlineData("org", -1)]
    [InlineData(".org", -1)]
    [InlineData("", -1)]
    public void Finds(string host, int site) => Assert.Equal(site, Find(host));

    [Fact]
    public void AHostLongerThanAnyNameMatchesNothing() =>
        Assert.Equal(-1, Find(new string('a', HostTable.MaxNameLength + 1) + ".org"));

    [Fact]
    public void TheFirstClaimOfANameWins()
    {
        var table = new HostTable([("a.test", 7), ("a.test", 8)]);
        Assert.Equal(7, table.Find("a.test"u8));
        Assert.Equal(1, table.Count);
    }

    [Theory]
    [InlineData("Example.COM", "example.com")]
    [InlineData("example.com.", "example.com")]
    [InlineData("*.Example.org", "*.example.org")]
    [InlineData("*.example.org.", "*.example.org")]
    [InlineData("under_score.test", "under_score.test")]
    [InlineData("10.0.0.1", "10.0.0.1")]
    [InlineData("[2001:DB8::1]", "[2001:db8::1]")]
    public void ConfiguredNamesAreNormalisedLikeRequestHosts(string configured, string expected)
    {
        Assert.True(HostTable.TryParse(configured, out string name, out string error), error);
        Assert.Equal(expected, name);
        // The same normalisation a request's Host goes through, so the two compare equal.
        if (!configured.StartsWith('*'))
        {
            byte[] host = Encoding.ASCII.GetBytes(configured);
            byte[] normalised = new byte[host.Length];
            Assert.True(HostSyntax.TryNormalize(host, normalised, out int length));
            Assert.Equal(expected, Encoding.ASCII.GetString(normalised, 0, length));
        }
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData(null, "empty")]
    [InlineData("example.com:8080", "no port")]
    [InlineData("*example.com", "'*' may only stand for whole labels")]
    [InlineData("a.*.example.com", "'*' may only stand for whole labels")]
    [InlineData("*", "'*' may only stand for whole labels")]
    [InlineData("exa mple.com", "labels of letters")]
    [InlineData("a..b", "labels of letters")]
    [InlineData("caf%C3%A9.test", "labels of letters")]
    [InlineData("[not-ipv6]", "brackets")]
    [InlineData("*.[::1]", "brackets")]
    [InlineData(".", "is not allowed")]
    public void BadNamesSayWhy(string? configured, string expected)
    {
        Assert.False(HostTable.TryParse(configured, out _, out string error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void LabelsLongerThan63AreRefused() =>
        Assert.False(HostTable.TryParse(new string('a', 64) + ".test", out _, out _));
}
