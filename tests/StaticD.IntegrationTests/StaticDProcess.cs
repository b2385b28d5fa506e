using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;

namespace StaticD.IntegrationTests;

/// <summary>Outcome of running staticd to completion (CLI and configuration tests).</summary>
public sealed record ProcessResult(bool TimedOut, int ExitCode, string Stdout, string Stderr, IReadOnlyList<string> StderrLines)
{
    public override string ToString() =>
        $"timedOut={TimedOut} exit={ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// A staticd child process with captured stdout/stderr. Disposal stops it the way an init
/// system would (SIGTERM, then SIGKILL after 10 s) and asserts nothing about how it ended.
/// </summary>
public sealed class StaticDProcess : IDisposable
{
    private readonly Process _process;
    private readonly object _gate = new();
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly List<string> _combined = [];
    private readonly string? _configPath;

    private StaticDProcess(IEnumerable<string> args, int port, string? configPath, string workingDirectory)
    {
        Port = port;
        _configPath = configPath;
        var psi = new ProcessStartInfo(BinaryPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) => Capture(_stdout, "out", e.Data);
        _process.ErrorDataReceived += (_, e) => Capture(_stderr, "err", e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // A daemon must not depend on stdin; give it EOF rather than the test runner's terminal.
        _process.StandardInput.Close();
    }

    public int Port { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Interleaved stdout/stderr, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _combined);
            }
        }
    }

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
        var configPath = WriteConfig(root, ConfigText(section));
        var server = new StaticDProcess(["--config", configPath], port, configPath, root.BasePath);
        try
        {
            server.WaitUntilListening(probeAddress ?? IPAddress.Loopback, TimeSpan.FromSeconds(10));
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Runs staticd with <paramref name="args"/> and waits for it to exit (or kills it after <paramref name="timeout"/>).</summary>
    public static async Task<ProcessResult> RunAsync(TimeSpan timeout, params string[] args)
    {
        using var p = new StaticDProcess(args, 0, null, Path.GetTempPath());
        var exited = await Task.Run(() => p.WaitForExit(timeout));
        if (!exited)
        {
            // Disposal below terminates it; report what it said while it was (wrongly) running.
            return new ProcessResult(true, -1, p.Stdout, p.Stderr, p.StderrLines);
        }

        return new ProcessResult(false, p.ExitCode, p.Stdout, p.Stderr, p.StderrLines);
    }

    public string Stdout
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _stdout);
            }
        }
    }

    public string Stderr
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _stderr);
            }
        }
    }

    public IReadOnlyList<string> StderrLines
    {
        get
        {
            lock (_gate)
            {
                return [.. _stderr];
            }
        }
    }

    public void Signal(int signal)
    {
        if (Native.Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed, errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Waits for exit and, once exited, for the stdout/stderr readers to drain.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }

        _process.WaitForExit();
        return true;
    }

    private void WaitUntilListening(IPAddress address, TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                _process.WaitForExit();
                throw new InvalidOperationException(
                    $"staticd exited with code {_process.ExitCode} before listening on {address}:{Port}.\n--- output ---\n{Output}");
            }

            using (var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp))
            {
                try
                {
                    probe.Connect(new IPEndPoint(address, Port));
                    return;
                }
                catch (SocketException)
                {
                }
            }

            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException(
                    $"staticd did not accept connections on {address}:{Port} within {timeout.TotalSeconds} s.\n--- output ---\n{Output}");
            }

            Thread.Sleep(50);
        }
    }

    private void Capture(List<string> target, string stream, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            target.Add(line);
            _combined.Add($"[{stream}] {line}");
        }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                Native.Kill(_process.Id, Native.SIGTERM);
                if (!WaitForExit(TimeSpan.FromSeconds(10)))
                {
                    _process.Kill(entireProcessTree: true);
                    _process.WaitForExit();
                }
            }
        }
        catch (InvalidOperationException)
        {
            // The process never started or is already reaped: nothing left to stop.
        }
        finally
        {
            _process.Dispose();
            if (_configPath is not null)
            {
                try
                {
                    File.Delete(_configPath);
                }
                catch (IOException)
                {
                }
            }
        }
    }
}
