using System.Text.RegularExpressions;
using Xunit;

namespace StaticD.Tests.Site;

/// <summary>The sample site's page tells how `make run` is configured, so it must name what the Makefile really sets.</summary>
public partial class SamplePageTests
{
    [GeneratedRegex(@"\b(StaticD__\w+)=")]
    private static partial Regex EnvironmentAssignment();

    [Fact]
    public void PageNamesTheVariablesMakeRunSets()
    {
        string root = RepositoryRoot();
        string[] makefile = File.ReadAllLines(Path.Combine(root, "Makefile"));
        int run = Array.FindIndex(makefile, l => l.StartsWith("run:", StringComparison.Ordinal));
        Assert.True(run >= 0, "Makefile has no run target");
        string recipe = string.Join("\n", makefile.Skip(run + 1).TakeWhile(l => l.StartsWith('\t')));
        string[] variables = [.. EnvironmentAssignment().Matches(recipe).Select(m => m.Groups[1].Value)];
        Assert.NotEmpty(variables);

        string page = File.ReadAllText(Path.Combine(root, "sample-site", "index.html"));
        foreach (string variable in variables)
        {
            Assert.Contains(variable, page);
        }
    }

    private static string RepositoryRoot()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "StaticD.sln")))
            {
                return dir;
            }
        }

        throw new InvalidOperationException("StaticD.sln not found above " + AppContext.BaseDirectory);
    }
}
