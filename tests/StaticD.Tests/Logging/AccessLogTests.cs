using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Logging;
using StaticD.Interop;
using StaticD.Logging;
using StaticD.Tests.Systemd;
using Xunit;

namespace StaticD.Tests.Logging;

/// <summary>
/// The access log end to end against the real systemd-journald: entries recorded as a loop records them, written by
/// the log's own task (straight to the journal, or through the logger for bytes that are not UTF-8), read back with
/// journalctl.
/// </summary>
[Collection(JournaldCollection.Name)]
public sealed class AccessLogTests
{
    private static string NewIdentifier() => $"staticd-access-{Guid.NewGuid():N}";

    /// <summary>The composition Program uses: one JournalSink for the Serilog pipeline and the direct path, and a
    /// level switch that both obey.</summary>
    private sealed class Harness : IDisposable
    {
        public readonly string Id = NewIdentifier();
        public readonly StringWriter Fallback = new();
        public readonly LoggingLevelSwitch Level = new(LogEventLevel.Information);
        public readonly JournalSink Sink;
        public readonly SerilogLoggerFactory Factory;
        public readonly AccessLog Log;

        public Harness()
        {
            Sink = new JournalSink(Id, fallback: Fallback);
            Factory = new SerilogLoggerFactory(
                new LoggerConfiguration().MinimumLevel.ControlledBy(Level).WriteTo.Sink(Sink).CreateLogger(), dispose: true);
            Log = new AccessLog(Factory, Sink, Level);
        }

        /// <summary>Completes the queue and waits for the writer, so everything recorded has been sent.</summary>
        public void Dispose()
        {
            Log.Dispose();
            Factory.Dispose();
            Sink.Dispose();
        }
    }

    private static unsafe SockAddrStorage Peer(string address, ushort port = 443)
    {
        IPAddress ip = IPAddress.Parse(address);
        SockAddrStorage s = default;
        byte* p = (byte*)&s;
        s.PortBigEndian = (ushort)IPAddress.HostToNetworkOrder((short)port);
        if (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            s.Family = Libc.AF_INET;
            ip.GetAddressBytes().CopyTo(new Span<byte>(p + 4, 4));
        }
        else
        {
            s.Family = Libc.AF_INET6;
            ip.GetAddressBytes().CopyTo(new Span<byte>(p + 8, 16));
        }
        return s;
    }

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string? F(JsonElement entry, string field) => JournaldFixture.Field(entry, field);

    [Fact]
    public void ParsedRequestBecomesOneEntryWithEveryField()
    {
        string id;
        using (var h = new Harness())
        {
            id = h.Id;
            h.Log.Record(B("GET"), B("/docs/index.html?q=1"), B("curl/8.5.0"), B("https://example.com/from"),
                B("example.com"), B("example.com"), 200, 12_345, 678, Peer("192.0.2.10"), version: 20);
        }

        JsonElement e = Assert.Single(JournaldFixture.Query(id, 1));
        Assert.Equal("192.0.2.10 \"GET /docs/index.html?q=1\" 200 12345 678us \"https://example.com/from\" \"curl/8.5.0\" example.com example.com", F(e, "MESSAGE"));
        Assert.Equal("6", F(e, "PRIORITY"));
        Assert.Equal("40", F(e, "EVENT_ID"));
        Assert.Equal("Access", F(e, "EVENT_NAME"));
        Assert.Equal("StaticD.Access", F(e, "SOURCECONTEXT"));
        Assert.Equal("192.0.2.10", F(e, "CLIENT_ADDR"));
        Assert.Equal("GET", F(e, "HTTP_METHOD"));
        Assert.Equal("/docs/index.html?q=1", F(e, "HTTP_PATH"));
        Assert.Equal("200", F(e, "HTTP_STATUS"));
        Assert.Equal("12345", F(e, "HTTP_BYTES"));
        Assert.Equal("678", F(e, "HTTP_DURATION_USEC"));
        Assert.Equal("https://example.com/from", F(e, "HTTP_REFERER"));
        Assert.Equal("curl/8.5.0", F(e, "HTTP_USER_AGENT"));
        Assert.Equal("example.com", F(e, "HTTP_HOST"));
        Assert.Equal("example.com", F(e, "SITE"));
        Assert.Equal("2", F(e, "HTTP_VERSION"));
        Assert.Equal("journal", F(e, "_TRANSPORT"));
    }

