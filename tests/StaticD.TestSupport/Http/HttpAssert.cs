using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace StaticD.TestSupport;

/// <summary>The assertions every test makes on a raw HTTP response; failures print the response head.</summary>
public static partial class HttpAssert
{
    // RFC 9110 §5.6.7 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
    [GeneratedRegex(@"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (0[1-9]|[12][0-9]|3[01]) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9] GMT$")]
    private static partial Regex ImfFixdate();

    // RFC 9110 §8.8.3: entity-tag = [ weak ] opaque-tag; opaque-tag = DQUOTE *etagc DQUOTE.
    [GeneratedRegex(@"^""[\x21\x23-\x7E\x80-\xFF]*""$")]
    private static partial Regex StrongETagRegex();

    /// <summary>Checks the status and the headers every staticd response must carry.</summary>
    public static void Status(int expected, HttpResponse response)
    {
        Assert.True(response.Status == expected, $"expected status {expected}, got {response.Status}\n{response}");
        CommonHeaders(response);
    }

    public static void ClientError(HttpResponse response) =>
        Assert.True(response.Status is >= 400 and < 500, $"expected a 4xx status, got {response.Status}\n{response}");

    /// <summary>Server: staticd, and a Date that is an IMF-fixdate close to the local clock.</summary>
    public static void CommonHeaders(HttpResponse response)
    {
        Assert.True(response.Header("Server") == "staticd", $"expected 'Server: staticd'\n{response}");
        var date = Present("Date", response);
        var parsed = ParseImfFixdate(date, response);
        var skew = (parsed - DateTime.UtcNow).Duration();
        Assert.True(skew < TimeSpan.FromMinutes(2), $"Date '{date}' is {skew} away from the local clock\n{response}");
    }

    public static DateTime ParseImfFixdate(string value, HttpResponse response)
    {
        Assert.True(ImfFixdate().IsMatch(value), $"'{value}' is not an IMF-fixdate\n{response}");

        // ParseExact with "r" also rejects a weekday that does not match the date.
        Assert.True(
            DateTime.TryParseExact(value, "r", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var parsed),
            $"'{value}' is not a valid date\n{response}");
        return parsed;
    }

    public static void Header(string name, string expected, HttpResponse response)
    {
        var actual = response.Header(name);
        Assert.True(actual == expected, $"expected '{name}: {expected}', got '{actual ?? "<missing>"}'\n{response}");
    }

    /// <summary>Asserts the field is there and returns its value.</summary>
    public static string Present(string name, HttpResponse response) =>
        response.Header(name) ?? throw new Xunit.Sdk.XunitException($"missing {name} header\n{response}");

    public static void Absent(string name, HttpResponse response) =>
        Assert.True(response.Header(name) is null, $"unexpected '{name}: {response.Header(name)}'\n{response}");

    /// <summary>Exact body bytes framed by a Content-Length that matches them.</summary>
    public static void Body(byte[] expected, HttpResponse response)
    {
        BodyBytes(expected, response);
        Header("Content-Length", expected.Length.ToString(CultureInfo.InvariantCulture), response);
    }

    public static void Body(string expectedUtf8, HttpResponse response) =>
        Body(System.Text.Encoding.UTF8.GetBytes(expectedUtf8), response);

    /// <summary>Exact body bytes, whatever the framing (Content-Length or chunked).</summary>
    public static void BodyBytes(byte[] expected, HttpResponse response, string what = "body")
    {
        if (expected.AsSpan().SequenceEqual(response.Body))
        {
            return;
        }

        var firstDiff = 0;
        while (firstDiff < Math.Min(expected.Length, response.Body.Length) && expected[firstDiff] == response.Body[firstDiff])
        {
            firstDiff++;
        }

        Assert.Fail($"{what} mismatch: expected {expected.Length} bytes, got {response.Body.Length} (first difference at {firstDiff})\n{response.RawHead}");
    }

    /// <summary>Asserts a strong ETag (quoted, no W/) is present and returns it.</summary>
    public static string StrongETag(HttpResponse response)
    {
        var tag = Present("ETag", response);
        Assert.True(StrongETagRegex().IsMatch(tag), $"ETag '{tag}' is not a strong entity-tag\n{response}");
        return tag;
    }

    public static DateTime LastModified(HttpResponse response) =>
        ParseImfFixdate(Present("Last-Modified", response), response);

    /// <summary>The field-value of Vary lists <paramref name="token"/> (case-insensitive list member).</summary>
    public static void VaryIncludes(string token, HttpResponse response)
    {
        var vary = response.Header("Vary");
        Assert.True(vary is not null && ListTokens(vary).Contains(token, StringComparer.OrdinalIgnoreCase),
            $"expected Vary to include {token}, got '{vary ?? "<missing>"}'\n{response}");
    }

    public static IEnumerable<string> ListTokens(string value) =>
        value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    public static void ContentRange(long first, long last, long complete, HttpResponse response) =>
        Header("Content-Range", FormattableString.Invariant($"bytes {first}-{last}/{complete}"), response);
}
