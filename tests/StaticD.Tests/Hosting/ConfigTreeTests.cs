using Microsoft.Extensions.Configuration;
using StaticD.Hosting;
using Xunit;

namespace StaticD.Tests.Hosting;

/// <summary>The configuration tree answers like the providers' own sections (case, order, paths, a later
/// provider winning) and knows which values came from the environment.</summary>
public sealed class ConfigTreeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("staticd-tree-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private IConfigurationRoot FromFile(string json)
    {
        string path = Path.Combine(_dir, "appsettings.json");
        File.WriteAllText(path, json);
        return ConfigLoader.Load(path);
    }

    [Fact]
    public void AnswersAsTheProvidersDo()
    {
        IConfigurationRoot config = FromFile("""
            { "StaticD": { "Port": 80, "Sites": [ { "Hosts": ["a"] }, {}, {}, {}, {}, {}, {}, {}, {}, {}, { "Hosts": "k" } ],
              "Headers": { "B": "2", "a": "1" } } }
            """);
        ConfigTree tree = ConfigTree.From(config);
        IConfigurationSection section = tree.GetSection("staticd");
        Assert.Equal("80", section["PORT"]);
        // Children in the providers' order (numbers as numbers, then ordinal, case-insensitive), same paths.
        Assert.Equal(config.GetSection("StaticD").GetChildren().Select(c => c.Path), section.GetChildren().Select(c => c.Path));
        Assert.Equal(config.GetSection("StaticD:Sites").GetChildren().Select(c => c.Key), tree.GetSection("StaticD:Sites").GetChildren().Select(c => c.Key));
        Assert.Equal(config.GetSection("StaticD:Headers").GetChildren().Select(c => c.Key), tree.GetSection("StaticD:Headers").GetChildren().Select(c => c.Key));
        Assert.Equal("k", tree.GetSection("StaticD:Sites:10:Hosts").Value);
        // A missing key: no value, no children, and the path the providers would give it.
        IConfigurationSection missing = section.GetSection("Limits:MaxRanges");
        Assert.False(missing.Exists());
        Assert.Equal("StaticD:Limits:MaxRanges", missing.Path);
        Assert.Equal("MaxRanges", missing.Key);
    }

    [Fact]
    public void TheEnvironmentWinsAndIsNamed()
    {
        Environment.SetEnvironmentVariable("StaticD__Loops", "3");
        try
        {
            ConfigTree tree = ConfigTree.From(FromFile("""{ "StaticD": { "Port": 80, "Loops": 1 } }"""));
            Assert.Equal("3", tree.GetSection("StaticD:Loops").Value);
            Assert.Equal("StaticD__Loops", tree.EnvironmentVariableOf("StaticD:Loops"));
            Assert.Null(tree.EnvironmentVariableOf("StaticD:Port"));
            Assert.Null(tree.EnvironmentVariableOf("StaticD:Nothing"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("StaticD__Loops", null);
        }
    }

    [Fact]
    public void ABadValueFromTheEnvironmentIsBlamedOnIt()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "www"));
        string path = Path.Combine(_dir, "appsettings.json");
        File.WriteAllText(path, """{ "StaticD": { "Port": 80, "Root": "www" } }""");
        Environment.SetEnvironmentVariable("StaticD__Port", "abc");
        try
        {
            ConfigException ex = Assert.Throws<ConfigException>(() => ServerOptions.Load(ConfigLoader.Load(path), path));
            Assert.Equal("staticd: environment variable StaticD__Port: \"abc\" is not allowed; expected an integer from 1 to 65535", ex.Format(path));
        }
        finally
        {
            Environment.SetEnvironmentVariable("StaticD__Port", null);
        }
        // The same mistake in the file names the file.
        File.WriteAllText(path, """{ "StaticD": { "Port": "abc", "Root": "www" } }""");
        ConfigException fromFile = Assert.Throws<ConfigException>(() => ServerOptions.Load(ConfigLoader.Load(path), path));
        Assert.Equal($"staticd: {path}: StaticD:Port: \"abc\" is not allowed; expected an integer from 1 to 65535", fromFile.Format(path));
    }
}
