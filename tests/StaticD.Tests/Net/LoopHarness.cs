using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StaticD.Files;
using StaticD.Interop;
using StaticD.Net;
using StaticD.Site;
using Xunit;

namespace StaticD.Tests.Net;

/// <summary>
/// One real <see cref="EventLoop"/> — its own epoll set, a listener on 127.0.0.1:0, a temporary directory as the
/// site root — on a <see cref="FakeTimeProvider"/>, driven round by round from the test's thread. The loop's clock
/// moves only through <see cref="AdvanceTo"/>, <see cref="RoundAt"/> and <see cref="SweepAt"/>; everything else
/// waits for an event (a socket, the thread pool's eventfd) in epoll_wait, never for time to pass. Each accepted
/// socket goes through a <see cref="RecordingTransport"/> (or the test's own transport), so a test can see what the
/// server did on the wire and when, on the loop's clock.
/// </summary>
internal sealed class LoopHarness : IDisposable
{
    /// <summary>The loop sweeps for timeouts when a round starts at least this long after the previous sweep.</summary>
    public const int SweepMs = 1000;
    /// <summary>How long one round may wait in epoll_wait for an event while a test waits for something.</summary>
    private const int WaitMs = 50;
    /// <summary>A condition not met by then has failed (a failure deadline, not a pause).</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(30);

    private readonly ServeContext _context;
    /// <summary>Mirror of the loop's next sweep (checked against <see cref="EventLoop.ComputeTimeout"/>).</summary>
    private long _nextSweepMs;

