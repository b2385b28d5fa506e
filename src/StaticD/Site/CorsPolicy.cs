using System.Text;
using StaticD.Http;

namespace StaticD.Site;

/// <summary>
/// A site's CORS preset (the Fetch standard's CORS protocol), compiled: the allowed origins as the bytes a browser sends in
/// Origin, and every response field pre-rendered, so a request costs a byte comparison per configured origin and a
/// copy. staticd only reads, so the preset only ever grants reading: methods GET, HEAD, OPTIONS.
/// </summary>
internal sealed class CorsPolicy
{
    /// <summary>Longest Access-Control-Request-Headers value echoed in a preflight. Browsers send a short list
    /// of lower-case names; anything longer is refused rather than copied into the head.</summary>
    public const int MaxEchoedHeaders = 512;

    private const string AllowOriginName = "Access-Control-Allow-Origin: ";

    private readonly byte[][] _origins;
    private readonly byte[][] _allowLines;

    private CorsPolicy(string[] origins, bool anyOrigin, bool credentials, int maxAge)
    {
        AnyOrigin = anyOrigin;
        Credentials = credentials;
        MaxAge = maxAge;
        string credentialsLine = credentials ? "Access-Control-Allow-Credentials: true\r\n" : "";
        _origins = [.. origins.Select(Encoding.ASCII.GetBytes)];
        _allowLines = anyOrigin
            ? [Encoding.ASCII.GetBytes(AllowOriginName + "*\r\n")]
            : [.. origins.Select(o => Encoding.ASCII.GetBytes(AllowOriginName + o + "\r\n" + credentialsLine))];
        PreflightFields = Encoding.ASCII.GetBytes($"Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\nAccess-Control-Max-Age: {maxAge}\r\n");
        PreflightVary = anyOrigin
            ? "Vary: Access-Control-Request-Method, Access-Control-Request-Headers\r\n"u8.ToArray()
            : "Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers\r\n"u8.ToArray();
    }

    /// <summary>"*": every origin, answered with "Access-Control-Allow-Origin: *" on every response (the same
    /// bytes whatever the Origin, so caches need no Vary).</summary>
    public bool AnyOrigin { get; }

    public bool Credentials { get; }

    public int MaxAge { get; }

    /// <summary>The origins as configured (normalised), "*" for any.</summary>
    public IReadOnlyList<string> Origins => AnyOrigin ? ["*"] : [.. _origins.Select(Encoding.ASCII.GetString)];

    /// <summary>Whether Access-Control-Allow-Origin depends on the request's Origin: then every response of the
    /// site says "Vary: Origin", those without a match included, or a cache could hand one origin's answer to
    /// another (the Fetch standard's note on CORS and HTTP caches).</summary>
    public bool VaryOrigin => !AnyOrigin;

    /// <summary>Access-Control-Allow-Methods and Access-Control-Max-Age lines of an accepted preflight.</summary>
    public byte[] PreflightFields { get; }

    /// <summary>The Vary line of every preflight answer: whether the ACA-* fields are there depends on these.</summary>
    public byte[] PreflightVary { get; }

    /// <summary>Which configured origin the request's Origin is (for <see cref="AllowLines"/>), or -1. The
    /// comparison is exact, byte for byte: a browser sends the serialized origin (lower-case scheme and host, no
    /// default port), which is the form the configuration was normalised to.</summary>
    public int Match(ReadOnlySpan<byte> origin, bool present)
    {
        if (AnyOrigin) return 0;
        if (!present) return -1;
        byte[][] origins = _origins;
        for (int i = 0; i < origins.Length; i++)
        {
            if (origin.SequenceEqual(origins[i])) return i;
        }
        return -1;
    }

    /// <summary>"Access-Control-Allow-Origin: …\r\n" for a <see cref="Match"/>, with
    /// "Access-Control-Allow-Credentials: true\r\n" when configured.</summary>
    public ReadOnlySpan<byte> AllowLines(int match) => _allowLines[match];

