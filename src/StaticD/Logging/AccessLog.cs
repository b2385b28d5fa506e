using System.Buffers;
using System.Net;
using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using StaticD.Interop;

namespace StaticD.Logging;

/// <summary>
/// One structured entry per request (HTTP_METHOD, HTTP_PATH, HTTP_STATUS, HTTP_BYTES, HTTP_DURATION_USEC,
/// CLIENT_ADDR, HTTP_USER_AGENT, HTTP_REFERER), so <c>journalctl -u staticd HTTP_STATUS=404</c> works.
/// An event loop only copies bytes into a pooled buffer and enqueues (no strings, no formatting, no I/O); a
/// background task turns entries into log events. The queue is bounded: if the journal cannot keep up, entries
/// are dropped — a loop never waits for logging — and the number dropped is logged once per interval.
/// </summary>
internal sealed class AccessLog : IDisposable
{
    public const int Capacity = 8192;
    private static readonly TimeSpan DropReportInterval = TimeSpan.FromSeconds(10);

    internal struct Entry
    {
        public byte[] Text;          // method, target, user agent, referer, back to back (rented)
        public int MethodLength, TargetLength, UserAgentLength, RefererLength;
        public int Status;
        public long Bytes;
        public long DurationUsec;
        public SockAddrStorage Client;
    }

    private readonly Channel<Entry> _queue = Channel.CreateBounded<Entry>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails instead of blocking: that is a drop
    });
    private readonly ILogger _logger;
    private readonly Task _writer;
    private long _dropped;

    public AccessLog(ILoggerFactory loggerFactory)
    {
        _logger = loggerFactory.CreateLogger("StaticD.Access");
        _writer = Task.Run(WriteAsync);
    }

    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Event loop: record one finished request. Never blocks; allocates nothing once the pool is warm.</summary>
    public void Record(ReadOnlySpan<byte> method, ReadOnlySpan<byte> target, ReadOnlySpan<byte> userAgent, ReadOnlySpan<byte> referer,
        int status, long bytes, long durationUsec, in SockAddrStorage client)
    {
        // Bound what one entry may cost: a 16 KiB user agent is not worth logging whole.
        target = target[..Math.Min(target.Length, 4096)];
        userAgent = userAgent[..Math.Min(userAgent.Length, 512)];
        referer = referer[..Math.Min(referer.Length, 1024)];
        byte[] text = ArrayPool<byte>.Shared.Rent(method.Length + target.Length + userAgent.Length + referer.Length);
        int at = 0;
        method.CopyTo(text.AsSpan(at)); at += method.Length;
        target.CopyTo(text.AsSpan(at)); at += target.Length;
        userAgent.CopyTo(text.AsSpan(at)); at += userAgent.Length;
        referer.CopyTo(text.AsSpan(at));
        var entry = new Entry
        {
            Text = text, MethodLength = method.Length, TargetLength = target.Length, UserAgentLength = userAgent.Length,
            RefererLength = referer.Length, Status = status, Bytes = bytes, DurationUsec = durationUsec, Client = client,
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
            if (DateTime.UtcNow >= nextReport)
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
            int at = 0;
            string method = e.MethodLength == 0 ? "-" : Encoding.ASCII.GetString(text.Slice(at, e.MethodLength)); at += e.MethodLength;
            string target = e.TargetLength == 0 ? "-" : Encoding.UTF8.GetString(text.Slice(at, e.TargetLength)); at += e.TargetLength;
            string agent = Encoding.UTF8.GetString(text.Slice(at, e.UserAgentLength)); at += e.UserAgentLength;
            string referer = Encoding.UTF8.GetString(text.Slice(at, e.RefererLength));
            Log.Access(_logger, FormatAddress(e.Client), method, target, e.Status, e.Bytes, e.DurationUsec, referer, agent);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(e.Text);
        }
    }

    internal static unsafe string FormatAddress(in SockAddrStorage a)
    {
        fixed (SockAddrStorage* p = &a)
        {
            var raw = new ReadOnlySpan<byte>(p, sizeof(SockAddrStorage));
            if (a.Family == Libc.AF_INET) return new IPAddress(raw.Slice(4, 4)).ToString();
            if (a.Family == Libc.AF_INET6)
            {
                var address = new IPAddress(raw.Slice(8, 16));
                return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
            }
            return "-";
        }
    }

    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _writer.Wait(TimeSpan.FromSeconds(2));
    }
}
