using System.Text;

namespace StaticD.Site;

/// <summary>
/// Picks the Cache-Control value (RFC 9111 §5.2) for a response. Values are validated and encoded
/// once, when the configuration is loaded; <see cref="For"/> only compares bytes.
/// </summary>
/// <remarks>
/// <para>Rules are checked in order and the first match wins:</para>
/// <list type="number">
/// <item>path rules (<see cref="PathPattern"/>), in configuration order;</item>
/// <item>content-type rules, in configuration order: an exact media type ("text/html"), a type
/// prefix ("image/*") or "*/*", compared case-insensitively (RFC 9110 §8.3.1) with the media type of
/// the response, i.e. the Content-Type up to any ';';</item>
/// <item>the built-in defaults:
///   <list type="bullet">
///   <item>a fingerprinted path (<see cref="HashedNames.IsFingerprintedPath"/>): a file name carrying
///   the content hash that Vite/Rollup/Rolldown ("index-CJ-nxh_-.css", 8 base64url characters),
///   esbuild ("app-5XQZ2JDN.js", 8 base32), webpack, Create React App, Parcel and Next.js
///   ("main.3f9a1c2b.chunk.js", 8 to 20 hex digits) write, or anything under "/_next/static/"
///   (Next.js's chunks, CSS, media and build-ID directories) → "public, max-age=31536000, immutable":
///   its URL changes whenever its bytes do, so it can be cached for a year (RFC 9111 §5.2.2.1) and
///   never revalidated (immutable, RFC 8246). Names that only look like words ("my-app-settings.js",
///   "UserCard", "report.20240131.pdf") are not taken for hashes: a wrong guess would pin a mutable
///   file for a year, a missed hash only costs an hour;</item>
///   <item>text/html → "no-cache": pages are the entry points that reference hashed assets and
///   must be revalidated on every use (RFC 9111 §5.2.2.4) or a deploy would not be seen;</item>
///   <item>everything else → "public, max-age=3600", or the configured default: an hour bounds how
///   long an unversioned file can be stale after a deploy.</item>
///   </list>
/// </item>
/// </list>
/// <para>The configured default replaces only that last catch-all; hashed names and HTML keep their
/// built-in values unless a path or content-type rule says otherwise.</para>
/// </remarks>
internal sealed class CacheRules
{
    private static readonly byte[] ImmutableValue = "public, max-age=31536000, immutable"u8.ToArray();
    private static readonly byte[] HtmlValue = "no-cache"u8.ToArray();
    private static readonly byte[] BuiltInDefaultValue = "public, max-age=3600"u8.ToArray();

    private readonly (PathPattern Pattern, byte[] Value)[] _pathRules;

    // MediaType is lower-case: the full type, or "type/" for a prefix rule ("image/*"), or "" for "*/*".
    private readonly (byte[] MediaType, bool IsPrefix, byte[] Value)[] _typeRules;
    private readonly byte[] _default;

    private CacheRules((PathPattern, byte[])[] pathRules, (byte[], bool, byte[])[] typeRules, byte[] defaultValue)
    {
        _pathRules = pathRules;
        _typeRules = typeRules;
        _default = defaultValue;
    }

    /// <summary>Only the built-in defaults.</summary>
    public static CacheRules Default { get; } = new([], [], BuiltInDefaultValue);

