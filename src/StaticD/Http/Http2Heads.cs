using System.Buffers.Text;
using System.Text;

namespace StaticD.Http;

/// <summary>
/// The HTTP/1.1 request head an HTTP/2 request stands for, built field by field as HPACK decodes them, so that the
/// one HTTP/1.1 path (parser, host → site, path decoding, every per-site decision) answers both protocols.
/// <c>:method :path HTTP/1.1</c>, <c>Host: :authority</c>, then the fields as they came. nghttp2 has already refused
/// what HTTP/1.1 could misread (CR, LF, NUL, upper-case names, connection-specific fields, a pseudo-field after a
/// regular one), so only the size is checked here.
/// </summary>
/// <remarks>The buffer has two halves: the head is written into the first <c>limit</c> bytes, and the pseudo-fields
/// wait in the second half until the first regular field (RFC 9113 §8.3: pseudo-fields come first) lets the request
/// line be written.</remarks>
internal struct Http2RequestHead
{
    private byte[] _buffer;
    private int _limit, _length, _tail;
    private int _method, _methodLength, _path, _pathLength, _authority, _authorityLength;
    private bool _hasMethod, _hasPath, _hasAuthority, _lineWritten;

    /// <summary>More than the limit arrived: the request is answered 431 without being parsed.</summary>
    public bool TooLarge { get; private set; }
    /// <summary>:method is HEAD (the response then has no body, whatever its Content-Length says).</summary>
    public bool IsHead { get; private set; }
    public readonly int Length => _length;

    /// <summary>Starts a head of at most <paramref name="limit"/> bytes in <paramref name="buffer"/> (at least twice
    /// the limit long).</summary>
    public void Begin(byte[] buffer, int limit)
    {
        if (buffer.Length < 2 * limit) throw new ArgumentException("the buffer must hold twice the limit", nameof(buffer));
        this = default;
        _buffer = buffer;
        _limit = limit;
        _tail = 2 * limit;
    }

    public void Add(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (TooLarge) return;
        if (name.Length > 0 && name[0] == (byte)':')
        {
            if (name.SequenceEqual(":method"u8))
            {
                _hasMethod = Keep(value, out _method, out _methodLength);
                IsHead = value.SequenceEqual("HEAD"u8);
            }
            else if (name.SequenceEqual(":path"u8))
            {
                _hasPath = Keep(value, out _path, out _pathLength);
            }
            else if (name.SequenceEqual(":authority"u8))
            {
                _hasAuthority = Keep(value, out _authority, out _authorityLength);
            }
            // :scheme says nothing HTTP/1.1 needs (the transport says whether this is TLS); :protocol is refused
            // by nghttp2 unless extended CONNECT was announced, which it is not.
            return;
        }
        if (!_lineWritten) WriteRequestLine();
        // :authority wins over Host (RFC 9113 §8.3.1); two Host lines would be a 400 in HTTP/1.1.
        if (_hasAuthority && name.SequenceEqual("host"u8)) return;
        if (!Fits(name.Length + value.Length + 4)) return;
        Put(name);
        Put(": "u8);
        Put(value);
        Put("\r\n"u8);
    }

    /// <summary>Ends the head (the empty line); false when it did not fit.</summary>
    public bool Finish()
    {
        if (!_lineWritten) WriteRequestLine();
        if (Fits(2)) Put("\r\n"u8);
        return !TooLarge;
    }

    public readonly ReadOnlySpan<byte> Bytes => new(_buffer, 0, _length);

    private bool Keep(ReadOnlySpan<byte> value, out int start, out int length)
    {
        start = length = 0;
        if (_tail - value.Length < _limit)
        {
            TooLarge = true;
            return false;
        }
        _tail -= value.Length;
        value.CopyTo(_buffer.AsSpan(_tail));
        start = _tail;
        length = value.Length;
        return true;
    }

    private void WriteRequestLine()
    {
        _lineWritten = true;
        if (TooLarge) return;
        // Without :path (CONNECT) the target is the authority, as in HTTP/1.1's authority-form.
        int target = _hasPath ? _path : _authority, targetLength = _hasPath ? _pathLength : _authorityLength;
        int needed = _methodLength + 1 + targetLength + 11 + (_hasAuthority ? 8 + _authorityLength : 0);
        if (!_hasMethod || !Fits(needed)) return;
        Put(_buffer.AsSpan(_method, _methodLength));
        Put(" "u8);
        Put(_buffer.AsSpan(target, targetLength));
        Put(" HTTP/1.1\r\n"u8);
        if (_hasAuthority)
        {
            Put("Host: "u8);
            Put(_buffer.AsSpan(_authority, _authorityLength));
            Put("\r\n"u8);
        }
    }

    private bool Fits(int bytes)
    {
        if (_length + bytes <= _limit) return true;
        TooLarge = true;
        return false;
    }

    private void Put(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    public override readonly string ToString() => Encoding.ASCII.GetString(Bytes);
}

/// <summary>
/// An HTTP/1.1 response head (as <see cref="ResponseHead"/> wrote it) as an HTTP/2 field list: <c>:status</c>, then
/// each field with its name lower-cased (RFC 9113 §8.2.1), without the connection-specific fields HTTP/2 forbids
/// (§8.2.2: Connection, Keep-Alive, Transfer-Encoding, Upgrade, Proxy-Connection).
/// </summary>
internal static class Http2ResponseHead
{
    /// <summary>Entries per field in the offsets list: name start, name length, value start, value length.</summary>
    public const int Stride = 4;

