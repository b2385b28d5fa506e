using System.Text;
using StaticD.Http;
using Xunit;

namespace StaticD.Tests.Http;

public class PreconditionsTests
{
    // The file: last modified at RFC 9110's example date, Sun, 06 Nov 1994 08:49:37 GMT.
    private const long Mtime = 784_111_777;

    // "Now" is a day later: Mon, 07 Nov 1994 08:49:37 GMT.
    private const long Now = Mtime + 86_400;

    private const string Tag = "\"abc\"";

    private const string AtMtime = "Sun, 06 Nov 1994 08:49:37 GMT";
    private const string AtMtimeRfc850 = "Sunday, 06-Nov-94 08:49:37 GMT";
    private const string AtMtimeAsctime = "Sun Nov  6 08:49:37 1994";
    private const string BeforeMtime = "Sun, 06 Nov 1994 08:49:36 GMT";
    private const string BeforeMtimeRfc850 = "Sunday, 06-Nov-94 08:49:36 GMT";
    private const string BeforeMtimeAsctime = "Sun Nov  6 08:49:36 1994";
    private const string AfterMtime = "Sun, 06 Nov 1994 08:49:38 GMT";
    private const string AtNow = "Mon, 07 Nov 1994 08:49:37 GMT";
    private const string AfterNow = "Mon, 07 Nov 1994 08:49:38 GMT";

    private const string Ok = nameof(PreconditionResult.Proceed);
    private const string NotModified = nameof(PreconditionResult.NotModified);
    private const string Failed = nameof(PreconditionResult.PreconditionFailed);

    private static PreconditionResult Evaluate(string? ifMatch, string? ifNoneMatch, string? ifModifiedSince, string? ifUnmodifiedSince)
    {
        var headers = new ConditionalHeaders(
            Bytes(ifMatch), ifMatch is not null,
            Bytes(ifNoneMatch), ifNoneMatch is not null,
            Bytes(ifModifiedSince), ifModifiedSince is not null,
            Bytes(ifUnmodifiedSince), ifUnmodifiedSince is not null);
        return Preconditions.Evaluate(headers, Bytes(Tag), Mtime, Now);
    }

    private static byte[] Bytes(string? value) => value is null ? [] : Encoding.ASCII.GetBytes(value);

    // RFC 9110 §13.2.2's order for GET/HEAD. Columns: If-Match, If-None-Match,
    // If-Modified-Since, If-Unmodified-Since (null = absent).
    [Theory]
    // No preconditions.
    [InlineData(null, null, null, null, Ok)]
    // If-Match alone (§13.1.1, strong comparison).
    [InlineData(Tag, null, null, null, Ok)]
    [InlineData("\"xyz\"", null, null, null, Failed)]
    [InlineData("\"xyz\", \"abc\"", null, null, null, Ok)]
    [InlineData("*", null, null, null, Ok)]
    [InlineData("W/\"abc\"", null, null, null, Failed)]
    [InlineData("abc", null, null, null, Failed)] // malformed: fails closed
    [InlineData("", null, null, null, Failed)] // present but empty: no tag matches
    // If-Unmodified-Since alone (§13.1.4), in all three date formats.
    [InlineData(null, null, null, AtMtime, Ok)]
    [InlineData(null, null, null, AfterMtime, Ok)]
    [InlineData(null, null, null, BeforeMtime, Failed)]
    [InlineData(null, null, null, BeforeMtimeRfc850, Failed)]
    [InlineData(null, null, null, BeforeMtimeAsctime, Failed)]
    [InlineData(null, null, null, AtMtimeRfc850, Ok)]
    [InlineData(null, null, null, "yesterday", Ok)] // invalid date ignored
    [InlineData(null, null, null, "sun, 06 nov 1994 08:49:36 gmt", Ok)] // names are case-sensitive: invalid
    // If-None-Match alone (§13.1.2, weak comparison).
    [InlineData(null, Tag, null, null, NotModified)]
    [InlineData(null, "W/\"abc\"", null, null, NotModified)]
    [InlineData(null, "\"xyz\"", null, null, Ok)]
    [InlineData(null, "\"xyz\", W/\"abc\"", null, null, NotModified)]
    [InlineData(null, "*", null, null, NotModified)]
    [InlineData(null, "abc", null, null, Ok)] // malformed: never a 304 on a guess
    // If-Modified-Since alone (§13.1.3), in all three date formats.
    [InlineData(null, null, AtMtime, null, NotModified)]
    [InlineData(null, null, AtMtimeRfc850, null, NotModified)]
    [InlineData(null, null, AtMtimeAsctime, null, NotModified)]
    [InlineData(null, null, AfterMtime, null, NotModified)]
    [InlineData(null, null, AtNow, null, NotModified)]
    [InlineData(null, null, BeforeMtime, null, Ok)]
    [InlineData(null, null, BeforeMtimeAsctime, null, Ok)]
    [InlineData(null, null, AfterNow, null, Ok)] // later than now: invalid, ignored
    [InlineData(null, null, "not a date", null, Ok)]
    [InlineData(null, null, AtMtime + ", " + AtMtime, null, Ok)] // more than one member: invalid
    [InlineData(null, null, "", null, Ok)]
    // If-None-Match beats If-Modified-Since, whichever way either would go.
    [InlineData(null, "\"xyz\"", AtMtime, null, Ok)]
    [InlineData(null, Tag, BeforeMtime, null, NotModified)]
    [InlineData(null, "abc", AtMtime, null, Ok)] // present, even malformed, disables If-Modified-Since
    // If-Match beats If-Unmodified-Since.
    [InlineData(Tag, null, null, BeforeMtime, Ok)]
    [InlineData("\"xyz\"", null, null, AfterMtime, Failed)]
    // A failing If-Match (or If-Unmodified-Since) beats everything after it.
    [InlineData("\"xyz\"", Tag, null, null, Failed)]
    [InlineData("\"xyz\"", null, AtMtime, null, Failed)]
    [InlineData("\"xyz\"", Tag, AtMtime, AfterMtime, Failed)]
    [InlineData(null, Tag, null, BeforeMtime, Failed)]
    [InlineData(null, null, AtMtime, BeforeMtime, Failed)]
    // Passing 412 checks fall through to the 304 checks.
    [InlineData(Tag, Tag, null, null, NotModified)]
    [InlineData("*", "*", null, null, NotModified)]
    [InlineData(Tag, "\"xyz\"", AtMtime, null, Ok)]
    [InlineData(null, Tag, null, AfterMtime, NotModified)]
    [InlineData(null, null, AtMtime, AtMtime, NotModified)]
    [InlineData(null, Tag, null, "garbage", NotModified)]
    public void FollowsRfc9110PrecedenceOrder(string? ifMatch, string? ifNoneMatch, string? ifModifiedSince, string? ifUnmodifiedSince, string expected)
    {
        Assert.Equal(expected, Evaluate(ifMatch, ifNoneMatch, ifModifiedSince, ifUnmodifiedSince).ToString());
    }

