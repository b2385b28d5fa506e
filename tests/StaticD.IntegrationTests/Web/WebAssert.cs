using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace StaticD.IntegrationTests.Web;

/// <summary>Assertions for the "web site" features (validators, ranges, negotiation, headers).</summary>
public static partial class WebAssert
{
    // RFC 9110 §8.8.3: entity-tag = [ weak ] opaque-tag; opaque-tag = DQUOTE *etagc DQUOTE.
    [GeneratedRegex(@"^""[\x21\x23-\x7E\x80-\xFF]*""$")]
    private static partial Regex StrongETagRegex();

    /// <summary>Asserts a strong ETag (quoted, no W/) is present and returns it.</summary>
    public static string StrongETag(HttpResponse r)
    {
        var tag = r.Header("ETag");
        Assert.True(tag is not null, $"missing ETag\n{r}");
        Assert.True(StrongETagRegex().IsMatch(tag), $"ETag '{tag}' is not a strong entity-tag\n{r}");
        return tag;
    }

    public static DateTime LastModified(HttpResponse r)
    {
        var lm = r.Header("Last-Modified");
        Assert.True(lm is not null, $"missing Last-Modified\n{r}");
        return HttpAssert.ParseImfFixdate(lm, r);
    }

    public static void Absent(string name, HttpResponse r) =>
        Assert.True(r.Header(name) is null, $"unexpected '{name}: {r.Header(name)}'\n{r}");

    /// <summary>The field-value of Vary lists <paramref name="token"/> (case-insensitive list member).</summary>
    public static void VaryIncludes(string token, HttpResponse r)
    {
        var vary = r.Header("Vary");
        Assert.True(vary is not null && ListTokens(vary).Contains(token, StringComparer.OrdinalIgnoreCase),
            $"expected Vary to include {token}, got '{vary ?? "<missing>"}'\n{r}");
    }

    public static IEnumerable<string> ListTokens(string value) =>
        value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    /// <summary>Exact body bytes, whatever the framing (Content-Length or chunked).</summary>
    public static void BodyBytes(byte[] expected, HttpResponse r, string what = "body")
    {
        if (expected.AsSpan().SequenceEqual(r.Body))
        {
            return;
        }

        var firstDiff = 0;
        while (firstDiff < Math.Min(expected.Length, r.Body.Length) && expected[firstDiff] == r.Body[firstDiff])
        {
            firstDiff++;
        }

        Assert.Fail($"{what} mismatch: expected {expected.Length} bytes, got {r.Body.Length} (first difference at {firstDiff})\n{r.RawHead}");
    }

    /// <summary>Exact body bytes framed by a Content-Length that matches them.</summary>
    public static void BodyWithLength(byte[] expected, HttpResponse r)
    {
        BodyBytes(expected, r);
        HttpAssert.Header("Content-Length", expected.Length.ToString(CultureInfo.InvariantCulture), r);
    }

    public static void ContentRange(long first, long last, long complete, HttpResponse r) =>
        HttpAssert.Header("Content-Range", FormattableString.Invariant($"bytes {first}-{last}/{complete}"), r);

    public static string ImfDate(DateTime utc) => utc.ToString("r", CultureInfo.InvariantCulture);

    /// <summary>RFC 850 date as RFC 9110 §5.6.7 spells it: "Sunday, 06-Nov-94 08:49:37 GMT".</summary>
    public static string Rfc850Date(DateTime utc) =>
        utc.ToString("dddd, dd'-'MMM'-'yy HH:mm:ss 'GMT'", CultureInfo.InvariantCulture);

    /// <summary>asctime() date: "Sun Nov  6 08:49:37 1994" (day space-padded to two characters).</summary>
    public static string AsctimeDate(DateTime utc) =>
        utc.ToString("ddd MMM ", CultureInfo.InvariantCulture)
        + utc.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2, ' ')
        + utc.ToString(" HH:mm:ss yyyy", CultureInfo.InvariantCulture);

    /// <summary>
    /// Sends <paramref name="request"/> and then a GET of <paramref name="probeTarget"/> on the same
    /// connection. If the first response carried body bytes it did not announce (a 304 with a body,
    /// a HEAD with a body, a Content-Length that lies) the probe response is misparsed and this fails.
    /// </summary>
    public static async Task<HttpResponse> RoundTripThenProbeAsync(
        ServerFixture server, string request, string probeTarget, bool isHead = false)
    {
        using var client = await server.ConnectAsync();
        await client.SendAsync(request + Http.Get(probeTarget));
        var response = await client.ReadResponseAsync(isHead);
        HttpResponse probe;
        try
        {
            probe = await client.ReadResponseAsync();
        }
        catch (Exception e) when (e is FormatException or IOException or TimeoutException)
        {
            throw new Xunit.Sdk.XunitException(
                $"the response was not framed correctly: the next response on the connection could not be read ({e.Message})\n{response}");
        }

        Assert.True(probe.Status == 200, $"probe GET {probeTarget} after the response: expected 200, got {probe.Status}\nfirst response:\n{response}\nprobe:\n{probe}");
        BodyBytes(File.ReadAllBytes(server.Root.FullPath(probeTarget)), probe, $"probe body of {probeTarget}");
        return response;
    }
}
