using System.Text;
using CsCheck;
using StaticD.Http;
using Xunit;

namespace StaticD.Tests.Properties;

/// <summary>
/// Property tests for <see cref="TargetDecoder"/>: no input yields a path that could leave the root or that
/// names a dot segment, every result agrees with an independent reference model (RFC 3986 §5.2.4 over the
/// percent-decoded bytes), and percent-encoding a safe path in any way decodes back to it.
/// </summary>
public class TargetDecoderProperties
{
    private const long Iterations = 20_000;

    private const string SafeChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@";

    /// <summary>Paths built from the bytes that matter to normalisation: separators, dots, escapes of both.</summary>
    private static readonly Gen<byte[]> GenTrickyPath = Gen.Frequency(
        (6, Gen.OneOf<string>("/", "/", ".", "..", "%2e", "%2E", "%2f", "%2F", "%5c", "\\", "a", "b", "%", "%0", "%00", "%C0%AE",
            "%c3%a9", "%e2%82%ac", "%ff", "%80", ".%2e", "%2e.", "...", "//", "/./", "/../", "+", "?", "%25", "%252e")),
        (1, Gen.String[Gen.Char['\x01', '\xFF'], 1, 2]))
        .Array[0, 25]
        .Select(Gen.Frequency((9, Gen.Const("/")), (1, Gen.OneOf<string>("", ".", "a", "%2f", "\\"))),
            (parts, start) => Encoding.Latin1.GetBytes(start + string.Concat(parts)));

    /// <summary>A normalised path: segments of safe characters (some non-ASCII), never "." or "..".</summary>
    private static readonly Gen<string> GenSafePath =
        Gen.Select(
            Gen.Frequency((8, Gen.String[Gen.Char[SafeChars], 1, 10]), (1, Gen.OneOf<string>("été", "€", "日本", "a b", "...", ".a", "a.")))
                .Where(s => s is not "." and not "..")
                .Array[0, 6],
            Gen.Bool,
            (segments, trailing) => "/" + string.Join('/', segments) + (trailing && segments.Length > 0 ? "/" : ""));

    /// <summary>Percent-encodes each byte with the given probability (always for bytes that must be encoded).</summary>
    private static string Encode(string path, ulong coin, bool encodeSlashes)
    {
        var sb = new StringBuilder();
        int i = 0;
        foreach (byte b in Encoding.UTF8.GetBytes(path))
        {
            bool flip = ((coin >> (i++ % 64)) & 1) == 1;
            bool mustEncode = b >= 0x80 || b == (byte)' ';
            bool isSlash = b == (byte)'/';

            // The leading '/' stays literal: origin-form starts with it, and "%2F..." is no path at all.
            if (mustEncode || (flip && i > 1 && (!isSlash || encodeSlashes)))
            {
                sb.Append('%').Append(((i & 1) == 0 ? $"{b:X2}" : $"{b:x2}"));
            }
            else
            {
                sb.Append((char)b);
            }
        }

        return sb.ToString();
    }

    [Fact]
    public void RandomBytes_NeverThrow_AndNeverLeaveTheRoot() =>
        Gen.Byte.Array[0, 200].Sample(bytes => { ParserInvariants.CheckDecode(bytes); }, iter: Iterations);

    /// <summary>The connection decodes in place only when <see cref="TargetDecoder.ChangesPath"/> says the bytes
    /// stay as they are (the logged request line must not be mangled): hold it to that.</summary>
    [Fact]
    public void PathsThatChangesPathCallUnchanged_DecodeToThemselves() =>
        GenTrickyPath.Sample(raw =>
        {
            if (TargetDecoder.ChangesPath(raw)) return;
            byte[] copy = [.. raw];
            if (TargetDecoder.Decode(copy, out int length) != DecodeStatus.Ok) return;
            Assert.True(copy.AsSpan().SequenceEqual(raw), "decoding changed bytes");
            Assert.True(length == raw.Length || raw.Length == 0, $"decoded length {length} of {raw.Length}");
        }, iter: Iterations, print: raw => Encoding.Latin1.GetString(raw));

    [Fact]
    public void RandomPaths_MatchTheReferenceModel() =>
        GenTrickyPath.Sample(raw =>
        {
            byte[]? actual = ParserInvariants.CheckDecode(raw);
            byte[]? expected = Reference(raw);
            Assert.True(
                (actual is null && expected is null) || (actual is not null && expected is not null && actual.AsSpan().SequenceEqual(expected)),
                $"decoder: {Show(actual)}, reference: {Show(expected)}");
        }, iter: Iterations, print: raw => Encoding.Latin1.GetString(raw));

    [Fact]
    public void PercentEncodedSafePath_RoundTrips() =>
        Gen.Select(GenSafePath, Gen.ULong, Gen.Bool).Sample((path, coin, encodeSlashes) =>
        {
            string encoded = Encode(path, coin, encodeSlashes);
            byte[] buffer = Encoding.ASCII.GetBytes(encoded);
            Assert.Equal(DecodeStatus.Ok, TargetDecoder.Decode(buffer, out int length));
            Assert.Equal(path, Encoding.UTF8.GetString(buffer, 0, length));
        }, iter: Iterations, print: t => $"{t.Item1} as {Encode(t.Item1, t.Item2, t.Item3)}");

