namespace StaticD.Files;

/// <summary>
/// One result of the compression cache: the coded bytes in memory, or the name of the file that holds them in the
/// cache directory; or, for a file that does not get smaller, the decision to send it as it is. Shared by the
/// loops' file caches, which check <see cref="Evicted"/> on every hit so an evicted result stops being sent (its
/// memory is then freed once no response holds it).
/// </summary>
internal sealed class CompressedBody(CompressionKey key, byte[]? bytes, long length, bool worthless, int memoryFd = -1)
{
    public readonly CompressionKey Key = key;
    /// <summary>The coded bytes when kept in memory and small; null when in <see cref="MemoryFd"/>, on disk or
    /// <see cref="Worthless"/>.</summary>
    public readonly byte[]? Bytes = bytes;
    /// <summary>A sealed memfd holding a larger result, so that it goes out with sendfile like a sidecar (a send()
    /// from a byte array copies it once more per response: measured 6 % slower for a 42 KB body); -1 otherwise.
    /// Owned by the cache, which closes it on eviction; requests get duplicates.</summary>
    public readonly int MemoryFd = memoryFd;
    /// <summary>The coded length (what the entry costs the cache).</summary>
    public readonly long Length = length;
    /// <summary>Coding did not make the file smaller: identity is sent, and the file is not tried again.</summary>
    public readonly bool Worthless = worthless;

    private volatile bool _evicted;
    // Set on every hit, cleared by the eviction sweep: an entry used since the sweep last passed gets another turn
    // (second chance, the usual approximation of least-recently-used that needs no lock on a hit).
    private volatile bool _referenced;

    public bool Evicted => _evicted;

    public void Touch() => _referenced = true;

    /// <summary>Eviction sweep (under the cache's lock): true if the entry was used since the last pass.</summary>
    internal bool TakeReference()
    {
        bool used = _referenced;
        _referenced = false;
        return used;
    }

    internal void Evict() => _evicted = true;
}
