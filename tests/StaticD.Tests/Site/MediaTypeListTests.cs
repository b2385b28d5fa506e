using StaticD.Site;
using Xunit;

namespace StaticD.Tests.Site;

public sealed class MediaTypeListTests
{
    [Theory]
    [InlineData("text/html; charset=utf-8", true)]
    [InlineData("TEXT/CSS", true)]
    [InlineData("application/json", true)]
    [InlineData("application/json ; charset=utf-8", true)]
    [InlineData("application/jsonp", false)]
    [InlineData("text/", false)]
    [InlineData("image/svg+xml", true)]
    [InlineData("image/png", false)]
    [InlineData("", false)]
    public void MatchesWildcardsAndExactTypes_IgnoringParametersAndCase(string contentType, bool expected)
    {
        var list = new MediaTypeList(["text/*", "application/json", "image/svg+xml"]);
        Assert.Equal(expected, list.Matches(System.Text.Encoding.ASCII.GetBytes(contentType)));
    }

    [Theory]
    [InlineData("text/*", true)]
    [InlineData("application/wasm", true)]
    [InlineData("*/*", false)]
    [InlineData("text", false)]
    [InlineData("text/html/x", false)]
    [InlineData("text/ html", false)]
    [InlineData("/html", false)]
    [InlineData(null, false)]
    public void PatternsAreTypeSlashSubtypeOrStar(string? value, bool expected) => Assert.Equal(expected, MediaTypeList.IsPattern(value));

    [Fact]
    public void TheDefaultListIsWhatSidecarsWereProbedFor()
    {
        foreach (string type in new[] { "text/javascript; charset=utf-8", "application/wasm", "font/ttf", "image/x-icon" })
            Assert.True(MediaTypeList.Default.Matches(System.Text.Encoding.ASCII.GetBytes(type)), type);
        foreach (string type in new[] { "image/png", "font/woff2", "application/zip", "video/mp4" })
            Assert.False(MediaTypeList.Default.Matches(System.Text.Encoding.ASCII.GetBytes(type)), type);
    }
}
