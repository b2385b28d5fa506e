namespace StaticD.Http;

/// <summary>What to answer for a GET or HEAD of one selected representation (RFC 9110 §13.2.2, §14).</summary>
internal enum ResponseKind : byte
{
    /// <summary>200 with the whole representation.</summary>
    Full,
    /// <summary>206 with one range (Content-Range in the head).</summary>
    SingleRange,
    /// <summary>206 multipart/byteranges.</summary>
    MultipleRanges,
    /// <summary>304: the validators and caching fields a 200 would carry, no body.</summary>
    NotModified,
    /// <summary>412.</summary>
    PreconditionFailed,
    /// <summary>416 with "Content-Range: bytes */length".</summary>
    RangeNotSatisfiable,
}

/// <summary>The request fields that decide between 200, 206, 304, 412 and 416, as spans into the request
/// buffer; "present" flags because an empty field and an absent one differ (RFC 9110 §13.2.2).</summary>
internal readonly ref struct RepresentationRequest(
    ConditionalHeaders conditions, bool isGet,
    ReadOnlySpan<byte> range, bool rangePresent, ReadOnlySpan<byte> ifRange, bool ifRangePresent)
{
    public readonly ConditionalHeaders Conditions = conditions;
    public readonly bool IsGet = isGet;
    public readonly ReadOnlySpan<byte> Range = range;
    public readonly bool RangePresent = rangePresent;
    public readonly ReadOnlySpan<byte> IfRange = ifRange;
    public readonly bool IfRangePresent = ifRangePresent;
}

/// <summary>
/// The one place that decides how a representation is answered, whatever the framing: HTTP/1.1 serialises the
/// decision with <see cref="ResponseHead"/>, and a second protocol reuses the decision, not a copy of it.
/// </summary>
internal static class RepresentationDecision
{
    /// <summary>Preconditions first, then Range (GET only; an If-Range that does not match means "send it all").
    /// Fills <paramref name="ranges"/> (capacity = the configured MaxRanges) for the two range kinds.</summary>
    public static ResponseKind Decide(in RepresentationRequest request, ReadOnlySpan<byte> etag, long lastModified,
        long length, long nowUnixSeconds, Span<ByteRange> ranges, out int rangeCount)
    {
        rangeCount = 0;
        switch (Preconditions.Evaluate(request.Conditions, etag, lastModified, nowUnixSeconds))
        {
            case PreconditionResult.NotModified:
                return ResponseKind.NotModified;
            case PreconditionResult.PreconditionFailed:
                return ResponseKind.PreconditionFailed;
        }
        // RFC 9110 §14.2: Range is only defined for GET.
        if (!request.IsGet || !request.RangePresent) return ResponseKind.Full;
        if (request.IfRangePresent && !Preconditions.IfRangeAllows(request.IfRange, etag, lastModified, nowUnixSeconds))
            return ResponseKind.Full;
        switch (ByteRanges.Parse(request.Range, length, ranges.Length, ranges, out int count))
        {
            case RangeResult.Satisfiable:
                rangeCount = count;
                return count == 1 ? ResponseKind.SingleRange : ResponseKind.MultipleRanges;
            case RangeResult.Unsatisfiable:
                return ResponseKind.RangeNotSatisfiable;
            default:
                return ResponseKind.Full; // ignored: malformed, or more ranges than allowed
        }
    }

    /// <summary>RFC 9110 §8.8.2.1: a Last-Modified later than Date (a file stamped in the future) is sent as
    /// Date, and conditionals compare against the same value.</summary>
    public static long LastModified(long mtimeSeconds, long nowUnixSeconds) => Math.Min(mtimeSeconds, nowUnixSeconds);
}
