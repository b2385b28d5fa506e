using System.Net;
using System.Text;
using System.Text.Json;
using StaticD.Hosting;
using StaticD.Interop;
using StaticD.Net;
using Xunit;

namespace StaticD.Tests.Hosting;

/// <summary>Each kind of broken configuration file gets our own words, a line and a character column, and never
/// System.Text.Json's text.</summary>
public sealed class JsonDiagnosticsTests
{
    private const string Example = JsonDiagnostics.Example;
    private const string AnyValue = "a string in double quotes, a number, true, false, null, an object or a list";

    private static string? Problem(string text) => JsonDiagnostics.Problem(Encoding.UTF8.GetBytes(text));

    [Theory]
    [InlineData("{}")]
    [InlineData("{\"StaticD\": {\"Port\": 8080, \"Root\": \"/srv\",}}")] // trailing commas, as the provider allows
    [InlineData("// comment\n{\"StaticD\": /* inline */ {\"Port\": 8080}}\n")]
    [InlineData("\uFEFF{\"StaticD\": {}}")]
    [InlineData("{\"StaticD\": {\"Root\": \"/srv/\\u00e9t\\u00E9\", \"Headers\": {\"X\": \"a\\\"b\\\\c\\/\\n\"}}}")]
    [InlineData("{\"A\": {\"Port\": 1}, \"B\": {\"Port\": 2}}")] // the same key in different objects
    public void ValidObject_NoProblem(string text) => Assert.Null(Problem(text));

    [Theory]
    [InlineData("")]
    [InlineData(" \n\t\r\n")]
    [InlineData("\uFEFF")]
    public void Empty(string text) =>
        Assert.Equal($"the file is empty; expected a JSON object such as {Example}", Problem(text));

    [Theory]
    [InlineData("[]", "the file holds a list, not an object")]
    [InlineData("[{\"StaticD\": {}}]", "the file holds a list, not an object")]
    [InlineData("8080", "the file holds a number, not an object")]
    [InlineData("\"x\"", "the file holds a string, not an object")]
    [InlineData(" null ", "the file holds only \"null\", not an object")]
    [InlineData("// nothing but a comment\n", "the file holds only comments")]
    public void NotAnObject(string text, string what) =>
        Assert.Equal($"{what}; expected a JSON object such as {Example}", Problem(text));

    [Theory]
    [InlineData("{\"a\": 1 \"b\": 2}", "line 1, column 9: expected ',' or '}' after a value, found '\"'")]
    [InlineData("{\"a\": [1 2]}", "line 1, column 10: expected ',' or ']' after a value, found '2'")]
    [InlineData("{\"a\": [1}", "line 1, column 9: expected ',' or ']' after a value, found '}'")]
    [InlineData("{\"a\": 1}\n}", "line 2, column 1: more text after the end of the top-level object, found '}'")]
    [InlineData("{\"a\": 1} {}", "line 1, column 10: more text after the end of the top-level object, found '{'")]
    [InlineData("{\"a\": {\"b\": 1}", "line 1, column 15: the file ends too early; a closing '}' is missing")]
    [InlineData("{\"a\": [", "line 1, column 8: the file ends too early; a closing ']' is missing")]
    [InlineData("{\"a\":", "line 1, column 6: the file ends too early; a closing '}' is missing")]
    [InlineData("{\"a\": \"b", "line 1, column 7: this string is not closed: no '\"' before the end of the file")]
    [InlineData("{\"a\": \"b\n\"}", "line 1, column 7: this string is not closed: no '\"' before the end of the line")]
    [InlineData("{\"a\": \"b\tc\"}", "line 1, column 9: a control character (U+0009) inside a string; write it escaped, e.g. \\t for a tab")]
    [InlineData("{\"a\": \"C:\\srv\"}", "line 1, column 10: \"\\s\" is not an escape JSON knows; write a backslash as \\\\ (e.g. in a Windows path)")]
    [InlineData("{\"a\": \"\\u12\"}", "line 1, column 8: \"\\u12\" is not an escape JSON knows; write a backslash as \\\\ (e.g. in a Windows path)")]
    [InlineData("{\"a\": yes}", "line 1, column 7: \"yes\" is not a value; expected " + AnyValue)]
    [InlineData("{\"a\": True}", "line 1, column 7: \"True\" is not a value; expected " + AnyValue)]
    [InlineData("{\"a\": 0123}", "line 1, column 7: \"0123\" is not a number (JSON numbers look like 8080, -1 or 2.5, without leading zeros)")]
    [InlineData("{\"a\": 1.}", "line 1, column 7: \"1.\" is not a number (JSON numbers look like 8080, -1 or 2.5, without leading zeros)")]
    [InlineData("{\"a\": }", "line 1, column 7: expected a value (" + AnyValue + "), found '}'")]
    [InlineData("{\"a\": 1,, \"b\": 2}", "line 1, column 9: expected a key in double quotes, found ','")]
    [InlineData("{\"a\": [1,,2]}", "line 1, column 10: expected a value (" + AnyValue + "), found ','")]
    [InlineData("{a: 1}", "line 1, column 2: expected a key in double quotes or '}', found 'a'")]
    [InlineData("{'a': 1}", "line 1, column 2: keys need double quotes (\"StaticD\"), not single quotes")]
    [InlineData("{\"a\": 'b'}", "line 1, column 7: strings need double quotes (\"/var/www\"), not single quotes")]
    [InlineData("{\"a\" 1}", "line 1, column 6: expected ':' after the key \"a\", found '1'")]
    [InlineData("{\"a\": 1 /* open", "line 1, column 9: this comment is not closed: no \"*/\" before the end of the file")]
    [InlineData("{\"a\": 1 / 2}", "line 1, column 9: expected a comment (// or /*) after '/', found '/'")]
    [InlineData("{\n\t\"a\": 1\n\t\"b\": 2\n}", "line 3, column 2: expected ',' or '}' after a value, found '\"'")]
    // Characters, not bytes: "ü" is 2 bytes, "😀" 4 bytes and 2 UTF-16 units, each one column.
    [InlineData("{\"ü😀\": 1 x}", "line 1, column 10: expected ',' or '}' after a value, found 'x'")]
    [InlineData("{\"a\": 1 é}", "line 1, column 9: expected ',' or '}' after a value, found 'é'")]
    public void InvalidJson(string text, string expected) => Assert.Equal($"invalid JSON at {expected}", Problem(text));

