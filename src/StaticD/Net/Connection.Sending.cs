using System.Buffers;
using System.Buffers.Text;
using System.IO.Compression;
using Microsoft.Win32.SafeHandles;
using StaticD.Http;
using StaticD.Logging;
using StaticD.Site;
using StaticD.Interop;

namespace StaticD.Net;

/// <summary>
/// Moving bytes out: the head (from the loop's scratch buffer, copied only if the socket takes part of it), then
/// the body as a list of segments — file ranges go out with sendfile, memory (multipart part headers, listings)
/// with send — or, for a decompressed body, chunks produced on the thread pool.
/// </summary>
internal sealed unsafe partial class Connection
{
    // Bytes one sendfile() call may move, and bytes one connection may move before letting the others have the
    // loop: a 100 MiB download on loopback would otherwise keep the loop busy for tens of milliseconds.
    private const int SendFileChunk = 512 * 1024;
    private const int TurnBudget = 1024 * 1024;
    // A decoded chunk: "<hex size>\r\n" + data + "\r\n", with room for the last "0\r\n\r\n".
    private const int ChunkPrefix = 8;
    private const int ChunkData = 32 * 1024;

    private struct BodySegment
    {
        public bool IsFile;
        public long Offset;
        public long Length;
    }

    private byte[]? _pending;
    private int _pendingOffset, _pendingEnd;

    private int _fileFd = -1;
    /// <summary>The cache's file this response reads from (its descriptor is borrowed, never closed here).</summary>
    private Files.FileCache.CachedFile? _cachedFile;
    private BodySegment[] _segments = new BodySegment[1];
    private int _segmentCount, _segmentIndex;
    private byte[]? _memory;
    private bool _memoryRented;

    private Stream? _decoder;
    private ContentCoding _decodeFrom;
    private byte[]? _chunk;
    private int _chunkStart, _chunkEnd;
    private bool _chunked, _decoderDone, _produceFailed;

    // ───────────────────────────── body plans ─────────────────────────────

    private void SetFileBody(int fd, long offset, long length)
    {
        _fileFd = fd;
        _segments[0] = new BodySegment { IsFile = true, Offset = offset, Length = length };
        _segmentCount = 1;
        _segmentIndex = 0;
    }

    private void SetMemoryBody(byte[] body, long offset = 0, long length = -1)
    {
        _memory = body;
        _memoryRented = false;
        _segments[0] = new BodySegment { IsFile = false, Offset = offset, Length = length < 0 ? body.Length : length };
        _segmentCount = 1;
        _segmentIndex = 0;
    }

    /// <summary>multipart/byteranges: part header, range, part header, range, …, closing delimiter. The part
    /// headers are rendered once into one pooled buffer; the ranges go out with sendfile like any file body.</summary>
    private void SetMultipartBody(int fd, ReadOnlySpan<ByteRange> ranges, ReadOnlySpan<byte> boundary, ReadOnlySpan<byte> contentType, long total)
    {
        int needed = ranges.Length * MultipartByteRanges.MaxPartHeaderLength(boundary.Length, contentType.Length) + boundary.Length + 16;
        _memory = ArrayPool<byte>.Shared.Rent(needed);
        _memoryRented = true;
        int segments = ranges.Length * 2 + 1;
        if (_segments.Length < segments) _segments = new BodySegment[segments];
        _fileFd = fd;
        int position = 0, s = 0;
        foreach (ByteRange range in ranges)
        {
            int written = MultipartByteRanges.WritePartHeader(_memory.AsSpan(position), boundary, contentType, range, total);
            _segments[s++] = new BodySegment { IsFile = false, Offset = position, Length = written };
            position += written;
            _segments[s++] = new BodySegment { IsFile = true, Offset = range.Offset, Length = range.Length };
        }
        int closing = MultipartByteRanges.WriteClosing(_memory.AsSpan(position), boundary);
        _segments[s++] = new BodySegment { IsFile = false, Offset = position, Length = closing };
        _segmentCount = s;
        _segmentIndex = 0;
    }

    private void StartDecodedBody(int fd, ContentCoding from, bool chunked)
    {
        _fileFd = fd;
        _decodeFrom = from;
        _chunked = chunked;
        _decoderDone = _produceFailed = false;
        _chunk = ArrayPool<byte>.Shared.Rent(ChunkPrefix + ChunkData + 8);
        _chunkStart = _chunkEnd = 0;
        _segmentCount = _segmentIndex = 0;
    }

    private bool HasBody => _segmentCount > 0 || _chunk is not null;

    // ───────────────────────────── sending ─────────────────────────────

