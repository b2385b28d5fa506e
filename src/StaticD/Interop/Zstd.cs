using System.Runtime.InteropServices;

namespace StaticD.Interop;

/// <summary>
/// zstd compression through Debian's libzstd1 (the .deb depends on it). Only the one-shot API: the input is a
/// whole file already in memory (at most Compression:MaxBytes), so streaming would add state without saving
/// anything. The library is loaded on first use; <see cref="IsAvailable"/> asks once, so a host without it serves
/// the other codings instead of failing requests.
/// </summary>
internal static unsafe partial class Zstd
{
    private const string Lib = "libzstd.so.1";

    [LibraryImport(Lib)] private static partial nuint ZSTD_compressBound(nuint srcSize);
    [LibraryImport(Lib)] private static partial nuint ZSTD_compress(void* dst, nuint dstCapacity, void* src, nuint srcSize, int compressionLevel);
    [LibraryImport(Lib)] private static partial uint ZSTD_isError(nuint code);
    [LibraryImport(Lib)] private static partial uint ZSTD_versionNumber();

    private static readonly Lazy<bool> Loaded = new(() =>
    {
        try
        {
            return ZSTD_versionNumber() > 0;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    });

    /// <summary>libzstd.so.1 could be loaded.</summary>
    public static bool IsAvailable => Loaded.Value;

    /// <summary>The largest output <see cref="Compress"/> can produce for <paramref name="length"/> input bytes.</summary>
    public static int Bound(int length) => (int)ZSTD_compressBound((nuint)length);

    /// <summary>Compresses <paramref name="source"/> into one zstd frame (with the content size in its header) and
    /// returns the bytes written, or -1 if the library reported an error.</summary>
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level)
    {
        nuint written;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            written = ZSTD_compress(dst, (nuint)destination.Length, src, (nuint)source.Length, level);
        }
        return ZSTD_isError(written) != 0 ? -1 : (int)written;
    }
}