    /// <summary>
    /// Compiles the rules. On invalid input, <paramref name="error"/> names the offending pattern,
    /// media type or value, and the result is <see cref="Default"/> (never null, so a caller that
    /// checks the error cannot be handed a half-built rule set).
    /// </summary>
    /// <param name="defaultCacheControl">Replaces the built-in catch-all "public, max-age=3600"; null keeps it.</param>
    public static CacheRules Create(
        IReadOnlyList<(string Pattern, string CacheControl)> pathRules,
        IReadOnlyList<(string ContentType, string CacheControl)> typeRules,
        string? defaultCacheControl,
        out string? error)
    {
        ArgumentNullException.ThrowIfNull(pathRules);
        ArgumentNullException.ThrowIfNull(typeRules);

        var paths = new (PathPattern, byte[])[pathRules.Count];
        for (int i = 0; i < paths.Length; i++)
        {
            (string pattern, string value) = pathRules[i];
            if (!PathPattern.TryCompile(pattern, out PathPattern? compiled, out string? patternError))
            {
                error = $"path pattern \"{pattern}\" is invalid: {patternError}";
                return Default;
            }

            if (!TryEncodeValue(value, $"path \"{pattern}\"", out byte[]? encoded, out error))
            {
                return Default;
            }

            paths[i] = (compiled, encoded);
        }

        var types = new (byte[], bool, byte[])[typeRules.Count];
        for (int i = 0; i < types.Length; i++)
        {
            (string type, string value) = typeRules[i];
            if (!TryParseMediaRange(type, out byte[]? mediaType, out bool isPrefix))
            {
                error = $"content type \"{type}\" is invalid: expected a media type such as \"text/html\", a prefix such as \"image/*\", or \"*/*\"";
                return Default;
            }

            if (!TryEncodeValue(value, $"content type \"{type}\"", out byte[]? encoded, out error))
            {
                return Default;
            }

            types[i] = (mediaType, isPrefix, encoded);
        }

        byte[] fallback = BuiltInDefaultValue;
        if (defaultCacheControl is not null)
        {
            if (!TryEncodeValue(defaultCacheControl, "the default", out byte[]? configured, out error))
            {
                return Default;
            }

            fallback = configured;
        }

        error = null;
        return new CacheRules(paths, types, fallback);
    }

    /// <summary>
    /// The Cache-Control value for a response.
    /// </summary>
    /// <param name="normalizedPath">The decoded, normalised request path of the file being sent
    /// (not of a pre-compressed variant).</param>
    /// <param name="contentType">The Content-Type as sent, parameters included ("text/html; charset=utf-8").</param>
    public ReadOnlySpan<byte> For(scoped ReadOnlySpan<byte> normalizedPath, scoped ReadOnlySpan<byte> contentType)
    {
        foreach ((PathPattern pattern, byte[] value) in _pathRules)
        {
            if (pattern.IsMatch(normalizedPath))
            {
                return value;
            }
        }

        ReadOnlySpan<byte> mediaType = MediaTypeOf(contentType);
        foreach ((byte[] type, bool isPrefix, byte[] value) in _typeRules)
        {
            bool match = isPrefix
                ? mediaType.Length >= type.Length && Ascii.EqualsIgnoreCase(mediaType[..type.Length], type)
                : Ascii.EqualsIgnoreCase(mediaType, type);
            if (match)
            {
                return value;
            }
        }

        if (HashedNames.IsFingerprintedPath(normalizedPath))
        {
            return ImmutableValue;
        }

        return Ascii.EqualsIgnoreCase(mediaType, "text/html"u8) ? HtmlValue : _default;
    }

    /// <summary>The media type of a Content-Type value: what precedes any ';', without surrounding whitespace.</summary>
    private static ReadOnlySpan<byte> MediaTypeOf(ReadOnlySpan<byte> contentType)
    {
        int semicolon = contentType.IndexOf((byte)';');
        ReadOnlySpan<byte> type = semicolon < 0 ? contentType : contentType[..semicolon];
        return type.Trim(" \t"u8);
    }

    /// <summary>"type/subtype", "type/*" or "*/*" (RFC 9110 §8.3.1, §12.5.1), both parts tokens.</summary>
    private static bool TryParseMediaRange(string value, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? mediaType, out bool isPrefix)
    {
        mediaType = null;
        isPrefix = false;
        string trimmed = value?.Trim(' ', '\t') ?? "";
        int slash = trimmed.IndexOf('/');
        if (slash <= 0 || slash == trimmed.Length - 1)
        {
            return false;
        }

        string type = trimmed[..slash], subtype = trimmed[(slash + 1)..];
        if (!IsToken(type) || !IsToken(subtype))
        {
            return false;
        }

        if (type == "*")
        {
            if (subtype != "*")
            {
                return false;
            }

            mediaType = [];
            isPrefix = true;
            return true;
        }

        if (subtype == "*")
        {
            mediaType = Encoding.ASCII.GetBytes(type.ToLowerInvariant() + "/");
            isPrefix = true;
            return true;
        }

        mediaType = Encoding.ASCII.GetBytes(trimmed.ToLowerInvariant());
        return true;
    }

