using Microsoft.Extensions.Configuration;
using StaticD.Hosting;

namespace StaticD.Tests.Hosting;

/// <summary>ServerOptions loaded from keys and values, as if written in a configuration file in
/// <paramref name="dir"/> (a relative Root is taken from there).</summary>
internal static class InMemoryConfig
{
    public static ServerOptions Load(string dir, params (string Key, string? Value)[] values)
    {
        IConfiguration config = new ConfigurationBuilder()
            .AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value)))
            .Build();
        return ServerOptions.Load(config, Path.Combine(dir, "appsettings.json"));
    }
}
