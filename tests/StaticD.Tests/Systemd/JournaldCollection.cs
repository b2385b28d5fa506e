using Xunit;

namespace StaticD.Tests.Systemd;

/// <summary>The tests that read the journal share one <see cref="JournaldFixture"/> (xUnit looks for collection
/// definitions in the test assembly, so each test project has its own).</summary>
[CollectionDefinition(Name)]
public sealed class JournaldCollection : ICollectionFixture<JournaldFixture>
{
    public const string Name = "journald";
}
