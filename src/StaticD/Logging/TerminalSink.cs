using System.Globalization;
using System.Text;
using Serilog.Core;
using Serilog.Events;

namespace StaticD.Logging;

/// <summary>
/// The log of <c>staticd serve</c>, for a person watching a terminal: one short line per request on stdout
/// (<c>12:34:56 GET /index.html 200 1234 B 0.3 ms</c>) and warnings and errors on stderr as
/// <c>staticd: message</c>; other informational messages are left out (serve prints its own start line). The
/// daemon's console and journal formats are not this one. Access entries reach it on the access log's
/// background writer, never on an event loop.
/// </summary>
internal sealed class TerminalSink(TextWriter output, TextWriter errors) : ILogEventSink
{
    private readonly Lock _gate = new();

    public void Emit(LogEvent logEvent)
    {
        string? line = FormatAccess(logEvent);
        if (line is not null)
        {
            lock (_gate) output.WriteLine(line);
            return;
        }
        if (logEvent.Level < LogEventLevel.Warning) return;
        string message = "staticd: " + Printable(logEvent.RenderMessage(CultureInfo.InvariantCulture));
        if (logEvent.Exception is not null) message += $" ({logEvent.Exception.GetType().Name}: {Printable(logEvent.Exception.Message)})";
        lock (_gate) errors.WriteLine(message);
    }

    /// <summary>The request line for an access entry (<see cref="Log.Access"/>), null for any other event.</summary>
    internal static string? FormatAccess(LogEvent e)
    {
        if (!e.Properties.TryGetValue("HTTP_STATUS", out LogEventPropertyValue? status) ||
            !e.Properties.TryGetValue("HTTP_METHOD", out LogEventPropertyValue? method) ||
            !e.Properties.TryGetValue("HTTP_PATH", out LogEventPropertyValue? path))
            return null;
        long bytes = Scalar<long>(e, "HTTP_BYTES");
        long usec = Scalar<long>(e, "HTTP_DURATION_USEC");
        return string.Create(CultureInfo.InvariantCulture,
            $"{e.Timestamp.ToLocalTime():HH:mm:ss} {Printable(Text(method))} {Printable(Text(path))} {Text(status)} {bytes} B {usec / 1000.0:0.0} ms");
    }

    private static T Scalar<T>(LogEvent e, string name) where T : struct =>
        e.Properties.TryGetValue(name, out LogEventPropertyValue? value) && value is ScalarValue { Value: T v } ? v : default;

    private static string Text(LogEventPropertyValue value) =>
        value is ScalarValue { Value: { } v } ? Convert.ToString(v, CultureInfo.InvariantCulture) ?? "-" : "-";

    /// <summary>Control characters (C0 and C1: a C1 CSI can drive a terminal too) as \xNN.</summary>
    internal static string Printable(string text)
    {
        if (!text.Any(char.IsControl)) return text;
        var result = new StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            if (char.IsControl(c)) result.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            else result.Append(c);
        }
        return result.ToString();
    }
}
