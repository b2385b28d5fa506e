using System.Buffers;
using System.Collections.Concurrent;
using StaticD.Http;
using StaticD.Interop;
using StaticD.Site;

namespace StaticD.Files;

/// <summary>
/// Compression on the fly, done once per file version and coding: a request for a file not compressed yet is
/// answered as it is at once and the file is queued; a job on the thread pool codes it into the
/// <see cref="CompressionCache"/>, and later requests get the result like a precompressed sidecar (its own strong
/// ETag, Content-Length, ranges, 304). At most one job per core runs at a time; the queue is bounded and a file is
/// queued once, however many requests ask for it meanwhile. Nothing here decompresses, so a client cannot make the
/// server expand anything.
/// </summary>
internal sealed class Compressor
{
    // Jobs waiting beyond this are not queued (the file is queued again by a later request): a burst of first
    // requests for a big site must not hold thousands of descriptors.
    private const int MaxQueued = 256;

    private readonly ConcurrentQueue<(int Fd, CompressionKey Key)> _queue = new();
    private readonly ConcurrentDictionary<CompressionKey, bool> _pending = new();
    private readonly int _maxWorkers;
    private int _running;
    // The pool's minimum is raised once per process, not once per compressor (a reload may make a new one).
    private static int s_poolRaised;

    public Compressor(CompressionSettings settings)
    {
        Settings = settings;
        // Without libzstd a zstd job could never succeed; the other codings are still offered.
        Preference = [.. settings.Encodings.Where(c => c != ContentCoding.Zstd || Zstd.IsAvailable)];
        Available = Preference.Aggregate(ContentCoding.Identity, (set, c) => set | c);
        Cache = new CompressionCache(settings.CacheBytes, settings.CacheDirectory);
        _maxWorkers = Environment.ProcessorCount;
        // Jobs take pool threads for up to seconds; file lookups must still find one at once rather than wait for
        // the pool's starvation heuristic to add threads, so the pool keeps that many more ready.
        if (Interlocked.Exchange(ref s_poolRaised, 1) == 0)
        {
            ThreadPool.GetMinThreads(out int workers, out int io);
            ThreadPool.SetMinThreads(workers + _maxWorkers, io);
        }
    }

    public CompressionSettings Settings { get; }
    public CompressionCache Cache { get; }
    /// <summary>The codings produced, in the server's order of preference.</summary>
    public ContentCoding[] Preference { get; }
    public ContentCoding Available { get; }

    /// <summary>
    /// Pool, after the file itself was chosen (no sidecar): makes the response negotiable when the file qualifies
    /// (site allows it, type listed, size in range) and, if the client takes one of our codings, swaps the body for
    /// the cached result or queues the file for it. <paramref name="contentType"/> is the file's Content-Type.
    /// </summary>
    public void Offer(SitePolicy site, ReadOnlySpan<byte> contentType, ReadOnlySpan<byte> acceptEncoding, bool acceptEncodingPresent,
        ref Resource result)
    {
        ref FileResolution file = ref result.File;
        if (!site.Compress || Available == ContentCoding.Identity || file.Fd < 0 || file.Length == 0 ||
            file.Length < Settings.MinBytes || file.Length > Settings.MaxBytes || !site.CompressTypes.Matches(contentType))
            return;
        result.Negotiable = true;
        result.Available = Available;
        result.Preference = Preference;
        NegotiationResult choice = AcceptEncoding.Choose(acceptEncoding, acceptEncodingPresent, Available, Preference, out ContentCoding chosen);
        if (choice == NegotiationResult.NotAcceptable)
        {
            // "identity;q=0" and none of our codings: as for sidecars (RFC 9110 §12.5.3 allows 406).
            result.Release();
            result.Status = 406;
            return;
        }
        if (choice != NegotiationResult.Encoded) return;

        var key = CompressionKey.For(file, chosen);
        CompressedBody? body = Cache.Find(key);
        if (body is null)
        {
            Enqueue(file.Fd, key);
            return;
        }
        if (body.Worthless) return;
        int fd = -1;
        if (body.Bytes is null)
        {
            fd = Cache.Open(body);
            if (fd < 0 || !Syscall.StatFd(fd, out Statx st, out _) || (long)st.Size != body.Length)
            {
                // Evicted meanwhile, or removed or changed behind our back: forget it and make it again.
                Syscall.Close(fd);
                Cache.Forget(body);
                Enqueue(file.Fd, key);
                return;
            }
        }
        long original = file.Length;
        result.Release();
        file.Fd = fd;
        file.Body = body.Bytes;
        file.Length = body.Length;
        file.TagSize = original;
        result.Coding = chosen;
        result.Compressed = body;
    }

