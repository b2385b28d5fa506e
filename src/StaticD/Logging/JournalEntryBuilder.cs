using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace StaticD.Logging;

/// <summary>
/// Serialises one journal entry in the native protocol's format (systemd.io/JOURNAL_NATIVE_PROTOCOL, "Data
/// Format") into a buffer that is reused from entry to entry. Not thread-safe: the sink owns one and locks
/// around it.
/// </summary>
/// <remarks>
/// Each field is either <c>NAME=value\n</c> or, when the value holds a newline (which the first form could not
/// delimit), <c>NAME\n</c> + the value's length as an unaligned little-endian 64-bit integer + the raw value +
/// <c>\n</c>. Values are UTF-8. A '\n' char always encodes to the single byte 0x0A and 0x0A never occurs inside a
/// multi-byte UTF-8 sequence, so checking the chars for '\n' is the same as checking the bytes.
/// </remarks>
internal sealed class JournalEntryBuilder
{
    public static ReadOnlySpan<byte> MessageField => "MESSAGE"u8;
    public static ReadOnlySpan<byte> PriorityField => "PRIORITY"u8;
    public static ReadOnlySpan<byte> IdentifierField => "SYSLOG_IDENTIFIER"u8;
    public static ReadOnlySpan<byte> ExceptionField => "EXCEPTION"u8;
    public static ReadOnlySpan<byte> EventIdField => "EVENT_ID"u8;
    public static ReadOnlySpan<byte> EventNameField => "EVENT_NAME"u8;

    private const int InitialBytes = 16 * 1024;
    private const int InitialChars = 1024;

    /// <summary>Past this, a buffer grown by one huge entry is dropped after use rather than kept for the
    /// process's lifetime.</summary>
    private const int RetainLimit = 256 * 1024;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private byte[] _buffer = new byte[InitialBytes];
    private int _length;
    private StringBuilder _text = new(InitialChars);
    private StringWriter _textWriter;
    private readonly Encoder _encoder = Utf8.GetEncoder();
    private char[] _scratch = new char[128];

    public JournalEntryBuilder() => _textWriter = new StringWriter(_text, CultureInfo.InvariantCulture);

    /// <summary>The serialised entry so far (the array may be longer; see <see cref="Length"/>).</summary>
    public byte[] Buffer => _buffer;

    public int Length => _length;

    public ReadOnlySpan<byte> Payload => _buffer.AsSpan(0, _length);

    /// <summary>Starts a new entry, giving back memory a previous oversized entry took.</summary>
    public void Reset()
    {
        _length = 0;
        if (_buffer.Length > RetainLimit) _buffer = new byte[InitialBytes];
        if (_text.Capacity > RetainLimit)
        {
            _text = new StringBuilder(InitialChars);
            _textWriter = new StringWriter(_text, CultureInfo.InvariantCulture);
        }
        _text.Clear();
    }

    /// <summary>An empty text writer to render a value into; finish with <see cref="AddText"/>.</summary>
    public TextWriter BeginText()
    {
        _text.Clear();
        return _textWriter;
    }

    /// <summary>Adds the field <paramref name="name"/> with what was rendered since <see cref="BeginText"/>.</summary>
    public void AddText(ReadOnlySpan<byte> name)
    {
        bool hasNewline = false;
        foreach (ReadOnlyMemory<char> chunk in _text.GetChunks())
            hasNewline |= chunk.Span.Contains('\n');

        // Encoded chunk by chunk straight into the buffer; the Encoder carries a surrogate pair split across two
        // chunks. The binary form's length is patched in afterwards (EndField).
        int valueStart = BeginField(name, hasNewline, _text.Length);
        _encoder.Reset();
        foreach (ReadOnlyMemory<char> chunk in _text.GetChunks())
        {
            EnsureCapacity(Utf8.GetMaxByteCount(chunk.Length));
            _length += _encoder.GetBytes(chunk.Span, _buffer.AsSpan(_length), flush: false);
        }
        EnsureCapacity(Utf8.GetMaxByteCount(0));
        _length += _encoder.GetBytes(ReadOnlySpan<char>.Empty, _buffer.AsSpan(_length), flush: true);
        EndField(valueStart, hasNewline);
        _text.Clear();
    }

