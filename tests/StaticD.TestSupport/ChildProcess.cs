using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace StaticD.TestSupport;

/// <summary>How to start a <see cref="ChildProcess"/>.</summary>
public sealed record ChildProcessOptions
{
    /// <summary>Set on top of the inherited environment; a null value removes an inherited variable.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    public string WorkingDirectory { get; init; } = Path.GetTempPath();

    /// <summary>End of file on stdin at once (a daemon must not depend on stdin). Otherwise stdin stays open for
    /// <see cref="ChildProcess.WriteLine"/> until disposal closes it.</summary>
    public bool CloseStdin { get; init; }

    /// <summary>How long disposal waits after SIGTERM before it sends SIGKILL.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);
}

/// <summary>Outcome of running a program to completion.</summary>
public sealed record ProcessResult(bool TimedOut, int ExitCode, string Stdout, string Stderr, IReadOnlyList<string> StderrLines)
{
    public override string ToString() =>
        $"timedOut={TimedOut} exit={ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// A child process with stdout and stderr captured line by line. Waits for output end at end of file on the pipe,
/// not at process exit: the last lines may still sit in the pipe when the process is gone, and the reader that
/// moves them here runs on a thread pool a busy test run can keep waiting for seconds (that flaked in CI). Every
/// wait is bounded, including the one for end of file after exit: a child of the process that outlived it would
/// hold the pipes open forever. Disposal stops the process the way an init system would (SIGTERM, then SIGKILL
/// after <see cref="ChildProcessOptions.StopTimeout"/>) and asserts nothing about how it ended.
/// </summary>
public class ChildProcess : IDisposable
{
    /// <summary>After exit, how long to wait for the pipe readers to deliver the last lines. Only a child that outlived
    /// the process and holds the pipes makes this wait the full time.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    private readonly Process _process;
    private readonly ChildProcessOptions _options;
    private readonly object _gate = new();
    private readonly List<string> _stdout = [];
    private readonly List<string> _stderr = [];
    private readonly List<string> _combined = [];
    private readonly ManualResetEventSlim _stdoutClosed = new(), _stderrClosed = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private bool _disposed;