    /// <summary>
    /// Validates a configured Cache-Control value against RFC 9111 §5.2
    /// (<c>Cache-Control = #cache-directive</c>, <c>cache-directive = token [ "=" ( token / quoted-string ) ]</c>)
    /// and encodes it. Leading and trailing whitespace is dropped (a field value has none, RFC 9110 §5.5).
    /// Stricter than a recipient must be: printable ASCII only (no obs-text, no tabs), no empty list
    /// elements, no whitespace around '=', and the delta-seconds directives must carry digits
    /// (RFC 9111 §1.2.2), which catches "max-age=1h".
    /// </summary>
    private static bool TryEncodeValue(string? value, string context, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? encoded, out string? error)
    {
        encoded = null;
        string v = value?.Trim(' ', '\t') ?? "";
        string? reason = v.Length == 0 ? "it is empty" : CacheControlSyntaxError(v);
        if (reason is not null)
        {
            error = $"Cache-Control value \"{value}\" for {context} is invalid: {reason}";
            return false;
        }

        encoded = Encoding.ASCII.GetBytes(v);
        error = null;
        return true;
    }

    private static string? CacheControlSyntaxError(string v)
    {
        foreach (char c in v)
        {
            if (c < ' ' || c > '~')
            {
                return "only printable ASCII is allowed";
            }
        }

        int i = 0;
        while (true)
        {
            int nameStart = i;
            while (i < v.Length && IsTChar(v[i]))
            {
                i++;
            }

            if (i == nameStart)
            {
                return $"expected a directive name at position {i + 1}";
            }

            string name = v[nameStart..i];
            if (i < v.Length && v[i] == '=')
            {
                i++;
                int argumentStart = i;
                if (i < v.Length && v[i] == '"')
                {
                    i = Http.Tokens.SkipQuotedString(v, i);
                    if (i < 0)
                    {
                        return $"unterminated quoted string after \"{name}=\"";
                    }
                }
                else
                {
                    while (i < v.Length && IsTChar(v[i]))
                    {
                        i++;
                    }

                    if (i == argumentStart)
                    {
                        return $"\"{name}=\" has no argument";
                    }
                }

                if (IsDeltaSecondsDirective(name) && v.AsSpan(argumentStart, i - argumentStart).ContainsAnyExcept("0123456789"))
                {
                    return $"\"{name}\" takes a number of seconds in token form (e.g. {name}=3600)";
                }
            }
            else if (IsDeltaSecondsDirective(name))
            {
                return $"\"{name}\" needs a number of seconds (e.g. {name}=3600)";
            }

            while (i < v.Length && v[i] == ' ')
            {
                i++;
            }

            if (i == v.Length)
            {
                return null;
            }

            if (v[i] != ',')
            {
                return $"unexpected '{v[i]}' at position {i + 1}; directives are separated by commas";
            }

            i++;
            while (i < v.Length && v[i] == ' ')
            {
                i++;
            }
        }
    }

    // RFC 9111 §5.2.2.1, §5.2.2.10 and RFC 5861 §3-4: directives whose argument is delta-seconds.
    private static bool IsDeltaSecondsDirective(string name) =>
        name.Equals("max-age", StringComparison.OrdinalIgnoreCase)
        || name.Equals("s-maxage", StringComparison.OrdinalIgnoreCase)
        || name.Equals("stale-while-revalidate", StringComparison.OrdinalIgnoreCase)
        || name.Equals("stale-if-error", StringComparison.OrdinalIgnoreCase);

    private static bool IsToken(string s) => Http.Tokens.IsToken(s);

    private static bool IsTChar(char c) => Http.Tokens.IsTchar(c);
}
