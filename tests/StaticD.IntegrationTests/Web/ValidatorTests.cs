using System.Diagnostics;
using System.Text;
using Xunit;

namespace StaticD.IntegrationTests.Web;

public sealed class ValidatorFixture() : ServerFixture(root =>
{
    root.AddFile("index.html", Site.IndexHtml);
    root.AddFile("old.txt", ValidatorFixture.OldText, ValidatorFixture.OldMtime);
    root.AddFile("pic.png", Site.Png);
    root.AddFile("app.js", ValidatorFixture.AppJs);
    root.AddFile("app.js.gz", TestContent.Gzip(ValidatorFixture.AppJs));
    root.AddFile("mutable.txt", ValidatorFixture.MutableV1, new DateTime(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc));
    root.AddFile("future.txt", "modified tomorrow\n", DateTime.UtcNow.AddDays(1));
})
{
    public const string OldText = "validators: a file last modified on Sun, 06 Nov 1994 08:49:37 GMT\n";
    public const string MutableV1 = "mutable file, version one\n";
    public const string MutableV2 = "mutable file, version TWO\n"; // same length: only content + mtime differ

    /// <summary>The instant RFC 9110 uses in all its date examples, so every format below names it exactly.</summary>
    public static readonly DateTime OldMtime = new(1994, 11, 6, 8, 49, 37, DateTimeKind.Utc);

    public static readonly byte[] AppJs = TestContent.JavaScript(200);
}

/// <summary>RFC 9110 §8.8 (ETag, Last-Modified) and §13 (conditional requests).</summary>
public sealed class ValidatorTests(ValidatorFixture site) : IClassFixture<ValidatorFixture>
{
    private const string Probe = "/index.html";

    private async Task<string> CurrentTagAsync(string target)
    {
        var r = await site.GetAsync(target);
        HttpAssert.Status(200, r);
        return HttpAssert.StrongETag(r);
    }

    private static string Fill(string template, string tag) => template.Replace("{tag}", tag, StringComparison.Ordinal);

