using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Xunit;

namespace StaticD.IntegrationTests;

/// <summary>
/// The first five minutes: a port in use, an address this host does not have, a privileged port, an empty or
/// broken file, and files the configuration names that are not there. Each gives exactly the line below on stderr
/// (no stack trace) and its sysexits code.
/// </summary>
public sealed class StartupErrorTests : IDisposable
{
    private static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(10);
    private const string Example = "{\"StaticD\": {\"Port\": 8080, \"Root\": \"/var/www\"}}";
    private readonly WebRoot _root = new();

    public StartupErrorTests() => _root.AddFile("index.html", Site.IndexHtml);

    public void Dispose() => _root.Dispose();

    private JsonObject Section(int port) => StaticDProcess.DefaultSection(port, _root.RootPath);

    private string Write(JsonObject section) => StaticDProcess.WriteConfig(_root, StaticDProcess.ConfigText(section));

    /// <summary>Runs staticd and asserts the exit code and the whole of stderr, line by line.</summary>
    private static async Task<ProcessResult> AssertExit(int exitCode, string[] stderr, params string[] args)
    {
        var r = await StaticDProcess.RunAsync(ExitTimeout, args);
        Assert.False(r.TimedOut, $"staticd kept running\n{r}");
        Assert.True(r.ExitCode == exitCode, $"expected exit {exitCode}\n{r}");
        Assert.Equal(stderr, r.StderrLines.Where(l => l.Length > 0).ToArray());
        return r;
    }

    // ───────────────────────────── listening ─────────────────────────────

    [Fact]
    public async Task PortInUse_OneLineAndExit69()
    {
        using var taken = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        taken.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        taken.Listen();
        int port = ((IPEndPoint)taken.LocalEndPoint!).Port;
        string path = Write(Section(port));

        await AssertExit(69, [$"staticd: cannot listen on 127.0.0.1:{port}: Address already in use (EADDRINUSE)"], "--config", path);
    }

    [Fact]
    public async Task AddressNotOnThisHost_OneLineAndExit69()
    {
        int port = StaticDProcess.FreePort();
        var section = Section(port);
        section["Listen"] = new JsonArray("192.0.2.1");
        string path = Write(section);

        await AssertExit(69, [$"staticd: cannot listen on 192.0.2.1:{port}: not an address of this host (EADDRNOTAVAIL)"], "--config", path);
    }

    [Fact]
    public async Task PrivilegedPortAsUnprivilegedUser_OneLineAndExit77()
    {
        if (!Unprivileged.CanRun(81)) return; // no setpriv, or port 81 is not privileged on this host
        string path = Write(Section(81));

        var r = await Unprivileged.RunAsync(ExitTimeout, "--config", path);
        Assert.False(r.TimedOut, r.ToString());
        Assert.True(r.ExitCode == 77, $"expected EX_NOPERM (77)\n{r}");
        Assert.Equal(["staticd: cannot listen on 127.0.0.1:81: Permission denied (EACCES); a port below 1024 needs root or CAP_NET_BIND_SERVICE"],
            r.StderrLines.Where(l => l.Length > 0).ToArray());
    }

    [Fact]
    public async Task OtherStartFailure_OneLineWithoutStackTraceAndExit1()
    {
        // A "socket" from the service manager that is a regular file.
        string path = Write(Section(StaticDProcess.FreePort()));
        var r = await ChildProcess.RunAsync("/bin/sh",
            ["-c", "export LISTEN_PID=$$ LISTEN_FDS=1; exec \"$0\" --config \"$1\" 3<\"$1\"", StaticDProcess.BinaryPath, path],
            ExitTimeout, StaticDProcess.Options(null, Path.GetTempPath(), ExitTimeout));

        Assert.False(r.TimedOut, r.ToString());
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Equal(["staticd: socket activation: fd 3 (\"unknown\") is not a listening stream socket"], r.StderrLines.Where(l => l.Length > 0).ToArray());
    }

    // ───────────────────────────── the file itself ─────────────────────────────

