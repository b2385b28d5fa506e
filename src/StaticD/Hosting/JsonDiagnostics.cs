using System.Text;
using System.Text.Json;

namespace StaticD.Hosting;

/// <summary>
/// Checks the configuration file's text before the JSON provider sees it and describes what is wrong in our words:
/// an empty file, broken JSON (line and 1-based character column, what was expected and what was found), a top
/// level that is not an object, or a key set twice. System.Text.Json only tells <em>that</em> the text is broken;
/// what it expected is worked out here from the last token it accepted and the text after it, so no library
/// message ("LineNumber: 3 | BytePositionInLine: 7") ever reaches an operator.
/// </summary>
internal static class JsonDiagnostics
{
    public const string Example = "{\"StaticD\": {\"Port\": 8080, \"Root\": \"/var/www\"}}";
    private const string AnyValue = "a string in double quotes, a number, true, false, null, an object or a list";

    // The same leniency as Microsoft.Extensions.Configuration.Json: comments and trailing commas are fine.
    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>What is wrong with the file's bytes, as the rest of a "staticd: PATH: ..." line; null if nothing.</summary>
    public static string? Problem(byte[] file)
    {
        ReadOnlySpan<byte> text = file.AsSpan();
        if (text.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) text = text[3..]; // a UTF-8 byte order mark is not content
        if (IsBlank(text)) return $"the file is empty; expected a JSON object such as {Example}";
        try
        {
            _ = new UTF8Encoding(false, true).GetCharCount(text);
        }
        catch (DecoderFallbackException ex)
        {
            return $"invalid JSON at {Where(text, ex.Index)}: the file is not UTF-8 text (byte 0x{text[Math.Max(0, ex.Index)]:X2})";
        }
        return Scan(text);
    }

    private static string? Scan(ReadOnlySpan<byte> text)
    {
        var reader = new Utf8JsonReader(text, ReaderOptions);
        var open = new Stack<(byte Close, HashSet<string>? Names)>();
        JsonTokenType last = JsonTokenType.None, first = JsonTokenType.None;
        int good = 0;
        try
        {
            while (reader.Read())
            {
                last = reader.TokenType;
                if (first == JsonTokenType.None) first = last;
                switch (last)
                {
                    case JsonTokenType.StartObject:
                        open.Push(((byte)'}', new HashSet<string>(StringComparer.OrdinalIgnoreCase)));
                        break;
                    case JsonTokenType.StartArray:
                        open.Push(((byte)']', null));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        open.Pop();
                        break;
                    case JsonTokenType.PropertyName:
                        string name = reader.GetString() ?? "";
                        if (!open.Peek().Names!.Add(name))
                            return $"the key \"{name}\" is set twice in the same object (again at {Where(text, (int)reader.TokenStartIndex)}; " +
                                   "keys are not case-sensitive); keep one";
                        break;
                }
                good = (int)reader.BytesConsumed;
            }
        }
        catch (JsonException ex)
        {
            if (last == JsonTokenType.None && Skip(text, 0, out string? unclosed) >= text.Length && unclosed is null)
                return $"the file holds only comments; expected a JSON object such as {Example}";
            return "invalid JSON at " + (Explain(text, good, last, open.Count == 0 ? null : open.Peek().Close)
                ?? $"{Where(text, LibraryOffset(text, ex))}: this is not valid JSON here");
        }
        return first switch
        {
            JsonTokenType.StartObject => null,
            JsonTokenType.StartArray => $"the file holds a list, not an object; expected a JSON object such as {Example}",
            JsonTokenType.String => $"the file holds a string, not an object; expected a JSON object such as {Example}",
            JsonTokenType.Number => $"the file holds a number, not an object; expected a JSON object such as {Example}",
            JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null =>
                $"the file holds only \"{Encoding.UTF8.GetString(text).Trim()}\", not an object; expected a JSON object such as {Example}",
            _ => $"the file holds only comments; expected a JSON object such as {Example}",
        };
    }

