using System.Runtime.InteropServices;

namespace StaticD.TestSupport;

/// <summary>A zstd decoder for checking what the server sent: libzstd's own (the BCL has none), declared apart
/// from StaticD.Interop so the code under test does not check itself.</summary>
public static partial class TestZstd
{
    private const string Lib = "libzstd.so.1";

    [LibraryImport(Lib)] private static partial ulong ZSTD_getFrameContentSize(byte[] src, nuint srcSize);
    [LibraryImport(Lib)] private static partial nuint ZSTD_decompress(byte[] dst, nuint dstCapacity, byte[] src, nuint compressedSize);
    [LibraryImport(Lib)] private static partial uint ZSTD_isError(nuint code);

    /// <summary>The content of one zstd frame that declares its size; throws if it does not decode.</summary>
    public static byte[] Decompress(byte[] frame)
    {
        ulong size = ZSTD_getFrameContentSize(frame, (nuint)frame.Length);
        if (size >= int.MaxValue) throw new InvalidDataException("the zstd frame does not declare its content size");
        var output = new byte[size];
        nuint written = ZSTD_decompress(output, (nuint)output.Length, frame, (nuint)frame.Length);
        if (ZSTD_isError(written) != 0 || written != (nuint)output.Length) throw new InvalidDataException("the zstd frame does not decode");
        return output;
    }
}
