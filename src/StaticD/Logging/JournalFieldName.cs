namespace StaticD.Logging;

/// <summary>
/// Turns a Serilog property name into a journal field name journald will keep. journald accepts only
/// [A-Z0-9_], at most 64 bytes, not starting with a digit, and silently drops client fields that start with "_"
/// (those are its trusted fields) — systemd.io/JOURNAL_NATIVE_PROTOCOL, "Data Format"; systemd.journal-fields(7).
/// </summary>
internal static class JournalFieldName
{
    /// <summary>journald's limit on a field name's length (JOURNAL_FIELD_NAME_MAX in its sources' terms).</summary>
    public const int MaxLength = 64;

    /// <summary>What a name that would be rejected (leading digit or "_") or that collides with a field the sink
    /// writes itself gets in front of it.</summary>
    private static ReadOnlySpan<byte> Prefix => "F_"u8;

    /// <summary>
    /// Writes the journal form of <paramref name="name"/> into <paramref name="destination"/> (at least
    /// <see cref="MaxLength"/> bytes) and returns its length. Upper-cases ASCII letters, maps every other character
    /// outside [A-Z0-9_] to "_", prefixes "F_" where needed, and truncates to 64 bytes.
    /// </summary>
    public static int Write(ReadOnlySpan<char> name, Span<byte> destination)
    {
        int length = 0;
        // Anything but a letter first would map to a leading digit or "_", both of which journald refuses.
        bool needsPrefix = name.IsEmpty || !char.IsAsciiLetter(name[0]);
        if (needsPrefix)
        {
            Prefix.CopyTo(destination);
            length = Prefix.Length;
        }
        for (int i = 0; i < name.Length && length < MaxLength; i++)
            destination[length++] = Map(name[i]);

        // A property that maps onto one of the sink's own fields (say "Message" or "Priority") would make a second
        // MESSAGE= or PRIORITY= in the entry; the protocol allows repeats but readers show only the first, so the
        // property would be shadowed silently. It is kept under the prefixed name instead.
        if (!needsPrefix && IsReserved(destination[..length]))
        {
            int kept = Math.Min(length, MaxLength - Prefix.Length);
            destination[..kept].CopyTo(destination[Prefix.Length..]);
            Prefix.CopyTo(destination);
            length = kept + Prefix.Length;
        }
        return length;
    }

    /// <summary>Convenience for tests and one-off names (allocates).</summary>
    public static string ToFieldName(string name)
    {
        Span<byte> buffer = stackalloc byte[MaxLength];
        int length = Write(name, buffer);
        return System.Text.Encoding.ASCII.GetString(buffer[..length]);
    }

    private static byte Map(char c)
    {
        if (c is >= 'A' and <= 'Z' or >= '0' and <= '9' or '_') return (byte)c;
        if (c is >= 'a' and <= 'z') return (byte)(c - 'a' + 'A');
        return (byte)'_';
    }

    private static bool IsReserved(ReadOnlySpan<byte> field) =>
        field.SequenceEqual(JournalEntryBuilder.MessageField) ||
        field.SequenceEqual(JournalEntryBuilder.PriorityField) ||
        field.SequenceEqual(JournalEntryBuilder.IdentifierField) ||
        field.SequenceEqual(JournalEntryBuilder.ExceptionField) ||
        field.SequenceEqual(JournalEntryBuilder.EventIdField) ||
        field.SequenceEqual(JournalEntryBuilder.EventNameField);
}
