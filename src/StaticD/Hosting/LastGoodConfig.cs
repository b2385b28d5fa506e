using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using StaticD.Interop;

namespace StaticD.Hosting;

/// <summary>
/// The last configuration file that loaded and served, kept in the service's state directory
/// (<c>$STATE_DIRECTORY/last-good.json</c>, <c>/var/lib/staticd</c> under the packaged unit) so that a restart
/// with a broken file keeps the site up on it instead of exiting. The copy is the file's exact bytes, as a JSON
/// string (a file that loaded is UTF-8, which a JSON string carries unchanged; <c>jq -r .Configuration</c> gives it
/// back), with the file it came from, when it was saved, and a SHA-256 of the bytes that rules out a damaged copy.
/// Environment overrides are not saved: they are read again with the copy, as with the file.
/// </summary>
/// <remarks>
/// Where the copy lives comes only from systemd's <c>$STATE_DIRECTORY</c> (set by <c>StateDirectory=</c>, or by
/// hand), never from the configuration: the file that says where its own fallback is cannot be trusted to say so
/// when it is broken.
/// </remarks>
internal sealed record LastGoodConfig(string ConfigFile, DateTimeOffset SavedAt, byte[] Text)
{
    public const string FileName = "last-good.json";
    private const int CurrentFormat = 1;

    /// <summary>The directory named by <c>$STATE_DIRECTORY</c> (its first entry: systemd joins several
    /// StateDirectory= paths with ':'), or null when unset, empty or not absolute.</summary>
    public static string? StateDirectory(string? variable)
    {
        string first = (variable ?? "").Split(':')[0];
        return Path.IsPathFullyQualified(first) ? first : null;
    }

    public static string PathIn(string directory) => Path.Combine(directory, FileName);

    /// <summary>Writes the copy atomically: a temporary file (mode 0600) next to it, fsync, rename over the old
    /// copy, fsync of the directory. A crash leaves either the old copy or the new one, never half of one.
    /// Throws IOException or UnauthorizedAccessException when the directory cannot take it.</summary>
    public void Save(string directory)
    {
        string target = PathIn(directory);
        string temporary = Path.Combine(directory, $".{FileName}.{Environment.ProcessId}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write))
            {
                // Private before it holds anything (the unit's UMask=0077 makes it so anyway; a shell's 022 would not).
                Errno chmod = Syscall.ChangeMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                if (chmod != Errno.None) throw new IOException($"chmod {temporary}: {chmod.Describe()}");
                stream.Write(Serialize());
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temporary);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
            throw;
        }
        Errno errno = Syscall.SyncDirectory(directory);
        if (errno != Errno.None) throw new IOException($"fsync {directory}: {errno.Describe()}");
    }

    internal byte[] Serialize()
    {
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Indented = true,
            // The copy is read by people too (jq -r .Configuration): quotes and non-ASCII as they are, not \u0022.
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            w.WriteStartObject();
            w.WriteNumber("Format", CurrentFormat);
            w.WriteString("ConfigFile", ConfigFile);
            w.WriteString("SavedAt", SavedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            w.WriteString("Sha256", Convert.ToHexStringLower(SHA256.HashData(Text)));
            w.WriteString("Configuration", Strict.GetString(Text));
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The copy in <paramref name="path"/>; null when there is none. Throws <see cref="FormatException"/>
    /// with the reason when the file is there but is not a whole, undamaged copy.</summary>
    public static LastGoodConfig? Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"cannot be read: {ex.Message}");
        }
        return Parse(bytes);
    }

    internal static LastGoodConfig Parse(byte[] bytes)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(bytes);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("not a JSON object");
            int format = Property(root, "Format", JsonValueKind.Number).GetInt32();
            if (format != CurrentFormat) throw new FormatException($"\"Format\" is {format}; this staticd reads format {CurrentFormat}");
            string configFile = Property(root, "ConfigFile", JsonValueKind.String).GetString()!;
            string saved = Property(root, "SavedAt", JsonValueKind.String).GetString()!;
            if (!DateTimeOffset.TryParse(saved, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset savedAt))
                throw new FormatException($"\"SavedAt\" is \"{saved}\", not a time");
            byte[] text = Encoding.UTF8.GetBytes(Property(root, "Configuration", JsonValueKind.String).GetString()!);
            string expected = Property(root, "Sha256", JsonValueKind.String).GetString()!;
            if (!string.Equals(Convert.ToHexStringLower(SHA256.HashData(text)), expected, StringComparison.OrdinalIgnoreCase))
                throw new FormatException("its \"Configuration\" does not match its \"Sha256\" (the copy is damaged)");
            return new LastGoodConfig(configFile, savedAt, text);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"not valid JSON ({ex.Message.Split('.')[0]})");
        }
        catch (InvalidOperationException ex)
        {
            throw new FormatException(ex.Message);
        }
    }

    private static JsonElement Property(JsonElement root, string name, JsonValueKind kind) =>
        root.TryGetProperty(name, out JsonElement value) && value.ValueKind == kind
            ? value
            : throw new FormatException($"no \"{name}\" {(kind == JsonValueKind.String ? "string" : "number")}");
}
