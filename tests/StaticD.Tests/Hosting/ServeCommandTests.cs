using System.Net;
using Microsoft.Extensions.Configuration;
using Serilog.Events;
using Serilog.Parsing;
using StaticD.Hosting;
using StaticD.Logging;
using Xunit;

namespace StaticD.Tests.Hosting;

public sealed class ServeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("staticd-serve-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static ServeCommand.Arguments Parse(params string[] args)
    {
        Assert.True(ServeCommand.TryParse(args, out ServeCommand.Arguments? a, out string? error), error);
        return a;
    }

    [Fact]
    public void Defaults_CurrentDirectoryPort8080NoFlags()
    {
        ServeCommand.Arguments a = Parse();
        Assert.Equal(".", a.Dir);
        Assert.Equal("8080", a.Port);
        Assert.Empty(a.Listen);
        Assert.False(a.Spa);
        Assert.False(a.List);
    }

    [Fact]
    public void OptionsInBothForms_AnyOrder()
    {
        ServeCommand.Arguments a = Parse("--port=9000", "site", "--listen", "::1", "--listen=127.0.0.2", "--spa", "--list");
        Assert.Equal(new ServeCommand.Arguments("site", "9000", a.Listen, true, true), a);
        Assert.Equal(["::1", "127.0.0.2"], a.Listen);
        Assert.Equal("-odd", Parse("--", "-odd").Dir);
    }

    [Theory]
    [InlineData("staticd: serve: unknown option \"--bogus\" (see staticd --help)", "--bogus")]
    [InlineData("staticd: serve: unknown option \"--spa=yes\" (see staticd --help)", "--spa=yes")]
    [InlineData("staticd: serve: --port needs a value", "--port")]
    [InlineData("staticd: serve: --listen needs a value", ".", "--listen")]
    [InlineData("staticd: serve: one directory only, got \"a\" and \"b\"", "a", "b")]
    [InlineData(ServeCommand.NoConfigFile, "--config", "x.json")]
    [InlineData(ServeCommand.NoConfigFile, "-c", "x.json")]
    [InlineData(ServeCommand.NoConfigFile, "--config=x.json")]
    public void UsageErrors(string expected, params string[] args)
    {
        Assert.False(ServeCommand.TryParse(args, out _, out string? error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Configuration_IsWhatTheDaemonWouldRead()
    {
        IConfigurationRoot c = ServeCommand.BuildConfiguration(Parse(_dir, "--port", "9000", "--spa", "--list"), [], ipv6: true);
        ServerOptions o = ServerOptions.Load(c, Path.Combine(_dir, "(command line)"));
        Assert.Equal(_dir, o.Root);
        Assert.Equal(9000, o.Port);
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], o.Listen);
        Assert.False(o.ListenIsDefault);
        Assert.True(o.Site.DirectoryListing);
        Assert.Equal("/index.html"u8.ToArray(), o.Site.SpaFallback);

        IConfigurationRoot v4 = ServeCommand.BuildConfiguration(Parse(_dir), [], ipv6: false);
        Assert.Equal([IPAddress.Loopback], ServerOptions.Load(v4, Path.Combine(_dir, "x")).Listen);
    }

    [Fact]
    public void Environment_AppliesExceptWhatServeDecides()
    {
        KeyValuePair<string, string?>[] environment =
        [
            new("StaticD:Root", "/elsewhere"), new("StaticD:Port", "1"), new("StaticD:Listen", "0.0.0.0"),
            new("StaticD:Listen:3", "::"), new("staticd:listen:0", "0.0.0.0"), new("StaticD:Loops", "3"),
            new("StaticD:SpaFallback", "/app.html"), new("StaticD:DirectoryListing", "true"), new("PATH", "/usr/bin"),
        ];
        ServerOptions o = ServerOptions.Load(ServeCommand.BuildConfiguration(Parse(_dir, "--spa"), environment, ipv6: false), "/x");
        Assert.Equal(_dir, o.Root);
        Assert.Equal(8080, o.Port);
        Assert.Equal([IPAddress.Loopback], o.Listen);
        Assert.Equal(3, o.Loops);
        Assert.Equal("/index.html"u8.ToArray(), o.Site.SpaFallback); // --spa wins
        Assert.True(o.Site.DirectoryListing); // no --list: the environment's value stands
    }

    [Fact]
    public void StartLine_NamesEveryUrl()
    {
        Assert.Equal("staticd: serving /srv on http://127.0.0.1:8080/ and http://[::1]:8080/ (Ctrl-C to stop)",
            ServeCommand.StartLine("/srv", [new(IPAddress.Loopback, 8080), new(IPAddress.IPv6Loopback, 8080)]));
        Assert.Equal("staticd: serving /srv on http://127.0.0.1:81/ (Ctrl-C to stop)",
            ServeCommand.StartLine("/srv", [new(IPAddress.Loopback, 81)]));
    }

    [Fact]
    public void TerminalLine_IsShort()
    {
        var at = new DateTimeOffset(2025, 1, 2, 12, 34, 56, TimeSpan.Zero);
        LogEvent Access(string path, long bytes, long usec) => new(at, LogEventLevel.Information, null, new MessageTemplateParser().Parse("x"),
        [
            new LogEventProperty("HTTP_METHOD", new ScalarValue("GET")), new LogEventProperty("HTTP_PATH", new ScalarValue(path)),
            new LogEventProperty("HTTP_STATUS", new ScalarValue(200)), new LogEventProperty("HTTP_BYTES", new ScalarValue(bytes)),
            new LogEventProperty("HTTP_DURATION_USEC", new ScalarValue(usec)),
        ]);
        string time = at.ToLocalTime().ToString("HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal($"{time} GET /index.html 200 1234 B 0.3 ms", TerminalSink.FormatAccess(Access("/index.html", 1234, 321)));
        Assert.Equal($"{time} GET /a\\x1b[31m 200 0 B 1500.0 ms", TerminalSink.FormatAccess(Access("/a\u001b[31m", 0, 1_500_000)));
        Assert.Null(TerminalSink.FormatAccess(new LogEvent(at, LogEventLevel.Information, null, new MessageTemplateParser().Parse("started"), [])));
    }
}
