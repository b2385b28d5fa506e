using Microsoft.Extensions.Configuration;
using Serilog.Events;
using StaticD.Logging;
using StaticD.Net;

namespace StaticD.Hosting;

/// <summary>
/// The daemon's configuration at start: the file, or, when the file is invalid and the state directory holds a
/// last good copy (<see cref="LastGoodConfig"/>), that copy. Falling back is for starting only: <c>--check-config</c>
/// and a reload judge the file alone, as before. Every problem is written to stderr (priority 3 in the journal)
/// before the fallback is tried, so the broken file is never silent.
/// </summary>
internal static class StartupConfiguration
{
    /// <summary>What start-up serves with. <see cref="Text"/> is the file's bytes (saved as the next last good copy
    /// once serving); <see cref="FallbackReason"/> is set when the file was refused and the copy is in use.</summary>
    internal sealed record Result(ServerOptions Options, ServeContext Context, LogEventLevel Level, byte[] Text, string? FallbackReason);

    /// <summary>Null when neither the file nor a last good copy can be used (every reason already written).</summary>
    public static Result? Load(string configPath, string? stateDirectory)
    {
        ConfigException refused;
        try
        {
            byte[] text = ConfigLoader.Read(configPath);
            return Parse(text, configPath, null);
        }
        catch (ConfigException ex)
        {
            refused = ex;
        }
        ErrorOutput.Error(refused.Format(configPath));
        return stateDirectory is null ? null : Fallback(configPath, LastGoodConfig.PathIn(stateDirectory), refused);
    }

    private static Result? Fallback(string configPath, string copyPath, ConfigException refused)
    {
        LastGoodConfig? copy;
        try
        {
            copy = LastGoodConfig.Read(copyPath);
        }
        catch (FormatException ex)
        {
            ErrorOutput.Error($"staticd: {copyPath}: the last good configuration cannot be used: {ex.Message}");
            return null;
        }
        if (copy is null) return null; // never saved: exit exactly as without a state directory
        if (copy.ConfigFile != configPath)
        {
            ErrorOutput.Error($"staticd: {copyPath}: the last good configuration is a copy of {copy.ConfigFile}, not of {configPath}; not used");
            return null;
        }
        string saved = copy.SavedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        try
        {
            // Relative paths in the copy (a Root of "www") resolve against the original file's directory, as they
            // did when the copy was the file; errors name the copy.
            Result result = Parse(copy.Text, configPath, Reason(refused, configPath));
            ErrorOutput.Error($"staticd: {configPath} is invalid; serving with the last good configuration instead: {copyPath} (saved {saved})");
            return result;
        }
        catch (ConfigException ex)
        {
            ErrorOutput.Error($"staticd: the last good configuration, {copyPath} (saved {saved}), cannot be used either:\n{ex.Format(copyPath)}");
            return null;
        }
    }

    private static Result Parse(byte[] text, string configPath, string? fallbackReason)
    {
        IConfigurationRoot configuration = ConfigLoader.Parse(text);
        ServerOptions options = ServerOptions.Load(configuration, configPath);
        LogEventLevel level = ConfigLoader.ReadLogLevel(configuration);
        ServeContext context = StartupChecks.OpenContext(options);
        return new Result(options, context, level, text, fallbackReason);
    }

    /// <summary>The refusal in one line for systemd's STATUS=: the first problem, and how many more there are.</summary>
    internal static string Reason(ConfigException refused, string configPath)
    {
        string first = refused.Format(configPath).Split('\n')[0];
        if (first.StartsWith("staticd: ", StringComparison.Ordinal)) first = first["staticd: ".Length..];
        int more = refused.Others.Count;
        return more == 0 ? first : $"{first} (and {more} more {(more == 1 ? "problem" : "problems")})";
    }
}
