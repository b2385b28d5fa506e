using System.Text;
using StaticD.Site;
using Xunit;

namespace StaticD.Tests.Site;

/// <summary>The CORS preset compiled: origin syntax and normalisation, the wildcard/credentials rule, matching
/// byte for byte, and the pre-rendered fields.</summary>
public sealed class CorsPolicyTests
{
    private static CorsPolicy Create(bool credentials = false, int maxAge = 600, params string[] origins) =>
        CorsPolicy.Create(origins, credentials, maxAge, out string? error, out _) ?? throw new InvalidOperationException(error);

    private static string S(ReadOnlySpan<byte> bytes) => Encoding.ASCII.GetString(bytes);

    [Theory]
    [InlineData("https://app.example.com", "https://app.example.com")]
    [InlineData("HTTPS://App.Example.COM", "https://app.example.com")]   // as a browser serializes it
    [InlineData("https://app.example.com:443", "https://app.example.com")] // default port dropped
    [InlineData("http://localhost:80", "http://localhost")]
    [InlineData("http://localhost:5173", "http://localhost:5173")]
    [InlineData("https://app.example.com:80", "https://app.example.com:80")]
    [InlineData("http://127.0.0.1:8080", "http://127.0.0.1:8080")]
    [InlineData("http://[::1]:3000", "http://[::1]:3000")]
    [InlineData("capacitor://localhost", "capacitor://localhost")]       // app shells have origins of their own
    public void OriginsAreNormalisedToTheSerializedForm(string configured, string expected)
    {
        Assert.True(CorsPolicy.TryParseOrigin(configured, out string origin, out string error), error);
        Assert.Equal(expected, origin);
    }

    [Theory]
    [InlineData("https://app.example.com/", "has a path")]
    [InlineData("https://app.example.com/app", "has a path")]
    [InlineData("https://app.example.com?x", "has a path")]
    [InlineData("app.example.com", "is not an origin")]
    [InlineData("://app.example.com", "is not an origin")]
    [InlineData("1http://a.example", "is not an origin")]
    [InlineData("https://", "no valid host")]
    [InlineData("https://user@app.example.com", "no valid host")]
    [InlineData("https://app example.com", "no valid host")]
    [InlineData("https://bücher.example", "no valid host")]
    [InlineData("null", "sandboxed")]
    [InlineData("", "is not an origin")]
    public void BadOriginsAreRefusedWithTheReason(string configured, string reason)
    {
        Assert.False(CorsPolicy.TryParseOrigin(configured, out _, out string error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void WildcardWithCredentialsIsRefused()
    {
        Assert.Null(CorsPolicy.Create(["*"], credentials: true, 600, out string? error, out int index));
        Assert.Equal(-1, index);
        Assert.Contains("forbids a wildcard origin with credentials", error);
    }

    [Fact]
    public void WildcardAmongOriginsIsRefused()
    {
        Assert.Null(CorsPolicy.Create(["https://a.example", "*"], credentials: false, 600, out string? error, out int index));
        Assert.Equal(-1, index);
        Assert.Contains("cannot be listed with others", error);
    }

    [Fact]
    public void TheBadOriginIsNamedByIndex()
    {
        Assert.Null(CorsPolicy.Create(["https://a.example", "https://b.example/"], false, 600, out string? error, out int index));
        Assert.Equal(1, index);
        Assert.Contains("has a path", error);
    }

    [Fact]
    public void ListedOriginsMatchExactlyAndRenderTheirOwnLine()
    {
        CorsPolicy cors = Create(false, 600, "https://a.example", "http://localhost:5173");
        Assert.False(cors.AnyOrigin);
        Assert.True(cors.VaryOrigin);
        Assert.Equal(0, cors.Match("https://a.example"u8, true));
        Assert.Equal(1, cors.Match("http://localhost:5173"u8, true));
        Assert.Equal(-1, cors.Match("https://A.example"u8, true));     // browsers send lower case: no folding
        Assert.Equal(-1, cors.Match("https://a.example/"u8, true));
        Assert.Equal(-1, cors.Match("https://a.example.evil"u8, true)); // no prefix matching
        Assert.Equal(-1, cors.Match("http://a.example"u8, true));
        Assert.Equal(-1, cors.Match("null"u8, true));
        Assert.Equal(-1, cors.Match(default, false));
        Assert.Equal("Access-Control-Allow-Origin: http://localhost:5173\r\n", S(cors.AllowLines(1)));
        Assert.Equal("Access-Control-Allow-Methods: GET, HEAD, OPTIONS\r\nAccess-Control-Max-Age: 600\r\n", S(cors.PreflightFields));
        Assert.Equal("Vary: Origin, Access-Control-Request-Method, Access-Control-Request-Headers\r\n", S(cors.PreflightVary));
    }

    [Fact]
    public void CredentialsAreAnnouncedWithTheOrigin()
    {
        CorsPolicy cors = Create(true, 30, "https://a.example");
        Assert.Equal("Access-Control-Allow-Origin: https://a.example\r\nAccess-Control-Allow-Credentials: true\r\n", S(cors.AllowLines(0)));
        Assert.Contains("Access-Control-Max-Age: 30\r\n", S(cors.PreflightFields));
    }

    [Fact]
    public void WildcardMatchesEveryRequestWithTheSameBytes()
    {
        CorsPolicy cors = Create(false, 600, "*");
        Assert.True(cors.AnyOrigin);
        Assert.False(cors.VaryOrigin);
        Assert.Equal(0, cors.Match("https://anyone.example"u8, true));
        Assert.Equal(0, cors.Match(default, false));
        Assert.Equal("Access-Control-Allow-Origin: *\r\n", S(cors.AllowLines(0)));
        Assert.Equal("Vary: Access-Control-Request-Method, Access-Control-Request-Headers\r\n", S(cors.PreflightVary));
    }

    [Theory]
    [InlineData("GET", true)]
    [InlineData("HEAD", true)]
    [InlineData("OPTIONS", true)]
    [InlineData("get", false)]   // methods are case-sensitive
    [InlineData("POST", false)]
    [InlineData("PUT", false)]
    [InlineData("", false)]
    public void PreflightMethods(string method, bool allowed) =>
        Assert.Equal(allowed, CorsPolicy.IsAllowedMethod(Encoding.ASCII.GetBytes(method)));

    [Theory]
    [InlineData("x-requested-with", true)]
    [InlineData("authorization, x-requested-with", true)]
    [InlineData("", true)]
    [InlineData("x\"y", false)]
    [InlineData("x;y", false)]
    public void EchoedHeadersMustBeAListOfNames(string value, bool echoed) =>
        Assert.Equal(echoed, CorsPolicy.CanEcho(Encoding.ASCII.GetBytes(value)));

    [Fact]
    public void OverlongRequestHeadersAreNotEchoed()
    {
        Assert.True(CorsPolicy.CanEcho(Encoding.ASCII.GetBytes(new string('a', CorsPolicy.MaxEchoedHeaders))));
        Assert.False(CorsPolicy.CanEcho(Encoding.ASCII.GetBytes(new string('a', CorsPolicy.MaxEchoedHeaders + 1))));
    }

    [Fact]
    public void MatchingAllocatesNothing()
    {
        CorsPolicy cors = Create(false, 600, "https://a.example", "https://b.example", "https://c.example");
        byte[] origin = Encoding.ASCII.GetBytes("https://c.example");
        int sum = cors.Match(origin, true);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            sum += cors.Match(origin, true) + cors.AllowLines(0).Length + (CorsPolicy.IsAllowedMethod("GET"u8) ? 1 : 0);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(sum > 0);
    }
}