    [Theory]
    [InlineData("/old.txt")]
    [InlineData("/app.js")]
    [InlineData("/index.html")]
    [InlineData("/pic.png")]
    public async Task Get200_HasStrongETagAndLastModified_StableAcrossRequestsAndHead(string target)
    {
        var r = await site.GetAsync(target);
        HttpAssert.Status(200, r);
        HttpAssert.Body(File.ReadAllBytes(site.Root.FullPath(target)), r);
        var tag = HttpAssert.StrongETag(r);

        var mtime = File.GetLastWriteTimeUtc(site.Root.FullPath(target));
        var expected = new DateTime(mtime.Ticks - (mtime.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc);
        Assert.True(HttpAssert.LastModified(r) == expected, $"Last-Modified should be the file mtime {Http.ImfDate(expected)}\n{r}");

        var again = await site.GetAsync(target);
        HttpAssert.Header("ETag", tag, again);

        var head = await site.RoundTripThenProbeAsync(Http.Head(target), Probe, isHead: true);
        HttpAssert.Status(200, head);
        HttpAssert.Header("ETag", tag, head);
        HttpAssert.Header("Last-Modified", r.Header("Last-Modified")!, head);
    }

    [Fact]
    public async Task FutureMtime_LastModifiedIsNotLaterThanDate()
    {
        // RFC 9110 §8.8.2.1: an origin server MUST NOT send a Last-Modified later than its Date;
        // a file time in the future must be replaced by the message origination date.
        var r = await site.GetAsync("/future.txt");
        HttpAssert.Status(200, r);
        var date = HttpAssert.ParseImfFixdate(r.Header("Date")!, r);
        var lm = HttpAssert.LastModified(r);
        Assert.True(lm <= date, $"Last-Modified {Http.ImfDate(lm)} is later than Date {Http.ImfDate(date)}\n{r}");
    }

    [Fact]
    public async Task IfMatchFailing_Wins_OverMatchingIfNoneMatch()
    {
        // RFC 9110 §13.2.2: If-Match is evaluated first.
        var tag = await CurrentTagAsync("/old.txt");
        var r = await site.SendAsync(Http.Get("/old.txt", "If-Match: \"nope\"", "If-None-Match: " + tag));
        HttpAssert.Status(412, r);
    }

    [Fact]
    public async Task ETag_ChangesWhenFileIsRewrittenWithNewContentAndMtime()
    {
        var path = site.Root.FullPath("mutable.txt");
        var before = await site.GetAsync("/mutable.txt");
        HttpAssert.Status(200, before);
        HttpAssert.Body(Encoding.UTF8.GetBytes(ValidatorFixture.MutableV1), before);
        var oldTag = HttpAssert.StrongETag(before);

        var newMtime = new DateTime(2021, 6, 7, 8, 9, 10, DateTimeKind.Utc);
        File.WriteAllText(path, ValidatorFixture.MutableV2);
        File.SetLastWriteTimeUtc(path, newMtime);

        // The server may cache file metadata for about a second: poll for up to 3 s.
        HttpResponse after;
        var sw = Stopwatch.StartNew();
        while (true)
        {
            after = await site.GetAsync("/mutable.txt");
            if ((after.Header("ETag") != oldTag && after.BodyText == ValidatorFixture.MutableV2) || sw.Elapsed > TimeSpan.FromSeconds(3))
            {
                break;
            }

            await Task.Delay(100);
        }

        HttpAssert.Status(200, after);
        HttpAssert.Body(Encoding.UTF8.GetBytes(ValidatorFixture.MutableV2), after);
        var newTag = HttpAssert.StrongETag(after);
        Assert.True(newTag != oldTag, $"ETag did not change within 3 s after the file was rewritten (still {oldTag})\n{after}");
        HttpAssert.Header("Last-Modified", Http.ImfDate(newMtime), after);

        // The old tag no longer matches; the new one does.
        var stale = await site.SendAsync(Http.Get("/mutable.txt", "If-None-Match: " + oldTag));
        HttpAssert.Status(200, stale);
        HttpAssert.Body(Encoding.UTF8.GetBytes(ValidatorFixture.MutableV2), stale);
        var fresh = await site.SendAsync(Http.Get("/mutable.txt", "If-None-Match: " + newTag));
        HttpAssert.Status(304, fresh);
    }

    [Fact]
    public async Task IfNoneMatch_CurrentTag_Is304_WithValidatorsCacheControlVary_AndNoBody()
    {
        var full = await site.GetAsync("/app.js");
        HttpAssert.Status(200, full);
        var tag = HttpAssert.StrongETag(full);
        var cacheControl = full.Header("Cache-Control");
        Assert.True(cacheControl is not null, $"200 response without Cache-Control\n{full}");

        var r = await site.RoundTripThenProbeAsync(Http.Get("/app.js", "If-None-Match: " + tag), Probe);

        HttpAssert.Status(304, r); // also checks Date
        HttpAssert.Header("ETag", tag, r);
        HttpAssert.Header("Cache-Control", cacheControl, r);
        HttpAssert.VaryIncludes("Accept-Encoding", r); // app.js has a .gz sidecar: the response is negotiated

        // RFC 9110 §8.6: Content-Length in a 304 is allowed only if it equals the 200's.
        if (r.Header("Content-Length") is { } cl)
        {
            Assert.True(cl == full.Header("Content-Length"), $"304 Content-Length {cl} differs from the 200's {full.Header("Content-Length")}\n{r}");
        }

        Assert.Null(r.Header("Transfer-Encoding"));
    }

    [Fact]
    public async Task IfNoneMatch_NonNegotiableFile_304HasNoVary()
    {
        var tag = await CurrentTagAsync("/old.txt");
        var r = await site.RoundTripThenProbeAsync(Http.Get("/old.txt", "If-None-Match: " + tag), Probe);
        HttpAssert.Status(304, r);
        HttpAssert.Header("ETag", tag, r);
        HttpAssert.Absent("Vary", r);
        Assert.NotNull(r.Header("Cache-Control"));
    }

    [Theory]
    [InlineData("{tag}", 304)]
    [InlineData("\"x\", {tag}", 304)]
    [InlineData("{tag},\"x\"", 304)]
    [InlineData("W/{tag}", 304)] // If-None-Match uses the weak comparison (RFC 9110 §13.1.2)
    [InlineData("\"x\", W/{tag}", 304)]
    [InlineData("*", 304)]
    [InlineData("\"nope\"", 200)]
    [InlineData("\"x\", \"y\"", 200)]
    [InlineData("W/\"nope\"", 200)]
    public async Task IfNoneMatch(string template, int expected)
    {
        var tag = await CurrentTagAsync("/old.txt");
        var r = await site.RoundTripThenProbeAsync(Http.Get("/old.txt", "If-None-Match: " + Fill(template, tag)), Probe);
        HttpAssert.Status(expected, r);
        HttpAssert.Header("ETag", tag, r);
        if (expected == 200)
        {
            HttpAssert.Body(Encoding.UTF8.GetBytes(ValidatorFixture.OldText), r);
        }
    }

    [Fact]
    public async Task IfNoneMatch_OnHead_Is304()
    {
        var tag = await CurrentTagAsync("/old.txt");
        var r = await site.RoundTripThenProbeAsync(Http.Head("/old.txt", "If-None-Match: " + tag), Probe, isHead: true);
        HttpAssert.Status(304, r);
    }

    [Fact]
    public async Task IfModifiedSince_EqualToLastModified_Is304()
    {
        var full = await site.GetAsync("/pic.png");
        HttpAssert.Status(200, full);
        var lm = full.Header("Last-Modified")!;

        var r = await site.RoundTripThenProbeAsync(Http.Get("/pic.png", "If-Modified-Since: " + lm), Probe);
        HttpAssert.Status(304, r);
        HttpAssert.Header("ETag", HttpAssert.StrongETag(full), r);
    }

    // old.txt was last modified at exactly Sun, 06 Nov 1994 08:49:37 GMT.
    [Theory]
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT", 304)]   // IMF-fixdate, equal
    [InlineData("Sunday, 06-Nov-94 08:49:37 GMT", 304)]  // obsolete RFC 850, equal
    [InlineData("Sun Nov  6 08:49:37 1994", 304)]        // asctime, equal
    [InlineData("Mon, 07 Nov 1994 08:49:37 GMT", 304)]   // later
    [InlineData("Monday, 07-Nov-94 08:49:37 GMT", 304)]
    [InlineData("Mon Nov  7 08:49:37 1994", 304)]
    [InlineData("Wed, 01 Jan 2025 00:00:00 GMT", 304)]
    [InlineData("Sat, 05 Nov 1994 08:49:37 GMT", 200)]   // earlier: modified since
    [InlineData("Saturday, 05-Nov-94 08:49:37 GMT", 200)]
    [InlineData("Sat Nov  5 08:49:37 1994", 200)]
    [InlineData("Sun, 06 Nov 1994 08:49:36 GMT", 200)]   // one second earlier
    [InlineData("not a date", 200)]                      // invalid: ignored
    [InlineData("1994-11-06T08:49:37Z", 200)]            // ISO 8601 is not an HTTP-date
    public async Task IfModifiedSince_AllThreeDateFormats(string date, int expected)
    {
        var r = await site.RoundTripThenProbeAsync(Http.Get("/old.txt", "If-Modified-Since: " + date), Probe);
        HttpAssert.Status(expected, r);
        if (expected == 200)
        {
            HttpAssert.Body(Encoding.UTF8.GetBytes(ValidatorFixture.OldText), r);
        }
    }

    [Fact]
    public void DateFormatHelpers_MatchRfc9110Examples()
    {
        // Guards the test's own formatting (used by other tests) against culture/format slips.
        Assert.Equal("Sun, 06 Nov 1994 08:49:37 GMT", Http.ImfDate(ValidatorFixture.OldMtime));
        Assert.Equal("Sunday, 06-Nov-94 08:49:37 GMT", Http.Rfc850Date(ValidatorFixture.OldMtime));
        Assert.Equal("Sun Nov  6 08:49:37 1994", Http.AsctimeDate(ValidatorFixture.OldMtime));
    }

    [Fact]
    public async Task IfModifiedSince_IgnoredWhenIfNoneMatchPresentAndNotMatching()
    {
        var r = await site.SendAsync(Http.Get("/old.txt", "If-None-Match: \"nope\"", "If-Modified-Since: Mon, 07 Nov 1994 08:49:37 GMT"));
        HttpAssert.Status(200, r);
        HttpAssert.Body(Encoding.UTF8.GetBytes(ValidatorFixture.OldText), r);
    }

    [Fact]
    public async Task IfModifiedSince_IgnoredWhenIfNoneMatchPresentAndMatching()
    {
        var tag = await CurrentTagAsync("/old.txt");
        var r = await site.SendAsync(Http.Get("/old.txt", "If-None-Match: " + tag, "If-Modified-Since: Sat, 05 Nov 1994 08:49:37 GMT"));
        HttpAssert.Status(304, r);
    }

    [Fact]
    public async Task CurlDashZ_SendsIfModifiedSince_Gets304ThenFullBodyForOlderDate()
    {
        // Status is the status line on the wire: curl's own http_code claims 304 for -z even when
        // the server sent a 200 and curl dropped the body itself.
        var notModified = await Curl.GetAsync(site.Port, "/old.txt", "-z", "Sun, 06 Nov 1994 08:49:37 GMT");
        Assert.True(notModified.ExitCode == 0 && notModified.Status == 304, notModified.ToString());
        Assert.Empty(notModified.Body);

        var modified = await Curl.GetAsync(site.Port, "/old.txt", "-z", "Sat, 05 Nov 1994 08:49:37 GMT");
        Assert.True(modified.ExitCode == 0 && modified.Status == 200, modified.ToString());
        Assert.Equal(ValidatorFixture.OldText, Encoding.UTF8.GetString(modified.Body));
    }

    [Theory]
    [InlineData("\"nope\"", 412)]
    [InlineData("\"x\", \"y\"", 412)]
    [InlineData("W/{tag}", 412)] // If-Match uses the strong comparison: a weak tag never matches
    [InlineData("*", 200)]
    [InlineData("{tag}", 200)]
    [InlineData("\"x\", {tag}", 200)]
    public async Task IfMatch(string template, int expected)
    {
        var tag = await CurrentTagAsync("/old.txt");
        var r = await site.SendAsync(Http.Get("/old.txt", "If-Match: " + Fill(template, tag)));
        HttpAssert.Status(expected, r);
        if (expected == 200)
        {
            HttpAssert.Body(Encoding.UTF8.GetBytes(ValidatorFixture.OldText), r);
        }
    }

    [Theory]
    [InlineData("Sat, 05 Nov 1994 08:49:37 GMT", 412)] // older than mtime: modified since
    [InlineData("Sun, 06 Nov 1994 08:49:36 GMT", 412)]
    [InlineData("Sun, 06 Nov 1994 08:49:37 GMT", 200)] // equal: unmodified
    [InlineData("Mon, 07 Nov 1994 08:49:37 GMT", 200)]
    [InlineData("garbage", 200)]                       // invalid: ignored
    public async Task IfUnmodifiedSince(string date, int expected)
    {
        var r = await site.SendAsync(Http.Get("/old.txt", "If-Unmodified-Since: " + date));
        HttpAssert.Status(expected, r);
    }

    [Fact]
    public async Task IfUnmodifiedSince_IgnoredWhenIfMatchPresent()
    {
        var tag = await CurrentTagAsync("/old.txt");
        var r = await site.SendAsync(Http.Get("/old.txt", "If-Match: " + tag, "If-Unmodified-Since: Sat, 05 Nov 1994 08:49:37 GMT"));
        HttpAssert.Status(200, r);
    }
}