    /// <summary>Access-Control-Request-Method values a preflight is accepted for: the methods staticd answers
    /// (case-sensitive, RFC 9110 §9.1).</summary>
    public static bool IsAllowedMethod(ReadOnlySpan<byte> method) =>
        method.SequenceEqual("GET"u8) || method.SequenceEqual("HEAD"u8) || method.SequenceEqual("OPTIONS"u8);

    /// <summary>An Access-Control-Request-Headers value that may be echoed: a list of field names
    /// (#field-name: tokens, commas, spaces) no longer than <see cref="MaxEchoedHeaders"/>.</summary>
    public static bool CanEcho(ReadOnlySpan<byte> requestHeaders)
    {
        if (requestHeaders.Length > MaxEchoedHeaders) return false;
        foreach (byte b in requestHeaders)
        {
            if (!Tokens.IsTchar(b) && b is not ((byte)',' or (byte)' ' or (byte)'\t')) return false;
        }
        return true;
    }

    /// <summary>Compiles a preset; null with <paramref name="error"/> (and the index of the origin at fault, or -1
    /// when the problem is the combination) when it is not allowed.</summary>
    public static CorsPolicy? Create(IReadOnlyList<string?> origins, bool credentials, int maxAge, out string? error, out int errorIndex)
    {
        error = null;
        errorIndex = -1;
        var normalised = new List<string>();
        bool any = false;
        for (int i = 0; i < origins.Count; i++)
        {
            if (origins[i] == "*")
            {
                any = true;
                continue;
            }
            if (!TryParseOrigin(origins[i], out string origin, out error))
            {
                errorIndex = i;
                return null;
            }
            if (!normalised.Contains(origin)) normalised.Add(origin);
        }
        if (any && normalised.Count > 0)
        {
            error = "\"*\" allows every origin and cannot be listed with others; use either [\"*\"] or a list of origins";
            return null;
        }
        if (any && credentials)
        {
            // Fetch standard §3.2.5 (CORS protocol and credentials): with credentials, "Access-Control-Allow-Origin: *" fails, so the
            // combination cannot work; echoing any Origin instead would hand every site the user's cookies.
            error = "true is not allowed with \"Origins\": [\"*\"]: the Fetch standard forbids a wildcard origin with credentials; list the origins that may send credentials";
            return null;
        }
        return new CorsPolicy([.. normalised], any, credentials, maxAge);
    }

    /// <summary>A serialized origin (RFC 6454 §6.2, Fetch's "ASCII serialization"): scheme "://" host [":" port],
    /// nothing after. Scheme and host are lower-cased and a default port (http 80, https 443) dropped, the form a
    /// browser sends.</summary>
    public static bool TryParseOrigin(string? value, out string origin, out string error)
    {
        const string Expected = "expected \"*\" or an origin, scheme://host[:port] with no path, e.g. \"https://app.example.com\"";
        origin = "";
        error = "";
        if (value == "null")
        {
            error = $"\"null\" is the origin of sandboxed and file: documents, which anyone can create; {Expected}";
            return false;
        }
        int sep = value?.IndexOf("://", StringComparison.Ordinal) ?? -1;
        if (value is null || value.Length > HostTable.MaxNameLength + 32 || sep <= 0
            || !char.IsAsciiLetter(value[0]) || value[..sep].Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.')))
        {
            error = $"\"{value}\" is not an origin; {Expected}";
            return false;
        }
        string scheme = value[..sep].ToLowerInvariant();
        string authority = value[(sep + 3)..];
        if (authority.IndexOfAny(['/', '?', '#']) >= 0)
        {
            error = $"\"{value}\" has a path; an origin is scheme://host[:port] only (a browser's Origin never has one), e.g. \"https://app.example.com\"";
            return false;
        }
        if (authority.Any(c => c > 127) || !HostSyntax.IsValid(Encoding.ASCII.GetBytes(authority), requirePort: false))
        {
            error = $"\"{value}\" has no valid host[:port]; {Expected}";
            return false;
        }
        authority = authority.ToLowerInvariant();
        if (scheme == "https" && authority.EndsWith(":443", StringComparison.Ordinal)) authority = authority[..^4];
        else if (scheme == "http" && authority.EndsWith(":80", StringComparison.Ordinal)) authority = authority[..^3];
        origin = scheme + "://" + authority;
        return true;
    }
}
