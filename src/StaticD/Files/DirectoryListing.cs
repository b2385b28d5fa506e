using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace StaticD.Files;

/// <summary>One row of a directory listing.</summary>
internal readonly record struct ListingEntry(string Name, bool IsDirectory, long Size, long MtimeUnixSeconds);

/// <summary>
/// Directory listings (opt-in, for directories without an index file) as HTML or JSON. Runs on the
/// thread pool and is not a hot path, so it uses plain System.IO and builds strings; only
/// AOT-safe APIs (no reflection-based serialisation).
/// </summary>
internal static class DirectoryListing
{
    // Enumerates every entry itself: the defaults would skip entries with the Hidden attribute, which
    // on Unix is how .NET reports dotfiles, and would throw half-way on an unreadable entry.
    private static readonly EnumerationOptions Options = new()
    {
        AttributesToSkip = 0,
        IgnoreInaccessible = true,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
    };

    /// <summary>
    /// Reads the entries of a directory: names starting with '.' are left out unless
    /// <paramref name="includeHidden"/> (the same rule as <see cref="HiddenPaths"/>); sorted with
    /// directories first, then files, each in ordinal (byte-wise for ASCII, culture-free) name order.
    /// </summary>
    /// <remarks>
    /// Each entry is described by its own FileSystemInfo as .NET reports it; links are not resolved
    /// here (resolving could describe files outside the root). On Linux that means a symlink to a
    /// directory is listed as a directory (.NET takes the type from the target), while a symlink to a
    /// file, or a dangling one, is listed as a file with the link's own size and time (lstat). An
    /// entry that vanishes or cannot be examined between enumeration and inspection is left out
    /// rather than failing the whole listing.
    /// </remarks>
    /// <exception cref="IOException">The directory cannot be read (including DirectoryNotFoundException).</exception>
    /// <exception cref="UnauthorizedAccessException">Permission denied on the directory itself.</exception>
    public static List<ListingEntry> Read(string directoryPath, bool includeHidden)
    {
        var entries = new List<ListingEntry>();
        foreach (FileSystemInfo info in new DirectoryInfo(directoryPath).EnumerateFileSystemInfos("*", Options))
        {
            string name = info.Name;
            if (!includeHidden && name.StartsWith('.'))
            {
                continue;
            }

            try
            {
                bool isDirectory = (info.Attributes & FileAttributes.Directory) != 0;
                long size = isDirectory ? 0 : ((FileInfo)info).Length;
                long mtime = new DateTimeOffset(info.LastWriteTimeUtc).ToUnixTimeSeconds();
                entries.Add(new ListingEntry(name, isDirectory, size, mtime));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidCastException)
            {
                // Removed or replaced since it was enumerated (a file that became a directory makes the cast fail).
            }
        }

        entries.Sort(static (a, b) => a.IsDirectory != b.IsDirectory
            ? (a.IsDirectory ? -1 : 1)
            : string.CompareOrdinal(a.Name, b.Name));
        return entries;
    }

    /// <summary>
    /// An HTML page: title and heading "Index of /path/", a "../" row unless at the root, then a
    /// table of name (a link; directories end with '/'), size in bytes ("-" for directories) and last
    /// modification time in ISO 8601 UTC.
    /// </summary>
    /// <param name="requestPath">The decoded request path of the directory; a missing trailing '/' is added.</param>
    /// <remarks>
    /// Links are relative to the directory's own URL, which ends with '/' (the server redirects
    /// directory URLs without one), so the page works unchanged behind a path prefix. Names are
    /// percent-encoded for the href (<see cref="AppendHref"/>) and HTML-escaped everywhere they appear:
    /// file names are attacker-controlled wherever uploads land in the root.
    /// </remarks>
    public static byte[] RenderHtml(string requestPath, IReadOnlyList<ListingEntry> entries)
    {
        string path = DirectoryPath(requestPath);
        var html = new StringBuilder(512 + entries.Count * 160);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Index of ");
        AppendHtml(html, path);
        html.Append("</title>\n<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}")
            .Append("th,td{padding:.2em 1.5em .2em 0;text-align:left}td.size{text-align:right;font-variant-numeric:tabular-nums}</style>\n")
            .Append("</head>\n<body>\n<h1>Index of ");
        AppendHtml(html, path);
        html.Append("</h1>\n<table>\n<thead><tr><th>Name</th><th>Size</th><th>Last modified</th></tr></thead>\n<tbody>\n");
        if (path != "/")
        {
            html.Append("<tr><td><a href=\"../\">../</a></td><td class=\"size\">-</td><td></td></tr>\n");
        }

        foreach (ListingEntry entry in entries)
        {
            html.Append("<tr><td><a href=\"");
            AppendHref(html, entry.Name);
            if (entry.IsDirectory)
            {
                html.Append('/');
            }

            html.Append("\">");
            AppendHtml(html, entry.Name);
            if (entry.IsDirectory)
            {
                html.Append('/');
            }

            html.Append("</a></td><td class=\"size\">");
            if (entry.IsDirectory)
            {
                html.Append('-');
            }
            else
            {
                html.Append(entry.Size.ToString(CultureInfo.InvariantCulture));
            }

            html.Append("</td><td>").Append(Iso8601(entry.MtimeUnixSeconds)).Append("</td></tr>\n");
        }

        html.Append("</tbody>\n</table>\n</body>\n</html>\n");
        return Encoding.UTF8.GetBytes(html.ToString());
    }

