namespace StaticD.Hosting;

/// <summary>A configuration problem an operator must fix. <see cref="Key"/> is the full configuration path
/// (e.g. <c>StaticD:Port</c>) or null for problems with the file as a whole.</summary>
internal sealed class ConfigException(string? key, string problem) : Exception(problem)
{
    public string? Key { get; } = key;

    /// <summary>The one line printed on stderr before exiting with EX_CONFIG.</summary>
    public string Format(string file) =>
        OneLine(Key is null ? $"staticd: {file}: {Message}" : $"staticd: {file}: {Key}: {Message}");

    /// <summary>The message is one line even when the bad value held line breaks or control characters.</summary>
    private static string OneLine(string text) =>
        string.Concat(text.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));
}
