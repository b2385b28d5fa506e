using StaticD.Http;

namespace StaticD.Tests.Properties;

/// <summary>
/// The invariants every input must satisfy, shared by the property tests and the AFL++ harness
/// (tests/fuzz compiles this file by path). A violation throws <see cref="InvariantException"/>;
/// any other exception escaping the parser or the decoder is a bug too.
/// No test-framework types here: the fuzz harness does not reference xUnit.
/// </summary>
internal static class ParserInvariants
{
    /// <summary>The limit sets the fuzzer picks from with the first byte of an input.</summary>
    public static readonly ParserLimits[] Limits =
    [
        ParserLimits.Default,
        new(64, 256, 8),
        new(16, 4096, 0),
        new(4096, 48, 100),
    ];

    /// <summary>Fuzz input format: the first byte picks <see cref="Limits"/>, the rest is the request.</summary>
    public static void CheckFuzzInput(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        ParserLimits limits = Limits[data[0] % Limits.Length];
        CheckRequest(data[1..], limits);
        CheckSplitPoints(data[1..], limits);
        CheckDecode(data[1..]);
    }

    /// <summary>
    /// Parses <paramref name="input"/> and checks the result's internal consistency and that a Complete head
    /// parses identically from exactly its own bytes. Returns the status.
    /// </summary>
    public static ParseStatus CheckRequest(ReadOnlySpan<byte> input, in ParserLimits limits)
    {
        RequestHead head = default;
        ParseStatus status = RequestParser.TryParse(input, limits, ref head, out int consumed, out ParseError error);
        switch (status)
        {
            case ParseStatus.Complete:
                Check(error == ParseError.None, "Complete with an error");
                Check(consumed > 0 && consumed <= input.Length, $"consumed {consumed} outside 1..{input.Length}");
                Check(consumed <= limits.MaxHeaderBytes, "consumed beyond MaxHeaderBytes");
                Check(head.HeaderCount <= limits.MaxHeaderCount, "more fields than MaxHeaderCount");
                Check(input[consumed - 1] == (byte)'\n' && input[consumed - 2] == (byte)'\r', "head does not end in CRLF");
                CheckSegment(head.MethodToken, consumed, "MethodToken", required: true);
                CheckSegment(head.Target, consumed, "Target", required: true);
                CheckSegment(head.Path, consumed, "Path", required: false);
                CheckSegment(head.Query, consumed, "Query", required: false);
                CheckSegment(head.Host, consumed, "Host", required: head.VersionMinor >= 1);
                CheckSegment(head.Range, consumed, "Range", required: false);
                CheckSegment(head.IfRange, consumed, "IfRange", required: false);
                CheckSegment(head.IfNoneMatch, consumed, "IfNoneMatch", required: false);
                CheckSegment(head.IfModifiedSince, consumed, "IfModifiedSince", required: false);
                CheckSegment(head.IfMatch, consumed, "IfMatch", required: false);
                CheckSegment(head.IfUnmodifiedSince, consumed, "IfUnmodifiedSince", required: false);
                CheckSegment(head.AcceptEncoding, consumed, "AcceptEncoding", required: false);
                CheckSegment(head.Accept, consumed, "Accept", required: false);
                CheckSegment(head.UserAgent, consumed, "UserAgent", required: false);
                CheckSegment(head.Referer, consumed, "Referer", required: false);
                CheckSegment(head.Origin, consumed, "Origin", required: false);
                CheckSegment(head.AccessControlRequestMethod, consumed, "AccessControlRequestMethod", required: false);
                CheckSegment(head.AccessControlRequestHeaders, consumed, "AccessControlRequestHeaders", required: false);
                Check(head.MethodToken.Length > 0, "empty method");
                Check(!(head.HasTransferEncoding && !head.Chunked), "a non-chunked final coding was accepted");
                Check(!(head.HasTransferEncoding && head.ContentLength >= 0), "Transfer-Encoding and Content-Length accepted together");
                Check(!(head.HasTransferEncoding && head.VersionMinor == 0), "Transfer-Encoding accepted on HTTP/1.0");
                Check(head.Target.Length > 0, "empty target");
                for (int i = head.Target.Start; i < head.Target.Start + head.Target.Length; i++)
                {
                    byte b = input[i];
                    Check(b > 0x20 && b < 0x7F && b != (byte)'#', $"target byte 0x{b:X2} accepted");
                }

                // The same head parses identically from exactly its own bytes (nothing after it matters).
                RequestHead exact = default;
                ParseStatus again = RequestParser.TryParse(input[..consumed], limits, ref exact, out int consumed2, out _);
                Check(again == ParseStatus.Complete && consumed2 == consumed, "result depends on the bytes after the head");
                Check(SameHead(head, exact), "head differs when parsed from exactly its own bytes");
                break;

            case ParseStatus.Incomplete:
                Check(error == ParseError.None && consumed == 0, "Incomplete with an error or with consumed != 0");
                Check(input.Length < limits.MaxHeaderBytes, "Incomplete although MaxHeaderBytes bytes arrived");
                break;

            case ParseStatus.Invalid:
                Check(error != ParseError.None && consumed == 0, "Invalid without an error or with consumed != 0");
                break;

            default:
                throw new InvariantException($"unknown status {status}");
        }

        return status;
    }