    [Theory]
    [InlineData("")]
    [InlineData("  \n\t\r\n  ")]
    public async Task EmptyFile_SaysSoAndExits78(string text)
    {
        string path = StaticDProcess.WriteConfig(_root, text);
        await AssertExit(78, [$"staticd: {path}: the file is empty; expected a JSON object such as {Example}"], "--config", path);
    }

    [Theory]
    [InlineData("[]", "a list")]
    [InlineData("42", "a number")]
    [InlineData("\"/var/www\"", "a string")]
    public async Task TopLevelNotAnObject_SaysSoAndExits78(string text, string what)
    {
        string path = StaticDProcess.WriteConfig(_root, text);
        await AssertExit(78, [$"staticd: {path}: the file holds {what}, not an object; expected a JSON object such as {Example}"], "--config", path);
    }

    [Theory]
    [InlineData("{\n  \"StaticD\": {\n    \"Port\": 8080,\n    \"Root\": \"/tmp\"\n    oops\n}\n",
        "line 5, column 5: expected ',' or '}' after a value, found 'o'")]
    [InlineData("{\"StaticD\": {\"Port\": 8080 \"Root\": \"/tmp\"}}",
        "line 1, column 27: expected ',' or '}' after a value, found '\"'")]
    [InlineData("{\"StaticD\": {\n  \"Root\": \"/tmp/\n}}",
        "line 2, column 11: this string is not closed: no '\"' before the end of the line")]
    [InlineData("{\"StaticD\": {\"Port\": 8080}}}",
        "line 1, column 28: more text after the end of the top-level object, found '}'")]
    [InlineData("{\"StaticD\": {\"Port\": 8080}\n",
        "line 2, column 1: the file ends too early; a closing '}' is missing")]
    [InlineData("{\"StaticD\": {\"Port\": tru}}",
        "line 1, column 22: \"tru\" is not a value; expected a string in double quotes, a number, true, false, null, an object or a list")]
    [InlineData("{\"StaticD\": {\"Port\": 080}}",
        "line 1, column 22: \"080\" is not a number (JSON numbers look like 8080, -1 or 2.5, without leading zeros)")]
    [InlineData("{'StaticD': {}}", "line 1, column 2: keys need double quotes (\"StaticD\"), not single quotes")]
    [InlineData("{\"StaticD\" {}}", "line 1, column 12: expected ':' after the key \"StaticD\", found '{'")]
    [InlineData("{\"StaticD\": {\"Root\": \"C:\\www\"}}",
        "line 1, column 25: \"\\w\" is not an escape JSON knows; write a backslash as \\\\ (e.g. in a Windows path)")]
    [InlineData("{\"StaticD\": {\"Root\": \"/tmp\", /* unfinished\n}}", "line 1, column 30: this comment is not closed: no \"*/\" before the end of the file")]
    [InlineData("{\"StaticD\": {\"Port\": }}",
        "line 1, column 22: expected a value (a string in double quotes, a number, true, false, null, an object or a list), found '}'")]
    // Columns count characters, not bytes: "é" and "ü" are two bytes each in UTF-8 (in bytes, column 35).
    [InlineData("{\"é\": 1, \"StaticD\": {\"Rü\": \"ü\" x}}", "line 1, column 32: expected ',' or '}' after a value, found 'x'")]
    public async Task InvalidJson_LineColumnAndWhatWasExpected(string text, string where)
    {
        string path = StaticDProcess.WriteConfig(_root, text);
        await AssertExit(78, [$"staticd: {path}: invalid JSON at {where}"], "--config", path);
    }

    // ───────────────────────────── what start-up would find ─────────────────────────────

    [Fact]
    public async Task MissingErrorPage_IsAnError_InCheckConfigAndAtStartUp()
    {
        var section = Section(StaticDProcess.FreePort());
        section["ErrorPages"] = new JsonObject { ["404"] = "/404.html" };
        string path = Write(section);
        string[] expected = [$"staticd: {path}: StaticD:ErrorPages:404: \"/404.html\" does not exist in {_root.RootPath}; expected a readable file inside the site's root"];

        await AssertExit(78, expected, "--config", path, "--check-config");
        await AssertExit(78, expected, "--config", path);
    }

