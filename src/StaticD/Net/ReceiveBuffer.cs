using StaticD.Interop;

namespace StaticD.Net;

/// <summary>
/// The receive buffers of one loop. Heads start in a small buffer — nearly all requests fit in 4 KiB — and move to
/// one of MaxHeaderBytes only when they need it (nginx's client_header_buffer_size / large_client_header_buffers),
/// so a thousand busy connections hold 4 MiB, not 16. Loop thread only.
/// </summary>
internal sealed class ReceiveBufferPool
{
    private readonly Stack<byte[]> _small = new();
    private readonly Stack<byte[]> _large = new();

    public ReceiveBufferPool(int maxHeaderBytes) => Configure(maxHeaderBytes);

    public int SmallSize { get; private set; }
    public int LargeSize { get; private set; }

    /// <summary>On reload: buffers of the old sizes are dropped (those still in use are recognised by size on return).</summary>
    public void Configure(int maxHeaderBytes)
    {
        SmallSize = Math.Min(4096, maxHeaderBytes);
        LargeSize = maxHeaderBytes;
        _small.Clear();
        _large.Clear();
    }

    public byte[] RentSmall() => _small.Count > 0 ? _small.Pop() : GC.AllocateUninitializedArray<byte>(SmallSize);

    public byte[] RentLarge() => _large.Count > 0 ? _large.Pop() : GC.AllocateUninitializedArray<byte>(LargeSize);

    public void Return(byte[] buffer)
    {
        // Keep a few for reuse (a buffer is only held while a head is being read, so few are busy at once); the
        // rest go back to the GC, so a burst of clients does not pin megabytes for ever. A buffer of another size
        // predates a reload that changed MaxHeaderBytes.
        if (buffer.Length == SmallSize)
        {
            if (_small.Count < 64) _small.Push(buffer);
        }
        else if (buffer.Length == LargeSize && _large.Count < 8)
        {
            _large.Push(buffer);
        }
    }
}

/// <summary>
/// The bytes a connection has received and not yet answered: <c>Array[Start..End]</c>. Held only while a head is
/// being read or answered; an idle keep-alive connection holds none (nginx ngx_http_set_keepalive: 10,000 idle
/// clients cost 10,000 small objects, not 10,000 buffers).
/// </summary>
internal struct ReceiveBuffer
{
    public byte[]? Array;
    public int Start, End;

    public readonly bool HasUnparsed => End > Start;
    public readonly ReadOnlySpan<byte> Unparsed => new(Array, Start, End - Start);
    /// <summary>No room left and nothing consumed: a head that fills the buffer.</summary>
    public readonly bool IsFull => Array is not null && Start == 0 && End == Array.Length;

    /// <summary>One receive into the free space (renting a buffer first if none is held). Returns the transport's
    /// result; <paramref name="filledSpace"/> is true when it filled all the space offered (with edge-triggered
    /// epoll, a short read means the socket is drained).</summary>
    public nint ReceiveFrom(ITransport transport, ReceiveBufferPool pool, out Errno errno, out bool filledSpace)
    {
        if (Array is null)
        {
            Array = pool.RentSmall();
            Start = End = 0;
        }
        else if (Start > 0)
        {
            // Keep the unparsed bytes at the front so a head can use the whole buffer.
            Buffer.BlockCopy(Array, Start, Array, 0, End - Start);
            End -= Start;
            Start = 0;
        }
        int space = Array.Length - End;
        nint n = transport.Receive(Array.AsSpan(End, space), out errno);
        if (n > 0) End += (int)n;
        filledSpace = n == space;
        return n;
    }

    /// <summary>A head outgrew the small buffer: move it to one that can hold MaxHeaderBytes.</summary>
    public void Grow(ReceiveBufferPool pool)
    {
        byte[] large = pool.RentLarge();
        Buffer.BlockCopy(Array!, Start, large, 0, End - Start);
        End -= Start;
        Start = 0;
        pool.Return(Array!);
        Array = large;
    }

    /// <summary>The answered head is done with; pipelined bytes after it stay.</summary>
    public void Consume(int count)
    {
        Start += count;
        if (Start == End) Start = End = 0;
    }

    public void Release(ReceiveBufferPool pool)
    {
        if (Array is null) return;
        pool.Return(Array);
        Array = null;
        Start = End = 0;
    }
}
