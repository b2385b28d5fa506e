using System.Net;
using System.Net.Sockets;
using System.Text;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Logging;
using StaticD.Interop;
using StaticD.Logging;
using Xunit;

namespace StaticD.Tests.Logging;

/// <summary>
/// The access log when journald's queue is full (EAGAIN), against a socket of the test's own whose queue the test
/// fills: the writer waits and sends again, and an entry the journal still does not take is counted as dropped,
/// never written to stderr as unstructured text.
/// </summary>
public sealed class AccessLogBusyJournalTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("staticd-busy-").FullName;
    private readonly List<Socket> _fillers = [];

    public void Dispose()
    {
        foreach (Socket s in _fillers) s.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private string SocketPath => Path.Combine(_directory, "socket");

    private Socket BindReceiver()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(SocketPath));
        socket.ReceiveTimeout = 5000;
        return socket;
    }

    /// <summary>Sends one-byte datagrams from fresh sockets until a fresh socket cannot send even one: then the
    /// receiver's queue (net.unix.max_dgram_qlen) is full, not merely a sender's buffer. The fillers stay open
    /// (their datagrams are charged to them) until the test ends.</summary>
    private void FillQueue()
    {
        var target = new UnixDomainSocketEndPoint(SocketPath);
        while (true)
        {
            var filler = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
            _fillers.Add(filler);
            int sent = 0;
            while (true)
            {
                try
                {
                    filler.SendTo([0], target);
                    sent++;
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.WouldBlock)
                {
                    break;
                }
            }
            if (sent == 0) return;
            Assert.True(_fillers.Count < 1000, "the receiver's queue never filled");
        }
    }

    private sealed class Harness : IDisposable
    {
        public readonly StringWriter Fallback = new();
        public readonly JournalSink Sink;
        public readonly SerilogLoggerFactory Factory;
        public readonly AccessLog Log;

        public Harness(string socketPath)
        {
            var level = new LoggingLevelSwitch(LogEventLevel.Information);
            Sink = new JournalSink("busy-test", socketPath, Fallback);
            Factory = new SerilogLoggerFactory(new LoggerConfiguration().MinimumLevel.ControlledBy(level).WriteTo.Sink(Sink).CreateLogger(), dispose: true);
            Log = new AccessLog(Factory, Sink, level);
        }

        public void Record(string path) =>
            Log.Record("GET"u8, Encoding.ASCII.GetBytes(path), "agent"u8, default, "example.test"u8, "_"u8, 200, 10, 5, Peer());

        public void Dispose()
        {
            Log.Dispose();
            Factory.Dispose();
            Sink.Dispose();
        }
    }

    private static SockAddrStorage Peer() => new() { Family = Libc.AF_INET, PortBigEndian = (ushort)IPAddress.HostToNetworkOrder((short)443) };

    [Fact]
    public void EntriesTheFullJournalNeverTakesAreCountedAsDroppedNotWrittenAsText()
    {
        using Socket receiver = BindReceiver();
        FillQueue();
        var h = new Harness(SocketPath);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        h.Record("/busy-1");
        h.Record("/busy-2");
        h.Record("/busy-3");
        h.Dispose();

        Assert.Equal(3, h.Log.Dropped);
        // Each entry was retried for the whole budget before it was given up.
        Assert.True(clock.Elapsed >= 3 * AccessLog.BusyBudget, $"gave up after {clock.Elapsed.TotalMilliseconds} ms");
        string fallback = h.Fallback.ToString();
        Assert.DoesNotContain("/busy-", fallback, StringComparison.Ordinal);
        // The drop is reported (here through the fallback: the journal is still full) when the log stops.
        Assert.Contains("<4>access log: dropped 3 entries", fallback, StringComparison.Ordinal);
    }

    /// <summary>Stopping while journald stays full: Dispose does not wait the whole budget for every entry left in
    /// the queue; what it gives up on is counted, so recorded = sent + dropped still holds.</summary>
    [Fact]
    public void StoppingWithAFullJournalCountsWhatIsLeftAsDropped()
    {
        using Socket receiver = BindReceiver();
        FillQueue();
        var h = new Harness(SocketPath);
        for (int i = 0; i < 60; i++) h.Record($"/left-{i}");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        h.Dispose();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(4), $"Dispose took {clock.Elapsed.TotalSeconds} s");
        Assert.Equal(60, h.Log.Dropped);
        string fallback = h.Fallback.ToString();
        Assert.DoesNotContain("/left-", fallback, StringComparison.Ordinal);
        Assert.Contains("<4>access log: dropped 60 entries", fallback, StringComparison.Ordinal);
    }

    [Fact]
    public void EntryIsSentWhenJournaldMakesRoomWithinTheBudget()
    {
        using Socket receiver = BindReceiver();
        FillQueue();
        var h = new Harness(SocketPath);
        h.Record("/later");
        // journald reads one datagram 20 ms later: room for exactly one.
        Thread.Sleep(20);
        receiver.Receive(new byte[16]);
        h.Dispose();

        Assert.Equal(0, h.Log.Dropped);
        Assert.Equal("", h.Fallback.ToString());
        byte[] buffer = new byte[65536];
        bool found = false;
        receiver.ReceiveTimeout = 200;
        try
        {
            while (!found)
            {
                int n = receiver.Receive(buffer);
                string datagram = Encoding.UTF8.GetString(buffer, 0, n);
                found = datagram.Contains("\nHTTP_PATH=/later\n", StringComparison.Ordinal) && datagram.Contains("\nHTTP_STATUS=200\n", StringComparison.Ordinal);
            }
        }
        catch (SocketException)
        {
        }
        Assert.True(found, "the entry never reached the socket with its fields");
    }

    [Fact]
    public void SendWhileBusyGivesUpAfterTheBudget()
    {
        using Socket receiver = BindReceiver();
        FillQueue();
        using var sink = new JournalSink("busy-test", SocketPath, new StringWriter());
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(Errno.EAGAIN, AccessLog.SendWhileBusy(sink, "MESSAGE=x\n"u8));
        Assert.InRange(clock.Elapsed, AccessLog.BusyBudget, AccessLog.BusyBudget * 5);
    }
}