    /// <summary>Sends the head from the loop's scratch buffer; only if the socket cannot take it all at once are
    /// the remaining bytes copied into a buffer of the connection's own.</summary>
    private void SendHead(int length)
    {
        _state = State.Sending;
        if (_segmentCount == 1 && !_segments[0].IsFile && _segments[0].Length <= _loop.Scratch.Length - length)
        {
            // A small body joins the head in the scratch buffer: one send() for the whole response.
            _memory.AsSpan((int)_segments[0].Offset, (int)_segments[0].Length).CopyTo(_loop.Scratch.AsSpan(length));
            length += (int)_segments[0].Length;
            _segmentCount = 0;
            _memory = null;
        }
        nint n;
        Errno errno;
        // MSG_MORE: the head waits for the first body bytes so both share a packet.
        fixed (byte* p = _loop.Scratch)
            n = Syscall.Send(Fd, p, length, HasBody, out errno);
        if (n > 0) CountSent(n);
        if (n == length)
        {
            ContinueSend();
            return;
        }
        if (n < 0 && errno != Errno.EAGAIN)
        {
            CloseNow();
            return;
        }
        int sent = n > 0 ? (int)n : 0;
        _pending = ArrayPool<byte>.Shared.Rent(length - sent);
        Buffer.BlockCopy(_loop.Scratch, sent, _pending, 0, length - sent);
        _pendingOffset = 0;
        _pendingEnd = length - sent;
        Deadline = _loop.NowMs + _context.Limits.SendTimeoutSeconds * 1000L;
    }

    private void ContinueSend()
    {
        long now = _loop.NowMs;
        long sendTimeout = _context.Limits.SendTimeoutSeconds * 1000L;
        if (_pending is not null)
        {
            if (!SendMemory(_pending, ref _pendingOffset, _pendingEnd, HasBody)) return;
            ReturnPending();
        }

        long sentThisTurn = 0;
        while (_segmentIndex < _segmentCount)
        {
            ref BodySegment segment = ref _segments[_segmentIndex];
            bool more = _segmentIndex + 1 < _segmentCount;
            if (!segment.IsFile)
            {
                int offset = (int)segment.Offset;
                int end = offset + (int)segment.Length;
                bool done = SendMemory(_memory!, ref offset, end, more);
                segment.Length -= offset - segment.Offset;
                segment.Offset = offset;
                if (!done) return;
                _segmentIndex++;
                continue;
            }
            nint n = Syscall.SendFile(Fd, _fileFd, ref segment.Offset, Math.Min(segment.Length, SendFileChunk), out Errno errno);
            if (n > 0)
            {
                CountSent(n);
                segment.Length -= n;
                sentThisTurn += n;
                Deadline = now + sendTimeout;
                if (segment.Length == 0) _segmentIndex++;
                if (sentThisTurn >= TurnBudget && _segmentIndex < _segmentCount)
                {
                    _loop.Yield(this);
                    return;
                }
                continue;
            }
            if (n == 0)
            {
                // The file shrank after its length went out in Content-Length: the response cannot be completed,
                // and closing is the only way to tell the client (nginx logs "file was truncated" the same way).
                Log.FileTruncated(_loop.Logger, PathString(), segment.Offset);
                CloseNow();
                return;
            }
            if (errno == Errno.EAGAIN)
            {
                Deadline = now + sendTimeout;
                return;
            }
            CloseNow(); // EPIPE, ECONNRESET: the client went away.
            return;
        }

        if (_chunk is not null)
        {
            if (_chunkStart < _chunkEnd && !SendMemory(_chunk, ref _chunkStart, _chunkEnd, !_decoderDone)) return;
            if (!_decoderDone)
            {
                // Next piece of the decoded body: decompression reads the disk and burns CPU, so it runs on the pool.
                _state = State.Producing;
                Deadline = long.MaxValue;
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                return;
            }
        }
        FinishResponse();
    }

    /// <summary>send() from a buffer until done (true) or the socket is full (false; EPOLLOUT resumes). Closes
    /// the connection on a real error (and returns false).</summary>
    private bool SendMemory(byte[] buffer, ref int offset, int end, bool more)
    {
        while (offset < end)
        {
            nint n;
            Errno errno;
            fixed (byte* p = &buffer[offset])
                n = Syscall.Send(Fd, p, end - offset, more, out errno);
            if (n < 0)
            {
                if (errno != Errno.EAGAIN) CloseNow();
                else Deadline = _loop.NowMs + _context.Limits.SendTimeoutSeconds * 1000L;
                return false;
            }
            offset += (int)n;
            CountSent(n);
        }
        return true;
    }

    private void CountSent(nint n)
    {
        _bytesSent += n;
        _loop.BytesSent += n;
    }

    // ───────────────────────────── decoding on the pool ─────────────────────────────

