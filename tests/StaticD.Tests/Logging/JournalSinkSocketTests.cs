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

/// <summary>The sink against sockets of the test's own: exact bytes on the wire, and every way the journal can be
/// unreachable.</summary>
public sealed class JournalSinkSocketTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("staticd-journal-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string SocketPath => Path.Combine(_directory, "socket");

    private Socket Bind()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(SocketPath));
        socket.ReceiveTimeout = 5000;
        return socket;
    }

    private static LogEvent Event(LogEventLevel level, string template, Exception? exception = null, params LogEventProperty[] properties) =>
        new(DateTimeOffset.Now, level, exception, new MessageTemplateParser().Parse(template), properties);

    [Fact]
    public void DatagramIsSerialisedAsTheProtocolDescribes()
    {
        using Socket receiver = Bind();
        using var sink = new JournalSink("wire-test", SocketPath, new StringWriter());
        sink.Emit(Event(LogEventLevel.Warning, "one\ntwo", null, new LogEventProperty("Count", new ScalarValue(3))));

        byte[] datagram = new byte[65536];
        int length = receiver.Receive(datagram);
        byte[] expected =
        [
            .. "PRIORITY=4\n"u8,
            .. "SYSLOG_IDENTIFIER=wire-test\n"u8,
            .. "MESSAGE\n"u8, 7, 0, 0, 0, 0, 0, 0, 0, .. "one\ntwo\n"u8,
            .. "COUNT=3\n"u8,
        ];
        Assert.Equal(expected, datagram[..length]);
    }

    [Fact]
    public void MissingSocketWritesPriorityPrefixedLineToFallbackWithoutThrowing()
    {
        var fallback = new StringWriter();
        using var sink = new JournalSink("fallback-test", Path.Combine(_directory, "no-such-socket"), fallback);
        using (var log = new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger())
            log.Error("disk {Disk} failed", "sda");

        Assert.Equal("<3>disk \"sda\" failed\n", fallback.ToString());
        Assert.Equal(1, sink.FallbackWrites);
        Assert.Equal(0, sink.DatagramsSent);
    }

    [Fact]
    public void FallbackPrefixesEveryLineOfAMultiLineEvent()
    {
        var fallback = new StringWriter();
        using var sink = new JournalSink("fallback-test", Path.Combine(_directory, "no-such-socket"), fallback);
        sink.Emit(Event(LogEventLevel.Fatal, "crashed", new InvalidOperationException("boom")));

        Assert.Equal("<2>crashed\n<2>System.InvalidOperationException: boom\n", fallback.ToString());
    }

    [Fact]
    public void SocketWithNoReaderBehindItGoesToFallback()
    {
        // A socket file with no socket behind it, as journald leaves when it dies: sendmsg gets ECONNREFUSED.
        // .NET unlinks the path it bound on Dispose, so the file is moved away from that path first.
        using (Socket receiver = Bind())
            File.Move(SocketPath, SocketPath + ".stale");
        File.Move(SocketPath + ".stale", SocketPath);
        Assert.True(JournalSink.IsJournalAvailable(SocketPath));

        var fallback = new StringWriter();
        using var sink = new JournalSink("refused-test", SocketPath, fallback);
        sink.Emit(Event(LogEventLevel.Information, "nobody listens"));
        Assert.Equal("<6>nobody listens\n", fallback.ToString());
    }

    [Fact]
    public void FullQueueFallsBackInsteadOfBlocking()
    {
        using Socket receiver = Bind(); // never reads
        var fallback = new StringWriter();
        using var sink = new JournalSink("full-test", SocketPath, fallback);

        const int events = 2000;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < events; i++) sink.Emit(Event(LogEventLevel.Information, "event"));
        clock.Stop();

        Assert.True(sink.DatagramsSent > 0);
        Assert.True(sink.FallbackWrites > 0, "the receiver's queue never filled");
        Assert.Equal(events, sink.DatagramsSent + sink.FallbackWrites);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
    }

    [Fact]
    public void ANewListenerAtTheSamePathIsReachedWithoutReopening()
    {
        var fallback = new StringWriter();
        using var sink = new JournalSink("restart-test", SocketPath, fallback);
        byte[] buffer = new byte[4096];

        using (Socket first = Bind())
        {
            sink.Emit(Event(LogEventLevel.Information, "before"));
            Assert.Contains("MESSAGE=before\n", Encoding.UTF8.GetString(buffer, 0, first.Receive(buffer)));
        }
        File.Delete(SocketPath);
        sink.Emit(Event(LogEventLevel.Information, "during"));

        using (Socket second = Bind())
        {
            sink.Emit(Event(LogEventLevel.Information, "after"));
            Assert.Contains("MESSAGE=after\n", Encoding.UTF8.GetString(buffer, 0, second.Receive(buffer)));
        }
        Assert.Equal("<6>during\n", fallback.ToString());
    }

    [Fact]
    public void EmitAfterDisposeGoesToFallback()
    {
        var fallback = new StringWriter();
        var sink = new JournalSink("disposed-test", SocketPath, fallback);
        sink.Dispose();
        sink.Emit(Event(LogEventLevel.Warning, "late"));
        sink.Dispose();
        Assert.Equal("<4>late\n", fallback.ToString());
    }

    [Fact]
    public void ThrowingPropertyGoesToFallbackAndEmitDoesNotThrow()
    {
        var fallback = new StringWriter();
        using Socket receiver = Bind();
        using var sink = new JournalSink("throwing-test", SocketPath, fallback);
        sink.Emit(Event(LogEventLevel.Information, "bad", null, new LogEventProperty("Bad", new ScalarValue(new ThrowsOnFormat()))));
        Assert.Equal(1, sink.FallbackWrites);
    }

    [Fact]
    public void SocketPathTooLongForSockaddrUnIsRejected()
    {
        Assert.Throws<ArgumentException>(() => new JournalSink("x", "/" + new string('a', 107)));
        new JournalSink("x", "/" + new string('a', 106)).Dispose();
    }

    [Fact]
    public void IsJournalAvailableOnlyForSockets()
    {
        string file = Path.Combine(_directory, "regular");
        File.WriteAllText(file, "");
        Assert.False(JournalSink.IsJournalAvailable(file));
        Assert.False(JournalSink.IsJournalAvailable(Path.Combine(_directory, "missing")));
        using Socket receiver = Bind();
        Assert.True(JournalSink.IsJournalAvailable(SocketPath));
    }

    [Fact]
    public void JournalStreamMatchesOnlyTheSameDeviceAndInode()
    {
        string file = Path.Combine(_directory, "stream");
        File.WriteAllText(file, "");
        using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(file);
        int fd = (int)handle.DangerousGetHandle();
        // stat(1) prints st_dev and st_ino as decimal, exactly what systemd puts in $JOURNAL_STREAM.
        string stream = RunStat(file);

        Assert.True(JournalSink.IsJournalStream(stream, fd));
        string[] parts = stream.Split(':');
        Assert.False(JournalSink.IsJournalStream($"{parts[0]}:{ulong.Parse(parts[1]) + 1}", fd));
        Assert.False(JournalSink.IsJournalStream($"{ulong.Parse(parts[0]) + 1}:{parts[1]}", fd));
        Assert.False(JournalSink.IsJournalStream("garbage", fd));
        Assert.False(JournalSink.IsJournalStream(":", fd));
        Assert.False(JournalSink.IsJournalStream(null, fd));
        using Socket receiver = Bind();
        Assert.True(JournalSink.ShouldUseJournal(stream, invocationId: null, fd, SocketPath));
    }

    [Theory]
    [InlineData(0u, 0u, 0ul)]
    [InlineData(8u, 1u, 2049ul)]          // /dev/sda1
    [InlineData(259u, 3u, 66307ul)]       // nvme partition
    [InlineData(0u, 300u, 0x100000ul + 44ul)] // minor above 255: its high bits move up by 12
    public void DeviceNumbersEncodeLikeGlibcMakedev(uint major, uint minor, ulong expected) =>
        Assert.Equal(expected, JournalSink.EncodeDevice(major, minor));

    private static string RunStat(string path) =>
        ChildProcess.Run("stat", ["-c", "%d:%i", path], TimeSpan.FromSeconds(10)).Stdout.Trim();

    private sealed class ThrowsOnFormat : IFormattable
    {
        public string ToString(string? format, IFormatProvider? formatProvider) => throw new FormatException("nope");
    }
}

