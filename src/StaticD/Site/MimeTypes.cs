using System.Collections.Frozen;

namespace StaticD.Site;

/// <summary>
/// Maps file extensions to Content-Type values. The table is built once; a lookup allocates
/// nothing (the extension is lowered into a stack buffer and looked up through a span-keyed
/// view of a frozen dictionary).
/// </summary>
internal static class MimeTypes
{
    // No extension in the table is longer than this; a longer one cannot match, so it is not
    // worth lowering and it keeps the stack buffer small and fixed.
    private const int MaxExtensionLength = 16;

    /// <summary>Content-Type for anything not in the table: "application/octet-stream".</summary>
    /// <remarks>
    /// Unknown content is labelled as opaque bytes so that browsers offer it as a download
    /// rather than rendering a guess (a guessed text/html could run script from the site).
    /// </remarks>
    public static ReadOnlySpan<byte> Default => "application/octet-stream"u8;

    private static readonly FrozenDictionary<string, byte[]>.AlternateLookup<ReadOnlySpan<char>> Lookup =
        BuildTable().GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>
    /// The Content-Type value for a file name, as UTF-8 bytes (e.g. "text/html; charset=utf-8").
    /// Only the extension after the last '.' is looked at, ASCII case-insensitively.
    /// </summary>
    /// <remarks>
    /// A name whose only '.' is the first byte (a dotfile such as ".bashrc") has no extension:
    /// the dot marks it hidden rather than typed, so it gets <see cref="Default"/>, as do names
    /// without a '.', names ending in '.', and unknown extensions.
    /// </remarks>
    public static ReadOnlySpan<byte> ForFileName(scoped ReadOnlySpan<byte> fileName)
    {
        int dot = fileName.LastIndexOf((byte)'.');
        if (dot <= 0)
        {
            return Default;
        }

        ReadOnlySpan<byte> extension = fileName[(dot + 1)..];
        if (extension.IsEmpty || extension.Length > MaxExtensionLength)
        {
            return Default;
        }

        Span<char> lowered = stackalloc char[MaxExtensionLength];
        for (int i = 0; i < extension.Length; i++)
        {
            byte b = extension[i];
            // Every key is ASCII, so a non-ASCII byte can only miss; stopping here also means
            // the byte-to-char widening below never has to decode UTF-8.
            if (b >= 0x80)
            {
                return Default;
            }

            lowered[i] = (char)((uint)(b - 'A') <= 'Z' - 'A' ? b | 0x20 : b);
        }

        return Lookup.TryGetValue(lowered[..extension.Length], out byte[]? value) ? value : Default;
    }