    [Fact]
    public void DotSegmentsAndRepeatedSlashes_InsideASafePath_NormaliseAway() =>
        Gen.Select(GenSafePath.Where(p => p.Length > 1 && !p.EndsWith('/')), Gen.Int[0, 1000], Gen.OneOf<string>("/.", "/%2e", "/x/..", "/x/%2E%2e", "/", "//", "/./y/.."), Gen.ULong)
            .Sample((path, at, noise, coin) =>
            {
                // Insert the (already encoded) noise at a segment boundary of the encoded path, never at the very
                // end ("/a/." keeps a trailing '/').
                string encoded = Encode(path, coin, encodeSlashes: false);
                var slashes = Enumerable.Range(0, encoded.Length).Where(i => encoded[i] == '/').ToArray();
                int insertAt = slashes[at % slashes.Length];
                byte[] buffer = Encoding.ASCII.GetBytes(encoded[..insertAt] + noise + encoded[insertAt..]);
                Assert.Equal(DecodeStatus.Ok, TargetDecoder.Decode(buffer, out int length));
                Assert.Equal(path, Encoding.UTF8.GetString(buffer, 0, length));
            }, iter: Iterations, print: t => $"{t.Item1} + {t.Item3} at {t.Item2}");

    [Fact]
    public void ClimbingAboveTheRoot_IsAlwaysRefused() =>
        Gen.Select(GenSafePath, Gen.Int[1, 4], Gen.OneOf<string>("..", "%2e%2e", ".%2E", "%2E."), Gen.Bool)
            .Sample((path, extra, dotdot, viaEncodedSlash) =>
            {
                int depth = path.Split('/', StringSplitOptions.RemoveEmptyEntries).Length;
                string sep = viaEncodedSlash ? "%2f" : "/";
                string climb = string.Concat(Enumerable.Repeat(sep + dotdot, depth + extra));
                byte[] buffer = Encoding.ASCII.GetBytes(Encode(path.TrimEnd('/'), 0, false) + climb + "/etc/passwd");
                Assert.Equal(DecodeStatus.BadRequest, TargetDecoder.Decode(buffer, out int length));
                Assert.Equal(0, length);
            }, iter: Iterations);

    /// <summary>
    /// Independent model: percent-decode (malformed escape or NUL → refuse), require valid UTF-8, then RFC 3986
    /// §5.2.4 with empty segments merged and ".." above the root refused.
    /// </summary>
    private static byte[]? Reference(byte[] raw)
    {
        if (raw.Length == 0)
        {
            return [];
        }

        if (raw[0] != (byte)'/')
        {
            return null;
        }

        var decoded = new List<byte>();
        for (int i = 0; i < raw.Length; i++)
        {
            byte b = raw[i];
            if (b == (byte)'%')
            {
                if (i + 2 >= raw.Length || !Uri.IsHexDigit((char)raw[i + 1]) || !Uri.IsHexDigit((char)raw[i + 2]))
                {
                    return null;
                }

                b = Convert.ToByte(Encoding.ASCII.GetString(raw, i + 1, 2), 16);
                i += 2;
            }

            if (b == 0)
            {
                return null;
            }

            decoded.Add(b);
        }

        if (!System.Text.Unicode.Utf8.IsValid(decoded.ToArray()))
        {
            return null;
        }

        var segments = SplitSegments(decoded.Skip(1).ToArray());
        var stack = new List<byte[]>();
        foreach (var s in segments)
        {
            if (s.Length == 0 || s is [(byte)'.'])
            {
                continue;
            }

            if (s is [(byte)'.', (byte)'.'])
            {
                if (stack.Count == 0)
                {
                    return null;
                }

                stack.RemoveAt(stack.Count - 1);
                continue;
            }

            stack.Add(s);
        }

        var last = segments[^1];
        bool trailing = last.Length == 0 || last is [(byte)'.'] || last is [(byte)'.', (byte)'.'];
        var result = new List<byte> { (byte)'/' };
        for (int i = 0; i < stack.Count; i++)
        {
            result.AddRange(stack[i]);
            if (i < stack.Count - 1 || trailing)
            {
                result.Add((byte)'/');
            }
        }

        return result.ToArray();
    }

    private static List<byte[]> SplitSegments(byte[] s)
    {
        var list = new List<byte[]>();
        int start = 0;
        for (int i = 0; i <= s.Length; i++)
        {
            if (i == s.Length || s[i] == (byte)'/')
            {
                list.Add(s[start..i]);
                start = i + 1;
            }
        }

        return list;
    }

    private static string Show(byte[]? b) => b is null ? "<400>" : "\"" + Encoding.Latin1.GetString(b) + "\"";
}
