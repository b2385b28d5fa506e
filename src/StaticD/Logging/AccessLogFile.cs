using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using StaticD.Interop;

namespace StaticD.Logging;

/// <summary>
/// One access log file and the thread that writes it; every site configured with the same path shares it.
/// Each event loop formats its lines into a 64 KiB chunk of its own (<see cref="Append"/>: no lock, no allocation
/// once warm), and hands the chunk to the writer when it is full or at the loop's once-a-second tick (nginx's
/// <c>access_log … buffer=64k flush=1s</c>, per worker). The writer thread appends whole chunks, so lines never
/// interleave. Chunks are bounded (<see cref="MaxQueuedChunks"/> waiting): when the file cannot keep up (a full
/// disk, a FIFO nobody reads, a stalled NFS server) a loop finds no free chunk and drops the line, counted in
/// <see cref="Dropped"/> and reported every <see cref="ReportInterval"/> — a loop never waits for the disk.
/// <see cref="RequestReopen"/> (SIGUSR1, after logrotate renamed the file) makes the writer finish what is queued
/// on the old descriptor and then open the path again: no line is lost, each lands in one of the two files.
/// </summary>
internal sealed class AccessLogFile : IDisposable
{
    public const int ChunkSize = 64 * 1024;
    /// <summary>Full chunks waiting for the writer, on top of one being filled per loop: 4 MiB of backlog, made
    /// only when needed (a burst the disk does not absorb at once), about 40 ms of lines at 1 M requests/s.</summary>
    public const int MaxQueuedChunks = 64;
    public static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(10);

    private sealed class Chunk
    {
        public readonly byte[] Bytes = GC.AllocateUninitializedArray<byte>(ChunkSize);
        public int Length;
    }

    /// <summary>One loop's share: only that loop's thread touches it (and the stopping thread once the loop is
    /// gone).</summary>
    private sealed class Slot
    {
        public Chunk? Current;
        public bool Pending;
        public long Second = long.MinValue;
        public readonly byte[] CombinedTime = new byte[AccessLineFormat.CombinedTimeLength];
        public readonly byte[] IsoTime = new byte[AccessLineFormat.IsoTimeLength];
    }

    private readonly Slot[] _slots;
    private readonly ConcurrentQueue<Chunk> _full = new(), _free = new();
    private readonly int _maxChunks;
    private int _created;

    /// <summary>Chunks made so far (the pool grows on demand up to its bound, then only recycles).</summary>
    internal int ChunksCreated => Volatile.Read(ref _created);
    private long _dropped;
    private int _fd;
    private readonly AutoResetEvent _wake = new(false);
    private volatile bool _reopen, _stopping;
    private Thread? _thread;
    private ILogger? _logger;
    /// <summary>The last write error (an <see cref="Errno"/>), said in the next drop report.</summary>
    private int _writeError;
    private readonly Lock _reportLock = new();
    private long _reported;

    /// <summary>Opens <paramref name="path"/> (O_APPEND, created if missing); the caller reports a failure.</summary>
    public static AccessLogFile? Open(string path, int loops, out Errno errno)
    {
        int fd = Syscall.OpenAppend(path, out errno);
        return fd < 0 ? null : new AccessLogFile(path, fd, loops);
    }

    private AccessLogFile(string path, int fd, int loops)
    {
        Path = path;
        _fd = fd;
        _slots = new Slot[loops];
        for (int i = 0; i < loops; i++) _slots[i] = new Slot();
        _maxChunks = loops + MaxQueuedChunks;
    }

    public string Path { get; }
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Starts the writer thread; lines appended before are kept and written then.</summary>
    public void Start(ILogger logger)
    {
        if (_thread is not null) return;
        _logger = logger;
        _thread = new Thread(Run) { Name = "staticd-accesslog", IsBackground = true };
        _thread.Start();
    }

    /// <summary>
    /// Event loop <paramref name="loop"/>: format one line into the loop's chunk. Returns true when the loop
    /// should remember to <see cref="Flush"/> this file at its next tick (the first line since the last flush).
    /// </summary>
    public bool Append(int loop, long unixSeconds, scoped in AccessRecord record, bool json, bool vhost)
    {
        Slot slot = _slots[loop];
        if (slot.Current is { } current && current.Length + AccessLineFormat.WorstCase(record) > ChunkSize) HandOff(slot);
        if (slot.Current is null && !TryTakeChunk(out slot.Current))
        {
            Interlocked.Increment(ref _dropped);
            return false;
        }
        if (unixSeconds != slot.Second)
        {
            slot.Second = unixSeconds;
            AccessLineFormat.RenderTime(unixSeconds, slot.CombinedTime, slot.IsoTime);
        }
        Chunk chunk = slot.Current!;
        Span<byte> free = chunk.Bytes.AsSpan(chunk.Length);
        chunk.Length += json
            ? AccessLineFormat.Json(free, record, slot.IsoTime)
            : AccessLineFormat.Combined(free, record, slot.CombinedTime, vhost);
        if (slot.Pending) return false;
        slot.Pending = true;
        return true;
    }

