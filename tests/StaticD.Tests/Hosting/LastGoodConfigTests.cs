using System.Text;
using StaticD.Hosting;
using Xunit;

namespace StaticD.Tests.Hosting;

/// <summary>The last good copy's file: exact bytes back, a damaged or foreign file refused with the reason, the
/// state directory taken from <c>$STATE_DIRECTORY</c> only, and an atomic, private write.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")] // file modes
public sealed class LastGoodConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("staticd-lastgood-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly DateTimeOffset Saved = new(2026, 12, 5, 13, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("{\"StaticD\": {\"Port\": 80}}")]
    [InlineData("\uFEFF// a byte order mark, a comment, CRLF\r\n{ \"StaticD\": { \"Root\": \"/srv/café\" } }\r\n")]
    [InlineData("{\"StaticD\":{\"Headers\":{\"X-A\":\"<\\\"quoted\\\" & \\u00e9>\"}}}\t\n")]
    public void TheCopyGivesBackTheExactBytes(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text); // U+FEFF becomes the three bytes of a UTF-8 byte order mark
        var copy = new LastGoodConfig("/etc/staticd/appsettings.json", Saved, bytes);

        LastGoodConfig back = LastGoodConfig.Parse(copy.Serialize());
        Assert.Equal(bytes, back.Text);
        Assert.Equal("/etc/staticd/appsettings.json", back.ConfigFile);
        Assert.Equal(Saved, back.SavedAt);
    }

    [Fact]
    public void TheCopyIsReadableJson_QuotesAndAccentsAsThemselves()
    {
        string json = Encoding.UTF8.GetString(new LastGoodConfig("/c.json", Saved, Encoding.UTF8.GetBytes("{\"Root\": \"/srv/café\"}")).Serialize());
        Assert.Contains("\"Configuration\": \"{\\\"Root\\\": \\\"/srv/café\\\"}\"", json, StringComparison.Ordinal);
        Assert.Contains("\"SavedAt\": \"2026-12-05T13:00:00Z\"", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{\"Format\": 2, \"ConfigFile\": \"/c\", \"SavedAt\": \"2026-12-05T13:00:00Z\", \"Sha256\": \"\", \"Configuration\": \"{}\"}",
        "\"Format\" is 2; this staticd reads format 1")]
    [InlineData("{\"Format\": 1, \"SavedAt\": \"2026-12-05T13:00:00Z\", \"Sha256\": \"\", \"Configuration\": \"{}\"}", "no \"ConfigFile\" string")]
    [InlineData("{\"Format\": 1, \"ConfigFile\": \"/c\", \"SavedAt\": \"yesterday\", \"Sha256\": \"\", \"Configuration\": \"{}\"}",
        "\"SavedAt\" is \"yesterday\", not a time")]
    [InlineData("{\"Format\": 1, \"ConfigFile\": \"/c\", \"SavedAt\": \"2026-12-05T13:00:00Z\", \"Sha256\": \"00\", \"Configuration\": \"{}\"}",
        "its \"Configuration\" does not match its \"Sha256\" (the copy is damaged)")]
    public void ADamagedOrForeignFileIsRefusedWithTheReason(string file, string reason)
    {
        var ex = Assert.Throws<FormatException>(() => LastGoodConfig.Parse(Encoding.UTF8.GetBytes(file)));
        Assert.StartsWith(reason, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("relative/dir", null)]
    [InlineData("/var/lib/staticd", "/var/lib/staticd")]
    [InlineData("/var/lib/staticd:/var/lib/other", "/var/lib/staticd")]
    public void TheStateDirectoryIsTheFirstAbsoluteEntryOfTheVariable(string? variable, string? expected) =>
        Assert.Equal(expected, LastGoodConfig.StateDirectory(variable));

    [Fact]
    public void SaveReplacesTheCopyAtomically_Mode0600_NoTemporaryLeft()
    {
        new LastGoodConfig("/c.json", Saved, "{\"a\":1}"u8.ToArray()).Save(_dir);
        new LastGoodConfig("/c.json", Saved.AddMinutes(1), "{\"a\":2}"u8.ToArray()).Save(_dir);

        string path = LastGoodConfig.PathIn(_dir);
        Assert.Equal(["last-good.json"], Directory.GetFiles(_dir).Select(f => Path.GetFileName(f)!).ToArray());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        LastGoodConfig back = LastGoodConfig.Read(path)!;
        Assert.Equal("{\"a\":2}"u8.ToArray(), back.Text);
        Assert.Equal(Saved.AddMinutes(1), back.SavedAt);
    }

    [Fact]
    public void NoCopyIsNull_AnUnwritableDirectoryThrows()
    {
        Assert.Null(LastGoodConfig.Read(Path.Combine(_dir, "last-good.json")));
        Assert.ThrowsAny<IOException>(() => new LastGoodConfig("/c", Saved, "{}"u8.ToArray()).Save(Path.Combine(_dir, "missing")));
    }
}