    public void Add(ReadOnlySpan<byte> name, ReadOnlySpan<char> value)
    {
        bool binary = value.Contains('\n');
        int valueStart = BeginField(name, binary, Utf8.GetMaxByteCount(value.Length));
        _length += Utf8.GetBytes(value, _buffer.AsSpan(_length));
        EndField(valueStart, binary);
    }

    /// <summary>Adds a field whose value is already UTF-8.</summary>
    public void Add(ReadOnlySpan<byte> name, ReadOnlySpan<byte> utf8Value)
    {
        bool binary = utf8Value.Contains((byte)'\n');
        int valueStart = BeginField(name, binary, utf8Value.Length);
        utf8Value.CopyTo(_buffer.AsSpan(_length));
        _length += utf8Value.Length;
        EndField(valueStart, binary);
    }

    /// <summary>Adds a value formatted with the invariant culture, without a string in between.</summary>
    public void Add(ReadOnlySpan<byte> name, ISpanFormattable value)
    {
        int charsWritten;
        while (!value.TryFormat(_scratch, out charsWritten, default, CultureInfo.InvariantCulture))
        {
            // A formatter that keeps failing at any size would loop forever; none in the BCL does, but a
            // user type could, so the buffer stops growing at 1 Mi chars and the slow path takes over.
            if (_scratch.Length >= 1024 * 1024)
            {
                Add(name, value.ToString(null, CultureInfo.InvariantCulture));
                return;
            }
            _scratch = new char[_scratch.Length * 2];
        }
        Add(name, _scratch.AsSpan(0, charsWritten));
    }

    /// <summary>Appends bytes that are already one or more complete serialised fields.</summary>
    public void AddRaw(ReadOnlySpan<byte> fields)
    {
        EnsureCapacity(fields.Length);
        fields.CopyTo(_buffer.AsSpan(_length));
        _length += fields.Length;
    }

    /// <summary>The serialised form of a single field, for fields that never change (computed once).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> name, string value)
    {
        var builder = new JournalEntryBuilder();
        builder.Add(name, value);
        return builder.Payload.ToArray();
    }

    /// <summary>
    /// Writes the name and the separator ("=", or "\n" and room for the 8-byte length), reserving
    /// <paramref name="valueCapacity"/> bytes for the value; returns where the value starts.
    /// </summary>
    private int BeginField(ReadOnlySpan<byte> name, bool binary, int valueCapacity)
    {
        EnsureCapacity(name.Length + 1 + sizeof(ulong) + valueCapacity + 1);
        name.CopyTo(_buffer.AsSpan(_length));
        _length += name.Length;
        if (binary)
        {
            _buffer[_length++] = (byte)'\n';
            _length += sizeof(ulong);
        }
        else
        {
            _buffer[_length++] = (byte)'=';
        }
        return _length;
    }

    /// <summary>Closes a field whose value ends at the current length: fills in the binary form's length, adds "\n".</summary>
    private void EndField(int valueStart, bool binary)
    {
        if (binary)
            BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(valueStart - sizeof(ulong)), (ulong)(_length - valueStart));
        EnsureCapacity(1);
        _buffer[_length++] = (byte)'\n';
    }

    private void EnsureCapacity(int extra)
    {
        long needed = (long)_length + extra;
        if (needed <= _buffer.Length) return;
        if (needed > Array.MaxLength) throw new InvalidOperationException("journal entry too large");
        long size = Math.Max(needed, (long)_buffer.Length * 2);
        Array.Resize(ref _buffer, (int)Math.Min(size, Array.MaxLength));
    }
}
