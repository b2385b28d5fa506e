using System.Net.Sockets;
using System.Text;
using StaticD.Interop;
using StaticD.Net;
using Xunit;

namespace StaticD.Tests.Net;

/// <summary>
/// Bodies on the wire: sendfile and the copy path (pread + send, for transports that cannot sendfile) deliver
/// files byte for byte through a real socket that keeps filling up; and a connection that could send without end
/// gives up the loop after each 1 MiB turn, is resumed in the next round without an event, and never keeps another
/// connection's request waiting.
/// </summary>
public sealed class SendPathTests
{
    private const int MiB = 1 << 20;

    private static string Get(string path, string extra = "") => $"GET {path} HTTP/1.1\r\nHost: h\r\n{extra}\r\n";

    // ───────────────────────────── through a real socket ─────────────────────────────

    [Theory]
    [InlineData(true, null, 8 * MiB + 12345)]
    [InlineData(false, null, 8 * MiB + 12345)]
    [InlineData(false, 8 * 1024, MiB + 12345)] // a window far smaller than a copy chunk: chunks go out in pieces
    public void LargeFile_ArrivesByteForByte(bool canSendFile, int? clientReceiveBuffer, int size)
    {
        using var h = new LoopHarness(canSendFile: canSendFile);
        byte[] file = h.AddRandomFile("big.bin", size);
        using var client = h.Connect(clientReceiveBuffer);
        client.Send(Get("/big.bin"));

        // The client reads between rounds; the server sends as the window opens (EPOLLOUT), to the end.
        h.PumpUntil(() => { client.Poll(); return client.Responses().Count == 1; }, "the whole file arrived");
        Response response = client.Responses()[0];
        Assert.Equal(200, response.Status);
        Assert.Equal(file.Length.ToString(), response.Header("Content-Length"));
        Assert.True(file.AsSpan().SequenceEqual(response.Body), "the body differs from the file");
        Assert.Equal(canSendFile, h.Last.SendFileCalls > 0);
        h.AssertOpen(client, "after a complete download");
    }

    [Fact]
    public void CopyPath_SendsRanges_ByteForByte()
    {
        using var h = new LoopHarness(canSendFile: false);
        byte[] file = h.AddRandomFile("big.bin", 3 * MiB);
        using var client = h.Connect();
        client.Send(Get("/big.bin", "Range: bytes=1000-2999999\r\n") + Get("/big.bin", "Range: bytes=5-14,2000000-2000009\r\n"));
        h.PumpUntil(() => { client.Poll(); return client.Responses().Count == 2; }, "both responses arrived");

        Response single = client.Responses()[0];
        Assert.Equal(206, single.Status);
        Assert.Equal($"bytes 1000-2999999/{file.Length}", single.Header("Content-Range"));
        Assert.True(file.AsSpan(1000, 2999000).SequenceEqual(single.Body), "the range differs from the file");

        Response multi = client.Responses()[1];
        Assert.Equal(206, multi.Status);
        Assert.StartsWith("multipart/byteranges", multi.Header("Content-Type"));
        string body = multi.BodyText;
        int first = body.IndexOf($"Content-Range: bytes 5-14/{file.Length}\r\n\r\n" + Latin1(file, 5, 10), StringComparison.Ordinal);
        int second = body.IndexOf($"Content-Range: bytes 2000000-2000009/{file.Length}\r\n\r\n" + Latin1(file, 2000000, 10), StringComparison.Ordinal);
        Assert.True(first > 0 && second > first, "the parts are missing, wrong or out of order:\n" + body);
        Assert.Equal(0, h.Last.SendFileCalls);
    }

    private static string Latin1(byte[] data, int offset, int count) => Encoding.Latin1.GetString(data, offset, count);

    // ───────────────────────────── the turn budget ─────────────────────────────

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LargeResponse_YieldsAfterEachMiB_AndResumesWithoutAnEvent(bool canSendFile)
    {
        SinkTransport? sink = null;
        using var h = new LoopHarness(transport: (fd, loop) => sink = new SinkTransport(fd, canSendFile));
        byte[] file = h.AddRandomFile("big.bin", 8 * MiB + 100);
        using var client = h.Connect();
        StartRequest(h, client, Get("/big.bin"), () => sink!);
        h.PumpUntil(() => sink!.Sent > 0, "the response started");

        // The round that got the resolution back: the head, a turn, and (as a yielded connection) one more.
        long head = sink!.Head;
        Assert.Equal(head + 2 * MiB, sink.Sent);
        var turns = new List<long>();
        while (sink.Sent < head + file.Length)
        {
            // Work is queued, so the loop thread would not sleep; no socket event is needed to go on.
            Assert.Equal(0, h.Loop.ComputeTimeout());
            long before = sink.Sent;
            h.Round();
            turns.Add(sink.Sent - before);
        }

        Assert.All(turns[..^1], t => Assert.Equal(MiB, t));
        Assert.Equal(file.Length - 2 * MiB - (turns.Count - 1) * MiB, turns[^1]);
        Assert.True(file.AsSpan().SequenceEqual(sink.Body), "the body differs from the file");
        Assert.True(h.Loop.ComputeTimeout() > 0, "the loop still has work after the response");
        Assert.Equal(1, h.Loop.ConnectionCount);
    }

