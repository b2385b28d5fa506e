using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Xunit;

namespace StaticD.IntegrationTests.Compression;

/// <summary>Files that compress well (or not), decoders for the three codings, and the poll that waits for a
/// compressed result to appear — the server answers identity until its pool job is done, so a test asks again
/// until the coding shows up, within a deadline, instead of sleeping.</summary>
public static class CompressionKit
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    /// <summary>JavaScript-like text of about <paramref name="bytes"/> bytes, different for each seed.</summary>
    public static byte[] Script(int bytes, int seed)
    {
        var random = new Random(seed);
        string[] words = ["function", "const", "return", "document", "window", "addEventListener", "value", "null", "=>", "{", "}", ";"];
        var text = new StringBuilder(bytes + 32);
        while (text.Length < bytes) text.Append(words[random.Next(words.Length)]).Append(random.Next(4) == 0 ? '\n' : ' ');
        return Encoding.UTF8.GetBytes(text.ToString(0, bytes));
    }

    /// <summary>Random base64 text: compresses only to about 3/4, so its compressed size is predictable.</summary>
    public static byte[] Base64Text(int bytes, int seed)
    {
        var raw = new byte[bytes];
        new Random(seed).NextBytes(raw);
        return Encoding.ASCII.GetBytes(Convert.ToBase64String(raw)[..bytes]);
    }

    public static byte[] Decode(string? coding, byte[] body) => coding switch
    {
        null => body,
        "gzip" => Read(new GZipStream(new MemoryStream(body), CompressionMode.Decompress)),
        "br" => Read(new BrotliStream(new MemoryStream(body), CompressionMode.Decompress)),
        "zstd" => TestZstd.Decompress(body),
        _ => throw new ArgumentOutOfRangeException(nameof(coding), coding, null),
    };

    private static byte[] Read(Stream stream)
    {
        using var output = new MemoryStream();
        using (stream) stream.CopyTo(output);
        return output.ToArray();
    }

    public static Task<HttpResponse> GetAsync(int port, string path, string? acceptEncoding, params string[] more)
    {
        string[] headers = [.. acceptEncoding is null ? [] : new[] { "Accept-Encoding: " + acceptEncoding }, .. more];
        return Send(port, Http.Get(path, headers));
    }

    public static async Task<HttpResponse> Send(int port, string request)
    {
        using RawHttpClient client = await RawHttpClient.ConnectAsync(port);
        return await client.RoundTripAsync(request);
    }

    /// <summary>Asks for <paramref name="path"/> with <paramref name="coding"/> until the answer carries it.</summary>
    public static async Task<HttpResponse> PollUntilEncodedAsync(int port, string path, string coding, string? acceptEncoding = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            HttpResponse r = await GetAsync(port, path, acceptEncoding ?? coding);
            HttpAssert.Status(200, r);
            if (r.Header("Content-Encoding") == coding) return r;
            Assert.True(r.Header("Content-Encoding") is null, $"expected {coding} or identity while it is made\n{r}");
            if (clock.Elapsed > Deadline) Assert.Fail($"{path} was not served with Content-Encoding: {coding} within {Deadline.TotalSeconds} s\n{r}");
            await Task.Delay(20);
        }
    }

    /// <summary>A compressed response is a complete representation of the file: decodes to it, says its length.</summary>
    public static void AssertEncodedFrom(byte[] original, string coding, HttpResponse r)
    {
        HttpAssert.Header("Content-Encoding", coding, r);
        HttpAssert.Header("Content-Length", r.Body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), r);
        HttpAssert.VaryIncludes("Accept-Encoding", r);
        Assert.True(r.Body.Length < original.Length, $"the {coding} body ({r.Body.Length} bytes) is not smaller than the file ({original.Length})");
        Assert.Equal(SHA256.HashData(original), SHA256.HashData(Decode(coding, r.Body)));
        Assert.EndsWith("-" + coding + "\"", HttpAssert.StrongETag(r));
    }
}
