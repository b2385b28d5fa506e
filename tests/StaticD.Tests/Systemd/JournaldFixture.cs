using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit;

namespace StaticD.Tests.Systemd;

/// <summary>
/// A real systemd-journald for the sink's tests. An already-running journald is used as it is; otherwise the
/// fixture starts /lib/systemd/systemd-journald as a child (standalone, as root, it binds
/// /run/systemd/journal/socket and stores entries under /run/log/journal/&lt;machine-id&gt;) and stops it afterwards.
/// </summary>
public sealed partial class JournaldFixture : IDisposable
{
    public const string SocketPath = "/run/systemd/journal/socket";
    private const string JournaldPath = "/lib/systemd/systemd-journald";
    private const string RuntimeDirectory = "/run/systemd/journal";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(5);

    private readonly Process? _journald;
    private readonly bool _createdRuntimeDirectory;
    private readonly StringBuilder _journaldOutput = new();

    public JournaldFixture()
    {
        if (IsListening(SocketPath)) return;

        EnsureMachineId();
        _createdRuntimeDirectory = !Directory.Exists(RuntimeDirectory);

        // No arguments, ever: systemd-journald takes its first argument as a journal namespace name
        // (systemd-journald.service(8)), so even "--version" would start a second, namespaced instance.
        var start = new ProcessStartInfo(JournaldPath)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        _journald = Process.Start(start) ?? throw new InvalidOperationException($"could not start {JournaldPath}");
        _journald.OutputDataReceived += (_, e) => { lock (_journaldOutput) _journaldOutput.AppendLine(e.Data); };
        _journald.ErrorDataReceived += (_, e) => { lock (_journaldOutput) _journaldOutput.AppendLine(e.Data); };
        _journald.BeginOutputReadLine();
        _journald.BeginErrorReadLine();

        var clock = Stopwatch.StartNew();
        while (!IsListening(SocketPath))
        {
            if (_journald.HasExited || clock.Elapsed > StartTimeout)
            {
                string output;
                lock (_journaldOutput) output = _journaldOutput.ToString();
                Dispose();
                throw new InvalidOperationException($"systemd-journald did not bind {SocketPath} within {StartTimeout.TotalSeconds} s:\n{output}");
            }
            Thread.Sleep(50);
        }
    }

    public void Dispose()
    {
        if (_journald is null) return;
        try
        {
            if (!_journald.HasExited)
            {
                // SIGTERM lets journald sync and close its files; SIGKILL only if it does not go within 5 s.
                using (Process? kill = Process.Start("kill", ["-TERM", _journald.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                    kill?.WaitForExit(5000);
                if (!_journald.WaitForExit(5000)) _journald.Kill();
                _journald.WaitForExit();
            }
        }
        finally
        {
            _journald.Dispose();
            // journald leaves its sockets behind; a stale socket would make later "is journald there" checks lie.
            if (_createdRuntimeDirectory && Directory.Exists(RuntimeDirectory))
                Directory.Delete(RuntimeDirectory, recursive: true);
        }
    }

    /// <summary>
    /// Entries whose SYSLOG_IDENTIFIER is <paramref name="identifier"/> (plus any other FIELD=value
    /// <paramref name="matches"/>), polled for up to 5 s until at least <paramref name="expected"/> are there.
    /// </summary>
    public static List<JsonElement> Query(string identifier, int expected, params string[] matches)
    {
        var clock = Stopwatch.StartNew();
        List<JsonElement> entries = [];
        do
        {
            // --sync makes journald write out everything it has received before we read the files.
            Run("journalctl", ["--sync"]);
            // --all: without it journalctl prints fields over 4 KiB as null in JSON output.
            string[] arguments = ["--no-pager", "--all", "-o", "json", $"SYSLOG_IDENTIFIER={identifier}", .. matches];
            entries = [];
            foreach (string line in Run("journalctl", arguments).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using JsonDocument document = JsonDocument.Parse(line);
                entries.Add(document.RootElement.Clone());
            }
            if (entries.Count >= expected) return entries;
            Thread.Sleep(100);
        }
        while (clock.Elapsed < TimeSpan.FromSeconds(5));
        return entries;
    }

    /// <summary>A field of a journalctl JSON entry as text: journalctl writes non-printable values as byte arrays.</summary>
    public static string? Field(JsonElement entry, string name)
    {
        if (!entry.TryGetProperty(name, out JsonElement value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Array => Encoding.UTF8.GetString(value.EnumerateArray().Select(b => b.GetByte()).ToArray()),
            JsonValueKind.Null => throw new InvalidOperationException($"{name} was printed as null (too large without --all?)"),
            _ => value.GetRawText(),
        };
    }

    private static bool IsListening(string path)
    {
        if (!File.Exists(path)) return false;
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        try
        {
            // A datagram socket with no reader behind it (journald gone, socket file left) refuses the connect.
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>journald names its directory after /etc/machine-id and will not start without one; a bare
    /// container may lack it. Only created when missing or empty.</summary>
    private static void EnsureMachineId()
    {
        const string machineId = "/etc/machine-id";
        if (File.Exists(machineId) && new FileInfo(machineId).Length > 0) return;
        Run("systemd-machine-id-setup", []);
    }

    internal static string Run(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {program}");
        Task<string> error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {error.Result}");
        return output;
    }
}

[CollectionDefinition(Name)]
public sealed class JournaldCollection : ICollectionFixture<JournaldFixture>
{
    public const string Name = "journald";
}
