namespace StaticD.Interop;

/// <summary>C strings for the calls that take a path: one way in from a string, one check for spans.</summary>
internal static partial class Syscall
{
    /// <summary>The UTF-8 bytes of <paramref name="path"/> and a terminating NUL.</summary>
    private static byte[] NulTerminated(string path) => System.Text.Encoding.UTF8.GetBytes(path + "\0");

    /// <summary>For the span forms of calls that take a C string: the kernel reads up to the first NUL, which must
    /// therefore be inside the span.</summary>
    private static void RequireNul(ReadOnlySpan<byte> path)
    {
        if (path.IndexOf((byte)0) < 0) throw new ArgumentException("not NUL-terminated", nameof(path));
    }
}
