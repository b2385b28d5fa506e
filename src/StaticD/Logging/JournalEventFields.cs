using System.Globalization;
using Serilog.Events;

namespace StaticD.Logging;

/// <summary>
/// Maps a Serilog event onto journal fields: MESSAGE, PRIORITY, SYSLOG_IDENTIFIER, EXCEPTION, EVENT_ID/EVENT_NAME,
/// and one upper-case field per structured property, so `journalctl FIELD=value` can filter on any of them.
/// </summary>
internal static class JournalEventFields
{
    private const string EventIdProperty = "EventId";

    /// <summary>syslog(3) levels, which is what PRIORITY= holds (systemd.journal-fields(7)).</summary>
    public static int Priority(LogEventLevel level) => level switch
    {
        LogEventLevel.Fatal => 2,       // LOG_CRIT
        LogEventLevel.Error => 3,       // LOG_ERR
        LogEventLevel.Warning => 4,     // LOG_WARNING
        LogEventLevel.Information => 6, // LOG_INFO
        _ => 7,                         // LOG_DEBUG (Debug and Verbose)
    };

    /// <summary>
    /// Serialises <paramref name="logEvent"/> into <paramref name="entry"/> (which the caller has reset).
    /// <paramref name="identifierField"/> is the pre-encoded SYSLOG_IDENTIFIER field; <paramref name="exceptionText"/>
    /// is <c>logEvent.Exception?.ToString()</c>, computed by the caller outside its lock.
    /// </summary>
    public static void Append(JournalEntryBuilder entry, LogEvent logEvent, ReadOnlySpan<byte> identifierField, string? exceptionText)
    {
        Span<byte> priority = stackalloc byte[1];
        priority[0] = (byte)('0' + Priority(logEvent.Level));
        entry.Add(JournalEntryBuilder.PriorityField, priority);
        entry.AddRaw(identifierField);

        // A multi-line message stays one entry with one MESSAGE= (binary form), as the protocol recommends for
        // stack traces, rather than one entry per line.
        TextWriter message = entry.BeginText();
        logEvent.RenderMessage(message, CultureInfo.InvariantCulture);
        if (exceptionText is not null)
        {
            message.Write('\n');
            message.Write(exceptionText);
        }
        entry.AddText(JournalEntryBuilder.MessageField);

        if (logEvent.Exception is { } exception)
        {
            TextWriter text = entry.BeginText();
            text.Write(exception.GetType().FullName);
            text.Write(": ");
            text.Write(exception.Message);
            entry.AddText(JournalEntryBuilder.ExceptionField);
        }

        // Serilog keeps properties in a Dictionary; enumerating it as one avoids boxing an enumerator per event.
        if (logEvent.Properties is Dictionary<string, LogEventPropertyValue> properties)
        {
            foreach (KeyValuePair<string, LogEventPropertyValue> property in properties)
                AppendProperty(entry, property.Key, property.Value);
        }
        else
        {
            foreach (KeyValuePair<string, LogEventPropertyValue> property in logEvent.Properties)
                AppendProperty(entry, property.Key, property.Value);
        }
    }

    private static void AppendProperty(JournalEntryBuilder entry, string name, LogEventPropertyValue value)
    {
        if (name == EventIdProperty && AppendEventId(entry, value)) return;

        Span<byte> field = stackalloc byte[JournalFieldName.MaxLength];
        int length = JournalFieldName.Write(name, field);
        AppendValue(entry, field[..length], value);
    }

    /// <summary>
    /// Microsoft.Extensions.Logging's EventId reaches Serilog as a structure { Id, Name }; the journal gets two flat,
    /// filterable fields instead of one rendered structure.
    /// </summary>
    private static bool AppendEventId(JournalEntryBuilder entry, LogEventPropertyValue value)
    {
        switch (value)
        {
            case StructureValue structure:
                IReadOnlyList<LogEventProperty> members = structure.Properties;
                for (int i = 0; i < members.Count; i++)
                {
                    if (members[i].Name == "Id") AppendValue(entry, JournalEntryBuilder.EventIdField, members[i].Value);
                    else if (members[i].Name == "Name") AppendValue(entry, JournalEntryBuilder.EventNameField, members[i].Value);
                }
                return true;
            case ScalarValue:
                AppendValue(entry, JournalEntryBuilder.EventIdField, value);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Scalars as their plain text (strings unquoted, numbers and dates in the invariant culture); sequences,
    /// structures and dictionaries as Serilog renders them.</summary>
    private static void AppendValue(JournalEntryBuilder entry, ReadOnlySpan<byte> field, LogEventPropertyValue value)
    {
        if (value is ScalarValue scalar)
        {
            switch (scalar.Value)
            {
                case null:
                    entry.Add(field, ReadOnlySpan<char>.Empty);
                    return;
                case string text:
                    entry.Add(field, text);
                    return;
                case ISpanFormattable formattable:
                    entry.Add(field, formattable);
                    return;
                case IFormattable formattable:
                    entry.Add(field, formattable.ToString(null, CultureInfo.InvariantCulture));
                    return;
                default:
                    entry.Add(field, scalar.Value.ToString());
                    return;
            }
        }
        TextWriter writer = entry.BeginText();
        value.Render(writer, null, CultureInfo.InvariantCulture);
        entry.AddText(field);
    }
}
