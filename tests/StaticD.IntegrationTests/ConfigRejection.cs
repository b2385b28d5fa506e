using System.Text.Json.Nodes;
using Xunit;

namespace StaticD.IntegrationTests;

/// <summary>
/// A configuration staticd must refuse: one run of the binary on it (a start, or <c>--check-config</c>), exit
/// EX_CONFIG (78), and stderr lines of the form "staticd: FILE.json: KEY: problem". Shared by the sites, HTTPS and
/// ACME configuration-error tests, which differ only in the configurations they break.
/// </summary>
internal static class ConfigRejection
{
    public static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(15);

    /// <summary>Runs staticd once on <paramref name="section"/>, written next to <paramref name="root"/> (never inside
    /// it): with <c>--check-config</c> when <paramref name="checkOnly"/>, else as a start that must end by itself.</summary>
    public static async Task<(ProcessResult Result, string Path)> RunAsync(WebRoot root, JsonObject section, bool checkOnly,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        string path = StaticDProcess.WriteConfig(root, StaticDProcess.ConfigText(section.DeepClone().AsObject()));
        string[] args = checkOnly ? ["--check-config", "--config", path] : ["--config", path];
        ProcessResult r = await ChildProcess.RunAsync(StaticDProcess.BinaryPath, args, ExitTimeout,
            StaticDProcess.Options(environment, root.BasePath, ExitTimeout));
        Assert.False(r.TimedOut, $"{Mode(checkOnly)}: staticd kept running with a bad configuration\n{r}");
        return (r, path);
    }

    /// <summary>Exit 78, and the non-empty stderr lines, each of which names the config file.</summary>
    public static async Task<string[]> LinesAsync(WebRoot root, JsonObject section, bool checkOnly)
    {
        (ProcessResult r, string path) = await RunAsync(root, section, checkOnly);
        Assert.True(r.ExitCode == 78, $"{Mode(checkOnly)}: expected EX_CONFIG (78)\n{r}");
        string[] lines = [.. r.StderrLines.Where(l => !string.IsNullOrWhiteSpace(l))];
        Assert.All(lines, l => Assert.True(l.StartsWith($"staticd: {path}: ", StringComparison.Ordinal), $"{Mode(checkOnly)}: line does not start with staticd: {path}: {l}"));
        return lines;
    }

    /// <summary>Exactly one line, naming <paramref name="key"/> right after the file, and saying every fragment
    /// (compared with <paramref name="comparison"/>).</summary>
    public static async Task<string> OneLineAsync(WebRoot root, JsonObject section, bool checkOnly, string key,
        StringComparison comparison, params string[] fragments)
    {
        string[] lines = await LinesAsync(root, section, checkOnly);
        string mode = Mode(checkOnly);
        Assert.True(lines.Length == 1, $"{mode}: expected one line, got:\n{string.Join('\n', lines)}");
        Assert.True(lines[0].Contains($".json: {key}: ", StringComparison.Ordinal), $"{mode}: the line does not name the key {key}: {lines[0]}");
        foreach (string f in fragments) Assert.True(lines[0].Contains(f, comparison), $"{mode}: the line does not say '{f}': {lines[0]}");
        return lines[0];
    }

    private static string Mode(bool checkOnly) => checkOnly ? "--check-config" : "start";
}
