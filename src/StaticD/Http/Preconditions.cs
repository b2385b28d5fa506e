namespace StaticD.Http;

/// <summary>Outcome of evaluating a GET or HEAD request's preconditions (RFC 9110 §13.2.2).</summary>
internal enum PreconditionResult : byte
{
    /// <summary>Every present precondition holds (or was ignored): go on to Range, then 200/206.</summary>
    Proceed,

    /// <summary>304 Not Modified (§15.4.5): If-None-Match matched or If-Modified-Since held.</summary>
    NotModified,

    /// <summary>412 Precondition Failed (§15.5.13): If-Match or If-Unmodified-Since failed.</summary>
    PreconditionFailed,
}

/// <summary>
/// The four precondition fields of a request as the header parser found them. Each is a span
/// into the request buffer plus a flag, because "absent" and "present but empty" differ: an
/// If-None-Match that is present, even unparseable, disables If-Modified-Since (§13.2.2 step 4).
/// </summary>
internal readonly ref struct ConditionalHeaders
{
    public ConditionalHeaders(
        ReadOnlySpan<byte> ifMatch, bool ifMatchPresent,
        ReadOnlySpan<byte> ifNoneMatch, bool ifNoneMatchPresent,
        ReadOnlySpan<byte> ifModifiedSince, bool ifModifiedSincePresent,
        ReadOnlySpan<byte> ifUnmodifiedSince, bool ifUnmodifiedSincePresent)
    {
        IfMatch = ifMatch;
        IfMatchPresent = ifMatchPresent;
        IfNoneMatch = ifNoneMatch;
        IfNoneMatchPresent = ifNoneMatchPresent;
        IfModifiedSince = ifModifiedSince;
        IfModifiedSincePresent = ifModifiedSincePresent;
        IfUnmodifiedSince = ifUnmodifiedSince;
        IfUnmodifiedSincePresent = ifUnmodifiedSincePresent;
    }

    public ReadOnlySpan<byte> IfMatch { get; }

    public bool IfMatchPresent { get; }

    public ReadOnlySpan<byte> IfNoneMatch { get; }

    public bool IfNoneMatchPresent { get; }

    public ReadOnlySpan<byte> IfModifiedSince { get; }

    public bool IfModifiedSincePresent { get; }

    public ReadOnlySpan<byte> IfUnmodifiedSince { get; }

    public bool IfUnmodifiedSincePresent { get; }

    /// <summary>True if any of the four fields is present; false means Evaluate would return Proceed.</summary>
    public bool Any => IfMatchPresent || IfNoneMatchPresent || IfModifiedSincePresent || IfUnmodifiedSincePresent;
}

