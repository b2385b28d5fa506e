using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.Primitives;

namespace StaticD.Hosting;

/// <summary>
/// The configuration read once into a tree of sections, each remembering where its value came from.
/// </summary>
/// <remarks>
/// Why not the providers' own sections: every <c>GetChildren</c> on them scans every key of the file, so loading
/// 1,000 sites (tens of thousands of calls over tens of thousands of keys) took seconds, and 2,000 sites a quarter
/// of a minute, in <c>--check-config</c>, at start and on every reload. Here each key is visited once. The tree
/// also knows which values came from the environment, so an error names <c>StaticD__Port</c> rather than blaming
/// the file. Semantics follow the providers': keys are case-insensitive, a later provider's value wins, children
/// come in <see cref="ConfigurationKeyComparer"/> order (numbers as numbers).
/// </remarks>
internal sealed class ConfigTree : IConfigurationSection
{
    private readonly Dictionary<string, ConfigTree> _children = new(StringComparer.OrdinalIgnoreCase);
    private ConfigTree[]? _ordered;

    private ConfigTree(string key, string path)
    {
        Key = key;
        Path = path;
    }

    public string Key { get; }
    public string Path { get; }
    public string? Value { get; set; }
    /// <summary>The environment variable this value came from (<c>StaticD__Port</c>), or null for the file.</summary>
    public string? EnvironmentVariable { get; private set; }

    public string? this[string key]
    {
        get => GetSection(key).Value;
        set => throw new NotSupportedException("the configuration tree is read-only");
    }

    /// <summary>Builds the tree from the providers' data in order. Providers that do not show their data
    /// (none of staticd's own) are read through the slow public interface.</summary>
    public static ConfigTree From(IConfiguration configuration)
    {
        var root = new ConfigTree("", "");
        if (configuration is IConfigurationRoot { Providers: var providers } && providers.All(p => Entries(p) is not null))
        {
            foreach (IConfigurationProvider provider in providers)
            {
                bool environment = provider is OpenEnvironmentProvider;
                foreach ((string key, string? value) in Entries(provider)!) root.Set(key, value, environment);
            }
        }
        else
        {
            foreach ((string key, string? value) in configuration.AsEnumerable()) root.Set(key, value, environment: false);
        }
        return root;
    }

    private static IEnumerable<KeyValuePair<string, string?>>? Entries(IConfigurationProvider provider) => provider switch
    {
        OpenJsonProvider json => json.Entries,
        OpenEnvironmentProvider environment => environment.Entries,
        MemoryConfigurationProvider memory => memory,
        _ => null,
    };

    private void Set(string key, string? value, bool environment)
    {
        ConfigTree node = this;
        foreach (string segment in key.Split(ConfigurationPath.KeyDelimiter))
        {
            if (!node._children.TryGetValue(segment, out ConfigTree? child))
            {
                child = new ConfigTree(segment, node.Path.Length == 0 ? segment : node.Path + ConfigurationPath.KeyDelimiter + segment);
                node._children[segment] = child;
                node._ordered = null;
            }
            node = child;
        }
        node.Value = value;
        node.EnvironmentVariable = environment ? key.Replace(ConfigurationPath.KeyDelimiter, "__") : null;
    }

    public IConfigurationSection GetSection(string key)
    {
        ConfigTree node = this;
        foreach (string segment in key.Split(ConfigurationPath.KeyDelimiter))
        {
            if (!node._children.TryGetValue(segment, out ConfigTree? child))
                return new ConfigTree(ConfigurationPath.GetSectionKey(key), Path.Length == 0 ? key : Path + ConfigurationPath.KeyDelimiter + key);
            node = child;
        }
        return node;
    }

    public IEnumerable<IConfigurationSection> GetChildren() =>
        _ordered ??= [.. _children.Values.OrderBy(c => c.Key, ConfigurationKeyComparer.Instance)];

    public IChangeToken GetReloadToken() => new CancellationChangeToken(CancellationToken.None);

    /// <summary>The environment variable behind a key path, if the value there came from one.</summary>
    public string? EnvironmentVariableOf(string? path) =>
        path is null ? null : (GetSection(path) as ConfigTree)?.EnvironmentVariable;
}

/// <summary>The JSON provider, fed the bytes <see cref="ConfigLoader"/> already read and checked (so the file is
/// read once, and what was checked is what is loaded), showing the keys it read (its data is otherwise only
/// reachable one <c>GetChildKeys</c> scan at a time).</summary>
internal sealed class OpenJsonSource : JsonStreamConfigurationSource
{
    public override IConfigurationProvider Build(IConfigurationBuilder builder) => new OpenJsonProvider(this);
}

internal sealed class OpenJsonProvider(JsonStreamConfigurationSource source) : JsonStreamConfigurationProvider(source)
{
    public IEnumerable<KeyValuePair<string, string?>> Entries => Data;
}

/// <summary>Environment variables (StaticD__Port=8081), showing the keys they set, so errors can name them.</summary>
internal sealed class OpenEnvironmentSource : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new OpenEnvironmentProvider();
}

internal sealed class OpenEnvironmentProvider : EnvironmentVariablesConfigurationProvider
{
    public IEnumerable<KeyValuePair<string, string?>> Entries => Data;
}
