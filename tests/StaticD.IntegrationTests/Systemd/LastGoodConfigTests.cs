using System.Text;
using System.Text.Json;
using Xunit;

namespace StaticD.IntegrationTests.Systemd;

/// <summary>
/// The last good configuration through the AOT binary, with <c>$STATE_DIRECTORY</c> as systemd's
/// <c>StateDirectory=</c> sets it: a start that serves saves the file's exact bytes; a start with a broken file and a
/// saved copy serves the copy, says why on stderr and in STATUS=; <c>--check-config</c> and SIGHUP still refuse the
/// broken file; without a copy, or with a copy that fails too, it exits 78 as before (with both reasons).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // file modes
public sealed class LastGoodConfigTests : IDisposable
{
    private static readonly TimeSpan Timeout = Kit.Timeout;
    private const string Broken = "{ \"StaticD\": { \"Port\": \"eighty\" } }";

    private readonly SiteConfig _site = new(root => root.AddFile("index.html", "the good site"));
    private readonly string _state;

    public LastGoodConfigTests()
    {
        _state = Path.Combine(_site.Root.BasePath, "state");
        Directory.CreateDirectory(_state);
        // Relative to the configuration file's directory, never the working directory (the state directory's,
        // or wherever staticd was started): the copy must resolve it the same way.
        _site.Section["Root"] = "root";
        _site.Save();
    }

    public void Dispose() => _site.Dispose();

    private string CopyPath => Path.Combine(_state, "last-good.json");

    private Dictionary<string, string> Environment => new() { ["STATE_DIRECTORY"] = _state };

    private string BrokenError => $"staticd: {_site.Path}: StaticD:Port: \"eighty\" is not allowed; expected an integer from 1 to 65535";

    /// <summary>Starts with the good file and waits until the copy is saved, then stops.</summary>
    private void SaveAGoodCopy()
    {
        using var notify = new NotifyListener();
        using ChildProcess server = Kit.StartNotified(_site, notify, Environment);
        WaitForCopy();
        Kit.Stop(server);
    }

