using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace StaticD.IntegrationTests.Web;

/// <summary>Deterministic content and real compressed encodings of it (BCL only).</summary>
public static class TestContent
{
    /// <summary>Deterministic pseudo-random bytes (a fixed seed, so a failure reproduces).</summary>
    public static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Compressible UTF-8 text of exactly <paramref name="length"/> bytes, numbered lines so no two regions match.</summary>
    public static byte[] Text(int length, string tag)
    {
        var sb = new StringBuilder(length + 128);
        for (var i = 0; sb.Length < length; i++)
        {
            sb.Append(tag).Append(" line ").Append(i.ToString("D8", System.Globalization.CultureInfo.InvariantCulture))
              .Append(": the quick brown fox jumps over the lazy dog; staticd serves it.\n");
        }

        return Encoding.ASCII.GetBytes(sb.ToString(0, length));
    }

    /// <summary>A JavaScript file big enough that compression visibly changes it.</summary>
    public static byte[] JavaScript(int functions)
    {
        var sb = new StringBuilder();
        sb.Append("\"use strict\";\n");
        for (var i = 0; i < functions; i++)
        {
            sb.Append("export function handler").Append(i).Append("(event) {\n")
              .Append("  const value = event.detail * ").Append(i).Append(";\n")
              .Append("  console.log(\"handler ").Append(i).Append(" got\", value);\n")
              .Append("  return value;\n}\n");
        }

        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    public static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            gz.Write(data);
        }

        return output.ToArray();
    }

    public static byte[] Brotli(byte[] data)
    {
        using var output = new MemoryStream();
        using (var br = new BrotliStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            br.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>
    /// A valid Zstandard frame (RFC 8878) made of raw (stored) blocks: any zstd decoder, curl's
    /// included, turns it back into <paramref name="data"/>, and its bytes differ from the original.
    /// </summary>
    public static byte[] ZstdStored(byte[] data)
    {
        const int MaxBlock = 128 * 1024;
        using var output = new MemoryStream();
        Span<byte> header = stackalloc byte[9];
        BinaryPrimitives.WriteUInt32LittleEndian(header, 0xFD2FB528); // magic number
        header[4] = 0xA0;                                              // FCS field 4 bytes, single segment, no checksum, no dictionary
        BinaryPrimitives.WriteUInt32LittleEndian(header[5..], checked((uint)data.Length));
        output.Write(header);
        var offset = 0;
        do
        {
            var size = Math.Min(MaxBlock, data.Length - offset);
            var last = offset + size == data.Length;
            var blockHeader = (uint)(last ? 1 : 0) | (0u << 1) | ((uint)size << 3); // Block_Type 0 = Raw_Block
            output.WriteByte((byte)blockHeader);
            output.WriteByte((byte)(blockHeader >> 8));
            output.WriteByte((byte)(blockHeader >> 16));
            output.Write(data, offset, size);
            offset += size;
        }
        while (offset < data.Length);

        return output.ToArray();
    }

    public static string Sha256(byte[] data) => Convert.ToHexString(SHA256.HashData(data));

    public static string Sha256(ReadOnlySpan<byte> data) => Convert.ToHexString(SHA256.HashData(data));
}
