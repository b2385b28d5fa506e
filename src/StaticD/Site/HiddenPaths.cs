namespace StaticD.Site;

/// <summary>
/// Decides whether a request path names a "hidden" file or directory, one that is not served
/// unless the site opts in: anything with a path segment starting with '.' (.git, .env, .htpasswd,
/// .DS_Store). Deployments routinely copy such files into the document root by accident, and they
/// are the first thing scanners ask for.
/// </summary>
/// <remarks>
/// <para>
/// The one exception is the top-level <c>/.well-known</c> directory (RFC 8615): ACME HTTP-01
/// challenges (RFC 8555 §8.3), security.txt (RFC 9116) and similar protocols require it to be
/// reachable. Only the segment ".well-known" itself is exempt, and only as the first segment,
/// because RFC 8615 defines well-known URIs at the root of the origin only; a "/sub/.well-known/x"
/// is just another dot-directory and stays hidden.
/// </para>
/// <para>
/// Dot-segments below .well-known stay hidden too ("/.well-known/.htaccess"): the registered
/// well-known names and ACME tokens (base64url, which has no '.') never start with '.', so nothing
/// legitimate is lost and a stray dotfile in that directory is still protected.
/// </para>
/// </remarks>
internal static class HiddenPaths
{
    private static ReadOnlySpan<byte> WellKnown => ".well-known"u8;

    /// <param name="normalizedPath">Decoded and normalised: starts with '/', no "." or ".." segments
    /// (were one to slip through, it starts with '.' and is reported hidden).</param>
    public static bool IsHidden(ReadOnlySpan<byte> normalizedPath)
    {
        ReadOnlySpan<byte> rest = normalizedPath;
        if (!rest.IsEmpty && rest[0] == (byte)'/')
        {
            rest = rest[1..];
        }

        // Skip the exempt first segment, keeping the '/' after it so the scan below still sees
        // the segments under it.
        if (rest.StartsWith(WellKnown) && (rest.Length == WellKnown.Length || rest[WellKnown.Length] == (byte)'/'))
        {
            rest = rest[WellKnown.Length..];
        }
        else if (!rest.IsEmpty && rest[0] == (byte)'.')
        {
            return true;
        }

        // Every later segment starts right after a '/'; IndexOf is vectorised.
        return rest.IndexOf("/."u8) >= 0;
    }
}
