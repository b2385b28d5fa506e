using StaticD.Interop;

namespace StaticD.Files;

/// <summary>
/// The roots of one configuration, each directory opened once however many sites name it, and a count of the
/// swaps any of them went through. The per-loop file cache compares that one int per request: after a deploy
/// swapped any root it drops everything at once (closing the old release's files then, not one path at a time),
/// without keeping a generation per site. Deploys are rare; losing the other sites' cached entries once per
/// deploy costs a few opens.
/// </summary>
internal sealed class RootGroup : IDisposable
{
    private readonly Dictionary<string, SiteRoot> _byPath = new(StringComparer.Ordinal);
    private int _swaps;

    /// <summary>Bumped by a root of this group whenever it is re-opened on another directory.</summary>
    public int Swaps => Volatile.Read(ref _swaps);

    public IEnumerable<SiteRoot> Roots => _byPath.Values;

    internal void CountSwap() => Interlocked.Increment(ref _swaps);

    /// <summary>The root for <paramref name="path"/>, opened on first use; null with the reason when it cannot be
    /// opened as a directory.</summary>
    public SiteRoot? Open(string path, out Errno errno)
    {
        errno = Errno.None;
        if (_byPath.TryGetValue(path, out SiteRoot? root)) return root;
        root = SiteRoot.TryOpen(path, out errno, this);
        if (root is not null) _byPath[path] = root;
        return root;
    }

    /// <summary>Takes ownership of a root opened alone (one-site contexts built in tests).</summary>
    public void Adopt(SiteRoot root) => _byPath.TryAdd(root.Path, root);

    public void Dispose()
    {
        foreach (SiteRoot root in _byPath.Values) root.Dispose();
    }
}