    public LoopHarness(Limits? limits = null, int shutdownTimeoutSeconds = 30, bool fileCache = false,
        bool canSendFile = true, Func<int, EventLoop, ITransport>? transport = null,
        Func<Limits, bool, SiteRoot, ServeContext>? context = null)
    {
        RootPath = Directory.CreateTempSubdirectory("staticd-loop-").FullName;
        Clock = new LoopClock(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
        SiteRoot root = SiteRoot.TryOpen(RootPath, out Errno errno)
            ?? throw new InvalidOperationException($"cannot open {RootPath}: {errno}");
        _context = context?.Invoke(limits ?? new Limits(), fileCache, root)
            ?? ServeContext.Single(limits ?? new Limits(), new SitePolicy { Root = RootPath }, root, fileCache, shutdownTimeoutSeconds);
        Listener listener = Listener.Bind(new IPEndPoint(IPAddress.Loopback, 0), reusePort: false);
        Port = TestLibc.LocalPort(listener.Fd);
        Loop = new EventLoop(0, _context, [listener], Connections, NullLogger.Instance, accessLog: null, Clock);
        Loop.CreateTransport = fd =>
        {
            ITransport t = transport?.Invoke(fd, Loop) ?? new RecordingTransport(fd, Loop, canSendFile);
            Transports.Add(t);
            return t;
        };
        Assert.Equal(ClockMs, Loop.NowMs);
    }

    public LoopClock Clock { get; }
    public EventLoop Loop { get; }
    public ConnectionCount Connections { get; } = new();
    public string RootPath { get; }
    public int Port { get; }
    /// <summary>Every transport the loop created, in accept order.</summary>
    public List<ITransport> Transports { get; } = [];
    /// <summary>The transport of the connection accepted last.</summary>
    public RecordingTransport Last => (RecordingTransport)Transports[^1];
    /// <summary>False once <see cref="EventLoop.RunOnce"/> has said the loop is done (after a stop).</summary>
    public bool Running { get; private set; } = true;

    /// <summary>The loop's clock as of its last round.</summary>
    public long NowMs => Loop.NowMs;

    /// <summary>The fake clock as the loop will read it at its next round.</summary>
    public long ClockMs => (long)Clock.GetElapsedTime(0).TotalMilliseconds;

    public void AddFile(string name, string text) => AddFile(name, System.Text.Encoding.UTF8.GetBytes(text));

    public void AddFile(string name, byte[] content) => File.WriteAllBytes(Path.Combine(RootPath, name), content);

    public byte[] AddRandomFile(string name, int size)
    {
        byte[] content = new byte[size];
        new Random(size).NextBytes(content);
        AddFile(name, content);
        return content;
    }

    public LoopClient Connect(int? receiveBufferSize = null) => LoopClient.Connect(Port, receiveBufferSize);

    // ───────────────────────────── rounds ─────────────────────────────

    /// <summary>One round without moving the clock: waits up to <paramref name="waitMs"/> for an event unless the
    /// loop has work queued. Returns what RunOnce returned.</summary>
    public bool Round(int waitMs = WaitMs)
    {
        Assert.True(Running, "the loop has already finished");
        Running = Loop.RunOnce(Math.Min(Loop.ComputeTimeout(), waitMs));
        AfterRound();
        return Running;
    }

    /// <summary>Rounds (clock fixed) until <paramref name="condition"/> holds; fails if it never does.</summary>
    public void PumpUntil(Func<bool> condition, string what)
    {
        var wall = Stopwatch.StartNew();
        while (!condition())
        {
            if (!Running) Assert.Fail($"the loop finished before {what}");
            if (wall.Elapsed > GiveUpAfter) Assert.Fail($"not {what} after {GiveUpAfter.TotalSeconds} s of rounds");
            Round();
        }
    }

    /// <summary>Moves the fake clock forward to <paramref name="loopMs"/> on the loop's clock (no round).</summary>
    public void AdvanceTo(long loopMs)
    {
        long now = ClockMs;
        Assert.True(loopMs >= now, $"the clock cannot go back from {now} to {loopMs}");
        Clock.Advance(TimeSpan.FromMilliseconds(loopMs - now));
        Assert.Equal(loopMs, ClockMs);
    }

    /// <summary>Moves the clock to <paramref name="loopMs"/> and runs one round without waiting.</summary>
    public bool RoundAt(long loopMs)
    {
        AdvanceTo(loopMs);
        Assert.True(Running, "the loop has already finished");
        Running = Loop.RunOnce(0);
        Assert.Equal(loopMs, Loop.NowMs);
        AfterRound();
        return Running;
    }

    /// <summary>A round at <paramref name="loopMs"/> that is certain to run the timeout sweep (at least a second
    /// after the previous one); the test's arithmetic is wrong otherwise.</summary>
    public bool SweepAt(long loopMs)
    {
        Assert.True(loopMs >= _nextSweepMs, $"no sweep would run at {loopMs}: the next is due at {_nextSweepMs}");
        return RoundAt(loopMs);
    }

    /// <summary>What the loop thread itself would do for <paramref name="ms"/> of idle time: wait what
    /// <see cref="EventLoop.ComputeTimeout"/> says (here: move the clock that far), run a round, repeat.</summary>
    public void IdleFor(long ms, Func<bool>? stopWhen = null)
    {
        long end = ClockMs + ms;
        while (ClockMs < end && Running && stopWhen?.Invoke() != true)
        {
            int wait = Loop.ComputeTimeout();
            RoundAt(Math.Min(end, ClockMs + wait));
        }
    }

    private void AfterRound()
    {
        if (Loop.NowMs >= _nextSweepMs) _nextSweepMs = Loop.NowMs + SweepMs;
        // The mirror must agree with the loop: with nothing queued it sleeps exactly until the next sweep.
        int timeout = Loop.ComputeTimeout();
        if (timeout > 0) Assert.Equal(Math.Clamp(_nextSweepMs - Loop.NowMs, 0, SweepMs), timeout);
    }

    // ───────────────────────────── assertions ─────────────────────────────

    /// <summary>The server still holds the connection, and the client has seen no end of stream.</summary>
    public void AssertOpen(LoopClient client, string why)
    {
        Assert.True(Loop.ConnectionCount == 1, $"{why}: the server has {Loop.ConnectionCount} connections, expected 1");
        Assert.True(client.Poll(), $"{why}: the client saw the connection end");
    }

    /// <summary>The server has dropped the connection, and the client sees the end of stream (FIN or reset).</summary>
    public void AssertClosed(LoopClient client, string why)
    {
        Assert.True(Loop.ConnectionCount == 0, $"{why}: the server still has {Loop.ConnectionCount} connections");
        Assert.True(client.WaitClosed(), $"{why}: the client never saw the close");
    }

    public void Dispose()
    {
        // What the loop thread does on its way out; then nothing may be left on the thread pool (every test waits
        // for its responses), so no completion can reach the loop's closed eventfd.
        Loop.CloseAll();
        Loop.Dispose();
        _context.Dispose();
        try
        {
            Directory.Delete(RootPath, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>
/// A <see cref="FakeTimeProvider"/> whose timestamps count from its creation. FakeTimeProvider's own count ticks
/// since the year 1 (about 6.4e17), and TimeProvider.GetElapsedTime converts through a double, which at that size
/// is exact only to 128 ticks: the loop's millisecond clock (<c>GetElapsedTime(0)</c>, truncated) then sometimes
/// read a millisecond less than the test had set, depending on the start time.
/// </summary>
internal sealed class LoopClock : FakeTimeProvider
{
    private readonly long _origin;

    public LoopClock(DateTimeOffset start) : base(start) => _origin = base.GetTimestamp();

    public override long GetTimestamp() => base.GetTimestamp() - _origin;
}

/// <summary>
/// The socket transport, counting what went through it and noting when, on the loop's clock (a transport call
/// happens inside a round, so the loop's clock is the time of the call). With <c>canSendFile: false</c> it is the
/// copy path's transport: file bodies come through <see cref="Send"/>, and a sendfile call is a test failure.
/// </summary>
internal sealed class RecordingTransport(int fd, EventLoop loop, bool canSendFile) : ITransport
{
    private readonly SocketTransport _socket = new(fd);

    public long BytesReceived { get; private set; }
    public long BytesSent { get; private set; }
    public int SendFileCalls { get; private set; }
    /// <summary>Loop clock of the last send or sendfile call, whatever its result (-1: none yet).</summary>
    public long LastSendCallMs { get; private set; } = -1;
    /// <summary>The last send or sendfile call said EAGAIN: the socket buffer is full.</summary>
    public bool Blocked { get; private set; }
    public bool WriteShutdown { get; private set; }
    public bool IsClosed { get; private set; }

    public int Fd => fd;
    public bool CanSendFile => canSendFile;

    public nint Receive(Span<byte> buffer, out Errno errno)
    {
        nint n = _socket.Receive(buffer, out errno);
        if (n > 0) BytesReceived += n;
        return n;
    }

    public nint Send(ReadOnlySpan<byte> data, bool more, out Errno errno) => Record(_socket.Send(data, more, out errno), errno);

    public nint SendFile(int fileFd, ref long offset, long count, out Errno errno)
    {
        Assert.True(canSendFile, "sendfile on a transport that cannot sendfile");
        SendFileCalls++;
        return Record(_socket.SendFile(fileFd, ref offset, count, out errno), errno);
    }

    private nint Record(nint n, Errno errno)
    {
        LastSendCallMs = loop.NowMs;
        Blocked = n < 0 && errno == Errno.EAGAIN;
        if (n > 0) BytesSent += n;
        return n;
    }

    public void ShutdownWrite()
    {
        WriteShutdown = true;
        _socket.ShutdownWrite();
    }

    public void Close()
    {
        IsClosed = true;
        _socket.Close();
    }
}
