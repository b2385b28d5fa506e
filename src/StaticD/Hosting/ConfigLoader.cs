using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Serilog.Events;

namespace StaticD.Hosting;

/// <summary>Reads the configuration file (plus environment overrides, StaticD__Port=8081, the usual .NET way),
/// at start-up and again on every reload, turning the provider's exceptions into one line that names the file
/// and, for broken JSON, the position.</summary>
internal static class ConfigLoader
{
    /// <summary>The one key read outside the StaticD section.</summary>
    public const string LogLevelKey = "Logging:LogLevel:Default";

    public static IConfigurationRoot Load(string path) => Parse(Read(path));

    /// <summary>The file's bytes, as they are now (what <see cref="Parse"/> then checks and loads).</summary>
    public static byte[] Read(string path)
    {
        if (!File.Exists(path))
            throw new ConfigException(null, Directory.Exists(path)
                ? "is a directory; expected a JSON configuration file"
                : "cannot read the configuration file: it does not exist");
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException(null, $"cannot read the configuration file: {ex.Message}");
        }
    }

    /// <summary>A configuration file's text (checked first, so broken JSON is reported with its position) plus
    /// the environment's overrides.</summary>
    public static IConfigurationRoot Parse(byte[] text)
    {
        if (JsonDiagnostics.Problem(text) is string problem) throw new ConfigException(null, problem);
        try
        {
            var json = new OpenJsonSource { Stream = new MemoryStream(text, writable: false) };
            return new ConfigurationBuilder().Add(json).Add(new OpenEnvironmentSource()).Build();
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or JsonException or IOException or UnauthorizedAccessException)
        {
            for (Exception? e = ex; e is not null; e = e.InnerException)
            {
                // JsonDiagnostics has looked at the text first; this is only a safety net, without the library's words.
                if (e is JsonException json)
                    throw new ConfigException(null, $"invalid JSON at line {json.LineNumber + 1}: this is not valid JSON here");
            }
            throw new ConfigException(null, $"cannot read the configuration file: {FirstSentence((ex.InnerException ?? ex).Message)}");
        }
    }

    private static string FirstSentence(string message)
    {
        int end = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (end > 0 ? message[..end] : message).Trim();
    }

    /// <summary><c>Logging:LogLevel:Default</c> (Microsoft.Extensions.Logging names), mapped to Serilog's levels.</summary>
    public static LogEventLevel ReadLogLevel(IConfiguration configuration)
    {
        ConfigTree tree = ConfigTree.From(configuration);
        try
        {
            return ReadLogLevel(tree);
        }
        catch (ConfigException ex)
        {
            throw ex.Attributed(tree);
        }
    }

    private static LogEventLevel ReadLogLevel(ConfigTree configuration)
    {
        const string Key = LogLevelKey;
        string? value = configuration[Key];
        return value?.Trim().ToLowerInvariant() switch
        {
            null or "" or "information" => LogEventLevel.Information,
            "trace" => LogEventLevel.Verbose,
            "debug" => LogEventLevel.Debug,
            "warning" => LogEventLevel.Warning,
            "error" => LogEventLevel.Error,
            "critical" => LogEventLevel.Fatal,
            // Serilog has no "off": one above Fatal lets nothing through.
            "none" => LogEventLevel.Fatal + 1,
            _ => throw new ConfigException(Key, $"\"{value}\" is not allowed; expected Trace, Debug, Information, Warning, Error, Critical or None"),
        };
    }
}
