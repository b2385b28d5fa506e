using Microsoft.Extensions.Configuration;
using StaticD.Site;

namespace StaticD.Hosting;

/// <summary>
/// Reads a site's <c>Cors</c> object: <c>{ "Origins": ["https://app.example.com"] | ["*"], "MaxAge": 600,
/// "Credentials": false }</c>. The object is inherited whole: a site that sets <c>Cors</c> replaces the top-level
/// one (<c>"Cors": null</c> or an empty <c>Origins</c> turns it off), since merging two origin lists by position
/// would mean neither.
/// </summary>
internal static class CorsConfig
{
    private static readonly string[] Keys = ["Origins", "MaxAge", "Credentials"];

    /// <summary>Browsers cap the preflight cache (Chromium 2 hours, Firefox 24 hours); a day is the most that means anything.</summary>
    public const int MaxMaxAge = 86400;

    public const int DefaultMaxAge = 600;

    public static CorsPolicy? Load(IConfigurationSection section)
    {
        if (section.Value is { Length: > 0 })
            throw new ConfigException(section.Path, $"\"{section.Value}\" is a single value; expected an object such as {{ \"Origins\": [\"https://app.example.com\"], \"MaxAge\": 600, \"Credentials\": false }}");
        if (!section.GetChildren().Any()) return null; // absent, or "Cors": null
        ServerOptions.RejectUnknownKeys(section, Keys);
        bool credentials = ConfigReader.Bool(section, "Credentials", false);
        int maxAge = ConfigReader.Int(section, "MaxAge", 0, MaxMaxAge, required: false, fallback: DefaultMaxAge);
        IConfigurationSection list = section.GetSection("Origins");
        if (!section.GetChildren().Any(c => c.Key.Equals("Origins", StringComparison.OrdinalIgnoreCase)))
            throw new ConfigException(list.Path, "missing; expected a list of origins such as [\"https://app.example.com\"], or [\"*\"] for any");
        List<(string Path, string? Value)> entries = [];
        if (list.Value is { Length: > 0 }) entries.Add((list.Path, list.Value)); // one string: a list of one
        foreach (IConfigurationSection child in list.GetChildren()) entries.Add((child.Path, child.Value));
        if (entries.Count == 0) return null; // "Origins": [] turns CORS off for this site
        CorsPolicy? policy = CorsPolicy.Create([.. entries.Select(e => e.Value)], credentials, maxAge, out string? error, out int index);
        if (policy is not null) return policy;
        string key = index >= 0 ? entries[index].Path
            : credentials && entries.Any(e => e.Value == "*") && entries.All(e => e.Value == "*") ? section.Path + ":Credentials"
            : list.Path;
        throw new ConfigException(key, error!);
    }
}
