using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace StaticD.IntegrationTests.Systemd;

/// <summary>
/// A child process started the way a service manager would start staticd: with a chosen environment
/// (NOTIFY_SOCKET, INVOCATION_ID, WATCHDOG_USEC, …) and possibly through a wrapper (systemd-socket-activate, a
/// python launcher). <see cref="StaticDProcess"/> cannot set environment variables or run a wrapper, hence this.
/// Variables that would make staticd believe it runs under systemd are removed from the inherited environment
/// unless the test sets them, so a test runner that itself runs in a systemd unit does not change the outcome.
/// </summary>
public sealed class ServiceProcess : IDisposable
{
    private static readonly string[] Inherited =
    [
        "NOTIFY_SOCKET", "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "INVOCATION_ID", "JOURNAL_STREAM",
        "WATCHDOG_USEC", "WATCHDOG_PID", "STATICD_TEST_WEDGE_LOOP0_AFTER_MS",
    ];

    private readonly Process _process;
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly ManualResetEventSlim _stdoutClosed = new(), _stderrClosed = new();

    private ServiceProcess(string program, IEnumerable<string> args, Dictionary<string, string>? environment)
    {
        var psi = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (string arg in args) psi.ArgumentList.Add(arg);
        foreach (string name in Inherited) psi.Environment.Remove(name);
        foreach (string name in psi.Environment.Keys.Where(k => k.StartsWith("StaticD__", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(name);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;

        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) => Capture(_stdout, e.Data, _stdoutClosed);
        _process.ErrorDataReceived += (_, e) => Capture(_stderr, e.Data, _stderrClosed);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts <paramref name="program"/> (for staticd, <see cref="StaticDProcess.BinaryPath"/>).</summary>
    public static ServiceProcess Start(string program, IEnumerable<string> args, Dictionary<string, string>? environment = null) =>
        new(program, args, environment);

    /// <summary>Starts staticd itself with <c>--config</c>.</summary>
    public static ServiceProcess StartStaticD(string configPath, Dictionary<string, string>? environment = null) =>
        new(StaticDProcess.BinaryPath, ["--config", configPath], environment);

    /// <summary>Starts one of the python helpers next to this file.</summary>
    public static ServiceProcess StartPython(string script, IEnumerable<string> args, Dictionary<string, string>? environment = null) =>
        new("python3", [HelperPath(script), .. args], environment);

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

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Stderr
    {
        get
        {
            lock (_stderr) return string.Join('\n', _stderr);
        }
    }

    public string Stdout
    {
        get
        {
            lock (_stdout) return string.Join('\n', _stdout);
        }
    }

    public string Output => $"--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";

    public int CountStderr(string fragment)
    {
        lock (_stderr) return _stderr.Count(l => l.Contains(fragment, StringComparison.Ordinal));
    }

    /// <summary>Waits until stderr has at least <paramref name="count"/> lines containing <paramref name="fragment"/>.</summary>
    public void WaitForStderr(string fragment, TimeSpan timeout, int count = 1) =>
        WaitForLine(_stderr, _stderrClosed, l => l.Contains(fragment, StringComparison.Ordinal), count, timeout, $"stderr line with \"{fragment}\"");

    /// <summary>Waits for the <paramref name="count"/>-th stdout line starting with <paramref name="prefix"/> and returns it.</summary>
    public string WaitForStdout(string prefix, TimeSpan timeout, int count = 1) =>
        WaitForLine(_stdout, _stdoutClosed, l => l.StartsWith(prefix, StringComparison.Ordinal), count, timeout, $"stdout line starting \"{prefix}\"");

    private string WaitForLine(List<string> lines, ManualResetEventSlim closed, Func<string, bool> match, int count, TimeSpan timeout, string what)
    {
        var deadline = _clock.Elapsed + timeout;
        lock (lines)
        {
            while (true)
            {
                var found = lines.Where(match).ToList();
                if (found.Count >= count) return found[count - 1];
                // End of file on the pipe means every line is in: no need to sit out the timeout. Not "the process
                // has exited": its last lines may still sit in the pipe, and the reader that moves them here runs
                // on a thread pool that a busy test run can keep waiting for seconds (that flaked once in CI).
                var left = deadline - _clock.Elapsed;
                if (left <= TimeSpan.Zero || closed.IsSet)
                    throw new TimeoutException($"no {what} (#{count}) within {timeout.TotalSeconds} s (exited: {_process.HasExited}, end of output: {closed.IsSet})\n{Output}");
                Monitor.Wait(lines, TimeSpan.FromMilliseconds(Math.Min(left.TotalMilliseconds, 100)));
            }
        }
    }

    public void WriteLine(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>Waits until a TCP connection to 127.0.0.1:<paramref name="port"/> succeeds.</summary>
    public void WaitUntilAccepting(int port, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                WaitForExit(TimeSpan.FromSeconds(5));
                throw new InvalidOperationException($"exited with {_process.ExitCode} before accepting on {port}\n{Output}");
            }
            using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                try
                {
                    probe.Connect(new IPEndPoint(IPAddress.Loopback, port));
                    return;
                }
                catch (SocketException)
                {
                }
            }
            if (clock.Elapsed > timeout) throw new TimeoutException($"nothing accepted on {port} within {timeout.TotalSeconds} s\n{Output}");
            Thread.Sleep(25);
        }
    }

    public void Signal(int signal) => SystemdNative.Signal(_process.Id, signal);

    /// <summary>Waits for exit, then (bounded) for the output readers to reach end of file. Never the unbounded
    /// Process.WaitForExit(): a helper's child that outlived it would hold the pipes open forever.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        // Callers read Stdout/Stderr next: give the pipe readers (thread pool) time to deliver the last lines.
        // Only a child that outlived the process and holds the pipes makes this wait the full 10 s.
        _stdoutClosed.Wait(TimeSpan.FromSeconds(10));
        _stderrClosed.Wait(TimeSpan.FromSeconds(10));
        return true;
    }

    private static void Capture(List<string> lines, string? line, ManualResetEventSlim closed)
    {
        lock (lines)
        {
            if (line is null) closed.Set();
            else lines.Add(line);
            Monitor.PulseAll(lines);
        }
    }

    /// <summary>SIGTERM, then SIGKILL after 5 s. A helper's own children are its business: each helper stops them
    /// on SIGTERM, and they get SIGKILL from the kernel (PR_SET_PDEATHSIG) if the helper dies any other way.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                try
                {
                    _process.StandardInput.Close();
                }
                catch (IOException)
                {
                }
                SystemdNative.Kill(_process.Id, SystemdNative.SIGTERM);
                if (!WaitForExit(TimeSpan.FromSeconds(5)))
                {
                    _process.Kill(entireProcessTree: true);
                    WaitForExit(TimeSpan.FromSeconds(5));
                }
            }
        }
        catch (InvalidOperationException)
        {
        }
        finally
        {
            _process.Dispose();
        }
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
