namespace StaticD.Http;

/// <summary>OWS, optional whitespace (RFC 9110 §5.6.3): spaces and horizontal tabs around list elements,
/// parameters and field values. One definition for every field parser.</summary>
internal static class Ows
{
    public static bool Is(byte b) => b is (byte)' ' or (byte)'\t';

    /// <summary>The index of the first non-OWS byte at or after <paramref name="i"/>.</summary>
    public static int Skip(ReadOnlySpan<byte> value, int i)
    {
        while (i < value.Length && Is(value[i])) i++;
        return i;
    }

    public static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> value)
    {
        int start = Skip(value, 0);
        int end = value.Length;
        while (end > start && Is(value[end - 1])) end--;
        return value[start..end];
    }
}
