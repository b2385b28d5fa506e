using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit;

namespace StaticD.Tests.Systemd;

/// <summary>The unit tests' journald fixture (compiled into this assembly too, see the csproj), plus what only
/// these tests need: entries looked up by the staticd process's _PID.</summary>
public sealed partial class JournaldFixture
{
    /// <summary>
    /// Entries of process <paramref name="pid"/> received at or after <paramref name="since"/> (a pid is reused,
    /// and the journal keeps earlier runs) matching every FIELD=value of <paramref name="matches"/>, polled for up
    /// to 5 s until at least <paramref name="expected"/> are there (0: one query after --sync).
    /// </summary>
    public static List<JsonElement> QueryPid(int pid, DateTimeOffset since, int expected, params string[] matches)
    {
        long sinceUsec = (since - DateTimeOffset.UnixEpoch).Ticks / 10;
        var clock = Stopwatch.StartNew();
        List<JsonElement> entries;
        do
        {
            Run("journalctl", ["--sync"]);
            string[] arguments = ["--no-pager", "--all", "-o", "json", $"_PID={pid}", .. matches];
            entries = [];
            foreach (string line in Run("journalctl", arguments).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using JsonDocument document = JsonDocument.Parse(line);
                if (long.Parse(Field(document.RootElement, "__REALTIME_TIMESTAMP")!, System.Globalization.CultureInfo.InvariantCulture) >= sinceUsec)
                    entries.Add(document.RootElement.Clone());
            }
            if (entries.Count >= expected) return entries;
            Thread.Sleep(100);
        }
        while (clock.Elapsed < TimeSpan.FromSeconds(5));
        return entries;
    }
}
