using System.Buffers;
using StaticD.Files;
using StaticD.Http;
using StaticD.Interop;

namespace StaticD.Net;

/// <summary>How far one call to <see cref="ResponseBody.Send"/> got.</summary>
internal enum SendProgress : byte
{
    /// <summary>Everything queued went out.</summary>
    Done,
    /// <summary>The socket is full: EPOLLOUT resumes.</summary>
    Blocked,
    /// <summary>This connection used its turn; run again after the other connections of this round.</summary>
    Yield,
    /// <summary>The peer is gone (EPIPE, ECONNRESET): close.</summary>
    Failed,
    /// <summary>The file shrank under a Content-Length already sent: close, since nothing else tells the client.</summary>
    Truncated,
}

/// <summary>
/// What is left of one response after its first send: the unsent part of the head, then the body as a list of
/// segments — file ranges (sendfile, or pread + send when the transport cannot sendfile) and memory (multipart part
/// headers, listings, small files). A struct inside its connection: a response costs no allocation of its own.
/// Loop thread only.
/// </summary>
internal struct ResponseBody
{
    // Bytes one sendfile() call may move, and bytes one connection may move before letting the others have the
    // loop: a 100 MiB download on loopback would otherwise keep the loop busy for tens of milliseconds.
    private const int SendFileChunk = 512 * 1024;
    private const int TurnBudget = 1024 * 1024;
    // The copy path's buffer: big enough that pread + send cost little per byte, small enough to pool. Over TLS
    // it is four full 16 KiB records, which TlsTransport writes to the socket as one batch.
    private const int CopyChunk = 64 * 1024;

    private struct Segment
    {
        public bool IsFile;
        public long Offset;
        public long Length;
    }

    private byte[]? _pending;
    private int _pendingOffset, _pendingEnd;
    private int _fileFd;
    /// <summary>The cache's file this response reads from (its descriptor is borrowed, never closed here).</summary>
    private FileCache.CachedFile? _cachedFile;
    private Segment[]? _segments;
    private int _count, _index;
    private byte[]? _memory;
    private bool _memoryRented;
    /// <summary>Where "file" segments come from when the representation is in memory (multipart of a compressed
    /// result); null: from <see cref="_fileFd"/>.</summary>
    private byte[]? _source;
    private byte[]? _copy;
    private int _copyStart, _copyEnd;

    public ResponseBody() => _fileFd = -1;

    /// <summary>Segments remain (the head is sent with MSG_MORE then).</summary>
    public readonly bool HasSegments => _index < _count;
    public readonly bool HasPending => _pending is not null;
    /// <summary>Where the last file segment stopped, for the "file was truncated" log line.</summary>
    public readonly long FileOffset => _count > 0 && _index < _count ? _segments![_index].Offset : 0;

    /// <summary>The body reads from a descriptor the file cache owns; it is released, not closed.</summary>
    public void BorrowFrom(FileCache.CachedFile file) => _cachedFile = file;
    public readonly bool IsBorrowed => _cachedFile is not null;

    public void SetFile(int fd, long offset, long length)
    {
        _fileFd = fd;
        One(new Segment { IsFile = true, Offset = offset, Length = length });
    }

    public void SetMemory(byte[] body, long offset = 0, long length = -1)
    {
        _memory = body;
        _memoryRented = false;
        One(new Segment { IsFile = false, Offset = offset, Length = length < 0 ? body.Length : length });
    }

    /// <summary>multipart/byteranges: part header, range, part header, range, …, closing delimiter. The part
    /// headers are rendered once into one pooled buffer; the ranges go out like any file body.</summary>
    /// <remarks>
    /// <paramref name="source"/>: the whole representation in memory (a compressed result), which the ranges are then
    /// cut from instead of the file.</remarks>
    public void SetMultipart(int fd, byte[]? source, ReadOnlySpan<ByteRange> ranges, ReadOnlySpan<byte> boundary,
        ReadOnlySpan<byte> contentType, long total)
    {
        _source = fd < 0 ? source : null;
        int needed = ranges.Length * MultipartByteRanges.MaxPartHeaderLength(boundary.Length, contentType.Length) + boundary.Length + 16;
        _memory = ArrayPool<byte>.Shared.Rent(needed);
        _memoryRented = true;
        int segments = ranges.Length * 2 + 1;
        if (_segments is null || _segments.Length < segments) _segments = new Segment[segments];
        _fileFd = fd;
        int position = 0, s = 0;
        foreach (ByteRange range in ranges)
        {
            int written = MultipartByteRanges.WritePartHeader(_memory.AsSpan(position), boundary, contentType, range, total);
            _segments[s++] = new Segment { IsFile = false, Offset = position, Length = written };
            position += written;
            _segments[s++] = new Segment { IsFile = true, Offset = range.Offset, Length = range.Length };
        }
        int closing = MultipartByteRanges.WriteClosing(_memory.AsSpan(position), boundary);
        _segments[s++] = new Segment { IsFile = false, Offset = position, Length = closing };
        _count = s;
        _index = 0;
    }

    private void One(Segment segment)
    {
        _segments ??= new Segment[1];
        _segments[0] = segment;
        _count = 1;
        _index = 0;
    }

    /// <summary>A small memory body joins the head in <paramref name="head"/> so both leave in one send();
    /// returns the bytes appended (0 if it does not fit or the body is not one memory segment).</summary>
    public int AppendSmallBodyTo(Span<byte> head, int headLength)
    {
        if (_count != 1 || _segments![0].IsFile || _segments[0].Length > head.Length - headLength) return 0;
        int length = (int)_segments[0].Length;
        _memory.AsSpan((int)_segments[0].Offset, length).CopyTo(head[headLength..]);
        _count = 0;
        if (_memoryRented) ArrayPool<byte>.Shared.Return(_memory!);
        _memory = null;
        return length;
    }