    /// <summary>
    /// JSON: <c>{"path":"/x/","entries":[{"name":"a.txt","type":"file","size":12,"mtime":"2026-11-27T12:00:00Z"},
    /// {"name":"sub","type":"directory","size":0,...}]}</c>, entries in the given order. Written with
    /// Utf8JsonWriter and its default encoder, which escapes HTML-sensitive and non-ASCII characters
    /// as \u sequences: still the same strings to any JSON parser, and safe if a browser sniffs it.
    /// </summary>
    public static byte[] RenderJson(string requestPath, IReadOnlyList<ListingEntry> entries)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + entries.Count * 96);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("path"u8, DirectoryPath(requestPath));
            json.WriteStartArray("entries"u8);
            foreach (ListingEntry entry in entries)
            {
                json.WriteStartObject();
                json.WriteString("name"u8, entry.Name);
                json.WriteString("type"u8, entry.IsDirectory ? "directory"u8 : "file"u8);
                json.WriteNumber("size"u8, entry.IsDirectory ? 0 : entry.Size);
                json.WriteString("mtime"u8, Iso8601(entry.MtimeUnixSeconds));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static string DirectoryPath(string requestPath)
    {
        if (string.IsNullOrEmpty(requestPath))
        {
            return "/";
        }

        return requestPath[^1] == '/' ? requestPath : requestPath + "/";
    }

    private static string Iso8601(long unixSeconds)
    {
        // Clamped so an absurd timestamp from a broken file system cannot throw.
        long clamped = Math.Clamp(unixSeconds, -62_135_596_800L, 253_402_300_799L);
        return DateTimeOffset.FromUnixTimeSeconds(clamped).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    }

    /// <summary>Escapes the five characters that matter in HTML text and quoted attributes.</summary>
    private static void AppendHtml(StringBuilder html, string text)
    {
        foreach (char c in text)
        {
            switch (c)
            {
                case '&': html.Append("&amp;"); break;
                case '<': html.Append("&lt;"); break;
                case '>': html.Append("&gt;"); break;
                case '"': html.Append("&quot;"); break;
                case '\'': html.Append("&#39;"); break;
                default: html.Append(c); break;
            }
        }
    }

    /// <summary>
    /// Writes a file name as one path segment of a relative reference (RFC 3986 §3.3): the UTF-8
    /// bytes of everything outside pchar are percent-encoded, and so are three pchar characters for
    /// reasons of context — ':' because a first segment containing it would be read as a scheme
    /// ("a:b" → scheme "a", RFC 3986 §4.2), and '&amp;' and '\'' so the href needs no HTML escaping.
    /// </summary>
    private static void AppendHref(StringBuilder html, string name)
    {
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (c < 0x80 && IsPlainPChar(c))
            {
                html.Append(c);
                continue;
            }

            // A surrogate pair is one code point: encode both halves together. A lone surrogate is
            // not valid UTF-16; the encoder's replacement fallback turns it into U+FFFD.
            int count = char.IsHighSurrogate(c) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]) ? 2 : 1;
            int length = Encoding.UTF8.GetBytes(name.AsSpan(i, count), utf8);
            i += count - 1;
            foreach (byte b in utf8[..length])
            {
                html.Append('%').Append("0123456789ABCDEF"[b >> 4]).Append("0123456789ABCDEF"[b & 0xF]);
            }
        }
    }

    // pchar = unreserved / pct-encoded / sub-delims / ":" / "@", less ':', '&', '\'' (see AppendHref);
    // '%' itself is not plain, so a literal '%' in a name is written as %25.
    private static bool IsPlainPChar(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '!' or '$' or '(' or ')' or '*' or '+' or ',' or ';' or '=' or '@';
}