    protected ChildProcess(string program, IEnumerable<string> arguments, ChildProcessOptions? options)
    {
        _options = options ?? new ChildProcessOptions();
        Name = Path.GetFileName(program);
        var psi = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            WorkingDirectory = _options.WorkingDirectory,
        };
        foreach (string argument in arguments) psi.ArgumentList.Add(argument);
        foreach (var (name, value) in _options.Environment)
        {
            if (value is null) psi.Environment.Remove(name);
            else psi.Environment[name] = value;
        }

        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) => Capture(_stdout, "out", e.Data, _stdoutClosed);
        _process.ErrorDataReceived += (_, e) => Capture(_stderr, "err", e.Data, _stderrClosed);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        if (_options.CloseStdin) _process.StandardInput.Close();
    }

    public static ChildProcess Start(string program, IEnumerable<string> arguments, ChildProcessOptions? options = null) =>
        new(program, arguments, options);

    /// <summary>Runs <paramref name="program"/> with stdin at end of file and waits for it to exit; one still running
    /// after <paramref name="timeout"/> is stopped, and the result has what it wrote until then.</summary>
    public static ProcessResult Run(string program, IEnumerable<string> arguments, TimeSpan timeout, ChildProcessOptions? options = null)
    {
        using var process = new ChildProcess(program, arguments, (options ?? new ChildProcessOptions()) with { CloseStdin = true });
        bool exited = process.WaitForExit(timeout);
        return new ProcessResult(!exited, exited ? process.ExitCode : -1, process.Stdout, process.Stderr, process.StderrLines);
    }

    public static Task<ProcessResult> RunAsync(string program, IEnumerable<string> arguments, TimeSpan timeout, ChildProcessOptions? options = null) =>
        Task.Run(() => Run(program, arguments, timeout, options));

    /// <summary>The program's file name, for messages.</summary>
    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Stdout
    {
        get
        {
            lock (_gate) return string.Join('\n', _stdout);
        }
    }

    public string Stderr
    {
        get
        {
            lock (_gate) return string.Join('\n', _stderr);
        }
    }

    public IReadOnlyList<string> StderrLines
    {
        get
        {
            lock (_gate) return [.. _stderr];
        }
    }

    /// <summary>stdout and stderr interleaved in arrival order, each line marked [out] or [err]: for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_gate) return string.Join('\n', _combined);
        }
    }

    public int CountStderr(string fragment)
    {
        lock (_gate) return _stderr.Count(l => l.Contains(fragment, StringComparison.Ordinal));
    }

    /// <summary>Waits until stderr has at least <paramref name="count"/> lines containing <paramref name="fragment"/>
    /// and returns the <paramref name="count"/>-th.</summary>
    public string WaitForStderr(string fragment, TimeSpan timeout, int count = 1) =>
        WaitForLine(_stderr, _stderrClosed, l => l.Contains(fragment, StringComparison.Ordinal), count, timeout, $"stderr line with \"{fragment}\"");

    /// <summary>Waits for the <paramref name="count"/>-th stdout line starting with <paramref name="prefix"/> and returns it.</summary>
    public string WaitForStdout(string prefix, TimeSpan timeout, int count = 1) =>
        WaitForLine(_stdout, _stdoutClosed, l => l.StartsWith(prefix, StringComparison.Ordinal), count, timeout, $"stdout line starting \"{prefix}\"");

    private string WaitForLine(List<string> lines, ManualResetEventSlim closed, Func<string, bool> match, int count, TimeSpan timeout, string what)
    {
        var deadline = _clock.Elapsed + timeout;
        lock (_gate)
        {
            while (true)
            {
                var found = lines.Where(match).ToList();
                if (found.Count >= count) return found[count - 1];
                // End of file on the pipe means every line is in: no need to sit out the timeout. Not "the process has
                // exited": its last lines may still be on their way (see the class summary).
                var left = deadline - _clock.Elapsed;
                if (left <= TimeSpan.Zero || closed.IsSet)
                    throw new TimeoutException($"no {what} (#{count}) within {timeout.TotalSeconds} s (exited: {_process.HasExited}, end of output: {closed.IsSet})\n{Output}");
                Monitor.Wait(_gate, TimeSpan.FromMilliseconds(Math.Min(left.TotalMilliseconds, 100)));
            }
        }
    }

    /// <summary>Writes one line to stdin (not after <see cref="ChildProcessOptions.CloseStdin"/>).</summary>
    public void WriteLine(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    public void Signal(int signal) => TestLibc.Signal(_process.Id, signal);

    /// <summary>Waits for exit, then (bounded) for both pipes to reach end of file, so that Stdout and Stderr are
    /// complete when it returns true. Never the unbounded Process.WaitForExit().</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _stdoutClosed.Wait(DrainTimeout);
        _stderrClosed.Wait(DrainTimeout);
        return true;
    }

    /// <summary>Waits until a TCP connection to <paramref name="address"/> (default 127.0.0.1):<paramref name="port"/>
    /// succeeds; fails at once, with the output, if the process exits first.</summary>
    public void WaitUntilAccepting(int port, TimeSpan timeout, IPAddress? address = null)
    {
        address ??= IPAddress.Loopback;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                WaitForExit(TimeSpan.Zero);
                throw new InvalidOperationException(
                    $"{Name} exited with code {_process.ExitCode} before accepting connections on {address}:{port}\n--- output ---\n{Output}");
            }

            using (var probe = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp))
            {
                try
                {
                    probe.Connect(new IPEndPoint(address, port));
                    return;
                }
                catch (SocketException)
                {
                }
            }

            if (clock.Elapsed > timeout)
                throw new TimeoutException($"{Name} accepted no connection on {address}:{port} within {timeout.TotalSeconds} s\n--- output ---\n{Output}");
            Thread.Sleep(25);
        }
    }

    private void Capture(List<string> lines, string stream, string? line, ManualResetEventSlim closed)
    {
        lock (_gate)
        {
            if (line is null)
            {
                closed.Set();
            }
            else
            {
                lines.Add(line);
                _combined.Add($"[{stream}] {line}");
            }

            Monitor.PulseAll(_gate);
        }
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>SIGTERM, then SIGKILL to the process tree after <see cref="ChildProcessOptions.StopTimeout"/>. A
    /// helper's own children are its business: each helper stops them on SIGTERM.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed || !disposing) return;
        _disposed = true;
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

                TestLibc.Kill(_process.Id, TestLibc.SIGTERM);
                if (!WaitForExit(_options.StopTimeout))
                {
                    _process.Kill(entireProcessTree: true);
                    WaitForExit(_options.StopTimeout);
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
        }
    }
}