    /// <summary>Thread pool: decompress the next piece into <see cref="_chunk"/>, framed as an HTTP/1.1 chunk.</summary>
    private void Produce()
    {
        try
        {
            if (_decoder is null)
            {
                var file = new FileStream(new SafeFileHandle(_fileFd, ownsHandle: true), FileAccess.Read, bufferSize: 0);
                _fileFd = -1; // the stream owns it now
                _decoder = _decodeFrom == ContentCoding.Brotli
                    ? new BrotliStream(file, CompressionMode.Decompress)
                    : new GZipStream(file, CompressionMode.Decompress);
            }
            byte[] chunk = _chunk!;
            int n = _decoder.ReadAtLeast(chunk.AsSpan(ChunkPrefix, ChunkData), ChunkData, throwOnEndOfStream: false);
            if (n == 0)
            {
                _decoderDone = true;
                ReadOnlySpan<byte> last = _chunked ? "0\r\n\r\n"u8 : default;
                last.CopyTo(chunk);
                _chunkStart = 0;
                _chunkEnd = last.Length;
                return;
            }
            _chunkEnd = ChunkPrefix + n;
            _chunkStart = ChunkPrefix;
            if (_chunked)
            {
                // chunk = chunk-size CRLF chunk-data CRLF (RFC 9112 §7.1); the size goes right before the data.
                Span<byte> size = stackalloc byte[8];
                Utf8Formatter.TryFormat(n, size, out int digits, new System.Buffers.StandardFormat('x'));
                _chunkStart = ChunkPrefix - digits - 2;
                size[..digits].CopyTo(chunk.AsSpan(_chunkStart));
                "\r\n"u8.CopyTo(chunk.AsSpan(ChunkPrefix - 2));
                "\r\n"u8.CopyTo(chunk.AsSpan(_chunkEnd));
                _chunkEnd += 2;
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            _produceFailed = true;
        }
    }

    private void OnProduced()
    {
        if (_produceFailed)
        {
            // A corrupt compressed file: the head is gone already, so the only honest signal is to close.
            Log.DecodeFailed(_loop.Logger, PathString());
            CloseNow();
            return;
        }
        Deadline = _loop.NowMs + _context.Limits.SendTimeoutSeconds * 1000L;
        ContinueSend();
    }

    // ───────────────────────────── after the response ─────────────────────────────

    private void FinishResponse()
    {
        if (_logPending) LogAccess();
        ReleaseBody();
        if (!_keepAlive)
        {
            // Linger only when the client may still be sending (nginx's lingering_close heuristic): closing with
            // unread bytes would reset the connection and could destroy the response. A clean "Connection:
            // close" request is closed at once, which saves a round of events per request for such clients.
            bool unread = !_headParsed || _bodyDeclared || _peerClosed == false && _recv is not null && _recvEnd > _recvStart + _headLength;
            if (unread) BeginLingeringClose();
            else CloseNow();
            return;
        }
        _recvStart += _headLength;
        _headLength = 0;
        if (_recvStart == _recvEnd) _recvStart = _recvEnd = 0;
        _state = State.ReadingHead;
        Deadline = _loop.NowMs + (_recvEnd > _recvStart
            ? _context.Limits.HeaderTimeoutSeconds
            : _context.Limits.KeepAliveTimeoutSeconds) * 1000L;
        // Pipelined requests may already be buffered: answer them now.
        ProcessInput();
    }

    private void ReleaseBody()
    {
        if (_fileFd >= 0 && _cachedFile is null) Syscall.Close(_fileFd);
        _fileFd = -1;
        if (_cachedFile is not null)
        {
            _cachedFile.Release();
            _cachedFile = null;
        }
        if (_memory is not null)
        {
            if (_memoryRented) ArrayPool<byte>.Shared.Return(_memory);
            _memory = null;
        }
        if (_decoder is not null)
        {
            _decoder.Dispose();
            _decoder = null;
        }
        if (_chunk is not null)
        {
            ArrayPool<byte>.Shared.Return(_chunk);
            _chunk = null;
        }
        _segmentCount = _segmentIndex = 0;
    }

    /// <summary>Done with a file descriptor that carries no body (HEAD, empty file, small file sent from memory).</summary>
    private void ReleaseFileFd(int fd)
    {
        if (_cachedFile is null) Syscall.Close(fd);
    }

    private void ReturnPending()
    {
        if (_pending is null) return;
        ArrayPool<byte>.Shared.Return(_pending);
        _pending = null;
    }

    private void BeginLingeringClose()
    {
        Libc.shutdown(Fd, Libc.SHUT_WR);
        _state = State.Lingering;
        ReleaseReceiveBuffer();
        Deadline = _loop.NowMs + LingerMs;
        Linger();
    }

    /// <summary>Reads and discards until the client closes, so our last response is not destroyed by a reset
    /// caused by unread bytes (nginx lingering_close).</summary>
    private void Linger()
    {
        while (true)
        {
            nint n;
            Errno errno;
            fixed (byte* p = _loop.Scratch)
                n = Syscall.Recv(Fd, p, _loop.Scratch.Length, out errno);
            if (n > 0) continue;
            if (n < 0 && errno == Errno.EAGAIN)
            {
                _readable = false;
                return;
            }
            CloseNow(); // EOF or error: the client has everything it is going to read.
            return;
        }
    }
}
