using System.Text.RegularExpressions;
using StaticD.Hosting;
using Xunit;

namespace StaticD.Tests.Hosting;

/// <summary>
/// Every configuration key the loaders accept (their own key arrays, <see cref="HelpText.KeysInCode"/>) is
/// documented in the three places an operator looks: <c>staticd --help</c>, the configuration table of README.md
/// and the CONFIGURATION entries of docs/staticd.8. A key added to a loader fails here, naming where it is
/// missing, until it is described in all three; a documented key the code no longer has fails too.
/// </summary>
public sealed partial class ConfigKeyDocsTests
{
    private static string RepositoryRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "StaticD.sln"))) return dir;
        }
        throw new InvalidOperationException("StaticD.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The first column of the key table in --help.</summary>
    internal static List<string> HelpKeys(string help)
    {
        string[] lines = help.Split('\n');
        int start = Array.FindIndex(lines, l => l.StartsWith("Configuration keys", StringComparison.Ordinal));
        Assert.True(start >= 0, "--help has no \"Configuration keys\" table");
        return [.. lines.Skip(start + 2).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal))
            .Select(l => l.Trim().Split(' ')[0])];
    }

    /// <summary>`key` in the first cell of each row of the table under "## Configuration".</summary>
    internal static List<string> ReadmeKeys(string readme)
    {
        string[] lines = readme.Split('\n');
        int start = Array.FindIndex(lines, l => l.StartsWith("## Configuration", StringComparison.Ordinal));
        Assert.True(start >= 0, "README.md has no \"## Configuration\" section");
        return [.. lines.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal))
            .Select(l => ReadmeRow().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value)];
    }

    /// <summary>The ".TP / .B Key" entries of the CONFIGURATION section.</summary>
    internal static List<string> ManKeys(string man)
    {
        string[] lines = man.Split('\n');
        int start = Array.FindIndex(lines, l => l.TrimEnd() == ".SH CONFIGURATION");
        Assert.True(start >= 0, "docs/staticd.8 has no CONFIGURATION section");
        var keys = new List<string>();
        for (int i = start + 1; i + 1 < lines.Length && !lines[i].StartsWith(".SH", StringComparison.Ordinal); i++)
        {
            if (lines[i].TrimEnd() == ".TP" && lines[i + 1].StartsWith(".B ", StringComparison.Ordinal))
                keys.Add(lines[i + 1][3..].Trim().Replace("\\", "", StringComparison.Ordinal));
        }
        return keys;
    }

    [GeneratedRegex(@"^\|\s*`([^`]+)`")]
    private static partial Regex ReadmeRow();

    [Fact]
    public void EveryKeyInCodeIsDocumentedInHelpReadmeAndManPage()
    {
        IReadOnlyList<string> code = HelpText.KeysInCode();
        Assert.Contains("Port", code);
        Assert.Contains("Limits:MaxRanges", code);
        Assert.Contains("SpaFallback", code);
        Assert.Contains("Sites:*:Hosts", code);

        string root = RepositoryRoot();
        var places = new (string Name, List<string> Keys)[]
        {
            ("staticd --help", HelpKeys(HelpText.Full())),
            ("the descriptions of --help (HelpText.Described)", [.. HelpText.Described.Select(d => d.Key)]),
            ("README.md (the key table under \"Configuration\")", ReadmeKeys(File.ReadAllText(Path.Combine(root, "README.md")))),
            ("docs/staticd.8 (.TP/.B entries under CONFIGURATION)", ManKeys(File.ReadAllText(Path.Combine(root, "docs", "staticd.8")))),
        };
        var problems = new List<string>();
        foreach ((string name, List<string> keys) in places)
        {
            string[] missing = [.. code.Where(k => !keys.Contains(k))];
            string[] extra = [.. keys.Where(k => !code.Contains(k))];
            if (missing.Length > 0) problems.Add($"{name} is missing {string.Join(", ", missing)}");
            if (extra.Length > 0) problems.Add($"{name} documents keys the code does not have: {string.Join(", ", extra)}");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public void HelpTableHasOneLinePerKeyWithItsDefault()
    {
        string help = HelpText.Full();
        Assert.Equal(HelpText.KeysInCode().Order(StringComparer.Ordinal), HelpKeys(help).Order(StringComparer.Ordinal));
        Assert.Matches(@"\n  Limits:MaxRanges +16 +", help);
        Assert.Matches(@"\n  Port +\(required\) +", help);
        Assert.True(!help.Contains(" ? ", StringComparison.Ordinal), "a key in --help has no default or description: add it to HelpText.Described");
        Assert.All(help.Split('\n'), line => Assert.True(line.Length <= 120 && line == line.TrimEnd(), $"--help line longer than 120 characters or with trailing blanks: \"{line}\""));
    }

    [Fact]
    public void ParsersFindTheirKeys()
    {
        Assert.Equal(["Port", "Limits:MaxRanges"], ReadmeKeys("## Configuration\n| key | default | allowed |\n|---|---|---|\n| `Port` | x | y |\n| `Limits:MaxRanges` | 16 | z |\n## Next\n| `Other` | a | b |\n"));
        Assert.Equal(["Port", "Limits:MaxRanges"], ManKeys(".SH CONFIGURATION\ntext\n.B NotAKey\n.TP\n.B Port\nPort.\n.TP\n.B Limits:MaxRanges\nx\n.SH ENVIRONMENT\n.TP\n.B Other\n"));
    }
}
