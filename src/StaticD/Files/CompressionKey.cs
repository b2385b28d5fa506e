using System.Globalization;
using StaticD.Http;

namespace StaticD.Files;

/// <summary>
/// One file version in one coding: device, inode, size and mtime (to the nanosecond), as the one statx of the
/// request saw them. A file that changes in any of these is another key, so a result of the old bytes can never
/// be served for the new ones; the old result just ages out of the cache.
/// </summary>
internal readonly record struct CompressionKey(ulong Device, ulong Inode, long Size, long MtimeSeconds, uint MtimeNanoseconds, ContentCoding Coding)
{
    public static CompressionKey For(in FileResolution file, ContentCoding coding) =>
        new(file.Device, file.Inode, file.Length, file.MtimeSeconds, file.MtimeNanoseconds, coding);

    /// <summary>The name of the result in the cache directory: "DEV-INO-SIZE-MTIMENS.br" in lowercase hex, so a
    /// restart finds it again by name.</summary>
    public string FileName =>
        string.Create(CultureInfo.InvariantCulture, $"{Device:x}-{Inode:x}-{Size:x}-{MtimeSeconds:x}.{MtimeNanoseconds:x}{Suffix(Coding)}");

    /// <summary>The key a file in the cache directory was stored under, or null for any other name.</summary>
    public static CompressionKey? Parse(string name)
    {
        int dot = name.LastIndexOf('.');
        if (dot < 0) return null;
        ContentCoding coding = name[dot..] switch { ".br" => ContentCoding.Brotli, ".zst" => ContentCoding.Zstd, ".gz" => ContentCoding.Gzip, _ => ContentCoding.Identity };
        if (coding == ContentCoding.Identity) return null;
        string[] parts = name[..dot].Split('-');
        if (parts.Length != 4) return null;
        string[] time = parts[3].Split('.');
        if (time.Length != 2 ||
            !ulong.TryParse(parts[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong device) ||
            !ulong.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong inode) ||
            !long.TryParse(parts[2], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long size) ||
            !long.TryParse(time[0], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out long seconds) ||
            !uint.TryParse(time[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint nanoseconds) ||
            nanoseconds >= 1_000_000_000)
            return null;
        return new CompressionKey(device, inode, size, seconds, nanoseconds, coding);
    }

    private static string Suffix(ContentCoding coding) => System.Text.Encoding.ASCII.GetString(AcceptEncoding.FileSuffix(coding));
}
