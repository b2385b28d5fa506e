using System.Text;
using StaticD.Http;
using Xunit;

namespace StaticD.Tests.Http;

public class EntityTagTests
{
    private static string Format(ulong inode, long size, long seconds, uint nanoseconds, string variant = "")
    {
        Span<byte> buffer = stackalloc byte[EntityTag.MaxLength];
        int written = EntityTag.Format(inode, size, seconds, nanoseconds, Encoding.ASCII.GetBytes(variant), buffer);
        Assert.InRange(written, 1, EntityTag.MaxLength);
        return Encoding.ASCII.GetString(buffer[..written]);
    }

    private static bool Weak(string field, string current)
        => EntityTag.MatchesWeak(Encoding.ASCII.GetBytes(field), Encoding.ASCII.GetBytes(current));

    private static bool Strong(string field, string current)
        => EntityTag.MatchesStrong(Encoding.ASCII.GetBytes(field), Encoding.ASCII.GetBytes(current));

    [Theory]
    [InlineData(0x5f3a1cUL, 0x4d2L, 1L, 0u, "", "\"5f3a1c-4d2-3b9aca00\"")]
    [InlineData(0UL, 0L, 0L, 0u, "", "\"0-0-0\"")]
    [InlineData(1UL, 2L, 0L, 3u, "", "\"1-2-3\"")]
    [InlineData(0x10UL, 0xffL, 0L, 15u, "br", "\"10-ff-f-br\"")]
    [InlineData(7UL, 1024L, 1_700_000_000L, 123_456_789u, "zst", "\"7-400-17979cfe3d85cd15-zst\"")]
    [InlineData(ulong.MaxValue, long.MaxValue, -1L, 999_999_999u, "gz", "\"ffffffffffffffff-7fffffffffffffff-ffffffffffffffff-gz\"")]
    public void FormatsExactly(ulong inode, long size, long seconds, uint nanoseconds, string variant, string expected)
    {
        Assert.Equal(expected, Format(inode, size, seconds, nanoseconds, variant));
    }

    [Fact]
    public void FormatIsStableQuotedStrongAndBounded()
    {
        string a = Format(12345, 678, 1_700_000_000, 42, "br");
        Assert.Equal(a, Format(12345, 678, 1_700_000_000, 42, "br"));
        Assert.StartsWith("\"", a);
        Assert.EndsWith("\"", a);
        Assert.False(EntityTag.IsWeak(Encoding.ASCII.GetBytes(a)));
        Assert.True(EntityTag.IsValid(Encoding.ASCII.GetBytes(a)));

        // The worst case: every field at 16 hex digits and the longest variant.
        string longest = Format(ulong.MaxValue, long.MaxValue, long.MinValue + 1, 999_999_999, new string('v', EntityTag.MaxVariantLength));
        Assert.True(longest.Length <= EntityTag.MaxLength, longest);
    }

    [Theory]
    [InlineData(2UL, 678L, 1_700_000_000L, 42u, "")] // inode
    [InlineData(1UL, 679L, 1_700_000_000L, 42u, "")] // size
    [InlineData(1UL, 678L, 1_700_000_001L, 42u, "")] // seconds
    [InlineData(1UL, 678L, 1_700_000_000L, 43u, "")] // nanoseconds
    [InlineData(1UL, 678L, 1_699_999_999L, 999_999_999u, "")] // the last nanosecond of the previous second
    [InlineData(1UL, 678L, 1_700_000_000L, 42u, "br")] // variant
    [InlineData(1UL, 678L, 1_700_000_000L, 42u, "gz")]
    [InlineData(1UL, 678L, 1_700_000_000L, 42u, "zst")]
    public void DiffersFromTheBaseVersionInEveryInput(ulong inode, long size, long seconds, uint nanoseconds, string variant)
    {
        string baseline = Format(1, 678, 1_700_000_000, 42);
        Assert.NotEqual(baseline, Format(inode, size, seconds, nanoseconds, variant));
    }

    [Fact]
    public void VariantsAreDistinctFromEachOther()
    {
        var tags = new HashSet<string>
        {
            Format(1, 2, 3, 4),
            Format(1, 2, 3, 4, "br"),
            Format(1, 2, 3, 4, "gz"),
            Format(1, 2, 3, 4, "zst"),
        };
        Assert.Equal(4, tags.Count);
    }

    [Fact]
    public void FormatRejectsBadArguments()
    {
        byte[] buffer = new byte[EntityTag.MaxLength];
        Assert.Throws<ArgumentOutOfRangeException>(() => EntityTag.Format(1, -1, 0, 0, default, buffer));
        Assert.Throws<ArgumentOutOfRangeException>(() => EntityTag.Format(1, 1, 0, 1_000_000_000, default, buffer));
        Assert.Throws<ArgumentException>(() => EntityTag.Format(1, 1, 0, 0, "a\"b"u8, buffer));
        Assert.Throws<ArgumentException>(() => EntityTag.Format(1, 1, 0, 0, "b r"u8, buffer));
        Assert.Throws<ArgumentException>(() => EntityTag.Format(1, 1, 0, 0, new byte[EntityTag.MaxVariantLength + 1], buffer));
        Assert.Throws<ArgumentException>(() => EntityTag.Format(1, 1, 0, 0, default, new byte[6]));
    }