    /// <summary>Queues a file version for one coding unless it is queued already; the job reads through its own
    /// duplicate of <paramref name="fd"/>, since the request's descriptor is closed when its response is done.</summary>
    private void Enqueue(int fd, in CompressionKey key)
    {
        if (_queue.Count >= MaxQueued || !_pending.TryAdd(key, true)) return;
        int copy = Syscall.Duplicate(fd);
        if (copy < 0)
        {
            _pending.TryRemove(key, out _);
            return;
        }
        _queue.Enqueue((copy, key));
        StartWorker();
    }

    private void StartWorker()
    {
        while (true)
        {
            int running = Volatile.Read(ref _running);
            if (running >= _maxWorkers || _queue.IsEmpty) return;
            if (Interlocked.CompareExchange(ref _running, running + 1, running) != running) continue;
            ThreadPool.UnsafeQueueUserWorkItem(static self => self.Work(), this, preferLocal: false);
            return;
        }
    }

    private void Work()
    {
        while (_queue.TryDequeue(out (int Fd, CompressionKey Key) job))
        {
            try
            {
                Compress(job.Fd, job.Key);
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or ArgumentException)
            {
                // An encoder that fails on some input must not take the process down from a pool thread; the file
                // is then sent as it is.
                Cache.Add(new CompressedBody(job.Key, null, 0, worthless: true));
            }
            finally
            {
                Syscall.Close(job.Fd);
                _pending.TryRemove(job.Key, out _);
            }
        }
        Interlocked.Decrement(ref _running);
        StartWorker(); // a job queued between the last TryDequeue and the decrement
    }

    /// <summary>One job: read the file, check it is still the version the key names, code it, keep the result.</summary>
    private void Compress(int fd, in CompressionKey key)
    {
        int size = (int)key.Size;
        byte[] input = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            for (int done = 0; done < size;)
            {
                nint n = Syscall.PRead(fd, input.AsSpan(done, size - done), done, out _);
                if (n <= 0) return; // shrank or failed: a later request queues the new version
                done += (int)n;
            }
            // Read after the request's statx: if the file changed meanwhile, these bytes may be the new version's
            // (or a mix), which must not be stored under the old version's key.
            if (!Syscall.StatFd(fd, out Statx st, out _) || (long)st.Size != key.Size || st.Ino != key.Inode ||
                st.Mtime.Seconds != key.MtimeSeconds || st.Mtime.Nanoseconds != key.MtimeNanoseconds)
                return;
            byte[]? coded = Encoders.Encode(input.AsSpan(0, size), key.Coding);
            if (coded is null || coded.Length >= size)
            {
                Cache.Add(new CompressedBody(key, null, 0, worthless: true));
                return;
            }
            if (!Cache.OnDisk && coded.Length <= FileCache.SmallFileMax)
                Cache.Add(new CompressedBody(key, coded, coded.Length, worthless: false));
            else if (!Cache.OnDisk)
            {
                int memfd = Syscall.CreateSealedMemfd("staticd-compressed\0"u8, coded, out _);
                if (memfd >= 0) Cache.Add(new CompressedBody(key, null, coded.Length, worthless: false, memfd));
            }
            else if (Cache.Write(key, coded))
                Cache.Add(new CompressedBody(key, null, coded.Length, worthless: false));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }
}