/// <summary>Field names and serialisation, without a socket.</summary>
public sealed class JournalEncodingTests
{
    [Theory]
    [InlineData("HTTP_STATUS", "HTTP_STATUS")]
    [InlineData("ClientAddr", "CLIENTADDR")]
    [InlineData("SourceContext", "SOURCECONTEXT")]
    [InlineData("http.method", "HTTP_METHOD")]
    [InlineData("größe", "GR__E")]
    [InlineData("1st", "F_1ST")]
    [InlineData("_private", "F__PRIVATE")]
    [InlineData("$type", "F__TYPE")]
    [InlineData("", "F_")]
    [InlineData("Message", "F_MESSAGE")]
    [InlineData("priority", "F_PRIORITY")]
    [InlineData("Syslog_Identifier", "F_SYSLOG_IDENTIFIER")]
    [InlineData("Exception", "F_EXCEPTION")]
    [InlineData("MessageId", "MESSAGEID")]
    public void PropertyNamesBecomeValidJournalFieldNames(string property, string field) =>
        Assert.Equal(field, JournalFieldName.ToFieldName(property));

    [Fact]
    public void LongNamesAreTruncatedTo64Bytes()
    {
        Assert.Equal(new string('A', 64), JournalFieldName.ToFieldName(new string('a', 100)));
        Assert.Equal("F_" + new string('9', 62), JournalFieldName.ToFieldName(new string('9', 100)));
    }