    /// <summary>
    /// Split-point invariance, sampled at a few cut points to stay cheap: a prefix of the input may only be
    /// Incomplete, or reach the same verdict as the whole input.
    /// </summary>
    public static void CheckSplitPoints(ReadOnlySpan<byte> input, in ParserLimits limits)
    {
        RequestHead head = default;
        ParseStatus status = RequestParser.TryParse(input, limits, ref head, out int consumed, out ParseError error);
        int[] cuts = [input.Length / 2, input.Length - 1, input.Length / 3, (2 * input.Length) / 3];
        foreach (int cut in cuts)
        {
            if (cut > 0 && cut < input.Length)
            {
                CheckPrefix(input, cut, limits, status, consumed, error, head);
            }
        }
    }

    /// <summary>
    /// What a connection sees when the head arrives in two reads: the first read ends at <paramref name="cut"/>.
    /// </summary>
    public static void CheckPrefix(
        ReadOnlySpan<byte> input, int cut, in ParserLimits limits, ParseStatus whole, int wholeConsumed, ParseError wholeError, in RequestHead wholeHead)
    {
        RequestHead head = default;
        ParseStatus status = RequestParser.TryParse(input[..cut], limits, ref head, out int consumed, out ParseError error);
        switch (status)
        {
            case ParseStatus.Incomplete:
                // Fine: the connection reads more and then parses the whole buffer.
                Check(!(whole == ParseStatus.Complete && wholeConsumed <= cut), $"prefix of {cut} bytes holds the whole head but is Incomplete");
                break;
            case ParseStatus.Complete:
                Check(whole == ParseStatus.Complete && consumed == wholeConsumed && SameHead(head, wholeHead),
                    $"prefix of {cut} bytes is Complete ({consumed}) but the whole is {whole} ({wholeConsumed})");
                break;
            case ParseStatus.Invalid:
                Check(whole == ParseStatus.Invalid && error == wholeError,
                    $"prefix of {cut} bytes is Invalid ({error}) but the whole is {whole} ({wholeError})");
                break;
        }
    }

