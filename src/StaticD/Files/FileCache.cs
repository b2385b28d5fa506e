using System.Text;
using StaticD.Http;
using StaticD.Interop;
using StaticD.Site;

namespace StaticD.Files;

/// <summary>
/// A per-loop cache of resolved files, so a hot file is answered without the thread-pool hop, without open() and
/// statx(), and — when small — with one send() of head and body from memory. Entries hold the open descriptor of
/// each variant served so far (identity, br, zstd, gzip), their validators and pre-rendered headers, and "not
/// found" answers.
///
/// Staleness: the resolving pool thread adds an inotify watch on the file's directory *before* it looks at the
/// file, so any later change in that directory (write, replace, rename, delete, create) queues an event, and the
/// loop handles inotify events before any request of the same epoll round. An event drained while the resolution
/// is still on the pool has no entry to kill yet, so <see cref="Store"/> refuses a resolution that started before
/// an event of its directory (<see cref="EventCount"/>). Changes inotify cannot see (network
/// file systems, the target of a symlink in another directory) are caught by revalidating every entry after
/// <see cref="RevalidateMs"/>. Loop-thread only, except <see cref="Watch"/>.
///
/// Sites: an entry belongs to one <see cref="ServedSite"/> and its key starts with the site's index, so a path of
/// one site never answers for another, even when one root is inside the other and the file is the same.
///
/// Root swaps: every entry was resolved under the roots of one configuration (<see cref="RootGroup"/>), at one
/// count of their swaps, kept once for the whole cache. The first Find or Store that sees another group or count
/// drops every entry (an int compare per request, no syscall), which also closes the old release's files at once
/// instead of one path at a time; Store refuses an answer resolved under an older generation of its root than the
/// current one (a request that was on the thread pool while the root was swapped).
/// </summary>
internal sealed class FileCache : IDisposable
{
    /// <summary>Files up to this size keep their bytes: with the head they fit the loop's scratch buffer.</summary>
    public const int SmallFileMax = 16 * 1024;
    private const int MaxEntries = 4096;
    private const long MaxBodyBytes = 32L * 1024 * 1024;
    private const int RevalidateMs = 5000;
    // Longer paths are rare and not worth a stack buffer for the key; they are simply not cached.
    private const int MaxKeyLength = 1024;
    // Two chars of site index in front of the path.
    private const int SitePrefix = 2;
    private const InotifyMask WatchMask = InotifyMask.Modify | InotifyMask.Attrib | InotifyMask.CloseWrite |
        InotifyMask.MovedFrom | InotifyMask.MovedTo | InotifyMask.Create | InotifyMask.Delete | InotifyMask.DeleteSelf |
        InotifyMask.MoveSelf | InotifyMask.OnlyDir;

    internal sealed class Entry(string key, ServedSite site, int watch, long expiresMs)
    {
        public readonly string Key = key;
        /// <summary>The site this answer was found under: after a reload it is stale.</summary>
        public readonly ServedSite Site = site;
        public readonly int Watch = watch;
        public readonly long ExpiresMs = expiresMs;
        /// <summary>The generation of the site's root it was resolved under (a swap makes it stale even for a
        /// root that belongs to no group).</summary>
        public int RootGeneration;
        public int Status;
        public bool IsIndex;
        public ContentCoding Available;
        /// <summary>The order negotiation prefers among <see cref="Available"/>, as the pool used it.</summary>
        public ContentCoding[] Preference = AcceptEncoding.SidecarPreference;
        /// <summary>The path whose file name decides Content-Type and cache rules.</summary>
        public byte[] Name = [];
        public readonly CachedFile?[] Variants = new CachedFile?[4];
        public bool Dead;
    }

    /// <summary>One open file shared by the connections of one loop (sendfile takes an explicit offset, so they
    /// do not disturb each other). Closed when dead and no connection uses it.</summary>
    internal sealed class CachedFile(FileResolution file, byte[]? body, CompressedBody? source = null)
    {
        public readonly int Fd = file.Fd;
        public readonly long Length = file.Length;
        public readonly long TagSize = file.TagSize;
        /// <summary>The compression cache's result this body is (null for a file of the site).</summary>
        public readonly CompressedBody? Source = source;
        public readonly long MtimeSeconds = file.MtimeSeconds;
        public readonly uint MtimeNanoseconds = file.MtimeNanoseconds;
        public readonly ulong Inode = file.Inode;
        public readonly byte[]? Body = body;
        public int Users;
        public bool Dead;