    private JsonElement WaitForCopy()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(CopyPath))
        {
            if (clock.Elapsed > Timeout) Assert.Fail($"no {CopyPath} within {Timeout.TotalSeconds} s");
            Thread.Sleep(10);
        }
        using JsonDocument copy = JsonDocument.Parse(File.ReadAllBytes(CopyPath));
        return copy.RootElement.Clone();
    }

    private Task<ProcessResult> Run(params string[] args) =>
        ChildProcess.RunAsync(StaticDProcess.BinaryPath, args, Timeout,
            StaticDProcess.Options(Environment, Path.GetTempPath(), Timeout));

    [Fact]
    public void AStartThatServesSavesTheFileExactly_Mode0600()
    {
        // Comments, odd spacing and non-ASCII: the copy is the bytes, not a re-serialisation.
        string text = "// the site\n" + _site.Document.ToJsonString().Replace("{", "{  ", StringComparison.Ordinal) + "\n/* é */\n";
        _site.Write(text);

        SaveAGoodCopy();

        JsonElement copy = JsonDocument.Parse(File.ReadAllBytes(CopyPath)).RootElement;
        Assert.Equal(_site.Path, copy.GetProperty("ConfigFile").GetString());
        Assert.Equal(File.ReadAllBytes(_site.Path), Encoding.UTF8.GetBytes(copy.GetProperty("Configuration").GetString()!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(CopyPath));
        Assert.Equal(["last-good.json"], Directory.GetFiles(_state).Select(f => Path.GetFileName(f)!).ToArray());
    }

    [Fact]
    public async Task ABrokenFileWithACopy_ServesTheCopy_SaysWhyOnStderrAndInStatus()
    {
        SaveAGoodCopy();
        _site.Write(Broken);

        using var notify = new NotifyListener();
        var env = new Dictionary<string, string>(Environment) { ["NOTIFY_SOCKET"] = notify.Path };
        using ChildProcess server = ServiceProcess.StartStaticD(_site.Path, env);
        NotifyMessage ready = notify.WaitFor(m => m.Text.StartsWith("READY=1", StringComparison.Ordinal), Timeout);
        Assert.Equal($"READY=1\nSTATUS=Running the last good configuration: {BrokenError["staticd: ".Length..]}", ready.Text);

        Assert.Equal("the good site", (await Kit.GetAsync(_site.Port, "/index.html")).BodyText);
        string[] lines = server.StderrLines.Where(l => l.StartsWith("staticd: ", StringComparison.Ordinal)).ToArray();
        Assert.Equal(BrokenError, lines[0]);
        Assert.StartsWith($"staticd: {_site.Path} is invalid; serving with the last good configuration instead: {CopyPath} (saved ",
            lines[1], StringComparison.Ordinal);

        // The periodic STATUS= keeps saying it (every 5 s).
        NotifyMessage status = notify.WaitFor(m => m.Text.StartsWith("STATUS=", StringComparison.Ordinal), TimeSpan.FromSeconds(8));
        Assert.StartsWith($"STATUS=Running the last good configuration: {BrokenError["staticd: ".Length..]}; serving 1 site: ", status.Text,
            StringComparison.Ordinal);

        // A reload with the file still broken is refused as always; fixed, it is the file again, and saved.
        int before = notify.Count;
        server.Signal(TestLibc.SIGHUP);
        server.WaitForStderr("reload failed", Timeout);
        notify.WaitFor(m => m.Text.StartsWith("READY=1\nSTATUS=Running the last good configuration", StringComparison.Ordinal), Timeout, before);
        byte[] savedBefore = File.ReadAllBytes(CopyPath);

        _site.Section["Headers"] = new System.Text.Json.Nodes.JsonObject { ["X-Fixed"] = "yes" };
        _site.Save();
        before = notify.Count;
        server.Signal(TestLibc.SIGHUP);
        server.WaitForStderr("configuration reloaded", Timeout);
        notify.WaitForText("READY=1\nSTATUS=Serving", Timeout, before);
        HttpAssert.Header("X-Fixed", "yes", await Kit.GetAsync(_site.Port, "/index.html"));
        Assert.NotEqual(savedBefore, File.ReadAllBytes(CopyPath));
        Assert.Equal(File.ReadAllBytes(_site.Path),
            Encoding.UTF8.GetBytes(JsonDocument.Parse(File.ReadAllBytes(CopyPath)).RootElement.GetProperty("Configuration").GetString()!));
        Kit.Stop(server);
    }

    [Fact]
    public async Task CheckConfigStillRefusesTheBrokenFile()
    {
        SaveAGoodCopy();
        _site.Write(Broken);

        ProcessResult r = await Run("--check-config", "--config", _site.Path);
        Assert.Equal(78, r.ExitCode);
        Assert.Equal([BrokenError], r.StderrLines.Where(l => l.Length > 0).ToArray());
    }

    [Fact]
    public void AReloadWithABrokenFileIsStillRefused_AndTheCopyKept()
    {
        using var notify = new NotifyListener();
        using ChildProcess server = Kit.StartNotified(_site, notify, Environment);
        WaitForCopy();
        byte[] saved = File.ReadAllBytes(CopyPath);

        _site.Write(Broken);
        server.Signal(TestLibc.SIGHUP);
        server.WaitForStderr("reload failed", Timeout);
        Assert.Equal(saved, File.ReadAllBytes(CopyPath));
        Kit.Stop(server);
    }

    [Fact]
    public async Task NoCopy_ExitsWith78AsBefore_AndSavesNothing()
    {
        _site.Write(Broken);

        ProcessResult r = await Run("--config", _site.Path);
        Assert.Equal(78, r.ExitCode);
        Assert.Equal([BrokenError], r.StderrLines.Where(l => l.Length > 0).ToArray());
        Assert.Empty(Directory.GetFiles(_state));
    }

    [Fact]
    public async Task ACopyThatFailsNow_ExitsWith78WithBothReasons()
    {
        SaveAGoodCopy();
        _site.Write(Broken);
        Directory.Delete(_site.Root.RootPath, recursive: true);

        ProcessResult r = await Run("--config", _site.Path);
        Assert.Equal(78, r.ExitCode);
        string[] lines = r.StderrLines.Where(l => l.Length > 0).ToArray();
        Assert.Equal(3, lines.Length);
        Assert.Equal(BrokenError, lines[0]);
        Assert.StartsWith($"staticd: the last good configuration, {CopyPath} (saved ", lines[1], StringComparison.Ordinal);
        Assert.EndsWith("), cannot be used either:", lines[1], StringComparison.Ordinal);
        Assert.Equal($"staticd: {CopyPath}: StaticD:Root: \"root\" does not exist; expected the path of an existing, readable directory", lines[2]);
    }

    [Fact]
    public async Task ADamagedCopyIsNotUsed_AndSaysWhy()
    {
        SaveAGoodCopy();
        string copy = File.ReadAllText(CopyPath);
        File.WriteAllText(CopyPath, copy.Replace("\\\"Loops\\\":2", "\\\"Loops\\\":3", StringComparison.Ordinal));
        Assert.NotEqual(copy, File.ReadAllText(CopyPath));
        _site.Write(Broken);

        ProcessResult r = await Run("--config", _site.Path);
        Assert.Equal(78, r.ExitCode);
        Assert.Equal([BrokenError,
            $"staticd: {CopyPath}: the last good configuration cannot be used: its \"Configuration\" does not match its \"Sha256\" (the copy is damaged)"],
            r.StderrLines.Where(l => l.Length > 0).ToArray());
    }
}

