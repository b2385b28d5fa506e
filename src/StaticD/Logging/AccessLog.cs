using System.Buffers;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Serilog.Core;
using Serilog.Events;
using StaticD.Interop;
using Utf8 = System.Text.Unicode.Utf8;

namespace StaticD.Logging;

/// <summary>
/// One structured entry per request (HTTP_METHOD, HTTP_PATH, HTTP_STATUS, HTTP_BYTES, HTTP_DURATION_USEC,
/// CLIENT_ADDR, HTTP_USER_AGENT, HTTP_REFERER, HTTP_HOST (normalised) and SITE (the first name of the site that
/// answered, "_" for the default site, "-" when none did)), so <c>journalctl -u staticd HTTP_STATUS=404</c> works.
/// An event loop only copies bytes into a pooled buffer and enqueues (no strings, no formatting, no I/O); a
/// background task turns entries into log events. The queue is bounded: if the journal cannot keep up, entries
/// are dropped — a loop never waits for logging — and the number dropped is logged once per interval.
/// When journald's queue is full (EAGAIN) the writer waits and sends again, with backoff, for up to
/// <see cref="BusyBudget"/> per entry; an entry still not taken is counted as dropped. It is never downgraded
/// to an unstructured stderr line: only a journal that is gone (any other error) sends entries to stderr.
/// </summary>
internal sealed class AccessLog : IDisposable
{
    public const int Capacity = 8192;
    private static readonly TimeSpan DropReportInterval = TimeSpan.FromSeconds(10);

    /// <summary>How long the writer keeps re-sending one entry while journald's queue is full.</summary>
    internal static readonly TimeSpan BusyBudget = TimeSpan.FromMilliseconds(100);

    internal struct Entry
    {
        public byte[] Text;          // method, target, user agent, referer, host, site, back to back (rented)
        public int MethodLength, TargetLength, UserAgentLength, RefererLength, HostLength, SiteLength;
        public int Status;
        public long Bytes;
        public long DurationUsec;
        public SockAddrStorage Client;
        /// <summary>10 × major + minor of the request's HTTP version; 0 when the head was not parsed.</summary>
        public byte Version;
    }

