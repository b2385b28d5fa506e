namespace StaticD.Hosting;

/// <summary>A configuration problem an operator must fix. <see cref="Key"/> is the full configuration path
/// (e.g. <c>StaticD:Port</c>) or null for problems with the file as a whole. Loading stops at a site's first
/// problem but goes on to the next site, so one exception may carry several (<see cref="Others"/>): every
/// broken site is named in one run of <c>--check-config</c>.</summary>
internal sealed class ConfigException(string? key, string problem) : Exception(problem)
{
    public string? Key { get; } = key;

    /// <summary>Further problems found in the same load, each with its own key.</summary>
    public IReadOnlyList<ConfigException> Others { get; private init; } = [];

    /// <summary>One exception for a list of problems (at least one), the first leading.</summary>
    public static ConfigException Combine(IReadOnlyList<ConfigException> problems) =>
        problems.Count == 1 ? problems[0] : new ConfigException(problems[0].Key, problems[0].Message) { Others = [.. problems.Skip(1)] };

    /// <summary>The environment variable the bad value came from (<c>StaticD__Port</c>), or null for the file.</summary>
    public string? EnvironmentVariable { get; private init; }

    /// <summary>This problem (and the others) with the environment variable behind each key, where there is one.</summary>
    public ConfigException Attributed(ConfigTree tree) => new(Key, Message)
    {
        EnvironmentVariable = tree.EnvironmentVariableOf(Key),
        Others = [.. Others.Select(o => o.Attributed(tree))],
    };

    /// <summary>What is printed on stderr before exiting with EX_CONFIG: one line per problem.</summary>
    public string Format(string file) =>
        string.Join("\n", new[] { this }.Concat(Others).Select(p => p.FormatOne(file)));

    private string FormatOne(string file) => OneLine(
        EnvironmentVariable is not null ? $"staticd: environment variable {EnvironmentVariable}: {Message}"
        : Key is null ? $"staticd: {file}: {Message}"
        : $"staticd: {file}: {Key}: {Message}");

    /// <summary>The message is one line even when the bad value held line breaks or control characters.</summary>
    internal static string OneLine(string text) =>
        string.Concat(text.Select(c => char.IsControl(c) ? $"\\x{(int)c:x2}" : c.ToString()));
}
