using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace StaticD.IntegrationTests;

/// <summary>Assertions shared by every HTTP test; failures print the full response head.</summary>
public static partial class HttpAssert
{
    // RFC 9110 §5.6.7 IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
    [GeneratedRegex(@"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (0[1-9]|[12][0-9]|3[01]) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9] GMT$")]
    private static partial Regex ImfFixdate();

    /// <summary>Checks the status and the headers every staticd response must carry.</summary>
    public static void Status(int expected, HttpResponse response)
    {
        Assert.True(response.Status == expected, $"expected status {expected}, got {response.Status}\n{response}");
        CommonHeaders(response);
    }

    public static void CommonHeaders(HttpResponse response)
    {
        Assert.True(response.Header("Server") == "staticd", $"expected 'Server: staticd'\n{response}");
        var date = response.Header("Date");
        Assert.True(date is not null, $"missing Date header\n{response}");
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

    public static void Body(byte[] expected, HttpResponse response)
    {
        Assert.True(expected.AsSpan().SequenceEqual(response.Body), $"body mismatch: expected {expected.Length} bytes, got {response.Body.Length}\n{response}");
        Header("Content-Length", expected.Length.ToString(CultureInfo.InvariantCulture), response);
    }

    public static void Body(string expectedUtf8, HttpResponse response) =>
        Body(System.Text.Encoding.UTF8.GetBytes(expectedUtf8), response);

    public static void ClientError(HttpResponse response) =>
        Assert.True(response.Status is >= 400 and < 500, $"expected a 4xx status, got {response.Status}\n{response}");
}
