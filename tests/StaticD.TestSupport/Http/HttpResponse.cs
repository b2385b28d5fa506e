using System.Globalization;
using System.Text;

namespace StaticD.TestSupport;

/// <summary>One HTTP response as it came off the wire: status line, header fields, body.</summary>
public sealed class HttpResponse
{
    public required string RawHead { get; init; }
    public required string Version { get; init; }
    public required int Status { get; init; }
    public required string Reason { get; init; }

    /// <summary>Case-insensitive; repeated fields are joined with ", " as RFC 9110 allows.</summary>
    public required Dictionary<string, string> Headers { get; init; }

    public byte[] Body { get; set; } = [];

    /// <summary>True when the body had no Content-Length/chunked framing and ran until the server closed.</summary>
    public bool BodyDelimitedByClose { get; set; }

    public string BodyText => Encoding.UTF8.GetString(Body);

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    public long? ContentLength =>
        Header("Content-Length") is { } v ? long.Parse(v, NumberStyles.None, CultureInfo.InvariantCulture) : null;

    /// <summary>Connection header tokens, lower-cased.</summary>
    public IReadOnlyList<string> ConnectionTokens =>
        (Header("Connection") ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(t => t.ToLowerInvariant()).ToArray();

    public override string ToString()
    {
        var preview = Body.Length <= 512 ? BodyText : Encoding.UTF8.GetString(Body, 0, 512) + "...";
        return RawHead + preview;
    }

    /// <summary>
    /// Parses a response head: the status line and the header fields, up to and including the empty line (CRLF
    /// CRLF) that ends it, read as Latin-1. Strict: a malformed status or header line throws FormatException.
    /// </summary>
    public static HttpResponse ParseHead(string head)
    {
        if (!head.EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            throw new FormatException($"a response head ends with an empty line (CRLF CRLF)\n{head}");
        }

        var lines = head[..^4].Split("\r\n");
        var statusParts = lines[0].Split(' ', 3);
        if (statusParts.Length < 2 || !statusParts[0].StartsWith("HTTP/", StringComparison.Ordinal)
            || !int.TryParse(statusParts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var status))
        {
            throw new FormatException($"malformed status line: '{lines[0]}'\n{head}");
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                throw new FormatException($"malformed header line: '{line}'\n{head}");
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            headers[name] = headers.TryGetValue(name, out var existing) ? existing + ", " + value : value;
        }

        return new HttpResponse
        {
            RawHead = head,
            Version = statusParts[0],
            Status = status,
            Reason = statusParts.Length > 2 ? statusParts[2] : "",
            Headers = headers,
        };
    }

    /// <summary>
    /// One complete response in <paramref name="message"/> (read by a caller that knew its length): the head, and
    /// everything after it as the body, unframed.
    /// </summary>
    public static HttpResponse Parse(ReadOnlySpan<byte> message)
    {
        int end = message.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            throw new FormatException($"no end of the response head in {message.Length} bytes: {Encoding.Latin1.GetString(message[..Math.Min(message.Length, 300)])}");
        }

        var response = ParseHead(Encoding.Latin1.GetString(message[..(end + 4)]));
        response.Body = message[(end + 4)..].ToArray();
        return response;
    }

    /// <summary>The last response head in a dump of several (curl -D writes 1xx heads before the final one), or null
    /// if there is none.</summary>
    public static HttpResponse? ParseLastHead(string dump)
    {
        int start = dump.LastIndexOf("HTTP/", StringComparison.Ordinal);
        while (start > 0 && !dump.AsSpan(0, start).EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            start = dump.LastIndexOf("HTTP/", start - 1, StringComparison.Ordinal);
        }

        if (start < 0) return null;
        int end = dump.IndexOf("\r\n\r\n", start, StringComparison.Ordinal);
        return end < 0 ? null : ParseHead(dump[start..(end + 4)]);
    }
}
