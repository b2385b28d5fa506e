using System.Security.Cryptography;
using StaticD.Interop;

namespace StaticD.Tls;

/// <summary>
/// The keys that seal TLS session tickets, one set for the whole process: every loop and every certificate
/// context uses them, and they outlive reloads, so a client resumes wherever its next connection lands. The
/// current key rotates every <see cref="RotateAfter"/>; the one before it still opens tickets (the client then gets
/// a fresh one), so a ticket lives at most two periods, and a leaked key exposes only those hours (forward secrecy
/// for resumed sessions is bounded by the rotation, which is why keys are never written anywhere).
/// </summary>
internal sealed class TicketKeys : ITicketKeySource
{
    public static readonly TimeSpan RotateAfter = TimeSpan.FromHours(6);
    private const int NameLength = 16, KeyLength = 32;

    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private byte[] _current = NewKey(), _previous = NewKey();
    private DateTimeOffset _rotatedAt;

    public TicketKeys(TimeProvider time)
    {
        _time = time;
        _rotatedAt = time.GetUtcNow();
    }

    public static readonly TicketKeys Shared = new(TimeProvider.System);

    /// <summary>A random name (16 bytes), AES key and HMAC key (32 bytes each).</summary>
    private static byte[] NewKey() => RandomNumberGenerator.GetBytes(NameLength + KeyLength + KeyLength);

    public void Current(Span<byte> name, Span<byte> aesKey, Span<byte> hmacKey)
    {
        lock (_lock)
        {
            if (_time.GetUtcNow() - _rotatedAt >= RotateAfter)
            {
                Array.Clear(_previous);
                _previous = _current;
                _current = NewKey();
                _rotatedAt = _time.GetUtcNow();
            }
            Split(_current, name, aesKey, hmacKey);
        }
    }

    public int Find(ReadOnlySpan<byte> name, Span<byte> aesKey, Span<byte> hmacKey)
    {
        lock (_lock)
        {
            bool expired = _time.GetUtcNow() - _rotatedAt >= RotateAfter + RotateAfter;
            if (name.SequenceEqual(_current.AsSpan(0, NameLength)))
            {
                Split(_current, default, aesKey, hmacKey);
                return 1;
            }
            if (!expired && name.SequenceEqual(_previous.AsSpan(0, NameLength)))
            {
                Split(_previous, default, aesKey, hmacKey);
                return 2; // valid, but sealed with the old key: issue a new ticket
            }
            return 0;
        }
    }

    private static void Split(byte[] key, Span<byte> name, Span<byte> aesKey, Span<byte> hmacKey)
    {
        if (!name.IsEmpty) key.AsSpan(0, NameLength).CopyTo(name);
        key.AsSpan(NameLength, KeyLength).CopyTo(aesKey);
        key.AsSpan(NameLength + KeyLength, KeyLength).CopyTo(hmacKey);
    }
}