    /// <summary>A flood from four threads against the real journald: every entry is either in the journal with its
    /// fields or counted as dropped (the queue in front of the writer, or journald busy past the retry budget);
    /// none is written to stderr as text.</summary>
    [Fact]
    public void FloodedEntriesAreInTheJournalWithTheirFieldsOrCountedAsDropped()
    {
        const int Threads = 4, PerThread = 1500;
        string id;
        long dropped;
        string fallback;
        using (var h = new Harness())
        {
            id = h.Id;
            Parallel.For(0, Threads, t =>
            {
                for (int i = 0; i < PerThread; i++)
                    h.Log.Record(B("GET"), B($"/flood/{t}/{i}"), B("flood/1.0"), default, B("example.com"), B("_"), 200, 100, 10, Peer("192.0.2.3"));
            });
            h.Log.Dispose();
            dropped = h.Log.Dropped;
            fallback = h.Fallback.ToString();
        }
        long expected = Threads * PerThread - dropped;
        List<JsonElement> entries = JournaldFixture.Query(id, (int)expected, "HTTP_STATUS=200");
        Assert.True(entries.Count == expected, $"{entries.Count} entries in the journal, {dropped} dropped, {Threads * PerThread} recorded");
        Assert.All(entries, e =>
        {
            Assert.StartsWith("/flood/", F(e, "HTTP_PATH"), StringComparison.Ordinal);
            Assert.Equal("GET", F(e, "HTTP_METHOD"));
            Assert.Equal("flood/1.0", F(e, "HTTP_USER_AGENT"));
        });
        Assert.Equal(expected, entries.Select(e => F(e, "HTTP_PATH")).Distinct().Count());
        Assert.DoesNotContain("/flood/", fallback, StringComparison.Ordinal);
    }

    [Fact]
    public void JournalctlCanFilterOnTheRequestFields()
    {
        string id;
        using (var h = new Harness())
        {
            id = h.Id;
            h.Log.Record(B("GET"), B("/ok"), default, default, default, default, 200, 1, 1, Peer("192.0.2.1"));
            h.Log.Record(B("HEAD"), B("/missing"), default, default, default, default, 404, 0, 1, Peer("192.0.2.1"));
            h.Log.Record(B("GET"), B("/gone"), default, default, default, default, 404, 150, 1, Peer("192.0.2.1"));
        }
        Assert.Equal(3, JournaldFixture.Query(id, 3).Count);
        Assert.Equal(new[] { "/missing", "/gone" }, JournaldFixture.Query(id, 2, "HTTP_STATUS=404").Select(e => F(e, "HTTP_PATH")));
        Assert.Equal("/missing", F(Assert.Single(JournaldFixture.Query(id, 1, "HTTP_METHOD=HEAD")), "HTTP_PATH"));
    }