    /// <summary>
    /// Decodes a copy of <paramref name="raw"/> and checks the result can only name something below the root.
    /// Returns the decoded bytes, or null for BadRequest.
    /// </summary>
    public static byte[]? CheckDecode(ReadOnlySpan<byte> raw)
    {
        byte[] buffer = raw.ToArray();
        DecodeStatus status = TargetDecoder.Decode(buffer, out int length);
        if (status != DecodeStatus.Ok)
        {
            Check(status == DecodeStatus.BadRequest, $"unknown decode status {status}");
            Check(length == 0, "length set on BadRequest");
            return null;
        }

        Check(length >= 0 && length <= raw.Length, $"decoded length {length} outside 0..{raw.Length}");
        if (length == 0)
        {
            Check(raw.IsEmpty, "empty result for a non-empty input");
            return [];
        }

        ReadOnlySpan<byte> path = buffer.AsSpan(0, length);
        Check(path[0] == (byte)'/', "result does not start with '/'");
        Check(path.IndexOf((byte)0) < 0, "NUL in the result");
        Check(path.IndexOf("//"u8) < 0, "'//' in the result");
        Check(System.Text.Unicode.Utf8.IsValid(path), "invalid UTF-8 in the result");
        foreach (Range r in path[1..].Split((byte)'/'))
        {
            ReadOnlySpan<byte> segment = path[1..][r];
            Check(!segment.SequenceEqual("."u8) && !segment.SequenceEqual(".."u8), "dot segment in the result");
        }

        // Idempotence: a normalised path without '%' decodes to itself.
        if (path.IndexOf((byte)'%') < 0)
        {
            byte[] second = path.ToArray();
            Check(TargetDecoder.Decode(second, out int length2) == DecodeStatus.Ok && second.AsSpan(0, length2).SequenceEqual(path),
                "decoding is not idempotent");
        }

        return path.ToArray();
    }

    public static bool SameHead(in RequestHead a, in RequestHead b) =>
        a.Method == b.Method && Same(a.MethodToken, b.MethodToken) && Same(a.Target, b.Target) && Same(a.Path, b.Path)
        && Same(a.Query, b.Query) && a.VersionMinor == b.VersionMinor && Same(a.Host, b.Host)
        && a.ConnectionClose == b.ConnectionClose && a.ConnectionKeepAlive == b.ConnectionKeepAlive
        && a.ContentLength == b.ContentLength && a.HasTransferEncoding == b.HasTransferEncoding && a.Chunked == b.Chunked
        && a.HeaderCount == b.HeaderCount && Same(a.Range, b.Range) && Same(a.IfRange, b.IfRange)
        && Same(a.IfNoneMatch, b.IfNoneMatch) && Same(a.IfModifiedSince, b.IfModifiedSince) && Same(a.IfMatch, b.IfMatch)
        && Same(a.IfUnmodifiedSince, b.IfUnmodifiedSince) && Same(a.AcceptEncoding, b.AcceptEncoding)
        && Same(a.UserAgent, b.UserAgent) && Same(a.Referer, b.Referer) && Same(a.Accept, b.Accept)
        && Same(a.Origin, b.Origin) && Same(a.AccessControlRequestMethod, b.AccessControlRequestMethod)
        && Same(a.AccessControlRequestHeaders, b.AccessControlRequestHeaders)
        && a.AcceptRepeated == b.AcceptRepeated && a.IfNoneMatchRepeated == b.IfNoneMatchRepeated
        && a.IfMatchRepeated == b.IfMatchRepeated && a.AcceptEncodingRepeated == b.AcceptEncodingRepeated;

    private static bool Same(Segment a, Segment b) => a.Start == b.Start && a.Length == b.Length;

    private static void CheckSegment(Segment s, int consumed, string name, bool required)
    {
        if (!s.IsPresent)
        {
            Check(!required, $"{name} absent");
            Check(s.Start == 0 && s.Length == -1, $"{name} is neither present nor None");
            return;
        }

        Check(s.Start >= 0 && s.Start + s.Length <= consumed, $"{name} [{s.Start}, +{s.Length}) lies outside the head (0..{consumed})");
    }

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvariantException(what);
        }
    }
}

/// <summary>A parser or decoder invariant does not hold.</summary>
internal sealed class InvariantException(string message) : Exception("invariant violated: " + message);
