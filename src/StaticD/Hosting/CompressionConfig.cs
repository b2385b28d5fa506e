using Microsoft.Extensions.Configuration;
using StaticD.Files;
using StaticD.Http;
using StaticD.Site;

namespace StaticD.Hosting;

/// <summary>
/// Reads <c>StaticD:Compression</c>. The top level holds every key; a site may set only <c>Enabled</c> and
/// <c>Types</c> (the rest — codings, sizes, the cache — is one per server, since the cache is shared).
/// </summary>
internal static class CompressionConfig
{
    internal static readonly string[] Keys = ["Enabled", "Encodings", "MinBytes", "MaxBytes", "Types", "CacheBytes", "CacheDirectory"];
    internal static readonly string[] SiteKeys = ["Enabled", "Types"];

    private const string AllowedEncodings = "expected a list of one or more of \"zstd\", \"br\", \"gzip\" in order of preference";

    /// <summary>The server-wide settings (whatever Enabled says: a site may turn compression on for itself).</summary>
    public static CompressionSettings Load(IConfigurationSection section)
    {
        var defaults = new CompressionSettings();
        if (!section.Exists()) return defaults;
        RequireObject(section);
        ServerOptions.RejectUnknownKeys(section, Keys);
        long min = ConfigReader.Long(section, "MinBytes", 1, 1L << 30, defaults.MinBytes);
        long max = ConfigReader.Long(section, "MaxBytes", 1, 1L << 30, defaults.MaxBytes);
        if (max < min)
            throw new ConfigException(section.Path + ":MaxBytes", $"\"{max}\" is not allowed; expected at least MinBytes ({min})");
        return new CompressionSettings
        {
            Encodings = ReadEncodings(section.GetSection("Encodings")) ?? defaults.Encodings,
            MinBytes = min,
            MaxBytes = max,
            // At least the largest file that may be compressed: a smaller budget could hold no result of one.
            CacheBytes = ConfigReader.Long(section, "CacheBytes", 4096, long.MaxValue, defaults.CacheBytes),
            CacheDirectory = ReadDirectory(section.GetSection("CacheDirectory")),
        };
    }

    /// <summary>A site's (or the top level's) Enabled and Types, the site's own winning over the top level's.</summary>
    public static (bool Enabled, MediaTypeList Types) LoadSite(IConfigurationSection section, IConfigurationSection? defaults)
    {
        IConfigurationSection own = section.GetSection("Compression");
        if (defaults is not null && own.Exists())
        {
            RequireObject(own);
            foreach (IConfigurationSection child in own.GetChildren())
            {
                if (!SiteKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                    throw new ConfigException(child.Path, Keys.Contains(child.Key, StringComparer.OrdinalIgnoreCase)
                        ? $"\"{child.Key}\" is server-wide and cannot be set per site; set it once in the top-level Compression"
                        : $"unknown key; allowed keys per site are {string.Join(", ", SiteKeys)}");
            }
        }
        IConfigurationSection top = defaults?.GetSection("Compression") ?? own;
        IConfigurationSection Pick(string key) => own.GetSection(key).Exists() ? own : top;
        bool enabled = ConfigReader.Bool(Pick("Enabled"), "Enabled", true);
        IConfigurationSection types = Pick("Types").GetSection("Types");
        return (enabled, types.Exists() ? ReadTypes(types) : MediaTypeList.Default);
    }

    private static void RequireObject(IConfigurationSection section)
    {
        if (section.Value is { Length: > 0 })
            throw new ConfigException(section.Path, $"\"{section.Value}\" is not allowed; expected an object such as {{ \"Enabled\": true }}");
    }

    private static ContentCoding[]? ReadEncodings(IConfigurationSection section)
    {
        if (!section.Exists()) return null;
        var codings = new List<ContentCoding>();
        foreach (IConfigurationSection entry in section.GetChildren())
        {
            ContentCoding coding = entry.Value?.Trim().ToLowerInvariant() switch
            {
                "zstd" => ContentCoding.Zstd,
                "br" => ContentCoding.Brotli,
                "gzip" => ContentCoding.Gzip,
                _ => throw new ConfigException(entry.Path, $"\"{entry.Value}\" is not allowed; {AllowedEncodings}"),
            };
            if (codings.Contains(coding))
                throw new ConfigException(entry.Path, $"\"{entry.Value}\" is listed twice; {AllowedEncodings}");
            codings.Add(coding);
        }
        if (codings.Count == 0)
            throw new ConfigException(section.Path, $"empty; {AllowedEncodings} (set \"Enabled\": false to compress nothing)");
        return [.. codings];
    }

    private static MediaTypeList ReadTypes(IConfigurationSection section)
    {
        const string Allowed = "expected a list of media types such as [\"text/*\", \"application/json\"]";
        if (section.Value is { Length: > 0 }) throw new ConfigException(section.Path, $"\"{section.Value}\" is a single value; {Allowed}");
        var types = new List<string>();
        foreach (IConfigurationSection entry in section.GetChildren())
        {
            if (!MediaTypeList.IsPattern(entry.Value))
                throw new ConfigException(entry.Path, $"\"{entry.Value}\" is not a media type; {Allowed}");
            types.Add(entry.Value!);
        }
        return new MediaTypeList(types);
    }

    /// <summary>An absolute path, created if missing (systemd's CacheDirectory= creates it for the unit).</summary>
    private static string? ReadDirectory(IConfigurationSection entry)
    {
        if (string.IsNullOrEmpty(entry.Value)) return null;
        const string Allowed = "expected the absolute path of a directory staticd may write, e.g. \"/var/cache/staticd\", or null";
        if (!Path.IsPathFullyQualified(entry.Value))
            throw new ConfigException(entry.Path, $"\"{entry.Value}\" is not allowed; {Allowed}");
        try
        {
            Directory.CreateDirectory(entry.Value);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(entry.Path, $"\"{entry.Value}\" cannot be created: {ex.Message}; {Allowed}");
        }
        return Path.TrimEndingDirectorySeparator(entry.Value);
    }
}