    [Fact]
    public void InvalidUtf8_NamesTheByte()
    {
        byte[] text = [.. "{\"a\": \""u8, 0xFF, .. "\"}"u8];
        Assert.Equal("invalid JSON at line 1, column 8: the file is not UTF-8 text (byte 0xFF)", JsonDiagnostics.Problem(text));
    }

    [Fact]
    public void DuplicateKey_IgnoringCase_LikeTheConfigurationProvider() =>
        Assert.Equal("the key \"port\" is set twice in the same object (again at line 1, column 13; keys are not case-sensitive); keep one",
            Problem("{\"Port\": 1, \"port\": 2}"));

    [Theory]
    [InlineData("{\"a\": 1 \"b\"}")]
    [InlineData("{\"a\": tru}")]
    [InlineData("[1,}")]
    [InlineData("{\"a\": \"\\x\"}")]
    [InlineData("{\"a\"::1}")]
    [InlineData("{{}}")]
    [InlineData("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]")]
    public void NeverTheLibrarysWords(string text)
    {
        string? problem = Problem(text);
        Assert.NotNull(problem);
        Assert.DoesNotContain("LineNumber", problem);
        Assert.DoesNotContain("BytePosition", problem);
        Assert.DoesNotContain("invalid start of", problem);
        Assert.StartsWith("invalid JSON at line 1, column ", problem);
    }

    [Fact]
    public void ListenFailure_FoundThroughTheHostsWrappers_AndMappedToSysexits()
    {
        var inUse = new ListenException(new IPEndPoint(IPAddress.Any, 80), Errno.EADDRINUSE);
        var denied = new ListenException(new IPEndPoint(IPAddress.IPv6Any, 80), Errno.EACCES);
        var wrapped = new AggregateException(new InvalidOperationException("outer", new JsonException("unrelated")),
            new InvalidOperationException("start failed", denied));

        Assert.Same(denied, StartupFailure.Find(wrapped));
        Assert.Same(inUse, StartupFailure.Find(inUse));
        var epoll = new InvalidOperationException("epoll_create1: Too many open files (EMFILE)");
        Assert.Same(epoll, StartupFailure.Find(new AggregateException(epoll)));
        Assert.Equal(1, StartupFailure.ExitCode(epoll));
        Assert.Null(StartupFailure.Find(new NullReferenceException("a bug keeps its stack trace")));
        Assert.Equal(69, StartupFailure.ExitCode(inUse));
        Assert.Equal(77, StartupFailure.ExitCode(denied));
        Assert.Equal(69, StartupFailure.ExitCode(new ListenException(new IPEndPoint(IPAddress.Loopback, 8080), Errno.EADDRNOTAVAIL)));
        Assert.Equal("staticd: cannot listen on 0.0.0.0:80: Address already in use (EADDRINUSE)", StartupFailure.Line(inUse));
        Assert.Equal("staticd: cannot listen on [::]:80: Permission denied (EACCES); a port below 1024 needs root or CAP_NET_BIND_SERVICE",
            StartupFailure.Line(denied));
        Assert.Equal("staticd: cannot listen on 127.0.0.1:8080: not an address of this host (EADDRNOTAVAIL)",
            StartupFailure.Line(new ListenException(new IPEndPoint(IPAddress.Loopback, 8080), Errno.EADDRNOTAVAIL)));
    }
}
