using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Serilog;
using Serilog.Events;
using Serilog.Parsing;
using StaticD.Interop;
using StaticD.Logging;
using StaticD.Tests.Systemd;
using Xunit;

namespace StaticD.Tests.Logging;

/// <summary>End to end against the real systemd-journald: events go in through Serilog, come back out of journalctl.</summary>
[Collection(JournaldCollection.Name)]
public sealed class JournalSinkTests
{
    private static string NewIdentifier() => $"staticd-test-{Guid.NewGuid():N}";

    private static Serilog.Core.Logger Logger(JournalSink sink) =>
        new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger();

    [Fact]
    public void InformationEventArrivesWithMessagePriorityAndIdentifier()
    {
        string id = NewIdentifier();
        var fallback = new StringWriter();
        using (var sink = new JournalSink(id, fallback: fallback))
        using (var log = Logger(sink))
        {
            log.Information("hello {Name}", "world");
            Assert.Equal(1, sink.DatagramsSent);
        }
        Assert.Equal("", fallback.ToString());

        JsonElement entry = Assert.Single(JournaldFixture.Query(id, 1));
        Assert.Equal("hello \"world\"", JournaldFixture.Field(entry, "MESSAGE"));
        Assert.Equal("6", JournaldFixture.Field(entry, "PRIORITY"));
        Assert.Equal(id, JournaldFixture.Field(entry, "SYSLOG_IDENTIFIER"));
        Assert.Equal("world", JournaldFixture.Field(entry, "NAME"));
        Assert.Equal("journal", JournaldFixture.Field(entry, "_TRANSPORT"));
        Assert.Equal(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), JournaldFixture.Field(entry, "_PID"));
    }

    [Fact]
    public void StructuredPropertiesBecomeUpperCaseFields()
    {
        string id = NewIdentifier();
        using (var sink = new JournalSink(id, fallback: new StringWriter()))
        using (var log = Logger(sink))
        {
            log.ForContext("SourceContext", "StaticD.Http.Connection")
               .ForContext("http.method", "GET")
               .ForContext("1st", "first")
               .ForContext("_private", "kept")
               .ForContext("Message", "shadow")
               .ForContext("Ratio", 1.5)
               .ForContext("Tags", new[] { 1, 2, 3 })
               .ForContext("Missing", null)
               .Warning("{HTTP_STATUS} for {ClientAddr} {Path}", 404, "127.0.0.1", "/nope.html");
        }

        JsonElement entry = Assert.Single(JournaldFixture.Query(id, 1));
        Assert.Equal("4", JournaldFixture.Field(entry, "PRIORITY"));
        Assert.Equal("404 for \"127.0.0.1\" \"/nope.html\"", JournaldFixture.Field(entry, "MESSAGE"));
        Assert.Equal("404", JournaldFixture.Field(entry, "HTTP_STATUS"));
        Assert.Equal("127.0.0.1", JournaldFixture.Field(entry, "CLIENTADDR"));
        Assert.Equal("/nope.html", JournaldFixture.Field(entry, "PATH"));
        Assert.Equal("StaticD.Http.Connection", JournaldFixture.Field(entry, "SOURCECONTEXT"));
        Assert.Equal("GET", JournaldFixture.Field(entry, "HTTP_METHOD"));
        Assert.Equal("first", JournaldFixture.Field(entry, "F_1ST"));
        Assert.Equal("kept", JournaldFixture.Field(entry, "F__PRIVATE"));
        Assert.Equal("shadow", JournaldFixture.Field(entry, "F_MESSAGE"));
        Assert.Equal("1.5", JournaldFixture.Field(entry, "RATIO"));
        Assert.Equal("[1, 2, 3]", JournaldFixture.Field(entry, "TAGS"));
        Assert.Equal("", JournaldFixture.Field(entry, "MISSING"));
    }

    [Fact]
    public void ExceptionGoesIntoExceptionFieldAndMessageCarriesTheStack()
    {
        string id = NewIdentifier();
        Exception caught = CaptureException();
        using (var sink = new JournalSink(id, fallback: new StringWriter()))
        using (var log = Logger(sink))
            log.Error(caught, "request {RequestId} failed", 7);

        JsonElement entry = Assert.Single(JournaldFixture.Query(id, 1));
        Assert.Equal("3", JournaldFixture.Field(entry, "PRIORITY"));
        Assert.Equal("System.InvalidOperationException: boom", JournaldFixture.Field(entry, "EXCEPTION"));
        string message = JournaldFixture.Field(entry, "MESSAGE")!;
        Assert.StartsWith("request 7 failed\nSystem.InvalidOperationException: boom\n", message);
        Assert.Contains(nameof(CaptureException), message);
        Assert.Equal(caught.ToString(), message["request 7 failed\n".Length..]);
    }

    [Fact]
    public void LargeEntryGoesThroughASealedMemfdAndArrivesWhole()
    {
        const int size = 300 * 1024;
        // The datagram limit is the sender's SO_SNDBUF (less a little kernel overhead): check it really is below
        // 300 KiB here, or this test would not be exercising the memfd path.
        Assert.True(DefaultDatagramSendBuffer() < size, $"SO_SNDBUF is {DefaultDatagramSendBuffer()}: 300 KiB would fit in one datagram");

        string id = NewIdentifier();
        var text = new StringBuilder(size);
        for (int i = 0; text.Length < size; i++) text.Append(i % 10);
        text.Length = size - 3;
        text.Append("END");
        string big = text.ToString();

        var fallback = new StringWriter();
        using (var sink = new JournalSink(id, fallback: fallback))
        using (var log = Logger(sink))
        {
            log.Information("{Big:l}", big);
            Assert.Equal(1, sink.MemfdsSent);
            Assert.Equal(0, sink.DatagramsSent);
        }
        Assert.Equal("", fallback.ToString());

        JsonElement entry = Assert.Single(JournaldFixture.Query(id, 1));
        string message = JournaldFixture.Field(entry, "MESSAGE")!;
        Assert.Equal(size, message.Length);
        Assert.Equal(big, message);
        Assert.Equal(big, JournaldFixture.Field(entry, "BIG"));
    }

    [Fact]
    public void ValuesWithNewlinesUseTheBinaryFormAndRoundTrip()
    {
        string id = NewIdentifier();
        using (var sink = new JournalSink(id, fallback: new StringWriter()))
        using (var log = Logger(sink))
            log.ForContext("Detail", "line one\nline two\n\nline four").Information("first line\nsecond line");

        JsonElement entry = Assert.Single(JournaldFixture.Query(id, 1));
        Assert.Equal("first line\nsecond line", JournaldFixture.Field(entry, "MESSAGE"));
        Assert.Equal("line one\nline two\n\nline four", JournaldFixture.Field(entry, "DETAIL"));
    }

    [Fact]
    public void UnicodeRoundTrips()
    {
        string id = NewIdentifier();
        using (var sink = new JournalSink(id, fallback: new StringWriter()))
        using (var log = Logger(sink))
            log.Information("Grüße aus Köln — 日本語 🚀 {Mark:l}", "✓ Ωmega");

        JsonElement entry = Assert.Single(JournaldFixture.Query(id, 1));
        Assert.Equal("Grüße aus Köln — 日本語 🚀 ✓ Ωmega", JournaldFixture.Field(entry, "MESSAGE"));
        Assert.Equal("✓ Ωmega", JournaldFixture.Field(entry, "MARK"));
    }

    [Fact]
    public void EveryLevelMapsToItsSyslogPriority()
    {
        string id = NewIdentifier();
        using (var sink = new JournalSink(id, fallback: new StringWriter()))
        using (var log = Logger(sink))
        {
            log.Verbose("verbose");
            log.Debug("debug");
            log.Information("information");
            log.Warning("warning");
            log.Error("error");
            log.Fatal("fatal");
        }

        List<JsonElement> entries = JournaldFixture.Query(id, 6);
        Dictionary<string, string?> priorities = entries.ToDictionary(e => JournaldFixture.Field(e, "MESSAGE")!, e => JournaldFixture.Field(e, "PRIORITY"));
        Assert.Equal(
            new Dictionary<string, string?> { ["verbose"] = "7", ["debug"] = "7", ["information"] = "6", ["warning"] = "4", ["error"] = "3", ["fatal"] = "2" },
            priorities);
    }

    [Fact]
    public void JournalctlFiltersOnPriorityAndOnPropertyFields()
    {
        string id = NewIdentifier();
        using (var sink = new JournalSink(id, fallback: new StringWriter()))
        using (var log = Logger(sink))
        {
            log.Information("served {HTTP_STATUS}", 200);
            log.Error("failed {HTTP_STATUS}", 500);
            log.Warning("missing {HTTP_STATUS}", 404);
        }
        Assert.Equal(3, JournaldFixture.Query(id, 3).Count);

        JsonElement error = Assert.Single(JournaldFixture.Query(id, 1, "PRIORITY=3"));
        Assert.Equal("failed 500", JournaldFixture.Field(error, "MESSAGE"));

        JsonElement missing = Assert.Single(JournaldFixture.Query(id, 1, "HTTP_STATUS=404"));
        Assert.Equal("missing 404", JournaldFixture.Field(missing, "MESSAGE"));
    }

    [Fact]
    public void EventIdBecomesEventIdAndEventName()
    {
        string id = NewIdentifier();
        // The shape Serilog.Extensions.Logging gives Microsoft.Extensions.Logging's EventId.
        var eventId = new StructureValue([new LogEventProperty("Id", new ScalarValue(42)), new LogEventProperty("Name", new ScalarValue("Started"))]);
        var logEvent = new LogEvent(DateTimeOffset.Now, LogEventLevel.Information, null,
            new MessageTemplateParser().Parse("server started"), [new LogEventProperty("EventId", eventId)]);

        using (var sink = new JournalSink(id, fallback: new StringWriter()))
        using (var log = Logger(sink))
            log.Write(logEvent);

        JsonElement entry = Assert.Single(JournaldFixture.Query(id, 1));
        Assert.Equal("42", JournaldFixture.Field(entry, "EVENT_ID"));
        Assert.Equal("Started", JournaldFixture.Field(entry, "EVENT_NAME"));
        Assert.Null(JournaldFixture.Field(entry, "EVENTID"));
        Assert.Single(JournaldFixture.Query(id, 1, "EVENT_ID=42"));
    }

    [Fact]
    public void ShouldUseJournalWhenStartedBySystemdAndTheSocketIsThere()
    {
        Assert.True(JournalSink.IsJournalAvailable(JournaldFixture.SocketPath));
        Assert.True(JournalSink.ShouldUseJournal(journalStream: null, invocationId: "0123456789abcdef", stderrFd: 2, JournaldFixture.SocketPath));
        Assert.False(JournalSink.ShouldUseJournal(journalStream: null, invocationId: null, stderrFd: 2, JournaldFixture.SocketPath));
        Assert.False(JournalSink.ShouldUseJournal(journalStream: null, invocationId: "0123456789abcdef", stderrFd: 2, "/run/staticd-no-such/socket"));
    }

    private static Exception CaptureException()
    {
        try
        {
            throw new InvalidOperationException("boom");
        }
        catch (InvalidOperationException e)
        {
            return e;
        }
    }

    private static int DefaultDatagramSendBuffer()
    {
        int fd = Libc.socket(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        try { return Syscall.GetOption(fd, SocketOption.SendBuffer, out _); }
        finally { Syscall.Close(fd); }
    }
}