    /// <summary>Translates <paramref name="head"/> (through its empty line) into <paramref name="destination"/>;
    /// <paramref name="fields"/> gets <see cref="Stride"/> offsets per field. Returns the status, or -1 when the head
    /// is not a complete HTTP/1.1 response head or does not fit.</summary>
    public static int Translate(ReadOnlySpan<byte> head, Span<byte> destination, Span<int> fields, out int fieldCount,
        out long contentLength)
    {
        fieldCount = 0;
        contentLength = -1;
        // "HTTP/1.1 200 OK\r\n"
        if (head.Length < 16 || !head.StartsWith("HTTP/1.1 "u8)) return -1;
        ReadOnlySpan<byte> code = head.Slice(9, 3);
        if (!char.IsAsciiDigit((char)code[0]) || !char.IsAsciiDigit((char)code[1]) || !char.IsAsciiDigit((char)code[2])) return -1;
        int status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
        int lineEnd = head.IndexOf("\r\n"u8);
        if (lineEnd < 0) return -1;
        int written = 0;
        if (!Append(destination, ref written, ":status"u8, code, fields, ref fieldCount)) return -1;
        int position = lineEnd + 2;
        while (true)
        {
            ReadOnlySpan<byte> rest = head[position..];
            int end = rest.IndexOf("\r\n"u8);
            if (end < 0) return -1;
            if (end == 0) return status;
            ReadOnlySpan<byte> line = rest[..end];
            position += end + 2;
            int colon = line.IndexOf((byte)':');
            if (colon <= 0) return -1;
            ReadOnlySpan<byte> name = line[..colon];
            ReadOnlySpan<byte> value = line[(colon + 1)..].Trim((byte)' ');
            if (IsConnectionSpecific(name)) continue;
            int nameAt = written;
            if (!Append(destination, ref written, name, value, fields, ref fieldCount)) return -1;
            // Field names are tokens (ResponseHead writes them): setting bit 5 lower-cases letters and leaves the
            // digits and '-' as they are.
            Span<byte> lowered = destination.Slice(nameAt, name.Length);
            for (int i = 0; i < lowered.Length; i++)
            {
                if (lowered[i] is >= (byte)'A' and <= (byte)'Z') lowered[i] |= 0x20;
            }
            if (lowered.Length == 14 && lowered.SequenceEqual("content-length"u8) && Utf8Parser.TryParse(value, out long length, out int used) && used == value.Length)
                contentLength = length;
        }
    }

    private static bool Append(Span<byte> destination, ref int written, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value,
        Span<int> fields, ref int fieldCount)
    {
        if (written + name.Length + value.Length > destination.Length || (fieldCount + 1) * Stride > fields.Length) return false;
        int f = fieldCount * Stride;
        fields[f] = written;
        fields[f + 1] = name.Length;
        name.CopyTo(destination[written..]);
        written += name.Length;
        fields[f + 2] = written;
        fields[f + 3] = value.Length;
        value.CopyTo(destination[written..]);
        written += value.Length;
        fieldCount++;
        return true;
    }

    private static bool IsConnectionSpecific(ReadOnlySpan<byte> name) =>
        (name[0] | 0x20) is (byte)'c' or (byte)'k' or (byte)'t' or (byte)'u' or (byte)'p' && name.Length is 7 or 10 or 16 or 17 && (
        Ascii.EqualsIgnoreCase(name, "Connection"u8) || Ascii.EqualsIgnoreCase(name, "Keep-Alive"u8) ||
        Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8) || Ascii.EqualsIgnoreCase(name, "Upgrade"u8) ||
        Ascii.EqualsIgnoreCase(name, "Proxy-Connection"u8));
}

/// <summary>
/// A response head and where <see cref="Http2ResponseHead.Translate"/> put its fields (in a buffer its owner keeps
/// unchanged), so the same head again is submitted without being parsed again: a page's parts asked for on many
/// streams get the same head (Date included) within a second. Heads of up to 1 KiB with up to 32 fields are kept;
/// the two arrays are allocated once, by the first head kept.
/// </summary>
internal struct HeadTranslation
{
    private const int MaxHeadBytes = 1024, MaxFields = 32;
    private byte[]? _head;
    private int[]? _fields;
    private int _fieldEntries;

    /// <summary>Length of the head kept, through its empty line; 0 when none is.</summary>
    public int HeadLength { get; private set; }
    public int Status { get; private set; }
    public long ContentLength { get; private set; }
    public readonly ReadOnlySpan<int> Fields => _fields.AsSpan(0, _fieldEntries);

    /// <summary><paramref name="data"/> starts with the head kept. The kept head has one empty line, its end, so the
    /// head in <paramref name="data"/> ends where it does.</summary>
    public readonly bool Matches(ReadOnlySpan<byte> data) =>
        HeadLength > 0 && data.Length >= HeadLength && data[..HeadLength].SequenceEqual(_head.AsSpan(0, HeadLength));

    public void Remember(ReadOnlySpan<byte> head, int status, long contentLength, ReadOnlySpan<int> fields)
    {
        HeadLength = 0;
        if (head.Length > MaxHeadBytes || fields.Length > MaxFields * Http2ResponseHead.Stride) return;
        _head ??= new byte[MaxHeadBytes];
        _fields ??= new int[MaxFields * Http2ResponseHead.Stride];
        head.CopyTo(_head);
        fields.CopyTo(_fields);
        _fieldEntries = fields.Length;
        Status = status;
        ContentLength = contentLength;
        HeadLength = head.Length;
    }

    /// <summary>The buffer the fields are in is about to change.</summary>
    public void Forget() => HeadLength = 0;
}
