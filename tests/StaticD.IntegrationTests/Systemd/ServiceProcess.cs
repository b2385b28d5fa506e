using System.Text.Json.Nodes;

namespace StaticD.IntegrationTests.Systemd;

/// <summary>
/// Starts a <see cref="ChildProcess"/> the way a service manager would start staticd: with a chosen environment
/// (NOTIFY_SOCKET, INVOCATION_ID, WATCHDOG_USEC, …) and possibly through a wrapper (systemd-socket-activate, a
/// python launcher), stdin open for the helpers' commands. The environment is staticd's
/// (<see cref="StaticDProcess.Options"/>): what would make staticd believe it runs under systemd is removed unless
/// the test sets it. Disposal: SIGTERM, then SIGKILL after 5 s; a helper's own children are its business (each
/// helper stops them on SIGTERM, and they get SIGKILL from the kernel, PR_SET_PDEATHSIG, if it dies any other way).
/// </summary>
public static class ServiceProcess
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Starts <paramref name="program"/> (for staticd, <see cref="StaticDProcess.BinaryPath"/>).</summary>
    public static ChildProcess Start(string program, IEnumerable<string> args, Dictionary<string, string>? environment = null) =>
        ChildProcess.Start(program, args, StaticDProcess.Options(environment, Path.GetTempPath(), StopTimeout));

    /// <summary>Starts staticd itself with <c>--config</c>.</summary>
    public static ChildProcess StartStaticD(string configPath, Dictionary<string, string>? environment = null) =>
        Start(StaticDProcess.BinaryPath, ["--config", configPath], environment);

    /// <summary>Starts one of the python helpers next to this file.</summary>
    public static ChildProcess StartPython(string script, IEnumerable<string> args, Dictionary<string, string>? environment = null) =>
        Start("python3", [HelperPath(script), .. args], environment);

    /// <summary>The helper scripts live in the source tree (tests/StaticD.IntegrationTests/Systemd/), found from
    /// the test assembly's directory upwards, or, failing that, from where this file was compiled.</summary>
    public static string HelperPath(string script, [System.Runtime.CompilerServices.CallerFilePath] string thisFile = "")
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "StaticD.IntegrationTests", "Systemd", script);
            if (File.Exists(candidate)) return candidate;
        }
        string beside = Path.Combine(Path.GetDirectoryName(thisFile)!, script);
        return File.Exists(beside) ? beside : throw new FileNotFoundException($"helper script {script} not found", script);
    }
}

/// <summary>A web root plus a configuration file that a test can rewrite before sending SIGHUP.</summary>
public sealed class SiteConfig : IDisposable
{
    public SiteConfig(Action<WebRoot>? populate = null, Action<JsonObject>? configure = null, int loops = 2)
    {
        Root = new WebRoot();
        populate?.Invoke(Root);
        Port = StaticDProcess.FreePort();
        Document = new JsonObject { ["StaticD"] = StaticDProcess.DefaultSection(Port, Root.RootPath) };
        Section["Loops"] = loops;
        configure?.Invoke(Document);
        Path = System.IO.Path.Combine(Root.BasePath, "appsettings.json");
        Save();
    }

    public WebRoot Root { get; }

    public int Port { get; }

    public string Path { get; }

    /// <summary>The whole file: "StaticD" and, when a test adds it, "Logging".</summary>
    public JsonObject Document { get; }

    public JsonObject Section => Document["StaticD"]!.AsObject();

    /// <summary>Writes the file atomically (rename), so a reload never reads half of it.</summary>
    public void Save() => Write(Document.ToJsonString());

    public void Write(string text)
    {
        string temporary = Path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, Path, overwrite: true);
    }

    public void Dispose() => Root.Dispose();
}
