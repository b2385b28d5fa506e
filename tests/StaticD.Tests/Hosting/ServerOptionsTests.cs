using Microsoft.Extensions.Configuration;
using StaticD.Hosting;
using Xunit;

namespace StaticD.Tests.Hosting;

public sealed class ServerOptionsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("staticd-options-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private ServerOptions Load(params (string Key, string? Value)[] values) => InMemoryConfig.Load(_dir, values);

    [Fact]
    public void DefaultsApply()
    {
        ServerOptions o = Load(("StaticD:Port", "8080"), ("StaticD:Root", _dir));
        Assert.Equal(8080, o.Port);
        Assert.Equal(_dir, o.Root);
        Assert.Equal(Environment.ProcessorCount, o.Loops);
        Assert.True(o.ListenIsDefault);
        Assert.Equal(["0.0.0.0", "::"], o.Listen.Select(a => a.ToString()));
        Assert.Equal(8192, o.Limits.MaxRequestLineBytes);
        Assert.Equal(10000, o.Limits.MaxConnections);
    }

    [Fact]
    public void RelativeRootIsRelativeToTheConfigFile()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "site"));
        Assert.Equal(Path.Combine(_dir, "site"), Load(("StaticD:Port", "80"), ("StaticD:Root", "site")).Root);
    }

    [Theory]
    [InlineData("StaticD:Port", "abc", "StaticD:Port", "\"abc\"")]
    [InlineData("StaticD:Port", "0", "StaticD:Port", "from 1 to 65535")]
    [InlineData("StaticD:Port", "65536", "StaticD:Port", "\"65536\"")]
    [InlineData("StaticD:Loops", "0", "StaticD:Loops", "from 1 to 1024")]
    [InlineData("StaticD:Listen:0", "localhost", "StaticD:Listen:0", "\"localhost\" is not an IP address")]
    [InlineData("StaticD:Prot", "80", "StaticD:Prot", "unknown key")]
    [InlineData("StaticD:Limits:MaxHeaderBytes", "100", "StaticD:Limits:MaxHeaderBytes", "\"100\"")]
    [InlineData("StaticD:Limits:Bogus", "1", "StaticD:Limits:Bogus", "unknown key")]
    public void InvalidValuesNameKeyAndValue(string key, string value, string expectedKey, string expectedText)
    {
        var values = new List<(string, string?)> { ("StaticD:Port", "80"), ("StaticD:Root", _dir) };
        values.RemoveAll(v => v.Item1 == key);
        values.Add((key, value));
        ConfigException ex = Assert.Throws<ConfigException>(() => Load([.. values]));
        Assert.Equal(expectedKey, ex.Key);
        Assert.Contains(expectedText, ex.Message);
    }

    [Fact]
    public void MissingRootAndPortAreReported()
    {
        Assert.Equal("StaticD:Port", Assert.Throws<ConfigException>(() => Load(("StaticD:Root", _dir))).Key);
        Assert.Equal("StaticD:Root", Assert.Throws<ConfigException>(() => Load(("StaticD:Port", "80"))).Key);
        ConfigException notDir = Assert.Throws<ConfigException>(() => Load(("StaticD:Port", "80"), ("StaticD:Root", "/nonexistent/x")));
        Assert.Contains("does not exist", notDir.Message);
    }

    [Fact]
    public void FormatNamesTheFile()
    {
        var ex = new ConfigException("StaticD:Port", "\"x\" is not allowed");
        Assert.Equal("staticd: /etc/a.json: StaticD:Port: \"x\" is not allowed", ex.Format("/etc/a.json"));
    }
}