    [Fact]
    public void AbsentFieldsAreIgnoredEvenIfTheirSpansHoldText()
    {
        // Only the flags say what is present; stale bytes in a span must not be evaluated.
        var headers = new ConditionalHeaders(
            "\"xyz\""u8, false,
            "\"abc\""u8, false,
            "Sun, 06 Nov 1994 08:49:37 GMT"u8, false,
            "Sun, 06 Nov 1994 08:49:36 GMT"u8, false);
        Assert.False(headers.Any);
        Assert.Equal(PreconditionResult.Proceed, Preconditions.Evaluate(headers, "\"abc\""u8, Mtime, Now));
    }

    [Fact]
    public void PresentFlagsAreReportedByAny()
    {
        var headers = new ConditionalHeaders(default, false, default, false, default, false, default, true);
        Assert.True(headers.Any);
        Assert.True(headers.IfUnmodifiedSincePresent);
        Assert.False(headers.IfMatchPresent);
    }

    // RFC 9110 §13.1.5. Columns: If-Range, our current ETag, seconds from mtime to now.
    [Theory]
    [InlineData(Tag, Tag, 86_400, true)]
    [InlineData("\"xyz\"", Tag, 86_400, false)]
    [InlineData("W/\"abc\"", Tag, 86_400, false)] // a weak tag is never a strong match
    [InlineData(Tag, "W/\"abc\"", 86_400, false)] // nor is our own weak tag
    [InlineData("\"abc\", \"xyz\"", Tag, 86_400, false)] // If-Range takes one validator, not a list
    [InlineData("*", Tag, 86_400, false)]
    [InlineData("\"abc", Tag, 86_400, false)]
    [InlineData("\"ab c\"", Tag, 86_400, false)]
    [InlineData("", Tag, 86_400, false)]
    [InlineData("abc", Tag, 86_400, false)]
    [InlineData(AtMtime, Tag, 86_400, true)]
    [InlineData(AtMtimeRfc850, Tag, 86_400, true)]
    [InlineData(AtMtimeAsctime, Tag, 86_400, true)]
    [InlineData(BeforeMtime, Tag, 86_400, false)] // must be an exact match, not "not modified since"
    [InlineData(AfterMtime, Tag, 86_400, false)]
    [InlineData(AtMtime, Tag, 1, true)] // mtime one second before now: a strong validator
    [InlineData(AtMtime, Tag, 0, false)] // modified this very second: only a weak validator (§8.8.2.2)
    [InlineData(AtMtime + " ", Tag, 86_400, false)]
    public void IfRange(string ifRange, string current, long secondsSinceModified, bool allows)
    {
        Assert.Equal(allows, Preconditions.IfRangeAllows(Bytes(ifRange), Bytes(current), Mtime, Mtime + secondsSinceModified));
    }
}