    private static FrozenDictionary<string, byte[]> BuildTable()
    {
        // Textual types carry "; charset=utf-8": without it browsers fall back to a legacy
        // encoding guess for text/* and some tools do the same for JSON and XML. JavaScript is
        // text/javascript per RFC 9239, which obsoletes application/javascript.
        const string Utf8 = "; charset=utf-8";
        var entries = new (string Extension, string ContentType)[]
        {
            // Documents and code.
            ("html", "text/html" + Utf8),
            ("htm", "text/html" + Utf8),
            ("xhtml", "application/xhtml+xml" + Utf8),
            ("css", "text/css" + Utf8),
            ("js", "text/javascript" + Utf8),
            ("mjs", "text/javascript" + Utf8),
            ("cjs", "text/javascript" + Utf8),
            ("json", "application/json" + Utf8),
            ("map", "application/json" + Utf8),
            ("jsonld", "application/ld+json" + Utf8),
            ("xml", "application/xml" + Utf8),
            ("txt", "text/plain" + Utf8),
            ("csv", "text/csv" + Utf8),
            ("md", "text/markdown" + Utf8),
            ("markdown", "text/markdown" + Utf8),
            ("yaml", "application/yaml" + Utf8),
            ("yml", "application/yaml" + Utf8),
            ("toml", "application/toml" + Utf8),
            ("rss", "application/rss+xml" + Utf8),
            ("atom", "application/atom+xml" + Utf8),
            ("ics", "text/calendar" + Utf8),
            ("vtt", "text/vtt" + Utf8),
            ("srt", "application/x-subrip" + Utf8),
            ("webmanifest", "application/manifest+json" + Utf8),
            ("manifest", "text/cache-manifest" + Utf8),
            ("appcache", "text/cache-manifest" + Utf8),
            ("wasm", "application/wasm"),
            ("pdf", "application/pdf"),
            ("epub", "application/epub+zip"),
            ("rtf", "application/rtf"),

            // Images.
            ("svg", "image/svg+xml" + Utf8),
            ("png", "image/png"),
            ("apng", "image/apng"),
            ("jpg", "image/jpeg"),
            ("jpeg", "image/jpeg"),
            ("gif", "image/gif"),
            ("webp", "image/webp"),
            ("avif", "image/avif"),
            ("jxl", "image/jxl"),
            ("heic", "image/heic"),
            ("heif", "image/heif"),
            ("ico", "image/x-icon"),
            ("bmp", "image/bmp"),
            ("tif", "image/tiff"),
            ("tiff", "image/tiff"),

            // Fonts.
            ("woff", "font/woff"),
            ("woff2", "font/woff2"),
            ("ttf", "font/ttf"),
            ("otf", "font/otf"),
            ("eot", "application/vnd.ms-fontobject"),

            // 3D models.
            ("gltf", "model/gltf+json"),
            ("glb", "model/gltf-binary"),

            // Video and streaming manifests.
            ("mp4", "video/mp4"),
            ("m4v", "video/mp4"),
            ("webm", "video/webm"),
            ("ogv", "video/ogg"),
            ("mov", "video/quicktime"),
            ("mkv", "video/x-matroska"),
            ("avi", "video/x-msvideo"),
            ("mpeg", "video/mpeg"),
            ("mpg", "video/mpeg"),
            ("3gp", "video/3gpp"),
            ("m3u8", "application/vnd.apple.mpegurl"),
            ("mpd", "application/dash+xml"),

            // Audio.
            ("mp3", "audio/mpeg"),
            ("m4a", "audio/mp4"),
            ("ogg", "audio/ogg"),
            ("oga", "audio/ogg"),
            ("opus", "audio/ogg"),
            ("weba", "audio/webm"),
            ("wav", "audio/wav"),
            ("flac", "audio/flac"),
            ("aac", "audio/aac"),
            ("mid", "audio/midi"),
            ("midi", "audio/midi"),

            // Archives and packages. A ".gz" name is typed as the gzip file itself, not as what it
            // contains ("a.tar.gz" is application/gzip): only the last extension counts.
            ("zip", "application/zip"),
            ("gz", "application/gzip"),
            ("tgz", "application/gzip"),
            ("br", "application/x-brotli"),
            ("zst", "application/zstd"),
            ("bz2", "application/x-bzip2"),
            ("xz", "application/x-xz"),
            ("7z", "application/x-7z-compressed"),
            ("tar", "application/x-tar"),
            ("rar", "application/vnd.rar"),
            ("jar", "application/java-archive"),
            ("apk", "application/vnd.android.package-archive"),
            ("deb", "application/vnd.debian.binary-package"),
            ("rpm", "application/x-rpm"),
            ("exe", "application/vnd.microsoft.portable-executable"),
            ("msi", "application/x-msi"),
            ("dmg", "application/x-apple-diskimage"),
            ("iso", "application/x-iso9660-image"),
            ("bin", "application/octet-stream"),

            // Office documents.
            ("doc", "application/msword"),
            ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            ("xls", "application/vnd.ms-excel"),
            ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            ("ppt", "application/vnd.ms-powerpoint"),
            ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
            ("odt", "application/vnd.oasis.opendocument.text"),
            ("ods", "application/vnd.oasis.opendocument.spreadsheet"),
            ("odp", "application/vnd.oasis.opendocument.presentation"),
        };

        var table = new Dictionary<string, byte[]>(entries.Length, StringComparer.Ordinal);
        foreach ((string extension, string contentType) in entries)
        {
            // Add (not the indexer) so a duplicate key fails loudly at start-up instead of
            // silently shadowing an earlier entry.
            table.Add(extension, System.Text.Encoding.ASCII.GetBytes(contentType));
        }

        // Ordinal comparer: keys are lower-case ASCII and lookups are lowered first, so no
        // culture or case folding is needed, and it is what enables the span lookup.
        return table.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