        public void Release()
        {
            if (--Users == 0 && Dead) Syscall.Close(Fd);
        }

        public void Kill()
        {
            Dead = true;
            if (Users == 0) Syscall.Close(Fd);
        }
    }

    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly Dictionary<int, List<Entry>> _byWatch = new();
    private long _bodyBytes;
    // Events drained so far, the last of them per watch, and the count at the last Clear (which forgets the
    // per-watch counts): a resolution that started before an event of its directory may have looked at the file
    // before the change, and the event, drained before the resolution came back, killed nothing.
    private long _events;
    private long _clearedAt;
    private readonly Dictionary<int, long> _changedAt = new();
    /// <summary>The roots, and their count of swaps, that every entry was resolved under.</summary>
    private RootGroup? _roots;
    private int _rootSwaps;

    public int InotifyFd { get; }

    public FileCache()
    {
        _lookup = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
        InotifyFd = Syscall.InotifyInit(out _);
    }

    public bool Enabled => InotifyFd >= 0;

    /// <summary>Loop: the number of inotify events drained so far. Read it before handing a path to the pool and
    /// pass it to <see cref="Store"/>, which refuses a resolution that a later event of its directory may have
    /// made stale.</summary>
    public long EventCount => _events;

    /// <summary>Keys are the site's index in two chars, then the path's bytes widened one to one into chars:
    /// unique, and no allocation to look up.</summary>
    private static void Widen(int site, ReadOnlySpan<byte> path, Span<char> key)
    {
        key[0] = (char)(site & 0xFFFF);
        key[1] = (char)((uint)site >> 16);
        for (int i = 0; i < path.Length; i++) key[SitePrefix + i] = (char)path[i];
    }

    public static int VariantIndex(ContentCoding coding) => coding switch
    {
        ContentCoding.Gzip => 1,
        ContentCoding.Brotli => 2,
        ContentCoding.Zstd => 3,
        _ => 0,
    };

    /// <summary>The live entry for a decoded path under the current configuration, or null.</summary>
    public Entry? Find(ReadOnlySpan<byte> path, ServedSite site, long nowMs)
    {
        FollowRoots(site.Root!.Group);
        if (path.Length > MaxKeyLength) return null;
        Span<char> key = stackalloc char[SitePrefix + path.Length];
        Widen(site.Index, path, key);
        if (!_lookup.TryGetValue(key, out Entry? entry)) return null;
        if (entry.Dead || entry.Site != site || entry.RootGeneration != site.Root.Generation || nowMs >= entry.ExpiresMs)
        {
            Remove(entry);
            return null;
        }
        return entry;
    }

    /// <summary>Thread pool: watch the directory that holds a path, before the path is looked at. Returns the
    /// watch descriptor, or -1 (no directory, too many watches: the result is then simply not cached).</summary>
    public static int Watch(int inotifyFd, string root, ReadOnlySpan<byte> path)
    {
        if (inotifyFd < 0) return -1;
        int slash = path.LastIndexOf((byte)'/');
        ReadOnlySpan<byte> directory = slash <= 0 ? "/"u8 : path[..slash];
        byte[] full = Encoding.UTF8.GetBytes(root.TrimEnd('/') + Encoding.UTF8.GetString(directory) + "\0");
        return Syscall.InotifyAddWatch(inotifyFd, full, WatchMask, out _);
    }