    private readonly Channel<Entry> _queue = Channel.CreateBounded<Entry>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of blocking: that is a drop
    });
    private readonly ILogger _logger;
    private readonly Task _writer;
    private long _dropped;
    private volatile bool _abandon; // stopping and out of time: count what is left instead of sending it
    private readonly JournalSink? _journal;
    private readonly LoggingLevelSwitch _level;
    // Owned by the writer task (a single reader): the direct journal path reuses them from entry to entry.
    private readonly JournalEntryBuilder _fields = new();
    private readonly byte[] _message = new byte[16 * 1024];

    public AccessLog(ILoggerFactory loggerFactory, JournalSink? journal, LoggingLevelSwitch level)
    {
        _logger = loggerFactory.CreateLogger("StaticD.Access");
        _journal = journal;
        _level = level;
        _writer = Task.Run(WriteAsync);
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Event loop: record one finished request. Never blocks; allocates nothing once the pool is warm.</summary>
    public void Record(ReadOnlySpan<byte> method, ReadOnlySpan<byte> target, ReadOnlySpan<byte> userAgent, ReadOnlySpan<byte> referer,
        ReadOnlySpan<byte> host, ReadOnlySpan<byte> site, int status, long bytes, long durationUsec, in SockAddrStorage client,
        byte version = 0)
    {
        // The level in force when the response completes decides, here on the loop: an entry is neither copied nor
        // queued when it would be filtered, and a reload that changes the level affects requests after it, not
        // entries still in the queue.
        if (_level.MinimumLevel > LogEventLevel.Information) return;
        // Bound what one entry may cost: a 16 KiB user agent is not worth logging whole (the caps of a file line).
        var r = new AccessRecord { Method = method, Target = target, UserAgent = userAgent, Referer = referer, Host = host, SiteName = site };
        r.Truncate();
        byte[] text = ArrayPool<byte>.Shared.Rent(r.Method.Length + r.Target.Length + r.UserAgent.Length + r.Referer.Length + r.Host.Length + r.SiteName.Length);
        int at = 0;
        AccessLineFormat.Put(text, ref at, r.Method);
        AccessLineFormat.Put(text, ref at, r.Target);
        AccessLineFormat.Put(text, ref at, r.UserAgent);
        AccessLineFormat.Put(text, ref at, r.Referer);
        AccessLineFormat.Put(text, ref at, r.Host);
        AccessLineFormat.Put(text, ref at, r.SiteName);
        var entry = new Entry
        {
            Text = text,
            MethodLength = r.Method.Length,
            TargetLength = r.Target.Length,
            UserAgentLength = r.UserAgent.Length,
            RefererLength = r.Referer.Length,
            HostLength = r.Host.Length,
            SiteLength = r.SiteName.Length,
            Status = status,
            Bytes = bytes,
            DurationUsec = durationUsec,
            Client = client,
            Version = version,
        };
        if (!_queue.Writer.TryWrite(entry))
        {
            ArrayPool<byte>.Shared.Return(text);
            Interlocked.Increment(ref _dropped);
        }
    }

    private async Task WriteAsync()
    {
        long reported = 0;
        DateTime nextReport = DateTime.UtcNow + DropReportInterval;
        ChannelReader<Entry> reader = _queue.Reader;
        while (true)
        {
            bool more;
            try
            {
                using var timeout = new CancellationTokenSource(DropReportInterval);
                more = await reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                more = true;
            }
            while (reader.TryRead(out Entry entry)) Write(entry);
            // At the end too: what was dropped in the last interval is said before "stopped".
            if (DateTime.UtcNow >= nextReport || !more)
            {
                nextReport = DateTime.UtcNow + DropReportInterval;
                long dropped = Dropped;
                if (dropped > reported)
                {
                    Log.AccessEntriesDropped(_logger, dropped - reported, (int)DropReportInterval.TotalSeconds);
                    reported = dropped;
                }
            }
            if (!more) return;
        }
    }

    private void Write(in Entry e)
    {
        try
        {
            ReadOnlySpan<byte> text = e.Text;
            if (_abandon)
            {
                Interlocked.Increment(ref _dropped);
                return;
            }
            if (_journal is not null && WriteToJournal(e)) return;
            int at = 0;
            string method = e.MethodLength == 0 ? "-" : Encoding.ASCII.GetString(text.Slice(at, e.MethodLength)); at += e.MethodLength;
            string target = e.TargetLength == 0 ? "-" : Encoding.UTF8.GetString(text.Slice(at, e.TargetLength)); at += e.TargetLength;
            string agent = Encoding.UTF8.GetString(text.Slice(at, e.UserAgentLength)); at += e.UserAgentLength;
            string referer = Encoding.UTF8.GetString(text.Slice(at, e.RefererLength)); at += e.RefererLength;
            string host = e.HostLength == 0 ? "-" : Encoding.ASCII.GetString(text.Slice(at, e.HostLength)); at += e.HostLength;
            string site = e.SiteLength == 0 ? "-" : Encoding.ASCII.GetString(text.Slice(at, e.SiteLength));
            Log.Access(_logger, FormatAddress(e.Client), method, target, e.Status, e.Bytes, e.DurationUsec, referer, agent, host, site);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(e.Text);
        }
    }

    /// <summary>
    /// The same entry the logger would produce (MESSAGE, PRIORITY=6, EVENT_ID/EVENT_NAME, SOURCECONTEXT and the
    /// eight request fields), serialised straight from the captured bytes: no template parsing, no property
    /// objects, no strings but the client address. Falls back (false) for bytes that are not UTF-8 and when the
    /// journal does not take the datagram.
    /// </summary>
    private bool WriteToJournal(in Entry e)
    {
        ReadOnlySpan<byte> text = e.Text;
        ReadOnlySpan<byte> method = text[..e.MethodLength];
        ReadOnlySpan<byte> target = text.Slice(e.MethodLength, e.TargetLength);
        ReadOnlySpan<byte> agent = text.Slice(e.MethodLength + e.TargetLength, e.UserAgentLength);
        int at = e.MethodLength + e.TargetLength + e.UserAgentLength;
        ReadOnlySpan<byte> referer = text.Slice(at, e.RefererLength); at += e.RefererLength;
        ReadOnlySpan<byte> host = text.Slice(at, e.HostLength); at += e.HostLength;
        ReadOnlySpan<byte> site = text.Slice(at, e.SiteLength);
        if (host.IsEmpty) host = "-"u8;
        if (site.IsEmpty) site = "-"u8;
        if (!Utf8.IsValid(agent) || !Utf8.IsValid(referer)) return false;
        if (method.IsEmpty) method = "-"u8;
        if (target.IsEmpty) target = "-"u8;
        Span<byte> client = stackalloc byte[64];
        int clientLength = SockAddr.FormatClient(e.Client, client);
        Span<byte> numbers = stackalloc byte[64];

        // MESSAGE: CLIENT "METHOD TARGET" STATUS BYTES USECus "REFERER" "AGENT" HOST SITE (the template in Log.Access).
        Span<byte> m = _message;
        int n = 0;
        AccessLineFormat.Put(m, ref n, client[..clientLength]);
        AccessLineFormat.Put(m, ref n, " \""u8);
        AccessLineFormat.Put(m, ref n, method);
        AccessLineFormat.Put(m, ref n, " "u8);
        AccessLineFormat.Put(m, ref n, target);
        AccessLineFormat.Put(m, ref n, "\" "u8);
        n += AccessLineFormat.Number(e.Status, m[n..]);
        AccessLineFormat.Put(m, ref n, " "u8);
        n += AccessLineFormat.Number(e.Bytes, m[n..]);
        AccessLineFormat.Put(m, ref n, " "u8);
        n += AccessLineFormat.Number(e.DurationUsec, m[n..]);
        AccessLineFormat.Put(m, ref n, "us \""u8);
        AccessLineFormat.Put(m, ref n, referer);
        AccessLineFormat.Put(m, ref n, "\" \""u8);
        AccessLineFormat.Put(m, ref n, agent);
        AccessLineFormat.Put(m, ref n, "\" "u8);
        AccessLineFormat.Put(m, ref n, host);
        AccessLineFormat.Put(m, ref n, " "u8);
        AccessLineFormat.Put(m, ref n, site);

        JournalEntryBuilder f = _fields;
        f.Reset();
        f.Add(JournalEntryBuilder.MessageField, m[..n]);
        f.Add(JournalEntryBuilder.PriorityField, "6"u8);
        f.Add(JournalEntryBuilder.EventIdField, "40"u8);
        f.Add(JournalEntryBuilder.EventNameField, "Access"u8);
        f.Add("SOURCECONTEXT"u8, "StaticD.Access"u8);
        f.Add("CLIENT_ADDR"u8, client[..clientLength]);
        f.Add("HTTP_METHOD"u8, method);
        f.Add("HTTP_PATH"u8, target);
        if (e.Version != 0) f.Add("HTTP_VERSION"u8, AccessLineFormat.HttpVersion(e.Version));
        f.Add("HTTP_STATUS"u8, numbers[..AccessLineFormat.Number(e.Status, numbers)]);
        f.Add("HTTP_BYTES"u8, numbers[..AccessLineFormat.Number(e.Bytes, numbers)]);
        f.Add("HTTP_DURATION_USEC"u8, numbers[..AccessLineFormat.Number(e.DurationUsec, numbers)]);
        f.Add("HTTP_REFERER"u8, referer);
        f.Add("HTTP_USER_AGENT"u8, agent);
        f.Add("HTTP_HOST"u8, host);
        f.Add("SITE"u8, site);
        Errno sent = SendWhileBusy(_journal!, f.Payload);
        if (sent == Errno.EAGAIN)
        {
            // journald is there but did not take it within the budget: a drop, counted and reported like the
            // queue's own, rather than the same entry as unstructured text on stderr.
            Interlocked.Increment(ref _dropped);
            return true;
        }
        // Journald gone (ECONNREFUSED, ENOENT, ...): the logger path writes the entry to stderr, as documented.
        return sent == Errno.None;
    }

    /// <summary>
    /// Sends, and while journald's queue is full (EAGAIN) sleeps 1, 2, 4, … ms and sends again, for at most
    /// <see cref="BusyBudget"/> in all. This is the writer's own task: no event loop ever waits here. (poll(2)
    /// cannot wait for room: the socket is not connected, so it has no peer whose queue POLLOUT could report.)
    /// </summary>
    internal static Errno SendWhileBusy(JournalSink journal, ReadOnlySpan<byte> fields)
    {
        Errno sent = journal.TrySendFields(fields);
        long budget = (long)BusyBudget.TotalMilliseconds;
        for (int pause = 1; sent == Errno.EAGAIN && budget > 0; pause *= 2)
        {
            int wait = (int)Math.Min(pause, budget);
            Thread.Sleep(wait);
            budget -= wait;
            sent = journal.TrySendFields(fields);
        }
        return sent;
    }

    /// <summary>CLIENT_ADDR: an IPv4 client of a dual-stack socket as plain IPv4, an IPv6 one without its zone
    /// (scope id), "-" for any other family.</summary>
    internal static string FormatAddress(in SockAddrStorage a)
    {
        Span<byte> text = stackalloc byte[64];
        return Encoding.ASCII.GetString(text[..SockAddr.FormatClient(a, text)]);
    }

    /// <summary>Drains the queue. If journald is too slow to take the rest within 2 s, what is left is counted as
    /// dropped (not sent) so the final drop report accounts for every entry recorded.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        if (_writer.Wait(TimeSpan.FromSeconds(2))) return;
        _abandon = true;
        _writer.Wait(TimeSpan.FromSeconds(1));
    }
}