/// <summary>Conditional request evaluation for GET and HEAD of a static file (RFC 9110 §13).</summary>
internal static class Preconditions
{
    /// <summary>
    /// Applies RFC 9110 §13.2.2's precedence for a GET or HEAD request:
    /// <list type="number">
    /// <item>If-Match present: false (strong comparison, §13.1.1) → 412.</item>
    /// <item>Otherwise If-Unmodified-Since present with a valid date: the file modified after
    /// it → 412 (§13.1.4). An invalid date is ignored.</item>
    /// <item>If-None-Match present: a weak match (§13.1.2) → 304, as the method is GET/HEAD.</item>
    /// <item>Otherwise If-Modified-Since present with a valid date: not modified since → 304
    /// (§13.1.3). An invalid date, or one later than <paramref name="nowUnixSeconds"/>, is
    /// ignored.</item>
    /// </list>
    /// Range and If-Range (step 5) are the caller's next step, on Proceed.
    /// </summary>
    /// <remarks>
    /// The tag comparisons are always preferred to the dates: a client that sends both sends the
    /// date only for old intermediaries, and the tag is the more precise validator. Malformed
    /// tag lists count as "no match" (see <see cref="EntityTag"/>), so a malformed If-Match
    /// fails closed with 412 (the client asked for a guarantee we cannot confirm), and a
    /// malformed If-None-Match yields the full response (never a 304 on a guess).
    /// Dates are second-granular on both sides: <paramref name="mtimeSeconds"/> is what the
    /// Last-Modified field carries, so the comparison is against the value the client saw.
    /// </remarks>
    public static PreconditionResult Evaluate(
        in ConditionalHeaders headers, ReadOnlySpan<byte> currentETag, long mtimeSeconds, long nowUnixSeconds)
    {
        // Step 1 and 2. If-Unmodified-Since only counts without If-Match (§13.1.4: "A recipient
        // MUST ignore If-Unmodified-Since if the request contains an If-Match header field").
        if (headers.IfMatchPresent)
        {
            if (!EntityTag.MatchesStrong(headers.IfMatch, currentETag))
            {
                return PreconditionResult.PreconditionFailed;
            }
        }
        else if (headers.IfUnmodifiedSincePresent
            && HttpDate.TryParse(headers.IfUnmodifiedSince, nowUnixSeconds, out long unmodifiedSince)
            && mtimeSeconds > unmodifiedSince)
        {
            return PreconditionResult.PreconditionFailed;
        }

        // Step 3 and 4. §13.1.3: "A recipient MUST ignore If-Modified-Since if the request
        // contains an If-None-Match header field", whatever the If-None-Match evaluates to.
        if (headers.IfNoneMatchPresent)
        {
            if (EntityTag.MatchesWeak(headers.IfNoneMatch, currentETag))
            {
                return PreconditionResult.NotModified;
            }
        }
        else if (headers.IfModifiedSincePresent
            && HttpDate.TryParse(headers.IfModifiedSince, nowUnixSeconds, out long modifiedSince)
            && modifiedSince <= nowUnixSeconds
            && mtimeSeconds <= modifiedSince)
        {
            // §13.1.3: "A date which is later than the server's current time is invalid." A
            // future date would otherwise pin a client to its copy until then, whatever changes.
            return PreconditionResult.NotModified;
        }

        return PreconditionResult.Proceed;
    }

    /// <summary>
    /// If-Range (RFC 9110 §13.1.5): true if the Range field should be honoured, false if the
    /// whole representation should be sent with 200 instead.
    /// </summary>
    /// <remarks>
    /// <para>
    /// §13.1.5 tells the two forms apart by a DQUOTE in the first three characters (an
    /// entity-tag starts with '"' or 'W/"'; an HTTP-date never contains one).
    /// </para>
    /// <para>
    /// An entity-tag must match by the strong comparison (§8.8.3.2), so a weak tag, ours or
    /// theirs, never allows the range: bytes from two merely "equivalent" versions cannot be
    /// spliced together.
    /// </para>
    /// <para>
    /// A date must equal the file's modification time exactly, and is only a strong validator
    /// (§8.8.2.2) if the file cannot have changed twice within that second without the time
    /// changing: we require the mtime to lie at least one whole second before now, so a write
    /// still in progress during the current second cannot be mistaken for the version the
    /// client holds.
    /// </para>
    /// <para>
    /// A malformed field is false: sending 200 is always correct, a wrong 206 corrupts the
    /// client's copy.
    /// </para>
    /// </remarks>
    public static bool IfRangeAllows(
        ReadOnlySpan<byte> ifRange, ReadOnlySpan<byte> currentETag, long mtimeSeconds, long nowUnixSeconds)
    {
        if (ifRange.Length == 0)
        {
            return false;
        }

        if (ifRange[0] == (byte)'"' || EntityTag.IsWeak(ifRange))
        {
            return EntityTag.IsValid(ifRange)
                && !EntityTag.IsWeak(ifRange)
                && !EntityTag.IsWeak(currentETag)
                && ifRange.SequenceEqual(currentETag);
        }

        return HttpDate.TryParse(ifRange, nowUnixSeconds, out long date)
            && date == mtimeSeconds
            && mtimeSeconds <= nowUnixSeconds - 1;
    }
}
