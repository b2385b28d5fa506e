using System.Text.RegularExpressions;
using Xunit;

namespace StaticD.IntegrationTests;

public sealed class CommandLineTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Help_PrintsUsageAndExits0()
    {
        var r = await StaticDProcess.RunAsync(Timeout, "--help");

        Assert.False(r.TimedOut, r.ToString());
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.True(r.Stdout.Contains("--config", StringComparison.Ordinal), $"--help does not document --config\n{r}");
    }

    [Fact]
    public async Task Version_PrintsNameAndVersionAndExits0()
    {
        var r = await StaticDProcess.RunAsync(Timeout, "--version");

        Assert.False(r.TimedOut, r.ToString());
        Assert.True(r.ExitCode == 0, r.ToString());
        var line = r.Stdout.Split('\n').FirstOrDefault(l => l.Contains("staticd", StringComparison.OrdinalIgnoreCase));
        Assert.True(line is not null, $"no line mentions staticd\n{r}");
        Assert.True(Regex.IsMatch(line, @"\d+\.\d+"), $"'{line}' has no version number\n{r}");
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("-x")]
    [InlineData("--config-file")]
    public async Task UnknownOption_Exits64WithUsageOnStderr(string option)
    {
        var r = await StaticDProcess.RunAsync(Timeout, option);

        Assert.False(r.TimedOut, r.ToString());
        Assert.True(r.ExitCode == 64, $"expected EX_USAGE (64)\n{r}");
        Assert.True(r.Stderr.Contains("--config", StringComparison.Ordinal), $"stderr has no usage text\n{r}");
    }

    // --check-config is documented in the README and --help: validate, never serve.
    [Fact]
    public async Task CheckConfig_ValidConfiguration_Exits0WithoutServing()
    {
        using var root = new WebRoot();
        var port = StaticDProcess.FreePort();
        var path = StaticDProcess.WriteConfig(root, StaticDProcess.ConfigText(StaticDProcess.DefaultSection(port, root.RootPath)));

        var r = await StaticDProcess.RunAsync(Timeout, "--config", path, "--check-config");

        Assert.False(r.TimedOut, $"--check-config kept running\n{r}");
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    [Fact]
    public async Task CheckConfig_InvalidConfiguration_Exits78()
    {
        using var root = new WebRoot();
        var section = StaticDProcess.DefaultSection(0, root.RootPath);
        var path = StaticDProcess.WriteConfig(root, StaticDProcess.ConfigText(section));

        var r = await StaticDProcess.RunAsync(Timeout, "--config", path, "--check-config");

        Assert.False(r.TimedOut, $"--check-config kept running\n{r}");
        Assert.True(r.ExitCode == 78, r.ToString());
        Assert.Contains("StaticD:Port", r.Stderr);
    }
}