    /// <summary>Works out what was expected after the last token the reader accepted (ending at
    /// <paramref name="good"/>) and what is there instead. Null when the text does not fit any pattern known here.</summary>
    private static string? Explain(ReadOnlySpan<byte> text, int good, JsonTokenType last, byte? close)
    {
        int p = Skip(text, good, out string? comment);
        if (comment is not null) return comment;
        switch (last)
        {
            case JsonTokenType.None:
                return ExpectValue(text, p, close);
            case JsonTokenType.StartObject:
                return ExpectName(text, p, close);
            case JsonTokenType.StartArray:
                return ExpectValue(text, p, close);
            case JsonTokenType.PropertyName:
                if (p < text.Length && text[p] == ':')
                {
                    p = Skip(text, p + 1, out comment);
                    if (comment is not null) return comment;
                }
                return ExpectValue(text, p, close);
            default: // a whole value: what may follow depends on where it stands
                if (close is null)
                    return p >= text.Length ? null : Found(text, p, "more text after the end of the top-level object");
                if (p < text.Length && text[p] == ',')
                {
                    p = Skip(text, p + 1, out comment);
                    if (comment is not null) return comment;
                    return close == '}' ? ExpectName(text, p, close) : ExpectValue(text, p, close);
                }
                if (p >= text.Length) return EndOfFile(text, close);
                return Found(text, p, $"expected ',' or '{(char)close}' after a value");
        }
    }

    private static string? ExpectName(ReadOnlySpan<byte> text, int p, byte? close)
    {
        if (p >= text.Length) return EndOfFile(text, close);
        if (text[p] == '"')
        {
            int end = StringEnd(text, p, out string? bad);
            if (bad is not null) return bad;
            int colon = Skip(text, end, out string? comment);
            if (comment is not null) return comment;
            string name = Encoding.UTF8.GetString(text[(p + 1)..(end - 1)]);
            if (colon >= text.Length || text[colon] != ':')
                return colon >= text.Length ? EndOfFile(text, close) : Found(text, colon, $"expected ':' after the key \"{name}\"");
            int value = Skip(text, colon + 1, out comment);
            return comment ?? ExpectValue(text, value, close);
        }
        if (text[p] == '\'') return $"{Where(text, p)}: keys need double quotes (\"StaticD\"), not single quotes";
        return Found(text, p, "expected a key in double quotes" + (text[p] == ',' ? "" : $" or '{(char)(close ?? (byte)'}')}'"));
    }

    private static string? ExpectValue(ReadOnlySpan<byte> text, int p, byte? close)
    {
        if (p >= text.Length) return EndOfFile(text, close);
        byte c = text[p];
        if (c == '"')
        {
            StringEnd(text, p, out string? bad);
            return bad;
        }
        if (c == '\'') return $"{Where(text, p)}: strings need double quotes (\"/var/www\"), not single quotes";
        if (c is (byte)'-' or (>= (byte)'0' and <= (byte)'9'))
            return $"{Where(text, p)}: \"{Word(text, p)}\" is not a number (JSON numbers look like 8080, -1 or 2.5, without leading zeros)";
        if (c is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (byte)'_')
        {
            string word = Word(text, p);
            return word is "true" or "false" or "null" ? null : $"{Where(text, p)}: \"{word}\" is not a value; expected {AnyValue}";
        }
        return Found(text, p, $"expected a value ({AnyValue})");
    }

