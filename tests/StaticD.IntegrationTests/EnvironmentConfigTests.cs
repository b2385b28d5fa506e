using System.Text.Json.Nodes;
using Xunit;

namespace StaticD.IntegrationTests;

/// <summary>A bad value from the environment (StaticD__Port=abc) is blamed on the environment variable, not on the
/// configuration file it overrides; the file's own mistakes still name the file.</summary>
public sealed class EnvironmentConfigTests : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);
    private readonly WebRoot _root = new();

    public EnvironmentConfigTests() => _root.AddFile("index.html", Site.IndexHtml);

    public void Dispose() => _root.Dispose();

    private async Task<ProcessResult> CheckAsync(Dictionary<string, string> environment)
    {
        var section = new JsonObject { ["Port"] = 8080, ["Root"] = _root.BasePath };
        string path = StaticDProcess.WriteConfig(_root, StaticDProcess.ConfigText(section));
        return await ChildProcess.RunAsync(StaticDProcess.BinaryPath, ["--config", path, "--check-config"], ExitTimeout,
            StaticDProcess.Options(environment, _root.BasePath, ExitTimeout));
    }

    [Theory]
    [InlineData("StaticD__Port", "abc", "staticd: environment variable StaticD__Port: \"abc\" is not allowed; expected an integer from 1 to 65535")]
    [InlineData("StaticD__Limits__MaxRanges", "0", "staticd: environment variable StaticD__Limits__MaxRanges: \"0\" is not allowed; expected an integer from 1 to 1000")]
    [InlineData("StaticD__Sites__0__Hosts__0", "bad name", "staticd: environment variable StaticD__Sites__0__Hosts__0: \"bad name\" is not allowed; expected a host name such as \"example.com\", a wildcard such as \"*.example.com\", or an IP address (labels of letters, digits, '-' and '_', up to 63 each)")]
    [InlineData("Logging__LogLevel__Default", "loud", "staticd: environment variable Logging__LogLevel__Default: \"loud\" is not allowed; expected Trace, Debug, Information, Warning, Error, Critical or None")]
    public async Task ABadValueFromTheEnvironmentNamesTheVariable(string name, string value, string line)
    {
        ProcessResult result = await CheckAsync(new() { [name] = value });
        Assert.Equal(78, result.ExitCode);
        Assert.Equal([line], result.StderrLines);
    }

    [Fact]
    public async Task AGoodValueFromTheEnvironmentOverridesTheFile()
    {
        ProcessResult result = await CheckAsync(new() { ["StaticD__Port"] = "8081" });
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
