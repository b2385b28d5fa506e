using System.Globalization;
using System.Text;
using Serilog.Core;
using Serilog.Events;
using StaticD.Interop;

namespace StaticD.Logging;

/// <summary>
/// A Serilog sink speaking journald's native protocol (systemd.io/JOURNAL_NATIVE_PROTOCOL): one datagram per event
/// on the AF_UNIX/SOCK_DGRAM socket /run/systemd/journal/socket, with every structured property as its own field.
/// </summary>
/// <remarks>
/// The socket is never connected: each datagram is addressed with sendmsg(2), so a journald restart (which binds
/// a new socket at the same path) is picked up without reconnecting. Sends are non-blocking: when journald is
/// gone or its queue is full the event goes to the fallback writer (stderr by default) in the "&lt;N&gt;message"
/// form that sd-daemon(3) defines and that journald's stream transport parses, so nothing is lost and an event
/// loop that logs is never stalled by the journal.
/// </remarks>
internal sealed partial class JournalSink : ILogEventSink, IDisposable
{
    public const string DefaultSocketPath = "/run/systemd/journal/socket";

    private static ReadOnlySpan<byte> MemfdName => "staticd-journal\0"u8;

    private readonly Lock _lock = new();
    private readonly Lock _fallbackLock = new();
    private readonly JournalEntryBuilder _entry = new();
    private readonly byte[] _identifierField;
    private readonly TextWriter _fallback;
    private readonly uint _addressLength;
    private SockAddrUnix _address;
    private int _fd;
    private long _datagramsSent, _memfdsSent, _fallbackWrites;

    /// <param name="identifier">SYSLOG_IDENTIFIER of every entry (what `journalctl -t` matches).</param>
    /// <param name="socketPath">journald's native socket.</param>
    /// <param name="fallback">Where events go when the journal cannot take them; stderr when null.</param>
    public JournalSink(string identifier, string socketPath = DefaultSocketPath, TextWriter? fallback = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(identifier);
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        byte[] path = Encoding.UTF8.GetBytes(socketPath);
        if (path.Length > SockAddr.UnixPathMax || socketPath.Contains('\0'))
            throw new ArgumentException($"not a usable AF_UNIX socket path (at most {SockAddr.UnixPathMax} bytes, no NUL)", nameof(socketPath));
        _addressLength = SockAddr.UnixPath(path, out _address);

        _identifierField = JournalEntryBuilder.Encode(JournalEntryBuilder.IdentifierField, identifier);
        _fallback = fallback ?? Console.Error;

        // A failure here (EMFILE, say) leaves _fd at -1 and every event goes to the fallback writer.
        _fd = Syscall.OpenUnixDatagramSocket(nonBlocking: true, out _);
    }

    /// <summary>Events sent as a plain datagram.</summary>
    internal long DatagramsSent => Interlocked.Read(ref _datagramsSent);

    /// <summary>Events too large for a datagram, sent as a sealed memfd.</summary>
    internal long MemfdsSent => Interlocked.Read(ref _memfdsSent);

    /// <summary>Events written to the fallback writer.</summary>
    internal long FallbackWrites => Interlocked.Read(ref _fallbackWrites);

    public void Emit(LogEvent logEvent)
    {
        // Formatting a stack trace is the slowest part of an event; it is done before taking the lock.
        string? exceptionText = null;
        Errno result;
        try
        {
            exceptionText = logEvent.Exception?.ToString();
            lock (_lock)
            {
                if (_fd < 0)
                {
                    result = Errno.EBADF;
                }
                else
                {
                    _entry.Reset();
                    JournalEventFields.Append(_entry, logEvent, _identifierField, exceptionText);
                    result = Send();
                }
            }
        }
        catch (Exception)
        {
            // A property whose ToString throws, or an entry beyond 2 GiB: the fallback renders it its own way.
            result = Errno.EIO;
        }

        if (result != Errno.None) WriteFallback(logEvent, exceptionText);
    }

    /// <summary>
    /// Sends an entry whose fields the caller serialised itself (the sink adds SYSLOG_IDENTIFIER): the access log
    /// uses this to skip message-template rendering, which costs more than serving a small file. False if the
    /// journal did not take it: EAGAIN means journald is busy (its queue is full), anything else that it is
    /// unreachable.
    /// </summary>
    internal Errno TrySendFields(ReadOnlySpan<byte> fields)
    {
        lock (_lock)
        {
            if (_fd < 0) return Errno.EBADF;
            _entry.Reset();
            _entry.AddRaw(_identifierField);
            _entry.AddRaw(fields);
            return Send();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            Syscall.Close(_fd);
            _fd = -1;
        }
    }

    /// <summary>Sends the built entry; called under the lock.</summary>
    private Errno Send()
    {
        ReadOnlySpan<byte> payload = _entry.Payload;
        Errno errno = SendDatagram(payload, []);
        if (errno == Errno.None)
        {
            _datagramsSent++;
            return Errno.None;
        }
        // "Typically a client would attempt to first send the data as datagram payload, but if this fails with
        // an EMSGSIZE error it would immediately retry via the memfd logic." (JOURNAL_NATIVE_PROTOCOL, Basics)
        if (errno != Errno.EMSGSIZE) return errno;
        errno = SendViaMemfd(payload);
        if (errno == Errno.None) _memfdsSent++;
        return errno;
    }

    /// <summary>
    /// The protocol's second datagram format: an empty payload carrying exactly one memfd, fully sealed, that holds
    /// the entry in the same serialisation. journald maps the sealed memfd instead of copying it and trusts it not
    /// to change underneath (it refuses unsealed fds from anywhere but a few temporary directories).
    /// </summary>
    private Errno SendViaMemfd(ReadOnlySpan<byte> payload)
    {
        int memfd = Syscall.CreateSealedMemfd(MemfdName, payload, out Errno errno);
        if (memfd < 0) return errno;
        try
        {
            return SendDatagram([], [memfd]);
        }
        finally
        {
            // The datagram in flight holds its own reference to the file; journald reads it after we close ours.
            Syscall.Close(memfd);
        }
    }

    /// <summary>MSG_DONTWAIT: a full journal queue is EAGAIN (and a fallback line), never a stalled caller.</summary>
    private Errno SendDatagram(ReadOnlySpan<byte> payload, ReadOnlySpan<int> fds) =>
        Syscall.SendMsg(_fd, _address, _addressLength, payload, fds, dontWait: true);

    /// <summary>
    /// Writes the event as sd-daemon(3) console lines: every line gets the "&lt;N&gt;" priority prefix, so a stack
    /// trace that reaches journald through stderr keeps the event's priority on each of its lines. Cold path.
    /// </summary>
    private void WriteFallback(LogEvent logEvent, string? exceptionText)
    {
        try
        {
            string prefix = string.Create(CultureInfo.InvariantCulture, $"<{JournalEventFields.Priority(logEvent.Level)}>");
            string message = logEvent.RenderMessage(CultureInfo.InvariantCulture);
            if (exceptionText is not null) message = message + "\n" + exceptionText;

            var text = new StringBuilder(message.Length + 16);
            foreach (ReadOnlySpan<char> line in message.AsSpan().EnumerateLines())
                text.Append(prefix).Append(line).Append('\n');

            lock (_fallbackLock)
            {
                _fallback.Write(text.ToString());
                _fallback.Flush();
            }
            Interlocked.Increment(ref _fallbackWrites);
        }
        catch (Exception)
        {
            // Emit never throws: with both the journal and the fallback writer failing there is nowhere left to say so.
        }
    }
}
