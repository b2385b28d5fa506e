using System.Text;
using StaticD.Interop;

namespace StaticD.Files;

/// <summary>
/// The compressed results, bounded by <see cref="CompressionSettings.CacheBytes"/>: in memory, or with a cache
/// directory as files there (named by their key, so a restart finds them again). When a new result does not fit,
/// the least recently used ones go, found by a second-chance sweep: a hit only sets a flag, so the loops that
/// serve a result never take this lock. Thread pool only (lookups and compression jobs).
/// </summary>
internal sealed class CompressionCache
{
    // What an entry costs beyond its bytes (the objects that hold it), so that even results of zero bytes — the
    // note that a file does not compress — are bounded by the budget.
    private const long EntryOverhead = 256;

    private readonly object _lock = new();
    private readonly Dictionary<CompressionKey, CompressedBody> _entries = [];
    private readonly Queue<CompressedBody> _sweep = new();
    private readonly long _capacity;
    private readonly string? _directory;
    // O_PATH descriptor of the cache directory, for opening results beneath it; kept for the life of the process.
    private readonly int _directoryFd = -1;
    private long _bytes;

    public CompressionCache(long capacity, string? directory)
    {
        _capacity = capacity;
        _directory = directory;
        if (directory is null) return;
        _directoryFd = Syscall.OpenDirectoryPath(directory, out Errno errno);
        if (_directoryFd < 0) throw new IOException($"cannot open {directory}: {errno.Describe()}");
        AdoptExisting(directory);
    }

    public bool OnDisk => _directory is not null;

    /// <summary>Bytes the results occupy now (for tests and metrics).</summary>
    public long Bytes
    {
        get { lock (_lock) return _bytes; }
    }

    public CompressedBody? Find(in CompressionKey key)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out CompressedBody? body)) return null;
            body.Touch();
            return body;
        }
    }

    /// <summary>Keeps a new result, evicting the least recently used ones until it fits. A result larger than the
    /// whole budget is noted as not worth sending compressed (it could never stay).</summary>
    public void Add(CompressedBody body)
    {
        lock (_lock)
        {
            // Present already (a file adopted at start, then made again): the file under that name is the same.
            if (_entries.ContainsKey(body.Key))
            {
                Syscall.Close(body.MemoryFd);
                return;
            }
            if (body.Length + EntryOverhead > _capacity)
            {
                if (body.MemoryFd >= 0) Syscall.Close(body.MemoryFd);
                else if (!body.Worthless && body.Bytes is null) DeleteFile(body.Key);
                body = new CompressedBody(body.Key, null, 0, worthless: true);
            }
            while (_bytes + body.Length + EntryOverhead > _capacity && _sweep.Count > 0) EvictOne();
            _entries[body.Key] = body;
            _sweep.Enqueue(body);
            _bytes += body.Length + EntryOverhead;
        }
    }

    /// <summary>Drops a result that could not be opened (its file removed from the cache directory by hand).</summary>
    public void Forget(CompressedBody body)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(body.Key, out CompressedBody? current) || current != body) return;
            _entries.Remove(body.Key);
            body.Evict();
            _bytes -= body.Length + EntryOverhead;
            Syscall.Close(body.MemoryFd);
            // It stays in the sweep queue, marked evicted, and is skipped when the sweep reaches it.
        }
    }

    private void EvictOne()
    {
        while (_sweep.TryDequeue(out CompressedBody? oldest))
        {
            if (oldest.Evicted) continue; // forgotten already
            if (oldest.TakeReference())
            {
                _sweep.Enqueue(oldest);
                continue;
            }
            _entries.Remove(oldest.Key);
            oldest.Evict();
            _bytes -= oldest.Length + EntryOverhead;
            // Under the lock, as Duplicate is: a descriptor number closed here is never duplicated after reuse.
            if (oldest.MemoryFd >= 0) Syscall.Close(oldest.MemoryFd);
            else if (oldest.Bytes is null && !oldest.Worthless) DeleteFile(oldest.Key);
            return;
        }
    }

    /// <summary>A descriptor of its own for a result in a memfd or on disk; -1 if it is gone (evicted, or
    /// removed from the directory).</summary>
    public int Open(CompressedBody body)
    {
        if (body.MemoryFd >= 0)
        {
            lock (_lock) return body.Evicted ? -1 : Syscall.Duplicate(body.MemoryFd);
        }
        byte[] name = Encoding.ASCII.GetBytes(body.Key.FileName + "\0");
        return Syscall.OpenBeneath(_directoryFd, name, OpenFlags.ReadOnly | OpenFlags.NoCtty, out _);
    }

    /// <summary>Writes a result into the cache directory: to a temporary name first and renamed into place, so a
    /// crash or a full disk never leaves a truncated result under a real name.</summary>
    public bool Write(in CompressionKey key, byte[] bytes)
    {
        string path = Path.Join(_directory, key.FileName);
        string temporary = path + ".tmp";
        try
        {
            File.WriteAllBytes(temporary, bytes);
            File.Move(temporary, path, overwrite: true);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            return false;
        }
    }

    private void DeleteFile(in CompressionKey key)
    {
        try
        {
            File.Delete(Path.Join(_directory, key.FileName));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left behind: found again at the next start and counted then.
        }
    }

    /// <summary>Start: the results a previous run left, oldest first (so they are evicted first), within the budget;
    /// temporary files of an interrupted write are removed.</summary>
    private void AdoptExisting(string directory)
    {
        var found = new List<(FileInfo File, CompressionKey Key)>();
        foreach (FileInfo file in new DirectoryInfo(directory).EnumerateFiles())
        {
            if (file.Name.EndsWith(".tmp", StringComparison.Ordinal))
            {
                try { file.Delete(); } catch (IOException) { } catch (UnauthorizedAccessException) { }
                continue;
            }
            if (CompressionKey.Parse(file.Name) is CompressionKey key) found.Add((file, key));
        }
        foreach ((FileInfo file, CompressionKey key) in found.OrderBy(f => f.File.LastWriteTimeUtc))
            Add(new CompressedBody(key, null, file.Length, worthless: false));
    }
}
