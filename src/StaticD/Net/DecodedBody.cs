using System.Buffers;
using System.Buffers.Text;
using System.IO.Compression;
using Microsoft.Win32.SafeHandles;
using StaticD.Http;

namespace StaticD.Net;

/// <summary>
/// A compressed-only file sent to a client that does not take its coding: decompressed piece by piece on the
/// thread pool (it reads the disk and burns CPU), each piece framed as an HTTP/1.1 chunk (or raw, for a
/// close-delimited HTTP/1.0 body) and sent by the loop. Rare, so it is an object of its own, made on demand.
/// </summary>
internal sealed class DecodedBody : IDisposable
{
    // A chunk: "<hex size>\r\n" + data + "\r\n", with room for the last "0\r\n\r\n".
    private const int ChunkPrefix = 8;
    private const int ChunkData = 32 * 1024;

    private readonly ContentCoding _from;
    private readonly bool _chunked;
    private int _fileFd;
    private Stream? _decoder;
    private byte[]? _chunk = ArrayPool<byte>.Shared.Rent(ChunkPrefix + ChunkData + 8);

    /// <summary>Takes ownership of <paramref name="fileFd"/>.</summary>
    public DecodedBody(int fileFd, ContentCoding from, bool chunked)
    {
        _fileFd = fileFd;
        _from = from;
        _chunked = chunked;
    }

    /// <summary>The framed piece waiting to be sent: <c>Chunk[Start..End]</c>.</summary>
    public byte[] Chunk => _chunk!;
    public int Start;
    public int End;
    /// <summary>The last piece (the terminating chunk) has been produced.</summary>
    public bool Finished { get; private set; }
    /// <summary>The file is not valid data for its coding.</summary>
    public bool Failed { get; private set; }

    /// <summary>Thread pool: decompress the next piece into <see cref="Chunk"/>.</summary>
    public void Produce()
    {
        try
        {
            if (_decoder is null)
            {
                var file = new FileStream(new SafeFileHandle(_fileFd, ownsHandle: true), FileAccess.Read, bufferSize: 0);
                _fileFd = -1; // the stream owns it now
                _decoder = _from == ContentCoding.Brotli
                    ? new BrotliStream(file, CompressionMode.Decompress)
                    : new GZipStream(file, CompressionMode.Decompress);
            }
            byte[] chunk = _chunk!;
            int n = _decoder.ReadAtLeast(chunk.AsSpan(ChunkPrefix, ChunkData), ChunkData, throwOnEndOfStream: false);
            if (n == 0)
            {
                Finished = true;
                ReadOnlySpan<byte> last = _chunked ? "0\r\n\r\n"u8 : default;
                last.CopyTo(chunk);
                Start = 0;
                End = last.Length;
                return;
            }
            End = ChunkPrefix + n;
            Start = ChunkPrefix;
            if (_chunked)
            {
                // chunk = chunk-size CRLF chunk-data CRLF (RFC 9112 §7.1); the size goes right before the data.
                Span<byte> size = stackalloc byte[8];
                Utf8Formatter.TryFormat(n, size, out int digits, new StandardFormat('x'));
                Start = ChunkPrefix - digits - 2;
                size[..digits].CopyTo(chunk.AsSpan(Start));
                "\r\n"u8.CopyTo(chunk.AsSpan(ChunkPrefix - 2));
                "\r\n"u8.CopyTo(chunk.AsSpan(End));
                End += 2;
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            Failed = true;
        }
    }

    public void Dispose()
    {
        if (_decoder is not null)
        {
            _decoder.Dispose();
            _decoder = null;
        }
        else
        {
            Interop.Syscall.Close(_fileFd);
        }
        _fileFd = -1;
        if (_chunk is not null)
        {
            ArrayPool<byte>.Shared.Return(_chunk);
            _chunk = null;
        }
    }
}
