using System.IO.Compression;
using StaticD.Http;
using StaticD.Interop;

namespace StaticD.Files;

/// <summary>
/// One file's bytes into one content coding, at the levels that suit a result made once and sent many times:
/// the slowest, smallest settings for files under <see cref="SlowLevelsBelow"/>, where they take tens of
/// milliseconds on one pool thread; faster ones above, where brotli 11 or zstd 19 would hold a core for seconds
/// per file.
/// </summary>
internal static class Encoders
{
    public const int SlowLevelsBelow = 1024 * 1024;

    // The top levels buy a few percent of size for several times the CPU: worth it for a result that is made once
    // and sent many times, as long as one job stays short (the rule: under 1 MiB).
    private const int BrotliSmallest = 11, BrotliFast = 6;
    private const int ZstdSmallest = 19, ZstdFast = 9;
    // Brotli's default window (2^22): larger only helps files over 4 MiB and costs decoders memory.
    private const int BrotliWindow = 22;
    // zlib's slowest level; there is no faster choice worth making for gzip, which is cheap at any level.
    private const int GzipLevel = 9;

    /// <summary>The coded bytes, or null if the coding is not available (no libzstd) or failed.</summary>
    public static byte[]? Encode(ReadOnlySpan<byte> source, ContentCoding coding) => coding switch
    {
        ContentCoding.Brotli => Brotli(source),
        ContentCoding.Zstd => Zstandard(source),
        ContentCoding.Gzip => Gzip(source),
        _ => null,
    };

    private static byte[]? Brotli(ReadOnlySpan<byte> source)
    {
        int quality = source.Length < SlowLevelsBelow ? BrotliSmallest : BrotliFast;
        var output = new byte[BrotliEncoder.GetMaxCompressedLength(source.Length)];
        return BrotliEncoder.TryCompress(source, output, out int written, quality, BrotliWindow) ? output[..written] : null;
    }

    private static byte[]? Zstandard(ReadOnlySpan<byte> source)
    {
        if (!Zstd.IsAvailable) return null;
        int level = source.Length < SlowLevelsBelow ? ZstdSmallest : ZstdFast;
        var output = new byte[Zstd.Bound(source.Length)];
        int written = Zstd.Compress(source, output, level);
        return written < 0 ? null : output[..written];
    }

    private static byte[] Gzip(ReadOnlySpan<byte> source)
    {
        using var output = new MemoryStream(source.Length / 3 + 64);
        using (var gzip = new GZipStream(output, new ZLibCompressionOptions { CompressionLevel = GzipLevel }, leaveOpen: true))
            gzip.Write(source);
        return output.ToArray();
    }
}
