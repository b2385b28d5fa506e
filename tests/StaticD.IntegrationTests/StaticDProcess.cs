using System.Collections;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace StaticD.IntegrationTests;

/// <summary>
/// staticd (the binary under test, <see cref="BinaryPath"/>) as a <see cref="ChildProcess"/>: started with a
/// configuration file written for a <see cref="WebRoot"/>, returned once it accepts connections, stdin at end of
/// file. Disposal stops it (SIGTERM, then SIGKILL after 10 s) and deletes the configuration file.
/// </summary>
public sealed class StaticDProcess : ChildProcess
{
    /// <summary>
    /// Variables that would make staticd believe it runs under systemd, or configure it behind the test's back:
    /// removed from what a child inherits unless the test sets them, so a test runner that itself runs in a systemd
    /// unit (or with StaticD__ variables set) does not change the outcome.
    /// </summary>
    private static readonly string[] Scrubbed =
    [
        "NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "INVOCATION_ID", "JOURNAL_STREAM",
        "WATCHDOG_USEC", "WATCHDOG_PID", "STATICD_TEST_WEDGE_LOOP0_AFTER_MS",
    ];

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly string _configPath;

    /// <summary>The configuration file it runs with: a test edits it, then reloads (SIGHUP).</summary>
    public string ConfigPath => _configPath;

    private StaticDProcess(int port, string configPath, string workingDirectory)
        : base(BinaryPath, ["--config", configPath], Options(null, workingDirectory, StopTimeout) with { CloseStdin = true })
    {
        Port = port;
        _configPath = configPath;
    }

    public int Port { get; }

    /// <summary>
    /// STATICD_BINARY if set, otherwise out/staticd next to StaticD.sln. Evaluated on every call
    /// so a binary that appears while the runner is alive is still picked up.
    /// </summary>
    public static string BinaryPath
    {
        get
        {
            string candidate;
            var fromEnv = Environment.GetEnvironmentVariable("STATICD_BINARY");
            if (!string.IsNullOrEmpty(fromEnv))
            {
                candidate = Path.GetFullPath(fromEnv);
            }
            else
            {
                var dir = new DirectoryInfo(AppContext.BaseDirectory);
                while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "StaticD.sln")))
                {
                    dir = dir.Parent;
                }

                if (dir is null)
                {
                    throw new InvalidOperationException(
                        $"Cannot find StaticD.sln in any parent of {AppContext.BaseDirectory}; set STATICD_BINARY to the staticd executable.");
                }

                candidate = Path.Combine(dir.FullName, "out", "staticd");
            }

            if (!File.Exists(candidate))
            {
                throw new InvalidOperationException(
                    $"staticd binary not found at '{candidate}'. Publish the server to out/staticd or set STATICD_BINARY.");
            }

            return candidate;
        }
    }

    /// <summary>
    /// Options for any process that is or starts staticd: the inherited environment without <see cref="Scrubbed"/>
    /// and StaticD__* variables, plus <paramref name="environment"/>.
    /// </summary>
    public static ChildProcessOptions Options(IReadOnlyDictionary<string, string>? environment, string workingDirectory, TimeSpan stopTimeout)
    {
        var variables = new Dictionary<string, string?>();
        foreach (string name in Scrubbed) variables[name] = null;
        foreach (DictionaryEntry inherited in Environment.GetEnvironmentVariables())
        {
            if (inherited.Key is string name && name.StartsWith("StaticD__", StringComparison.OrdinalIgnoreCase)) variables[name] = null;
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) variables[name] = value;
        return new ChildProcessOptions { Environment = variables, WorkingDirectory = workingDirectory, StopTimeout = stopTimeout };
    }

    /// <summary>A port that was free a moment ago (bind to :0, read it, release it).</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>The standard test configuration: loopback only, two loops.</summary>
    public static JsonObject DefaultSection(int port, string root) => new()
    {
        ["Port"] = port,
        ["Root"] = root,
        ["Listen"] = new JsonArray("127.0.0.1"),
        ["Loops"] = 2,
    };

    /// <summary>Writes a config file next to the root (never inside it) and returns its path.</summary>
    public static string WriteConfig(WebRoot root, string text)
    {
        var path = Path.Combine(root.BasePath, $"staticd-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, text);
        return path;
    }

    public static string ConfigText(JsonObject section) =>
        new JsonObject { ["StaticD"] = section }.ToJsonString();

    /// <summary>
    /// Starts a server for <paramref name="root"/> and waits until it accepts TCP connections.
    /// <paramref name="configure"/> may edit the StaticD section (override, add or remove keys).
    /// </summary>
    public static StaticDProcess Start(WebRoot root, Action<JsonObject>? configure = null, IPAddress? probeAddress = null)
    {
        var port = FreePort();
        var section = DefaultSection(port, root.RootPath);
        configure?.Invoke(section);
        var server = new StaticDProcess(port, WriteConfig(root, ConfigText(section)), root.BasePath);
        try
        {
            server.WaitUntilAccepting(port, TimeSpan.FromSeconds(10), probeAddress ?? IPAddress.Loopback);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Runs staticd with <paramref name="args"/> and waits for it to exit (or kills it after <paramref name="timeout"/>).</summary>
    public static Task<ProcessResult> RunAsync(TimeSpan timeout, params string[] args) =>
        ChildProcess.RunAsync(BinaryPath, args, timeout, Options(null, Path.GetTempPath(), StopTimeout));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        try
        {
            File.Delete(_configPath);
        }
        catch (IOException)
        {
        }
    }
}