/// <summary>The fallback as systemd runs it, stderr to journald: both lines (the file's error and the copy used
/// instead) are errors in the journal, what <c>journalctl -p err -u staticd</c> shows.</summary>
[Collection(JournaldCollection.Name)]
public sealed class LastGoodJournalTests : IDisposable
{
    private readonly SiteConfig _site = new(root => root.AddFile("index.html", "the good site"));
    private readonly string _state;

    public LastGoodJournalTests()
    {
        _state = Path.Combine(_site.Root.BasePath, "state");
        Directory.CreateDirectory(_state);
    }

    public void Dispose() => _site.Dispose();

    [Fact]
    public async Task TheRefusalAndTheFallbackAreErrorsInTheJournal()
    {
        using (ChildProcess first = ServiceProcess.StartStaticD(_site.Path, new() { ["STATE_DIRECTORY"] = _state }))
        {
            first.WaitUntilAccepting(_site.Port, Kit.Timeout);
            await Sites.SitesKit.Eventually(() => Task.FromResult(File.Exists(Path.Combine(_state, "last-good.json"))), () => "no copy saved");
            Kit.Stop(first);
        }
        _site.Write("{ \"StaticD\": { \"Port\": \"eighty\" } }");
        string id = $"staticd-lastgood-{Guid.NewGuid():N}";

        using ChildProcess server = ServiceProcess.StartPython("systemd_exec.py",
            ["--stderr-journal", id, "--env", $"STATE_DIRECTORY={_state}", "--", StaticDProcess.BinaryPath, "--config", _site.Path]);
        server.WaitUntilAccepting(_site.Port, Kit.Timeout);
        Assert.Equal("the good site", (await Kit.GetAsync(_site.Port, "/index.html")).BodyText);

        var errors = JournaldFixture.Query(id, 2, "PRIORITY=3").Select(e => JournaldFixture.Field(e, "MESSAGE")).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Equal($"staticd: {_site.Path}: StaticD:Port: \"eighty\" is not allowed; expected an integer from 1 to 65535", errors[0]);
        Assert.StartsWith($"staticd: {_site.Path} is invalid; serving with the last good configuration instead: ", errors[1], StringComparison.Ordinal);
    }
}
