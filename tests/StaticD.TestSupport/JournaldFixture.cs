using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace StaticD.TestSupport;

/// <summary>
/// A real systemd-journald for the tests of both projects. An already-running journald is used as it is; otherwise
/// the fixture starts /lib/systemd/systemd-journald as a child (standalone, as root, it binds
/// /run/systemd/journal/socket and stores entries under /run/log/journal/&lt;machine-id&gt;) and stops it afterwards.
/// Each test project declares its own collection for it: xUnit finds collection definitions only in the test
/// assembly.
/// </summary>
public sealed class JournaldFixture : IDisposable
{
    public const string SocketPath = "/run/systemd/journal/socket";
    private const string JournaldPath = "/lib/systemd/systemd-journald";
    private const string RuntimeDirectory = "/run/systemd/journal";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(30);

    private readonly ChildProcess? _journald;
    private readonly bool _createdRuntimeDirectory;

    public JournaldFixture()
    {
        RaiseDatagramQueue();
        if (IsListening(SocketPath)) return;

        EnsureMachineId();
        _createdRuntimeDirectory = !Directory.Exists(RuntimeDirectory);

        // No arguments, ever: systemd-journald takes its first argument as a journal namespace name
        // (systemd-journald.service(8)), so even "--version" would start a second, namespaced instance.
        // SIGTERM lets journald sync and close its files; SIGKILL only if it does not go within 5 s.
        _journald = ChildProcess.Start(JournaldPath, [], new ChildProcessOptions { CloseStdin = true, StopTimeout = TimeSpan.FromSeconds(5) });

        var clock = Stopwatch.StartNew();
        while (!IsListening(SocketPath))
        {
            if (_journald.HasExited || clock.Elapsed > StartTimeout)
            {
                string output = _journald.Output;
                Dispose();
                throw new InvalidOperationException($"systemd-journald did not bind {SocketPath} within {StartTimeout.TotalSeconds} s:\n{output}");
            }

            Thread.Sleep(50);
        }
    }

    public void Dispose()
    {
        if (_journald is null) return;
        _journald.Dispose();
        // journald leaves its sockets behind; a stale socket would make later "is journald there" checks lie.
        if (_createdRuntimeDirectory && Directory.Exists(RuntimeDirectory))
            Directory.Delete(RuntimeDirectory, recursive: true);
    }

    /// <summary>
    /// A booted systemd raises net.unix.max_dgram_qlen to 512 (sysctl.d/50-default.conf) so that journald's socket
    /// can queue a burst; this machine boots with the kernel's 10. With 10, a journald slowed by a loaded CI machine
    /// refuses the 11th queued datagram (EAGAIN), the sink then rightly writes the event to its fallback, and a test
    /// that looks for it in the journal fails for a reason no deployment has. Raised like systemd does, if allowed.
    /// </summary>
    private static void RaiseDatagramQueue()
    {
        const string Path = "/proc/sys/net/unix/max_dgram_qlen";
        try
        {
            if (int.Parse(File.ReadAllText(Path).Trim(), CultureInfo.InvariantCulture) < 512) File.WriteAllText(Path, "512\n");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            // not root, or a read-only /proc: the tests run with the kernel's queue length
        }
    }

    /// <summary>
    /// Entries whose SYSLOG_IDENTIFIER is <paramref name="identifier"/> (plus any other FIELD=value
    /// <paramref name="matches"/>), polled for up to 5 s until at least <paramref name="expected"/> are there.
    /// </summary>
    public static List<JsonElement> Query(string identifier, int expected, params string[] matches) =>
        Poll([$"SYSLOG_IDENTIFIER={identifier}", .. matches], expected, _ => true);

    /// <summary>
    /// Entries of process <paramref name="pid"/> received at or after <paramref name="since"/> (a pid is reused,
    /// and the journal keeps earlier runs) matching every FIELD=value of <paramref name="matches"/>, polled for up
    /// to 5 s until at least <paramref name="expected"/> are there (0: one query after --sync).
    /// </summary>
    public static List<JsonElement> QueryPid(int pid, DateTimeOffset since, int expected, params string[] matches)
    {
        long sinceUsec = (since - DateTimeOffset.UnixEpoch).Ticks / 10;
        return Poll([$"_PID={pid}", .. matches], expected,
            e => long.Parse(Field(e, "__REALTIME_TIMESTAMP")!, CultureInfo.InvariantCulture) >= sinceUsec);
    }

    private static List<JsonElement> Poll(string[] matches, int expected, Func<JsonElement, bool> keep)
    {
        var clock = Stopwatch.StartNew();
        List<JsonElement> entries;
        do
        {
            // --sync makes journald write out everything it has received before we read the files.
            Run("journalctl", ["--sync"]);
            // --all: without it journalctl prints fields over 4 KiB as null in JSON output.
            entries = [];
            foreach (string line in Run("journalctl", ["--no-pager", "--all", "-o", "json", .. matches]).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using JsonDocument document = JsonDocument.Parse(line);
                if (keep(document.RootElement)) entries.Add(document.RootElement.Clone());
            }

            if (entries.Count >= expected) return entries;
            Thread.Sleep(100);
        }
        while (clock.Elapsed < QueryTimeout);
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

    /// <summary>Runs a tool to completion and returns its stdout; throws if it fails or hangs.</summary>
    private static string Run(string program, string[] arguments)
    {
        ProcessResult result = ChildProcess.Run(program, arguments, ToolTimeout);
        if (result.TimedOut || result.ExitCode != 0)
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed: {result}");
        return result.Stdout;
    }
}