    /// <summary>Checks the string starting at the quote at <paramref name="p"/>; returns the offset after its
    /// closing quote, or sets <paramref name="problem"/>.</summary>
    private static int StringEnd(ReadOnlySpan<byte> text, int p, out string? problem)
    {
        problem = null;
        for (int i = p + 1; i < text.Length; i++)
        {
            byte c = text[i];
            if (c == '"') return i + 1;
            if (c is (byte)'\n' or (byte)'\r')
            {
                problem = $"{Where(text, p)}: this string is not closed: no '\"' before the end of the line";
                return -1;
            }
            if (c < 0x20)
            {
                problem = $"{Where(text, i)}: a control character (U+{c:X4}) inside a string; write it escaped, e.g. \\t for a tab";
                return -1;
            }
            if (c == '\\')
            {
                byte e = i + 1 < text.Length ? text[i + 1] : (byte)0;
                bool valid = e is (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t';
                if (e == 'u')
                {
                    valid = i + 5 < text.Length;
                    for (int k = i + 2; valid && k < i + 6; k++) valid = Uri.IsHexDigit((char)text[k]);
                }
                if (!valid)
                {
                    string shown = e is > 0x20 and < 0x7F ? Encoding.ASCII.GetString(Escape(text[i..Math.Min(text.Length, i + (e == 'u' ? 6 : 2))])) : "\\";
                    problem = $"{Where(text, i)}: \"{shown}\" is not an escape JSON knows; write a backslash as \\\\ (e.g. in a Windows path)";
                    return -1;
                }
                i += e == 'u' ? 5 : 1;
            }
        }
        problem = $"{Where(text, p)}: this string is not closed: no '\"' before the end of the file";
        return -1;
    }

    /// <summary>A bad escape as written, up to the string's closing quote.</summary>
    private static ReadOnlySpan<byte> Escape(ReadOnlySpan<byte> escape)
    {
        int quote = escape[1..].IndexOf((byte)'"');
        return quote < 0 ? escape : escape[..(quote + 1)];
    }

    private static string EndOfFile(ReadOnlySpan<byte> text, byte? close) =>
        $"{Where(text, text.Length)}: the file ends too early" + (close is null ? "; expected a value" : $"; a closing '{(char)close}' is missing");

    private static string Found(ReadOnlySpan<byte> text, int p, string expected) =>
        $"{Where(text, p)}: {expected}, found {Describe(text, p)}";

    private static string Describe(ReadOnlySpan<byte> text, int p)
    {
        if (p >= text.Length) return "the end of the file";
        Rune.DecodeFromUtf8(text[p..], out Rune rune, out _);
        return Rune.IsControl(rune) ? $"U+{rune.Value:X4}" : $"'{rune}'";
    }

    /// <summary>The run of letters, digits and number characters at <paramref name="p"/> (at most 40).</summary>
    private static string Word(ReadOnlySpan<byte> text, int p)
    {
        int end = p;
        while (end < text.Length && end - p < 40 && (char.IsAsciiLetterOrDigit((char)text[end]) || text[end] is (byte)'.' or (byte)'-' or (byte)'+' or (byte)'_'))
            end++;
        return Encoding.UTF8.GetString(text[p..Math.Max(end, p + 1)]);
    }

    /// <summary>Skips white space and comments from <paramref name="p"/>; an unclosed or malformed comment is a
    /// problem of its own.</summary>
    private static int Skip(ReadOnlySpan<byte> text, int p, out string? problem)
    {
        problem = null;
        while (p < text.Length)
        {
            byte c = text[p];
            if (c is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                p++;
            }
            else if (c == '/' && p + 1 < text.Length && text[p + 1] == '/')
            {
                while (p < text.Length && text[p] != '\n') p++;
            }
            else if (c == '/' && p + 1 < text.Length && text[p + 1] == '*')
            {
                int end = text[(p + 2)..].IndexOf("*/"u8);
                if (end < 0)
                {
                    problem = $"{Where(text, p)}: this comment is not closed: no \"*/\" before the end of the file";
                    return p;
                }
                p += end + 4;
            }
            else if (c == '/')
            {
                problem = Found(text, p, "expected a comment (// or /*) after '/'");
                return p;
            }
            else
            {
                break;
            }
        }
        return p;
    }

    private static bool IsBlank(ReadOnlySpan<byte> text)
    {
        foreach (byte b in text)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')) return false;
        }
        return true;
    }

    /// <summary>"line L, column C" for a byte offset: lines from 1, columns in characters from 1.</summary>
    internal static string Where(ReadOnlySpan<byte> text, int offset)
    {
        offset = Math.Clamp(offset, 0, text.Length);
        ReadOnlySpan<byte> before = text[..offset];
        int line = before.Count((byte)'\n') + 1;
        int start = before.LastIndexOf((byte)'\n') + 1;
        int column = 1;
        for (ReadOnlySpan<byte> rest = before[start..]; !rest.IsEmpty; column++)
        {
            Rune.DecodeFromUtf8(rest, out _, out int used);
            rest = rest[Math.Max(1, used)..];
        }
        return $"line {line}, column {column}";
    }

    /// <summary>The byte offset System.Text.Json reported (a line number and a byte position in that line).</summary>
    private static int LibraryOffset(ReadOnlySpan<byte> text, JsonException ex)
    {
        long line = ex.LineNumber ?? 0;
        int offset = 0;
        for (long l = 0; l < line && offset < text.Length; l++)
        {
            int next = text[offset..].IndexOf((byte)'\n');
            if (next < 0) return text.Length;
            offset += next + 1;
        }
        return (int)Math.Min(text.Length, offset + (ex.BytePositionInLine ?? 0));
    }
}
