using System.Text;
using StaticD.Http;
using Xunit;

namespace StaticD.Tests.Http;

public class TargetDecoderTests
{
    // Marks an input that must be refused.
    private const string Bad = "<400>";

    public static TheoryData<string, string> Cases => new()
    {
        // Plain paths.
        { "/", "/" },
        { "/a", "/a" },
        { "/a/", "/a/" },
        { "/a/b/c.txt", "/a/b/c.txt" },
        { "/.hidden", "/.hidden" },
        { "/a/...", "/a/..." },
        { "/a/..b", "/a/..b" },
        { "/a/b..", "/a/b.." },
        { "/a/.b/", "/a/.b/" },
        { "/a+b", "/a+b" },

        // Dot segments and repeated slashes.
        { "/a/./b", "/a/b" },
        { "/a/../b", "/b" },
        { "/a/b/../c", "/a/c" },
        { "/a/b/../../c", "/c" },
        { "/./", "/" },
        { "/.", "/" },
        { "/a/.", "/a/" },
        { "/a/..", "/" },
        { "/a/b/..", "/a/" },
        { "/a/b/../", "/a/" },
        { "/a//b", "/a/b" },
        { "//a///b", "/a/b" },
        { "//", "/" },
        { "/a//", "/a/" },
        { "/a/.//./b", "/a/b" },
        { "/a/b/./../c/", "/a/c/" },

        // Climbing above the root.
        { "/..", Bad },
        { "/../", Bad },
        { "/a/../..", Bad },
        { "/a/../../b", Bad },
        { "/./..", Bad },
        { "//..", Bad },

        // Percent-encoding.
        { "/%61", "/a" },
        { "/caf%C3%A9", "/café" },
        { "/caf%c3%a9", "/café" },
        { "/a%20b", "/a b" },
        { "/a%2Bb", "/a+b" },
        { "/%25", "/%" },
        { "/%2541", "/%41" },
        { "/%2e", "/" },
        { "/%2e%2e/", Bad },
        { "/%2E%2E%2Fetc/passwd", Bad },
        { "/a/%2e%2e/%2e%2e/x", Bad },
        { "/a/%2e%2e/x", "/x" },
        { "/..%2f..%2fetc", Bad },
        { "/%2fetc%2fpasswd", "/etc/passwd" },
        { "/a%2F%2Fb", "/a/b" },
        { "/a%2f..%2fb", "/b" },
        { "/%2e%2e%2e", "/..." },

        // Malformed escapes and NUL.
        { "/a%00b", Bad },
        { "/%00", Bad },
        { "/%zz", Bad },
        { "/%4", Bad },
        { "/%", Bad },
        { "/a%", Bad },
        { "/%4g", Bad },
        { "/%g4", Bad },
        { "/%%41", Bad },

        // UTF-8 validity.
        { "/%C0%AE%C0%AE/", Bad },
        { "/%C0%AF", Bad },
        { "/%ED%A0%80", Bad },
        { "/%FF", Bad },
        { "/%C3", Bad },
        { "/%E2%82", Bad },
        { "/%F0%9F%98%80", "/\U0001F600" },

        // Backslash is an ordinary byte.
        { "/..\\..\\etc", "/..\\..\\etc" },
        { "/a\\..", "/a\\.." },
        { "/%5c..%5c", "/\\..\\" },

        // Not origin-form.
        { "a", Bad },
        { "%2F", Bad },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decodes(string input, string expected)
    {
        byte[] buffer = Encoding.UTF8.GetBytes(input);
        DecodeStatus status = TargetDecoder.Decode(buffer, out int length);

        if (expected == Bad)
        {
            Assert.Equal(DecodeStatus.BadRequest, status);
        }
        else
        {
            Assert.Equal(DecodeStatus.Ok, status);
            Assert.Equal(expected, Encoding.UTF8.GetString(buffer, 0, length));
        }
    }

    [Fact]
    public void EmptyInputIsRootWithZeroLength()
    {
        // A zero-length buffer cannot hold "/", so the contract is Ok with length 0.
        Assert.Equal(DecodeStatus.Ok, TargetDecoder.Decode(Span<byte>.Empty, out int length));
        Assert.Equal(0, length);
    }

    [Fact]
    public void RawNulIsRejected()
    {
        byte[] buffer = [(byte)'/', (byte)'a', 0, (byte)'b'];
        Assert.Equal(DecodeStatus.BadRequest, TargetDecoder.Decode(buffer, out _));
    }

    [Fact]
    public void DecodesOnlyOnce()
    {
        // "%252e%252e" is "%2e%2e" after one pass: a literal name, never "..".
        byte[] buffer = "/%252e%252e/x"u8.ToArray();
        Assert.Equal(DecodeStatus.Ok, TargetDecoder.Decode(buffer, out int length));
        Assert.Equal("/%2e%2e/x", Encoding.ASCII.GetString(buffer, 0, length));
    }

    [Fact]
    public void RandomInputsNeverEscapeOrKeepDotSegments()
    {
        string[] pieces = ["/", ".", "%2e", "%2f", "a", ".."];
        var random = new Random(12345);
        var builder = new StringBuilder();
        int ok = 0;

        for (int i = 0; i < 10_000; i++)
        {
            builder.Clear().Append('/');
            int count = random.Next(0, 12);
            for (int j = 0; j < count; j++)
            {
                builder.Append(pieces[random.Next(pieces.Length)]);
            }

            string input = builder.ToString();
            byte[] buffer = Encoding.ASCII.GetBytes(input);
            if (TargetDecoder.Decode(buffer, out int length) == DecodeStatus.BadRequest)
            {
                continue;
            }

            ok++;
            string result = Encoding.ASCII.GetString(buffer, 0, length);
            Assert.True(result.StartsWith('/'), $"{input} -> {result}");
            Assert.DoesNotContain("//", result);
            string[] segments = result.Split('/');
            Assert.DoesNotContain(".", segments);
            Assert.DoesNotContain("..", segments);
        }

        // Guard against a generator that only ever produces rejected input.
        Assert.True(ok > 1_000, $"only {ok} inputs were accepted");
    }

    [Fact]
    public void DoesNotAllocate()
    {
        byte[] template = "/a/./b/%2e%2e/c%2Fd//e/caf%C3%A9"u8.ToArray();
        byte[] buffer = new byte[template.Length];
        template.CopyTo(buffer, 0);
        TargetDecoder.Decode(buffer, out _);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            template.CopyTo(buffer, 0);
            TargetDecoder.Decode(buffer, out _);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }
}