    [Fact]
    public void AnotherClientsRequest_IsAnsweredInTheRound_ItArrivesIn_WhileALargeResponseIsUnderWay()
    {
        SinkTransport? sink = null;
        int accepted = 0;
        using var h = new LoopHarness(fileCache: true,
            transport: (fd, loop) => ++accepted == 2 ? sink = new SinkTransport(fd, canSendFile: true) : new RecordingTransport(fd, loop, true));
        byte[] file = h.AddRandomFile("big.bin", 16 * MiB);
        h.AddFile("small.txt", "small");

        // The small file is answered from the loop's cache from its second request on: no thread-pool hop.
        using var other = h.Connect();
        other.Send(Get("/small.txt"));
        h.PumpUntil(() => other.Poll() && other.Responses().Count == 1, "the small file was served");
        var otherTransport = (RecordingTransport)h.Transports[0];

        using var downloader = h.Connect();
        StartRequest(h, downloader, Get("/big.bin"), () => sink!);
        h.PumpUntil(() => sink!.Sent > 0, "the download started");
        h.Round();
        Assert.True(sink!.Sent < sink.Head + file.Length / 2);

        // The other client's request is in the server's socket before the next round begins.
        other.Send(Get("/small.txt"));
        using (var serverSide = new Socket(new SafeSocketHandle(otherTransport.Fd, ownsHandle: false)))
            Assert.True(serverSide.Poll(10_000_000, SelectMode.SelectRead), "the request never reached the server's socket");
        long downloaded = sink.Sent;
        h.Round();

        // Answered in that one round, next to one more turn of the download, which is far from done.
        Assert.True(other.WaitForResponses(2), "the second small response did not come in the round its request arrived in");
        Assert.Equal("small", other.Responses()[1].BodyText);
        Assert.Equal(downloaded + MiB, sink.Sent);
        h.PumpUntil(() => sink.Sent == sink.Head + file.Length, "the download finished");
        Assert.True(file.AsSpan().SequenceEqual(sink.Body), "the body differs from the file");
    }

    /// <summary>
    /// Sends a request in two parts: the first byte, which gets the connection accepted, and after a round — in
    /// which the loop takes the EPOLLOUT that registering a writable socket reports once — the rest. The sink's
    /// socket then never reports EPOLLOUT again (nothing is ever written to it), so every turn of the response after
    /// the first is one the loop gave it for having yielded, not one a socket event brought.
    /// </summary>
    private static void StartRequest(LoopHarness h, LoopClient client, string request, Func<SinkTransport> sink)
    {
        int accepted = h.Transports.Count;
        client.Send(request[..1]);
        h.PumpUntil(() => h.Transports.Count > accepted && sink().BytesReceived == 1, "the first byte was read");
        h.Round();
        client.Send(request[1..]);
    }

    /// <summary>
    /// A peer that takes everything at once: send and sendfile always complete in full, into memory (sendfile by
    /// pread), so the only thing that ends a connection's turn is the turn budget. Reading, shutdown and close go to
    /// the real socket.
    /// </summary>
    private sealed class SinkTransport(int fd, bool canSendFile) : ITransport
    {
        private readonly SocketTransport _socket = new(fd);
        private readonly MemoryStream _out = new();
        private byte[] _buffer = [];

        public long BytesReceived { get; private set; }
        public long Sent => _out.Length;
        /// <summary>Length of the response head (the sink's bytes up to the first blank line).</summary>
        public long Head => _out.GetBuffer().AsSpan(0, (int)_out.Length).IndexOf("\r\n\r\n"u8) + 4;
        public byte[] Body => _out.ToArray()[(int)Head..];

        public int Fd => fd;
        public bool CanSendFile => canSendFile;

        public nint Receive(Span<byte> buffer, out Errno errno)
        {
            nint n = _socket.Receive(buffer, out errno);
            if (n > 0) BytesReceived += n;
            return n;
        }

        public nint Send(ReadOnlySpan<byte> data, bool more, out Errno errno)
        {
            errno = Errno.None;
            _out.Write(data);
            return data.Length;
        }

        public nint SendFile(int fileFd, ref long offset, long count, out Errno errno)
        {
            Assert.True(canSendFile, "sendfile on a transport that cannot sendfile");
            if (_buffer.Length < count) _buffer = new byte[count];
            nint n = Syscall.PRead(fileFd, _buffer.AsSpan(0, (int)count), offset, out errno);
            if (n > 0)
            {
                _out.Write(_buffer, 0, (int)n);
                offset += n;
            }
            return n;
        }

        public void ShutdownWrite() => _socket.ShutdownWrite();

        public void Close() => _socket.Close();
    }
}