    [Fact]
    public async Task MissingSpaFallback_IsAnError()
    {
        var section = Section(StaticDProcess.FreePort());
        section["SpaFallback"] = "/app.html";
        string path = Write(section);

        await AssertExit(78, [$"staticd: {path}: StaticD:SpaFallback: \"/app.html\" does not exist in {_root.RootPath}; expected a readable file inside the site's root"],
            "--config", path, "--check-config");
    }

    [Fact]
    public async Task InheritedErrorPage_NamesTheTopLevelKeyAndTheSitesRoot_OneLinePerProblem()
    {
        _root.AddFile("404.html", "not found");
        string other = Path.Combine(_root.BasePath, "other");
        Directory.CreateDirectory(other);
        Directory.CreateDirectory(Path.Combine(other, "errors"));
        var section = Section(StaticDProcess.FreePort());
        section["ErrorPages"] = new JsonObject { ["404"] = "/404.html" };
        section["Sites"] = new JsonArray(new JsonObject
        {
            ["Hosts"] = new JsonArray("other.example"),
            ["Root"] = other,
            ["ErrorPages"] = new JsonObject { ["500"] = "/errors" },
        });
        string path = Write(section);

        await AssertExit(78,
        [
            $"staticd: {path}: StaticD:ErrorPages:404: \"/404.html\" does not exist in {other}; expected a readable file inside the site's root",
            $"staticd: {path}: StaticD:Sites:0:ErrorPages:500: \"/errors\" is a directory in {other}; expected a readable file inside the site's root",
        ], "--config", path, "--check-config");
    }

    [Fact]
    public async Task ListenAddressNotOnThisHost_IsAWarning_CheckConfigExits0()
    {
        var section = Section(StaticDProcess.FreePort());
        section["Listen"] = new JsonArray("127.0.0.1", "192.0.2.7");
        string path = Write(section);

        var r = await AssertExit(0,
            [$"staticd: warning: {path}: StaticD:Listen:1: 192.0.2.7 is not an address of this host (yet); start-up will fail until it is"],
            "--config", path, "--check-config");
        Assert.Equal($"staticd: {path}: configuration is valid", r.Stdout.Trim());
    }

    [Fact]
    public async Task PrivilegedPortAsUnprivilegedUser_IsAWarning_CheckConfigExits0()
    {
        if (!Unprivileged.CanRun(80)) return; // no setpriv, or port 80 is not privileged on this host
        string path = Write(Section(80));
        int start = Unprivileged.PortStart();

        var r = await Unprivileged.RunAsync(ExitTimeout, "--config", path, "--check-config");
        Assert.False(r.TimedOut, r.ToString());
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal([$"staticd: warning: {path}: StaticD:Port: 80 is a privileged port (below net.ipv4.ip_unprivileged_port_start, {start}) " +
                      "and this process has no CAP_NET_BIND_SERVICE; start-up will fail unless staticd runs with that capability " +
                      "(AmbientCapabilities= in its unit) or as root"],
            r.StderrLines.Where(l => l.Length > 0).ToArray());
        Assert.Equal($"staticd: {path}: configuration is valid", r.Stdout.Trim());
    }

    /// <summary>staticd as user nobody (setpriv from util-linux, which the Makefile's dependencies include) when the
    /// tests run as root; as the test's own user otherwise.</summary>
    private static class Unprivileged
    {
        private const string SetPriv = "/usr/bin/setpriv";

        public static int PortStart() =>
            int.TryParse(File.ReadAllText("/proc/sys/net/ipv4/ip_unprivileged_port_start").Trim(), out int start) ? start : 1024;

        public static bool CanRun(int port) => port < PortStart() && (!Environment.IsPrivilegedProcess || File.Exists(SetPriv));

        public static Task<ProcessResult> RunAsync(TimeSpan timeout, params string[] args)
        {
            var options = StaticDProcess.Options(null, Path.GetTempPath(), TimeSpan.FromSeconds(10));
            return Environment.IsPrivilegedProcess
                ? ChildProcess.RunAsync(SetPriv, ["--reuid=65534", "--regid=65534", "--clear-groups", StaticDProcess.BinaryPath, .. args], timeout, options)
                : ChildProcess.RunAsync(StaticDProcess.BinaryPath, args, timeout, options);
        }
    }
}
