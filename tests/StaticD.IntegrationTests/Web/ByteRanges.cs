using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Xunit;

namespace StaticD.IntegrationTests.Web;

/// <summary>One part of a multipart/byteranges body.</summary>
public sealed record BytePart(string? ContentType, string? ContentRange, byte[] Body, IReadOnlyDictionary<string, string> Headers);

/// <summary>Parses multipart/byteranges (RFC 9110 §14.6) with ASP.NET Core's MultipartReader.</summary>
public static class ByteRanges
{
    /// <summary>Asserts the response is multipart/byteranges with a boundary and returns its parts in order.</summary>
    public static async Task<List<BytePart>> ParseAsync(HttpResponse r)
    {
        var contentType = r.Header("Content-Type");
        Assert.True(contentType is not null, $"missing Content-Type\n{r}");
        Assert.True(MediaTypeHeaderValue.TryParse(contentType, out var media), $"unparsable Content-Type '{contentType}'\n{r}");
        Assert.True(media.MediaType.Equals("multipart/byteranges", StringComparison.OrdinalIgnoreCase),
            $"expected multipart/byteranges, got '{contentType}'\n{r}");
        var boundary = HeaderUtilities.RemoveQuotes(media.Boundary).Value;
        Assert.True(!string.IsNullOrEmpty(boundary), $"multipart/byteranges without a boundary parameter\n{r}");

        // RFC 2046 §5.1.1: the boundary must not appear inside any part; a boundary that is too
        // short or predictable would let file content terminate a part early. MultipartReader
        // finds that for us (the part bodies would then not match the file).
        var reader = new MultipartReader(boundary!, new MemoryStream(r.Body));
        var parts = new List<BytePart>();
        while (await reader.ReadNextSectionAsync() is { } section)
        {
            using var body = new MemoryStream();
            await section.Body.CopyToAsync(body);
            var headers = (section.Headers ?? []).ToDictionary(
                h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase);
            parts.Add(new BytePart(
                headers.GetValueOrDefault("Content-Type"),
                headers.GetValueOrDefault("Content-Range"),
                body.ToArray(),
                headers));
        }

        // The close-delimiter "--boundary--" must be there: without it the reader hits the end of
        // the stream and throws, so reaching this point means the body was well formed.
        return parts;
    }

    /// <summary>Asserts the parts are exactly <paramref name="ranges"/> of <paramref name="file"/>, in order.</summary>
    public static void AssertParts(IReadOnlyList<BytePart> parts, byte[] file, string contentType, HttpResponse r, params (int First, int Last)[] ranges)
    {
        Assert.True(parts.Count == ranges.Length, $"expected {ranges.Length} parts, got {parts.Count}\n{r}");
        for (var i = 0; i < ranges.Length; i++)
        {
            var (first, last) = ranges[i];
            var part = parts[i];
            var expectedRange = FormattableString.Invariant($"bytes {first}-{last}/{file.Length}");
            Assert.True(part.ContentRange == expectedRange, $"part {i}: expected Content-Range '{expectedRange}', got '{part.ContentRange}'\n{r}");
            Assert.True(part.ContentType == contentType, $"part {i}: expected Content-Type '{contentType}', got '{part.ContentType}'\n{r}");
            var expected = file.AsSpan(first, last - first + 1);
            Assert.True(expected.SequenceEqual(part.Body), $"part {i} ({expectedRange}): body differs from the file ({part.Body.Length} bytes)\n{r}");
        }
    }
}