    /// <summary>Loop: remember what the pool resolved. Takes ownership of the file descriptor (returns the cached
    /// file with one user: the caller) or returns null and leaves the descriptor with the caller.
    /// <paramref name="eventCount"/> is <see cref="EventCount"/> from before the resolution was started.</summary>
    public CachedFile? Store(ReadOnlySpan<byte> path, ServedSite site, ref Resource resource, long nowMs, long eventCount)
    {
        SiteRoot root = site.Root!;
        FollowRoots(root.Group);
        if (resource.Watch < 0 || path.Length > MaxKeyLength || resource.RootGeneration != root.Generation) return null;
        if (eventCount < _clearedAt || _changedAt.TryGetValue(resource.Watch, out long changed) && changed > eventCount) return null;
        Span<char> key = stackalloc char[SitePrefix + path.Length];
        Widen(site.Index, path, key);
        if (!_lookup.TryGetValue(key, out Entry? entry) || entry.Dead || entry.Site != site || entry.Watch != resource.Watch ||
            entry.RootGeneration != resource.RootGeneration)
        {
            if (entry is not null) Remove(entry);
            if (_entries.Count >= MaxEntries || _bodyBytes > MaxBodyBytes) Clear();
            entry = new Entry(new string(key), site, resource.Watch, nowMs + RevalidateMs)
            {
                Status = resource.Status,
                RootGeneration = resource.RootGeneration,
                IsIndex = resource.File.IsIndex,
                Available = resource.Available,
                Preference = resource.Preference ?? AcceptEncoding.SidecarPreference,
                Name = resource.Name.ToArray(),
            };
            _entries[entry.Key] = entry;
            if (!_byWatch.TryGetValue(entry.Watch, out List<Entry>? list)) _byWatch[entry.Watch] = list = [];
            list.Add(entry);
        }
        if (resource.Status != 200 || entry.Status != 200 || entry.Available != resource.Available) return null;
        int index = VariantIndex(resource.Coding);
        if (entry.Variants[index] is not null) return null; // another request filled it meanwhile
        var file = new CachedFile(resource.File, resource.File.Body, resource.Compressed) { Users = 1 };
        entry.Variants[index] = file;
        _bodyBytes += OwnBytes(file);
        return file;
    }

    /// <summary>Body bytes this cache holds alone; a compressed result's are the compression cache's, which
    /// bounds them (CacheBytes).</summary>
    private static long OwnBytes(CachedFile file) => file.Source is null ? file.Body?.Length ?? 0 : 0;

    /// <summary>Loop: forgets one variant of an entry (a compressed result the compression cache evicted).</summary>
    public void DropVariant(Entry entry, int index)
    {
        if (entry.Variants[index] is not CachedFile file) return;
        entry.Variants[index] = null;
        _bodyBytes -= OwnBytes(file);
        file.Kill();
    }

    /// <summary>Drops everything when the roots were replaced (reload) or one was re-opened on another directory
    /// (swap). A root opened alone (tests) has no group and is followed by nothing but its generation.</summary>
    private void FollowRoots(RootGroup? roots)
    {
        int swaps = roots?.Swaps ?? 0;
        if (roots == _roots && swaps == _rootSwaps) return;
        Clear();
        _roots = roots;
        _rootSwaps = swaps;
    }

    /// <summary>Loop: apply queued inotify events (before any request of this round is served).</summary>
    public void DrainEvents()
    {
        Span<byte> buffer = stackalloc byte[4096];
        while (true)
        {
            nint n = Syscall.Read(InotifyFd, buffer, out _);
            if (n <= 0) return;
            var reader = new InotifyEventReader(buffer[..(int)n]);
            while (reader.TryRead(out InotifyEvent ev))
            {
                _events++;
                if (((InotifyMask)ev.Mask & InotifyMask.QueueOverflow) != 0)
                {
                    Clear(); // events were lost: trust nothing
                }
                else
                {
                    _changedAt[ev.Watch] = _events;
                    if (_byWatch.Remove(ev.Watch, out List<Entry>? list))
                    {
                        foreach (Entry e in list) Kill(e);
                    }
                }
            }
        }
    }

    private void Remove(Entry entry)
    {
        Kill(entry);
        if (_byWatch.TryGetValue(entry.Watch, out List<Entry>? list)) list.Remove(entry);
    }

    private void Kill(Entry entry)
    {
        if (entry.Dead) return;
        entry.Dead = true;
        _entries.Remove(entry.Key);
        foreach (CachedFile? file in entry.Variants)
        {
            if (file is null) continue;
            _bodyBytes -= OwnBytes(file);
            file.Kill();
        }
    }

    /// <summary>Drops every entry (a reload, an inotify overflow, or the cache is full).</summary>
    public void Clear()
    {
        foreach (Entry e in _entries.Values.ToList()) Kill(e);
        _entries.Clear();
        _byWatch.Clear();
        _bodyBytes = 0;
        _changedAt.Clear();
        _clearedAt = _events;
    }

    public void Dispose()
    {
        Clear();
        Syscall.Close(InotifyFd);
    }
}
