using System.Text;

namespace StaticD.Site;

/// <summary>
/// A list of media types as an operator writes them ("text/*", "application/json"), matched against a
/// Content-Type value without its parameters. Decides which files are worth compressing: images, media, fonts in
/// compressed formats and archives are compressed already.
/// </summary>
internal sealed class MediaTypeList
{
    /// <summary>Types that compress well; also the types whose precompressed sidecars are worth probing for.</summary>
    public static readonly string[] DefaultTypes =
    [
        "text/*", "application/javascript", "application/json", "application/manifest+json", "application/ld+json",
        "application/xml", "application/xhtml+xml", "application/rss+xml", "application/atom+xml", "application/wasm",
        "image/svg+xml", "image/x-icon", "image/vnd.microsoft.icon", "image/bmp", "font/ttf", "font/otf",
        "application/vnd.ms-fontobject",
    ];

    public static readonly MediaTypeList Default = new(DefaultTypes);

    // "text/*" is kept as the prefix "text/"; an exact type as itself.
    private readonly byte[][] _prefixes;
    private readonly byte[][] _exact;

    public MediaTypeList(IEnumerable<string> types)
    {
        var prefixes = new List<byte[]>();
        var exact = new List<byte[]>();
        foreach (string type in types)
        {
            string lower = type.Trim().ToLowerInvariant();
            if (lower.EndsWith("/*", StringComparison.Ordinal)) prefixes.Add(Encoding.ASCII.GetBytes(lower[..^1]));
            else exact.Add(Encoding.ASCII.GetBytes(lower));
        }
        _prefixes = [.. prefixes];
        _exact = [.. exact];
    }

    /// <summary>"type/subtype" or "type/*": what <see cref="MediaTypeList"/> accepts as an entry.</summary>
    public static bool IsPattern(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return false;
        int slash = value.IndexOf('/');
        if (slash <= 0 || slash == value.Length - 1 || value.IndexOf('/', slash + 1) >= 0) return false;
        string type = value[..slash], subtype = value[(slash + 1)..];
        return Http.Tokens.IsToken(type) && type != "*" && (subtype == "*" || Http.Tokens.IsToken(subtype));
    }

    /// <summary>Whether <paramref name="contentType"/> (a Content-Type value, parameters allowed) is listed.</summary>
    public bool Matches(ReadOnlySpan<byte> contentType)
    {
        int semicolon = contentType.IndexOf((byte)';');
        ReadOnlySpan<byte> type = (semicolon < 0 ? contentType : contentType[..semicolon]).TrimEnd((byte)' ');
        foreach (byte[] prefix in _prefixes)
        {
            if (type.Length > prefix.Length && System.Text.Ascii.EqualsIgnoreCase(type[..prefix.Length], prefix)) return true;
        }
        foreach (byte[] exact in _exact)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(type, exact)) return true;
        }
        return false;
    }
}