    /// <summary>Keeps the part of a head the socket did not take; only then does a response copy its head out
    /// of the loop's scratch buffer.</summary>
    public void KeepUnsentHead(ReadOnlySpan<byte> rest)
    {
        _pending = ArrayPool<byte>.Shared.Rent(rest.Length);
        rest.CopyTo(_pending);
        _pendingOffset = 0;
        _pendingEnd = rest.Length;
    }

    /// <summary>Sends what is left until done, blocked, out of turn budget, or failed. <paramref name="sent"/>
    /// counts the bytes that went out in this call.</summary>
    public SendProgress Send(ITransport transport, out long sent)
    {
        sent = 0;
        if (_pending is not null)
        {
            SendProgress p = SendMemory(transport, _pending, ref _pendingOffset, _pendingEnd, HasSegments, ref sent);
            if (p != SendProgress.Done) return p;
            ArrayPool<byte>.Shared.Return(_pending);
            _pending = null;
        }
        while (_index < _count)
        {
            ref Segment segment = ref _segments![_index];
            bool more = _index + 1 < _count;
            SendProgress p;
            if (!segment.IsFile || _source is not null)
            {
                int offset = (int)segment.Offset;
                p = SendMemory(transport, segment.IsFile ? _source! : _memory!, ref offset, offset + (int)segment.Length, more, ref sent);
                segment.Length -= offset - segment.Offset;
                segment.Offset = offset;
            }
            else
            {
                p = transport.CanSendFile ? SendFile(transport, ref segment, ref sent) : CopyFile(transport, ref segment, more, ref sent);
            }
            if (p != SendProgress.Done) return p;
            _index++;
            if (sent >= TurnBudget && _index < _count) return SendProgress.Yield;
        }
        return SendProgress.Done;
    }

    private readonly SendProgress SendFile(ITransport transport, ref Segment segment, ref long sent)
    {
        while (segment.Length > 0)
        {
            nint n = transport.SendFile(_fileFd, ref segment.Offset, Math.Min(segment.Length, SendFileChunk), out Errno errno);
            if (n > 0)
            {
                segment.Length -= n;
                sent += n;
                if (sent >= TurnBudget && segment.Length > 0) return SendProgress.Yield;
                continue;
            }
            if (n == 0) return SendProgress.Truncated;
            return errno == Errno.EAGAIN ? SendProgress.Blocked : SendProgress.Failed;
        }
        return SendProgress.Done;
    }

    /// <summary>The path for transports that cannot sendfile: pread a chunk into a pooled buffer, send it, repeat.
    /// A chunk the socket only partly took stays in the buffer for the next EPOLLOUT.</summary>
    private SendProgress CopyFile(ITransport transport, ref Segment segment, bool moreAfter, ref long sent)
    {
        _copy ??= ArrayPool<byte>.Shared.Rent(CopyChunk);
        while (true)
        {
            if (_copyStart == _copyEnd)
            {
                if (segment.Length == 0) return SendProgress.Done;
                int want = (int)Math.Min(segment.Length, _copy.Length);
                nint n = Syscall.PRead(_fileFd, _copy.AsSpan(0, want), segment.Offset, out _);
                if (n <= 0) return SendProgress.Truncated;
                segment.Offset += n;
                segment.Length -= n;
                _copyStart = 0;
                _copyEnd = (int)n;
            }
            SendProgress p = SendMemory(transport, _copy, ref _copyStart, _copyEnd, segment.Length > 0 || moreAfter, ref sent);
            if (p != SendProgress.Done) return p;
            if (sent >= TurnBudget && segment.Length > 0) return SendProgress.Yield;
        }
    }

    /// <summary>send() from a buffer until done or the socket is full.</summary>
    public static SendProgress SendMemory(ITransport transport, byte[] buffer, ref int offset, int end, bool more, ref long sent)
    {
        while (offset < end)
        {
            nint n = transport.Send(buffer.AsSpan(offset, end - offset), more, out Errno errno);
            if (n < 0) return errno == Errno.EAGAIN ? SendProgress.Blocked : SendProgress.Failed;
            offset += (int)n;
            sent += n;
        }
        return SendProgress.Done;
    }

    /// <summary>Closes or returns everything the response held: the file (unless the cache owns it), pooled
    /// buffers, unsent head bytes.</summary>
    public void Release()
    {
        if (_cachedFile is not null)
        {
            _cachedFile.Release();
            _cachedFile = null;
        }
        else
        {
            Syscall.Close(_fileFd);
        }
        _fileFd = -1;
        _source = null;
        if (_memory is not null)
        {
            if (_memoryRented) ArrayPool<byte>.Shared.Return(_memory);
            _memory = null;
        }
        if (_copy is not null)
        {
            ArrayPool<byte>.Shared.Return(_copy);
            _copy = null;
        }
        _copyStart = _copyEnd = 0;
        if (_pending is not null)
        {
            ArrayPool<byte>.Shared.Return(_pending);
            _pending = null;
        }
        _count = _index = 0;
    }

    /// <summary>Loop exit after the shutdown timeout: close the file without touching the cache's bookkeeping
    /// (the loop is going away with it).</summary>
    public void ForceRelease()
    {
        if (_cachedFile is null) Syscall.Close(_fileFd);
        _fileFd = -1;
        _cachedFile = null;
    }
}