    /// <summary>Event loop <paramref name="loop"/> (its tick, or its last act): hand over what it has written.</summary>
    public void Flush(int loop)
    {
        Slot slot = _slots[loop];
        slot.Pending = false;
        if (slot.Current is { Length: > 0 }) HandOff(slot);
    }

    private void HandOff(Slot slot)
    {
        _full.Enqueue(slot.Current!);
        slot.Current = null;
        _wake.Set();
    }

    /// <summary>A free chunk, or a new one while fewer than the bound exist (the first seconds of a busy server);
    /// false when every chunk is full and waiting for the writer.</summary>
    private bool TryTakeChunk(out Chunk? chunk)
    {
        if (_free.TryDequeue(out chunk)) return true;
        if (Interlocked.Increment(ref _created) <= _maxChunks)
        {
            chunk = new Chunk();
            return true;
        }
        Interlocked.Decrement(ref _created);
        return false;
    }

    /// <summary>Any thread (the SIGUSR1 handler): open the path again once what is queued is written.</summary>
    public void RequestReopen()
    {
        _reopen = true;
        _wake.Set();
    }

    private void Run()
    {
        while (true)
        {
            // Read before draining: a chunk handed over before the stop was asked for is then surely written.
            bool stopping = _stopping;
            WriteQueued();
            if (_reopen)
            {
                _reopen = false;
                // Again: a chunk handed over just before the request may have missed the drain above, and it
                // belongs to the old file.
                WriteQueued();
                Reopen();
            }
            if (stopping) return;
            _wake.WaitOne(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>
    /// Says how many lines were dropped since the last report, if any. Called every <see cref="ReportInterval"/>
    /// by the owner's timer and at stop, not by the writer thread: drops happen precisely when that thread is
    /// stuck in write(2).
    /// </summary>
    public void ReportDrops()
    {
        lock (_reportLock)
        {
            long dropped = Dropped;
            if (dropped <= _reported || _logger is null) return;
            Errno error = (Errno)Volatile.Read(ref _writeError);
            Log.AccessFileEntriesDropped(_logger, Path, dropped - _reported, (int)ReportInterval.TotalSeconds,
                error == Errno.None ? "the file could not keep up" : "write failed: " + error.Describe());
            _reported = dropped;
            Volatile.Write(ref _writeError, 0);
        }
    }

    private void WriteQueued()
    {
        while (_full.TryDequeue(out Chunk? chunk))
        {
            WriteAll(chunk.Bytes.AsSpan(0, chunk.Length));
            chunk.Length = 0;
            _free.Enqueue(chunk);
        }
    }

    /// <summary>Blocking writes until all is written (O_APPEND: each lands at the current end). What a failed write
    /// leaves unwritten is counted line by line as dropped.</summary>
    private void WriteAll(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            nint n = Syscall.Write(_fd, bytes, out Errno errno);
            if (n < 0)
            {
                Volatile.Write(ref _writeError, (int)errno);
                Interlocked.Add(ref _dropped, bytes.Count((byte)'\n'));
                return;
            }
            bytes = bytes[(int)n..];
        }
    }

    private void Reopen()
    {
        int fd = Syscall.OpenAppend(Path, out Errno errno);
        if (fd < 0)
        {
            // As nginx does: keep writing to the file still open (renamed, perhaps) rather than lose lines.
            Log.AccessFileReopenFailed(_logger!, Path, errno.Describe());
            return;
        }
        int old = _fd;
        _fd = fd;
        Syscall.Close(old);
        Log.AccessFileReopened(_logger!, Path);
    }

    /// <summary>After the loops have stopped and flushed: write everything queued, then close, then report the
    /// drops not reported yet. A writer stuck in write(2) (a FIFO nobody reads) is given 2 s; what it has not
    /// written by then is lost with the process, and counted.</summary>
    public void Dispose()
    {
        _stopping = true;
        _wake.Set();
        if (_thread is null || _thread.Join(TimeSpan.FromSeconds(2)))
        {
            if (_thread is null) WriteQueued();
            Syscall.Close(_fd);
            _fd = -1;
        }
        else
        {
            foreach (Chunk chunk in _full) Interlocked.Add(ref _dropped, chunk.Bytes.AsSpan(0, chunk.Length).Count((byte)'\n'));
        }
        ReportDrops();
    }
}
