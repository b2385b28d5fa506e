using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace StaticD.IntegrationTests.Systemd;

/// <summary>
/// <c>ExecReload=staticd --check-config</c> as systemd runs it: stderr is journald's stream socket and
/// <c>$JOURNAL_STREAM</c> names it (systemd_exec.py --stderr-journal). A failing check must be an error in the
/// journal (<c>journalctl -p err</c>), a warning a warning, not the stream's default priority 6.
/// </summary>
[Collection(JournaldCollection.Name)]
public sealed class CheckConfigJournalTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static ChildProcess CheckConfig(string identifier, string configPath)
    {
        var check = ServiceProcess.StartPython("systemd_exec.py",
            ["--stderr-journal", identifier, "--", StaticDProcess.BinaryPath, "--check-config", "--config", configPath]);
        Assert.True(check.WaitForExit(Timeout), "staticd --check-config did not exit\n" + check.Output);
        return check;
    }

    [Fact]
    public void FailedCheckIsAnErrorInTheJournal()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "x"));
        site.Section["Port"] = "eighty";
        site.Save();
        string id = $"staticd-check-{Guid.NewGuid():N}";

        using ChildProcess check = CheckConfig(id, site.Path);
        Assert.Equal(78, check.ExitCode);

        // What an operator types after a failed `systemctl reload`: journalctl -p err.
        JsonElement entry = Assert.Single(JournaldFixture.Query(id, 1, "PRIORITY=3"));
        string message = JournaldFixture.Field(entry, "MESSAGE")!;
        Assert.StartsWith($"staticd: {site.Path}: StaticD:Port: ", message, StringComparison.Ordinal);
        Assert.Equal("stdout", JournaldFixture.Field(entry, "_TRANSPORT"));
        Assert.DoesNotContain(JournaldFixture.Query(id, 0), e => JournaldFixture.Field(e, "PRIORITY") != "3");
    }

    [Fact]
    public void CheckWarningIsAWarningAndTheVerdictInformation()
    {
        using var site = new SiteConfig(root => root.AddFile("index.html", "x"));
        site.Section["Listen"] = new JsonArray("127.0.0.1", "192.0.2.7");
        site.Save();
        string id = $"staticd-check-{Guid.NewGuid():N}";

        using ChildProcess check = CheckConfig(id, site.Path);
        Assert.Equal(0, check.ExitCode);

        JsonElement warning = Assert.Single(JournaldFixture.Query(id, 1, "PRIORITY=4"));
        Assert.StartsWith("staticd: warning: ", JournaldFixture.Field(warning, "MESSAGE"), StringComparison.Ordinal);
        Assert.Empty(JournaldFixture.Query(id, 0, "PRIORITY=3"));
    }
}
