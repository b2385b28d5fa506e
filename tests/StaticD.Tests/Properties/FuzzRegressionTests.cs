using Xunit;

namespace StaticD.Tests.Properties;

/// <summary>
/// Replays every input the fuzzer ever flagged (Properties/FuzzCrashes/, written by tests/fuzz/run.sh) and every
/// seed of the fuzz corpus (tests/fuzz/corpus/) through the same invariants the fuzzer enforces. Input format:
/// the first byte picks the parser limits (<see cref="ParserInvariants.Limits"/>), the rest is the request.
/// </summary>
public class FuzzRegressionTests
{
    public static TheoryData<string> Inputs()
    {
        var data = new TheoryData<string>();
        var root = RepositoryRoot();
        foreach (var dir in new[] { "tests/StaticD.Tests/Properties/FuzzCrashes", "tests/fuzz/corpus" })
        {
            var full = Path.Combine(root, dir);
            if (!Directory.Exists(full))
            {
                continue;
            }

            foreach (var file in Directory.GetFiles(full).Where(f => !f.EndsWith(".md", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetRelativePath(root, file));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void FuzzInput_SatisfiesTheInvariants(string relativePath)
    {
        var bytes = File.ReadAllBytes(Path.Combine(RepositoryRoot(), relativePath));
        ParserInvariants.CheckFuzzInput(bytes);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StaticD.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("StaticD.sln not found above " + AppContext.BaseDirectory);
    }
}