    // RFC 9110 §8.8.3.2's table of both comparison functions.
    [Theory]
    [InlineData("W/\"1\"", "W/\"1\"", false, true)]
    [InlineData("W/\"1\"", "W/\"2\"", false, false)]
    [InlineData("W/\"1\"", "\"1\"", false, true)]
    [InlineData("\"1\"", "\"1\"", true, true)]
    public void Rfc9110ComparisonTable(string field, string current, bool strong, bool weak)
    {
        Assert.Equal(strong, Strong(field, current));
        Assert.Equal(weak, Weak(field, current));

        // The comparisons are symmetric.
        Assert.Equal(strong, Strong(current, field));
        Assert.Equal(weak, Weak(current, field));
    }

    [Theory]
    [InlineData("\"a\"", "\"a\"", true, true)]
    [InlineData("\"a\"", "\"b\"", false, false)]
    [InlineData("\"a\", \"b\"", "\"b\"", true, true)]
    [InlineData("\"a\",\"b\"", "\"b\"", true, true)]
    [InlineData("  \"a\" ,\t\"b\"  ", "\"b\"", true, true)]
    [InlineData("\"a\", W/\"b\"", "\"b\"", false, true)] // a weak member never matches strongly
    [InlineData("W/\"b\", \"b\"", "\"b\"", true, true)]
    [InlineData("\"a\", \"c\"", "\"b\"", false, false)]
    [InlineData("\"a\",, ,\"b\",", "\"b\"", true, true)] // empty list elements (§5.6.1.2)
    [InlineData(", \"b\"", "\"b\"", true, true)]
    [InlineData("\"\"", "\"\"", true, true)] // the empty opaque-tag is a valid tag
    [InlineData("\"b\"", "W/\"b\"", false, true)] // our own tag weak: strong comparison impossible
    [InlineData("\"B\"", "\"b\"", false, false)] // opaque-tags are case-sensitive
    [InlineData("\"a-b-c-br\"", "\"a-b-c-br\"", true, true)]
    [InlineData("\"\u00e9\"", "\"\u00e9\"", true, true)] // obs-text is allowed in etagc
    public void MatchesLists(string field, string current, bool strong, bool weak)
    {
        Assert.Equal(strong, EntityTag.MatchesStrong(Encoding.Latin1.GetBytes(field), Encoding.Latin1.GetBytes(current)));
        Assert.Equal(weak, EntityTag.MatchesWeak(Encoding.Latin1.GetBytes(field), Encoding.Latin1.GetBytes(current)));
    }

    [Theory]
    [InlineData("*")]
    [InlineData(" * ")]
    public void StarMatchesAnyCurrentRepresentation(string field)
    {
        Assert.True(Strong(field, "\"x\""));
        Assert.True(Weak(field, "\"x\""));
        Assert.True(Weak(field, "W/\"x\""));
        Assert.True(Strong(field, "W/\"x\""));

        // No current representation (no tag at all): "*" does not match (§13.1.1, §13.1.2).
        Assert.False(Strong(field, ""));
        Assert.False(Weak(field, ""));
    }

    [Theory]
    [InlineData("b")] // unquoted
    [InlineData("\"b")] // unterminated
    [InlineData("b\"")]
    [InlineData("w/\"b\"")] // the weak indicator is case-sensitive
    [InlineData("W/ \"b\"")]
    [InlineData("W/b")]
    [InlineData("\"b\" \"b\"")] // two tags without a comma
    [InlineData("\"b\"x")]
    [InlineData("\"b\", x")] // malformed after a match still makes the whole field malformed
    [InlineData("\"b\", *")] // "*" is only valid alone
    [InlineData("*, \"b\"")]
    [InlineData("**")]
    [InlineData("\"b c\"")] // SP is not etagc
    [InlineData("\"b\tc\"")]
    [InlineData("\"b\u007fc\"")]
    [InlineData("\"b\"\"")]
    [InlineData("W/")]
    [InlineData("\"b\";")]
    public void MalformedFieldsNeverMatch(string field)
    {
        Assert.False(Strong(field, "\"b\""));
        Assert.False(Weak(field, "\"b\""));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(",")]
    [InlineData(" , , ")]
    public void EmptyListsMatchNothing(string field)
    {
        Assert.False(Strong(field, "\"b\""));
        Assert.False(Weak(field, "\"b\""));
    }

    [Theory]
    [InlineData("W/\"a\"", true)]
    [InlineData("\"a\"", false)]
    [InlineData("w/\"a\"", false)]
    [InlineData("W", false)]
    [InlineData("", false)]
    public void DetectsWeakness(string tag, bool weak)
    {
        Assert.Equal(weak, EntityTag.IsWeak(Encoding.ASCII.GetBytes(tag)));
    }

    [Theory]
    [InlineData("\"a\"", true)]
    [InlineData("W/\"a\"", true)]
    [InlineData("\"\"", true)]
    [InlineData("\"a\", \"b\"", false)]
    [InlineData(" \"a\"", false)]
    [InlineData("\"a", false)]
    [InlineData("*", false)]
    [InlineData("", false)]
    public void ValidatesSingleTags(string value, bool valid)
    {
        Assert.Equal(valid, EntityTag.IsValid(Encoding.ASCII.GetBytes(value)));
    }
}
