using System.Buffers.Text;
using System.Runtime.CompilerServices;

namespace StaticD.Http;

/// <summary>
/// Writes a response head into a caller-owned buffer (the loop's scratch buffer). The buffer is sized at start-up
/// to hold the largest head staticd can produce (a Location built from the longest allowed request line,
/// percent-encoded), so the writes need no growth path.
/// </summary>
internal ref struct ResponseWriter(Span<byte> buffer)
{
    private readonly Span<byte> _buffer = buffer;
    private int _position;

    public readonly int Length => _position;
    public readonly ReadOnlySpan<byte> Written => _buffer[.._position];
    /// <summary>The unwritten rest of the buffer, for formatters that write in place; then call Advance.</summary>
    public readonly Span<byte> Free => _buffer[_position..];

    public void Advance(int count) => _position += count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(scoped ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_buffer[_position..]);
        _position += bytes.Length;
    }

    public void WriteDecimal(long value)
    {
        Utf8Formatter.TryFormat(value, _buffer[_position..], out int written);
        _position += written;
    }

    public void WriteHttpDate(long unixSeconds)
    {
        _position += HttpDate.Format(unixSeconds, _buffer[_position..]);
    }

    /// <summary>Percent-encodes a decoded path for a Location header: everything outside RFC 3986 pchar and '/'
    /// is encoded, so a name with spaces, '%', '?' or non-ASCII bytes round-trips to the same file.</summary>
    public void WritePathEncoded(scoped ReadOnlySpan<byte> path)
    {
        foreach (byte b in path)
        {
            if (IsPathChar(b))
            {
                _buffer[_position++] = b;
            }
            else
            {
                _buffer[_position++] = (byte)'%';
                _buffer[_position++] = (byte)"0123456789ABCDEF"[b >> 4];
                _buffer[_position++] = (byte)"0123456789ABCDEF"[b & 0xF];
            }
        }
    }

    private static bool IsPathChar(byte b) =>
        b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
            or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~' or (byte)'/' or (byte)'!' or (byte)'$' or (byte)'&'
            or (byte)'\'' or (byte)'(' or (byte)')' or (byte)'*' or (byte)'+' or (byte)',' or (byte)';' or (byte)'='
            or (byte)':' or (byte)'@';
}
