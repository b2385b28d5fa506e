using System.Text.RegularExpressions;
using Xunit;

namespace StaticD.Tests.Architecture;

/// <summary>
/// The house plan, checked on the sources: which folder may use which (the arrows of docs/ARCHITECTURE.md run one
/// way), the only door to libc, where unsafe code may live, and the size of a file. A change that breaks the plan
/// fails here with the file and line, not in a review months later.
/// </summary>
public sealed partial class LayoutTests
{
    /// <summary>Folder → the folders its code may name. Hosting is the composition root and may name all.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Http"] = [],
        ["Interop"] = [],
        ["Site"] = ["Http", "Interop"],
        ["Files"] = ["Site", "Http", "Interop"],
        ["Logging"] = ["Interop"],
        ["Systemd"] = ["Interop"],
        ["Tls"] = ["Site", "Http", "Interop"],
        ["Net"] = ["Http", "Files", "Site", "Tls", "Logging", "Interop"],
        ["Acme"] = ["Tls", "Logging", "Interop"],
        ["Hosting"] = ["Acme", "Net", "Systemd", "Logging", "Site", "Files", "Tls", "Http", "Interop"],
    };

    private const int MaxLines = 450;

    private static readonly string Source = Path.Combine(RepositoryRoot(), "src", "StaticD");

    private static string RepositoryRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "StaticD.sln"))) return dir;
        }
        throw new InvalidOperationException("StaticD.sln not found above " + AppContext.BaseDirectory);
    }

    public static IEnumerable<object[]> SourceFiles() =>
        Directory.EnumerateFiles(Source, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") &&
                        !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
            .Select(f => new object[] { Path.GetRelativePath(Source, f) })
            .OrderBy(f => (string)f[0], StringComparer.Ordinal);

    private static string FolderOf(string relative) => relative.Split(Path.DirectorySeparatorChar)[0];

    /// <summary>Code lines only: comments and string literals may mention any folder.</summary>
    private static IEnumerable<(int Line, string Text)> CodeLines(string relative)
    {
        string[] lines = File.ReadAllLines(Path.Combine(Source, relative));
        for (int i = 0; i < lines.Length; i++)
        {
            string text = StringLiteral().Replace(lines[i], "\"\"");
            int comment = text.IndexOf("//", StringComparison.Ordinal);
            if (comment >= 0) text = text[..comment];
            yield return (i + 1, text);
        }
    }

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    // "using StaticD.Net;", "StaticD.Net.Listener", or a namespace-qualified "Net.Listener" / "Interop.Syscall"
    // (not "x.Site.Root": a member access is preceded by a dot).
    [GeneratedRegex(@"(?:\bStaticD\.|(?<![\w.]))(Acme|Files|Hosting|Http|Interop|Logging|Net|Site|Systemd)\.[A-Z]|\busing\s+StaticD\.(Acme|Files|Hosting|Http|Interop|Logging|Net|Site|Systemd)\s*;")]
    private static partial Regex FolderReference();

    [Fact]
    public void EveryFolderIsInThePlan()
    {
        foreach (object[] file in SourceFiles())
        {
            string relative = (string)file[0];
            if (!relative.Contains(Path.DirectorySeparatorChar)) Assert.Fail($"{relative}: every source file belongs in a folder of the plan");
            Assert.True(Allowed.ContainsKey(FolderOf(relative)), $"{relative}: folder {FolderOf(relative)} is not in the plan");
        }
    }

    [Theory]
    [MemberData(nameof(SourceFiles))]
    public void ArrowsRunOneWay(string relative)
    {
        string folder = FolderOf(relative);
        if (!Allowed.TryGetValue(folder, out string[]? allowed)) return; // reported by EveryFolderIsInThePlan
        foreach ((int line, string text) in CodeLines(relative))
        {
            foreach (Match m in FolderReference().Matches(text))
            {
                string target = m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value;
                Assert.True(target == folder || allowed.Contains(target),
                    $"{relative}:{line}: {folder} may not use {target} (allowed: {string.Join(", ", allowed)}): {text.Trim()}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(SourceFiles))]
    public void NamespaceMatchesFolder(string relative)
    {
        string expected = "namespace StaticD." + FolderOf(relative) + ";";
        Assert.Contains(expected, File.ReadAllText(Path.Combine(Source, relative)));
    }

    [Theory]
    [MemberData(nameof(SourceFiles))]
    public void OnlyInteropTalksToNativeCode(string relative)
    {
        if (FolderOf(relative) == "Interop") return;
        foreach ((int line, string text) in CodeLines(relative))
        {
            Assert.False(Regex.IsMatch(text, @"\bLibc\.|\[(LibraryImport|DllImport)\b|\bunsafe\b|\bfixed\s*\("),
                $"{relative}:{line}: libc, native imports and unsafe code belong in Interop/: {text.Trim()}");
        }
    }

    [Theory]
    [MemberData(nameof(SourceFiles))]
    public void FilesStaySmall(string relative)
    {
        int lines = File.ReadAllLines(Path.Combine(Source, relative)).Length;
        Assert.True(lines <= MaxLines, $"{relative}: {lines} lines; split it by concern (at most {MaxLines})");
    }
}
