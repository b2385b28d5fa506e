using System.Text;
using StaticD.Http;
using Xunit;

namespace StaticD.Tests.Http;

/// <summary>The lexical pieces every field parser shares (<see cref="Tokens"/>): tchar, token, quoted-string, OWS
/// and field-value bytes.</summary>
public class TokensTests
{
    // RFC 9110 §5.6.2, spelled out independently of the production table.
    private const string TcharPunctuation = "!#$%&'*+-.^_`|~";

    private static bool ExpectedTchar(int c) =>
        c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' || TcharPunctuation.Contains((char)c);

    [Fact]
    public void TcharIsExactlyTheRfc9110SetForEveryByte()
    {
        int count = 0;
        for (int b = 0; b <= 0xFF; b++)
        {
            bool expected = ExpectedTchar(b);
            Assert.True(expected == Tokens.IsTchar((byte)b), $"byte 0x{b:X2}");
            Assert.True(expected == Tokens.Tchar.Contains((byte)b), $"SearchValues, byte 0x{b:X2}");
            count += expected ? 1 : 0;
        }

        Assert.Equal(26 + 26 + 10 + TcharPunctuation.Length, count);
    }

    [Fact]
    public void TcharForCharsMatchesTheByteTableAndRefusesEverythingBeyondAscii()
    {
        for (int c = 0; c <= 0xFFFF; c++)
        {
            // 0x141 and 0x161 end in the bytes of 'A' and 'a': a cast to byte must not make them tokens.
            Assert.True(ExpectedTchar(c) == Tokens.IsTchar((char)c), $"char U+{c:X4}");
        }
    }

    [Theory]
    // The delimiters of RFC 9110 §5.6.2, whitespace and controls.
    [InlineData("\"(),/:;<=>?@[\\]{} \t\u007f\0")]
    public void DelimitersAreNotTchar(string delimiters)
    {
        foreach (char c in delimiters)
        {
            Assert.False(Tokens.IsTchar(c), $"'{c}'");
            Assert.False(Tokens.IsTchar((byte)c), $"'{c}'");
        }
    }

    [Theory]
    [InlineData("gzip", true)]
    [InlineData("X-Custom_Header!", true)]
    [InlineData("*", true)]
    [InlineData("", false)]
    [InlineData("a b", false)]
    [InlineData("a:b", false)]
    [InlineData("\"a\"", false)]
    [InlineData("caf\u00e9", false)]
    [InlineData("a\u0141", false)]
    public void IsToken(string value, bool expected)
    {
        Assert.Equal(expected, Tokens.IsToken(value));
        if (value.All(c => c <= 0xFF))
        {
            Assert.Equal(expected, Tokens.IsToken(Encoding.Latin1.GetBytes(value)));
        }
    }

    [Theory]
    [InlineData("gzip;q=1", 0, 4)]
    [InlineData("gzip", 0, 4)]
    [InlineData("a, chunked", 3, 7)]
    [InlineData("a, chunked", 1, 0)]
    [InlineData(";x", 0, 0)]
    [InlineData("abc", 3, 0)]
    public void TokenLength(string value, int start, int expected) =>
        Assert.Equal(expected, Tokens.TokenLength(Encoding.ASCII.GetBytes(value), start));

    [Theory]
    [InlineData("\"abc\"", 0, 5)]
    [InlineData("\"\"", 0, 2)]
    [InlineData("\"abc\", next", 0, 5)]
    [InlineData("x=\"q\";y", 2, 5)]
    [InlineData("\"a,b;c=d\"", 0, 9)]
    [InlineData("\"a\\\"b\"x", 0, 6)] // "a\"b": the escaped quote does not end it
    [InlineData("\"a\\\\\"rest", 0, 5)] // "a\\": an escaped backslash, then the closing quote
    [InlineData("\"\\q\"", 0, 4)] // any escaped character is itself
    [InlineData("\"abc", 0, -1)] // unterminated
    [InlineData("\"", 0, -1)]
    [InlineData("\"ab\\", 0, -1)] // a lone trailing backslash
    [InlineData("\"ab\\\"", 0, -1)] // the only quote after the opening one is escaped
    public void SkipQuotedStringReturnsTheIndexAfterTheClosingQuote(string value, int start, int expected)
    {
        Assert.Equal(expected, Tokens.SkipQuotedString(Encoding.ASCII.GetBytes(value), start));
        Assert.Equal(expected, Tokens.SkipQuotedString(value.AsSpan(), start));
    }

    [Fact]
    public void OwsIsSpaceAndHorizontalTabOnly()
    {
        for (int b = 0; b <= 0xFF; b++)
        {
            Assert.Equal(b is ' ' or '\t', Tokens.IsOws((byte)b));
        }
    }

    [Theory]
    [InlineData("", 0, 0)]
    [InlineData("abc", 0, 0)]
    [InlineData(" \t x", 0, 3)]
    [InlineData("a  b", 1, 3)]
    [InlineData("a  ", 1, 3)]
    [InlineData("\r\n x", 0, 0)]
    public void SkipOws(string value, int start, int expected) =>
        Assert.Equal(expected, Tokens.SkipOws(Encoding.ASCII.GetBytes(value), start));

    [Theory]
    [InlineData("", "")]
    [InlineData(" \t ", "")]
    [InlineData("a", "a")]
    [InlineData(" \ta b\t ", "a b")]
    [InlineData("\va\r", "\va\r")] // only SP and HTAB are OWS
    public void TrimOws(string value, string expected) =>
        Assert.Equal(expected, Encoding.ASCII.GetString(Tokens.TrimOws(Encoding.ASCII.GetBytes(value))));

    [Fact]
    public void FieldValueBytesAreHtabSpVcharAndObsText()
    {
        for (int b = 0; b <= 0xFF; b++)
        {
            bool expected = b == '\t' || (b >= 0x20 && b != 0x7F);
            Assert.True(expected == Tokens.FieldValueChars.Contains((byte)b), $"byte 0x{b:X2}");
        }
    }
}