    [Fact]
    public void FieldsUseTheTextFormUnlessTheValueHasANewline()
    {
        var builder = new JournalEntryBuilder();
        builder.Add("FOO"u8, "BAR");
        builder.Add("BINARY_BLOB"u8, "xx\nx");
        builder.Add("EMPTY"u8, "");
        byte[] expected = [.. "FOO=BAR\n"u8, .. "BINARY_BLOB\n"u8, 4, 0, 0, 0, 0, 0, 0, 0, .. "xx\nx\n"u8, .. "EMPTY=\n"u8];
        Assert.Equal(expected, builder.Payload.ToArray());
    }

    [Fact]
    public void RenderedTextSpanningManyChunksKeepsSurrogatePairsIntact()
    {
        var builder = new JournalEntryBuilder();
        TextWriter writer = builder.BeginText();
        var expected = new StringBuilder("a\n");
        writer.Write("a\n");
        for (int i = 0; i < 20000; i++)
        {
            writer.Write("🚀");
            expected.Append("🚀");
            if (i % 777 == 0) { writer.Write('b'); expected.Append('b'); }
        }
        builder.AddText("BIG"u8);

        byte[] value = Encoding.UTF8.GetBytes(expected.ToString());
        byte[] payload = builder.Payload.ToArray();
        Assert.Equal("BIG\n"u8.ToArray(), payload[..4]);
        Assert.Equal((ulong)value.Length, BinaryPrimitives.ReadUInt64LittleEndian(payload.AsSpan(4, 8)));
        Assert.Equal(value, payload[12..^1]);
        Assert.Equal((byte)'\n', payload[^1]);
    }

    [Fact]
    public void ResetReleasesAnOversizedBuffer()
    {
        var builder = new JournalEntryBuilder();
        builder.Add("BIG"u8, new string('x', 1024 * 1024));
        Assert.True(builder.Buffer.Length > 1024 * 1024);
        builder.Reset();
        Assert.True(builder.Buffer.Length <= 256 * 1024);
        Assert.Equal(0, builder.Length);
    }
}

/// <summary>The kernel ABI of the journal's syscalls, pinned (x86-64).</summary>
public sealed class JournalStructLayoutTests
{
    [Fact]
    public void IoVecIs16Bytes() => Assert.Equal(16, Unsafe.SizeOf<IoVec>());

    [Fact]
    public void MsgHdrIs56BytesWithPaddedFields()
    {
        Assert.Equal(56, Unsafe.SizeOf<MsgHdr>());
        MsgHdr m = default;
        ref byte start = ref Unsafe.As<MsgHdr, byte>(ref m);
        Assert.Equal(8, (int)Unsafe.ByteOffset(ref start, ref Unsafe.As<uint, byte>(ref m.NameLength)));
        Assert.Equal(24, (int)Unsafe.ByteOffset(ref start, ref Unsafe.As<nuint, byte>(ref m.IovLength)));
        Assert.Equal(40, (int)Unsafe.ByteOffset(ref start, ref Unsafe.As<nuint, byte>(ref m.ControlLength)));
        Assert.Equal(48, (int)Unsafe.ByteOffset(ref start, ref Unsafe.As<int, byte>(ref m.Flags)));
    }

    [Fact]
    public void CmsgHdrIs16Bytes() => Assert.Equal(16, Unsafe.SizeOf<CmsgHdr>());

    [Fact]
    public void SingleFdControlMessageIsCmsgSpaceOfAnInt()
    {
        Assert.Equal(24, Syscall.ControlSpace(1));      // CMSG_SPACE(sizeof(int))
        Assert.Equal(20, Syscall.ControlDataLength(1)); // CMSG_LEN(sizeof(int))
    }

    [Fact]
    public void SockAddrUnixIs110Bytes() => Assert.Equal(110, Unsafe.SizeOf<SockAddrUnix>());
}