    [Theory]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("2001:db8::1", "2001:db8::1")]
    [InlineData("fe80::1:2:3:4", "fe80::1:2:3:4")]
    [InlineData("::ffff:198.51.100.9", "198.51.100.9")] // a v4 client on a dual-stack socket
    [InlineData("::1", "::1")]
    public void ClientAddressIsPrintedPlain(string address, string expected)
    {
        string id;
        using (var h = new Harness())
        {
            id = h.Id;
            h.Log.Record(B("GET"), B("/"), default, default, default, default, 200, 0, 1, Peer(address));
        }
        JsonElement e = Assert.Single(JournaldFixture.Query(id, 1));
        Assert.Equal(expected, F(e, "CLIENT_ADDR"));
        Assert.StartsWith(expected + " \"GET /\"", F(e, "MESSAGE"));
    }

    [Fact]
    public void UnknownAddressFamilyIsADash()
    {
        SockAddrStorage none = default;
        Assert.Equal("-", AccessLog.FormatAddress(none));
        SockAddrStorage unix = default;
        unix.Family = Libc.AF_UNIX;
        Assert.Equal("-", AccessLog.FormatAddress(unix));
    }

    [Fact]
    public void UnparsedRequestHasDashesForMethodAndPath()
    {
        // A 400 for bytes that never made a request line: the loop records no method, target or headers.
        string id;
        using (var h = new Harness())
        {
            id = h.Id;
            h.Log.Record(default, default, default, default, default, default, 400, 213, 45, Peer("198.51.100.3"));
        }
        JsonElement e = Assert.Single(JournaldFixture.Query(id, 1));
        Assert.Equal("198.51.100.3 \"- -\" 400 213 45us \"\" \"\" - -", F(e, "MESSAGE"));
        Assert.Equal("-", F(e, "HTTP_METHOD"));
        Assert.Equal("-", F(e, "HTTP_PATH"));
        Assert.Equal("400", F(e, "HTTP_STATUS"));
        Assert.Equal("", F(e, "HTTP_REFERER"));
        Assert.Equal("", F(e, "HTTP_USER_AGENT"));
        Assert.Single(JournaldFixture.Query(id, 1, "HTTP_STATUS=400"));
    }

    [Fact]
    public void LongFieldsAreCutToTheirBounds()
    {
        string id;
        string target = "/" + new string('t', 5000);
        using (var h = new Harness())
        {
            id = h.Id;
            h.Log.Record(B(new string('M', 40)), B(target), B(new string('a', 600)), B(new string('r', 2000)), default, default, 200, 0, 1, Peer("192.0.2.1"));
        }
        JsonElement e = Assert.Single(JournaldFixture.Query(id, 1));
        Assert.Equal(new string('M', 32), F(e, "HTTP_METHOD"));
        Assert.Equal(target[..4096], F(e, "HTTP_PATH"));
        Assert.Equal(new string('a', 512), F(e, "HTTP_USER_AGENT"));
        Assert.Equal(new string('r', 1024), F(e, "HTTP_REFERER"));
    }

    [Fact]
    public void AgentThatIsNotUtf8GoesThroughTheLoggerWithTheSameFields()
    {
        // The direct path refuses bytes that are not UTF-8; the logger path decodes them (U+FFFD) and the same
        // sink writes the same fields from the message template's properties.
        string id;
        using (var h = new Harness())
        {
            id = h.Id;
            h.Log.Record(B("GET"), B("/x"), [(byte)'b', 0xFF, (byte)'t'], B("https://r/"), default, default, 304, 0, 9, Peer("2001:db8::5"));
            h.Log.Record(B("GET"), B("/y"), B("bot"), B("https://r/"), default, default, 304, 0, 9, Peer("2001:db8::5"));
        }
        List<JsonElement> entries = JournaldFixture.Query(id, 2);
        Assert.Equal(2, entries.Count);
        JsonElement e = entries.Single(x => F(x, "HTTP_PATH") == "/x");
        JsonElement direct = entries.Single(x => F(x, "HTTP_PATH") == "/y");
        Assert.Equal(OwnFields(direct), OwnFields(e));
        Assert.Equal("2001:db8::5 \"GET /x\" 304 0 9us \"https://r/\" \"b\uFFFDt\" - -", F(e, "MESSAGE"));
        Assert.Equal("6", F(e, "PRIORITY"));
        Assert.Equal("40", F(e, "EVENT_ID"));
        Assert.Equal("Access", F(e, "EVENT_NAME"));
        Assert.Equal("StaticD.Access", F(e, "SOURCECONTEXT"));
        Assert.Equal("2001:db8::5", F(e, "CLIENT_ADDR"));
        Assert.Equal("GET", F(e, "HTTP_METHOD"));
        Assert.Equal("/x", F(e, "HTTP_PATH"));
        Assert.Equal("304", F(e, "HTTP_STATUS"));
        Assert.Equal("0", F(e, "HTTP_BYTES"));
        Assert.Equal("9", F(e, "HTTP_DURATION_USEC"));
        Assert.Equal("https://r/", F(e, "HTTP_REFERER"));
        Assert.Equal("b\uFFFDt", F(e, "HTTP_USER_AGENT"));
    }

    /// <summary>The fields the sender wrote (journald's own start with '_').</summary>
    private static string[] OwnFields(JsonElement entry) =>
        [.. entry.EnumerateObject().Select(p => p.Name).Where(n => !n.StartsWith('_')).Order(StringComparer.Ordinal)];

    [Fact]
    public void EntriesBelowTheLevelAreNotRecorded()
    {
        string id;
        using (var h = new Harness())
        {
            id = h.Id;
            h.Level.MinimumLevel = LogEventLevel.Warning;
            h.Log.Record(B("GET"), B("/filtered"), default, default, default, default, 200, 0, 1, Peer("192.0.2.1"));
            // The level when the response completes decides: lowering it again lets the next one through.
            h.Level.MinimumLevel = LogEventLevel.Information;
            h.Log.Record(B("GET"), B("/kept"), default, default, default, default, 200, 0, 1, Peer("192.0.2.1"));
            Assert.Equal(0, h.Log.Dropped);
        }
        // The queue is first in, first out: had the filtered entry been queued it would have been sent first.
        JsonElement e = Assert.Single(JournaldFixture.Query(id, 1));
        Assert.Equal("/kept", F(e, "HTTP_PATH"));
    }

    [Fact]
    public void AFullQueueDropsAndCountsInsteadOfBlocking()
    {
        // Without a journal the writer goes through the logger; this one holds the writer in its first call, so the
        // queue fills while the test records, exactly as when the journal cannot keep up.
        using var logger = new GatedLoggerProvider();
        using var factory = new LoggerFactory([logger]);
        var log = new AccessLog(factory, journal: null, new LoggingLevelSwitch(LogEventLevel.Information));
        try
        {
            log.Record(B("GET"), B("/first"), default, default, default, default, 200, 1, 1, Peer("192.0.2.1"));
            Assert.True(logger.Entered.Wait(TimeSpan.FromSeconds(5)), "the writer never took the first entry");

            for (int i = 0; i < AccessLog.Capacity; i++)
                log.Record(B("GET"), B("/queued"), default, default, default, default, 200, 1, 1, Peer("192.0.2.1"));
            Assert.Equal(0, log.Dropped);
            for (int i = 0; i < 3; i++)
                log.Record(B("GET"), B("/dropped"), default, default, default, default, 200, 1, 1, Peer("192.0.2.1"));
            Assert.Equal(3, log.Dropped);
        }
        finally
        {
            logger.Gate.Set();
            log.Dispose();
        }

        // Everything queued was written, in order, and nothing dropped was.
        Assert.Equal(1 + AccessLog.Capacity, logger.Paths.Count);
        Assert.Equal("/first", logger.Paths[0]);
        Assert.All(logger.Paths.Skip(1), p => Assert.Equal("/queued", p));
        Assert.Equal(3, log.Dropped);
    }

    /// <summary>A logger whose first write blocks until <see cref="Gate"/> is set; records HTTP_PATH of each entry.</summary>
    private sealed class GatedLoggerProvider : ILoggerProvider, Microsoft.Extensions.Logging.ILogger
    {
        public readonly ManualResetEventSlim Entered = new();
        public readonly ManualResetEventSlim Gate = new();
        public readonly List<string> Paths = [];

        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Id != 40) return;
            var fields = (IReadOnlyList<KeyValuePair<string, object?>>)state!;
            Paths.Add((string)fields.Single(f => f.Key == "HTTP_PATH").Value!);
            if (Paths.Count == 1)
            {
                Entered.Set();
                Gate.Wait();
            }
        }

        public void Dispose()
        {
            Gate.Set();
        }
    }
}
