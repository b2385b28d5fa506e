using System.Buffers;
using System.Numerics;

namespace StaticD.Http;

/// <summary>
/// The lexical pieces RFC 9110 §5.5-§5.6 gives every field: field-value bytes (§5.5), token (§5.6.2), OWS
/// (§5.6.3) and quoted-string (§5.6.4). One definition for the request parser, the field parsers and the
/// configuration that has to produce valid fields (header names, Cache-Control values).
/// </summary>
internal static class Tokens
{
    /// <summary>
    /// field-value bytes, RFC 9110 §5.5: HTAB, SP, VCHAR, obs-text. NUL, CR, LF, other CTLs and DEL are
    /// excluded ("a recipient ... MUST either reject the message or replace ... with SP" — the parser rejects).
    /// </summary>
    /// <remarks>Here rather than in <see cref="RequestParser"/> so that the field-line loop reads the statics of
    /// one class: each class with static fields costs an initialization check that the compiler does not hoist
    /// out of the loop.</remarks>
    public static readonly SearchValues<byte> FieldValueChars = CreateFieldValueChars();

    /// <summary>
    /// tchar = "!" / "#" / "$" / "%" / "&amp;" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT /
    /// ALPHA (RFC 9110 §5.6.2). Used for methods, field names and list tokens. A <see cref="SearchValues{T}"/> so
    /// that finding the end of a token and checking every byte of it is one vectorized <c>IndexOfAnyExcept</c>.
    /// </summary>
    public static readonly SearchValues<byte> Tchar =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    public static bool IsTchar(byte b) => Tchar.Contains(b);

    public static bool IsTchar(char c) => c <= 0x7F && Tchar.Contains((byte)c);

    /// <summary>token = 1*tchar.</summary>
    public static bool IsToken(ReadOnlySpan<byte> s) => !s.IsEmpty && s.IndexOfAnyExcept(Tchar) < 0;

    /// <summary>token = 1*tchar, for names and values written in the configuration.</summary>
    public static bool IsToken(ReadOnlySpan<char> s)
    {
        foreach (char c in s)
        {
            if (!IsTchar(c))
            {
                return false;
            }
        }

        return !s.IsEmpty;
    }

    /// <summary>The length of the token starting at <paramref name="i"/>: 0 if there is none.</summary>
    public static int TokenLength(ReadOnlySpan<byte> s, int i)
    {
        int n = s[i..].IndexOfAnyExcept(Tchar);
        return n < 0 ? s.Length - i : n;
    }

    /// <summary>
    /// quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 §5.6.4), starting at the opening quote.
    /// Only the quote and escape structure is checked: the request parser has already held the bytes to the
    /// field-value rules, and configuration validation holds them to printable ASCII first. Returns the index
    /// after the closing quote, or -1 if the string is unterminated (a lone trailing backslash included).
    /// </summary>
    public static int SkipQuotedString(ReadOnlySpan<byte> s, int i) => SkipQuoted(s, i);

    /// <inheritdoc cref="SkipQuotedString(ReadOnlySpan{byte}, int)"/>
    public static int SkipQuotedString(ReadOnlySpan<char> s, int i) => SkipQuoted(s, i);

    // One scanner for bytes (requests) and chars (configuration). Both instantiations are over value types, so
    // each is compiled on its own and the constants fold.
    private static int SkipQuoted<T>(ReadOnlySpan<T> s, int i)
        where T : unmanaged, IBinaryInteger<T>
    {
        T quote = T.CreateTruncating((byte)'"');
        T backslash = T.CreateTruncating((byte)'\\');
        for (i++; i < s.Length; i++)
        {
            if (s[i] == quote)
            {
                return i + 1;
            }

            if (s[i] == backslash && ++i == s.Length)
            {
                return -1;
            }
        }

        return -1;
    }

    /// <summary>OWS, optional whitespace (RFC 9110 §5.6.3): spaces and horizontal tabs around list elements,
    /// parameters and field values.</summary>
    public static bool IsOws(byte b) => b is (byte)' ' or (byte)'\t';

    /// <summary>The index of the first non-OWS byte at or after <paramref name="i"/>.</summary>
    public static int SkipOws(ReadOnlySpan<byte> value, int i)
    {
        // Usually zero or one byte, so a scalar loop rather than a vectorized search.
        while (i < value.Length && IsOws(value[i])) i++;
        return i;
    }

    public static ReadOnlySpan<byte> TrimOws(ReadOnlySpan<byte> value)
    {
        int start = SkipOws(value, 0);
        int end = value.Length;
        while (end > start && IsOws(value[end - 1])) end--;
        return value[start..end];
    }

    private static SearchValues<byte> CreateFieldValueChars()
    {
        Span<byte> bytes = stackalloc byte[256];
        int n = 0;
        bytes[n++] = (byte)'\t';
        for (int b = 0x20; b <= 0xFF; b++)
        {
            if (b != 0x7F)
            {
                bytes[n++] = (byte)b;
            }
        }

        return SearchValues.Create(bytes[..n]);
    }
}
