using System.Globalization;
using System.Text;

namespace StaticD.Logging;

/// <summary>
/// What the command line prints on stderr about a failure (a configuration error from <c>--check-config</c>, a
/// start-up failure) or a warning. When stderr is journald's stream socket (<c>$JOURNAL_STREAM</c> names fd 2, as
/// for every Exec*= command of the unit, <c>ExecReload=staticd --check-config</c> among them), each line starts with
/// the sd-daemon(3) prefix "&lt;3&gt;" (error) or "&lt;4&gt;" (warning): journald's stream transport stores the line
/// at that priority (SyslogLevelPrefix=, on by default) instead of the stream's default 6, so
/// <c>journalctl -p err</c> shows why a reload failed. On a terminal or a pipe the lines are left as they are.
/// </summary>
internal static class ErrorOutput
{
    public const int ErrorPriority = 3;   // LOG_ERR
    public const int WarningPriority = 4; // LOG_WARNING

    private static readonly Lazy<bool> StderrIsJournal = new(() =>
        JournalSink.IsJournalStream(Environment.GetEnvironmentVariable("JOURNAL_STREAM"), fd: 2));

    public static void Error(string text) => Console.Error.Write(Format(text, ErrorPriority, StderrIsJournal.Value));

    public static void Warning(string text) => Console.Error.Write(Format(text, WarningPriority, StderrIsJournal.Value));

    /// <summary><paramref name="text"/> as whole lines, each prefixed with "&lt;priority&gt;" when
    /// <paramref name="toJournal"/> (a multi-line text keeps its priority on every line: journald parses the prefix
    /// per line).</summary>
    internal static string Format(string text, int priority, bool toJournal)
    {
        string prefix = toJournal ? string.Create(CultureInfo.InvariantCulture, $"<{priority}>") : "";
        var result = new StringBuilder(text.Length + 8);
        foreach (ReadOnlySpan<char> line in text.AsSpan().EnumerateLines())
            result.Append(prefix).Append(line).Append('\n');
        if (result.Length == 0) result.Append(prefix).Append('\n');
        return result.ToString();
    }
}
