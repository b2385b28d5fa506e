using System.Net;
using System.Net.Sockets;
using System.Text;
using StaticD.Systemd;
using Xunit;

namespace StaticD.Tests.Systemd;

/// <summary>
/// <see cref="SystemdNotifier"/> against a real datagram socket: exact bytes, path and abstract addresses, and
/// descriptors (FDSTORE=1) that arrive as working descriptors for the same sockets.
/// </summary>
public sealed class SystemdNotifierTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SendsExactlyTheStateAsOneDatagram(bool abstractName)
    {
        using var receiver = new DatagramSocket(abstractName, "staticd-unit", TimeSpan.FromSeconds(2));
        using SystemdNotifier notifier = SystemdNotifier.Create(receiver.Name) ?? throw new InvalidOperationException("Create returned null");
        const string state = "READY=1\nSTATUS=Serving: 3 connections, 12 req/s, 0.5 MB/s — ünïcode";
        Assert.True(notifier.Notify(state));
        Assert.True(notifier.Notify("WATCHDOG=1"));

        (byte[] first, int[] noFds) = receiver.Receive();
        Assert.Equal(Encoding.UTF8.GetBytes(state), first);
        Assert.Empty(noFds);
        Assert.Equal("WATCHDOG=1"u8.ToArray(), receiver.Receive().Data);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(16)]
    public void DescriptorsArriveAsTheSameOpenSockets(int count)
    {
        using var receiver = new DatagramSocket(abstractName: false, "staticd-unit", TimeSpan.FromSeconds(2));
        using SystemdNotifier notifier = SystemdNotifier.Create(receiver.Name)!;
        var listeners = Enumerable.Range(0, count).Select(_ =>
        {
            var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            s.Listen();
            return s;
        }).ToList();
        try
        {
            int[] sent = [.. listeners.Select(s => (int)s.Handle)];
            Assert.True(notifier.Notify("FDSTORE=1\nFDNAME=staticd-listen", sent));

            (byte[] data, int[] received) = receiver.Receive();
            try
            {
                Assert.Equal("FDSTORE=1\nFDNAME=staticd-listen"u8.ToArray(), data);
                Assert.Equal(count, received.Length);
                for (int i = 0; i < count; i++)
                {
                    // New descriptor numbers in this process, same sockets, in the order sent, still listening.
                    Assert.Equal(TestLibc.Identity(sent[i]), TestLibc.Identity(received[i]));
                    Assert.Equal(1, TestLibc.GetInt(received[i], TestLibc.SOL_SOCKET, TestLibc.SO_ACCEPTCONN));
                }
            }
            finally
            {
                foreach (int fd in received) TestLibc.Close(fd);
            }
        }
        finally
        {
            foreach (Socket s in listeners) s.Dispose();
        }
    }

    [Fact]
    public unsafe void PipeDescriptorArrivesAndWorks()
    {
        using var receiver = new DatagramSocket(abstractName: true, "staticd-unit", TimeSpan.FromSeconds(2));
        using SystemdNotifier notifier = SystemdNotifier.Create(receiver.Name)!;
        int* pipe = stackalloc int[2];
        Assert.Equal(0, TestLibc.Pipe2(pipe, TestLibc.SOCK_CLOEXEC));
        try
        {
            Assert.True(notifier.Notify("FDSTORE=1\nFDNAME=pipe", [pipe[1]]));
            int received = Assert.Single(receiver.Receive().Fds);
            using (var writer = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(received, ownsHandle: true), FileAccess.Write))
                writer.Write("through"u8);
            using var reader = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(pipe[0], ownsHandle: false), FileAccess.Read);
            byte[] buffer = new byte[7];
            reader.ReadExactly(buffer);
            Assert.Equal("through"u8.ToArray(), buffer);
        }
        finally
        {
            TestLibc.Close(pipe[0]);
            TestLibc.Close(pipe[1]);
        }
    }

    [Theory]
    [InlineData("relative/notify")]
    [InlineData("notify")]
    public void AddressThatIsNeitherAPathNorAbstractIsRefused(string name) => Assert.Null(SystemdNotifier.Create(name));

    [Fact]
    public void AddressTooLongForSockaddrUnIsRefused() => Assert.Null(SystemdNotifier.Create("/" + new string('n', 120)));

    [Fact]
    public void SendingToNobodyReturnsFalseAndDoesNotThrow()
    {
        string path = Path.Combine(Path.GetTempPath(), "staticd-unit-nobody-" + Guid.NewGuid().ToString("N")[..8]);
        using SystemdNotifier notifier = SystemdNotifier.Create(path)!;
        Assert.False(notifier.Notify("READY=1"));
        Assert.False(notifier.Notify("FDSTORE=1", [0]));
    }
}

/// <summary>WATCHDOG_USEC / WATCHDOG_PID as sd_watchdog_enabled(3) reads them.</summary>
public sealed class WatchdogIntervalTests
{
    [Theory]
    [InlineData("1000000", null, 1000, 1_000_000)]
    [InlineData("1000000", "", 1000, 1_000_000)]            // empty WATCHDOG_PID: not set
    [InlineData("1000000", "1000", 1000, 1_000_000)]        // our pid
    [InlineData("30000000", null, 1000, 30_000_000)]
    [InlineData("1", null, 1000, 1)]
    [InlineData("1000000", "1001", 1000, 0)]                // another process's watchdog
    [InlineData("1000000", "abc", 1000, 0)]
    [InlineData(null, null, 1000, 0)]
    [InlineData("", null, 1000, 0)]
    [InlineData("0", null, 1000, 0)]
    [InlineData("-5", null, 1000, 0)]
    [InlineData("1s", null, 1000, 0)]
    [InlineData("99999999999999999999", null, 1000, 0)]     // does not fit: ignored rather than wrapped
    public void Table(string? usec, string? pid, int myPid, long expectedMicroseconds) =>
        Assert.Equal(TimeSpan.FromMicroseconds(expectedMicroseconds), StaticD.Hosting.StatusReporter.WatchdogInterval(usec, pid, myPid));
}

/// <summary>
/// <see cref="ListenFds.Take(string?, string?, string?, int)"/> reads the fixed descriptors 3, 4, … of the calling
/// process. Putting test sockets there (dup2 onto 3/4, then restoring) is not safe in this host: fds 3 and 4
/// belong to the runtime and the test platform (its connection to the runner, the socket engine's epoll), and
/// other threads use them while tests run in parallel, so for that window they would read and write our
/// sockets. The accepting paths are therefore tested through the binary (SocketActivationTests and
/// FdStoreRestartTests in the integration tests, with real descriptors on 3..); here, the parsing, and the
/// refusal of whatever fd 3 of the test host is — which Take must reject without modifying it.
/// </summary>
public sealed class ListenFdsTests
{
    [Theory]
    [InlineData("4242", "1", 4243)]    // LISTEN_PID of another process: the variables are not ours
    [InlineData(null, "1", 4242)]
    [InlineData("", "1", 4242)]
    [InlineData("abc", "1", 4242)]
    [InlineData("4242", null, 4242)]
    [InlineData("4242", "", 4242)]
    [InlineData("4242", "0", 4242)]
    [InlineData("4242", "-1", 4242)]
    [InlineData("4242", "two", 4242)]
    public void NothingPassedMeansNoSockets(string? pid, string? fds, int myPid) =>
        Assert.Empty(ListenFds.Take(pid, fds, "http", myPid));

    [Fact]
    public void DescriptorThatIsNotAListeningStreamSocketIsRefusedAndLeftAsItWas()
    {
        const int fd = ListenFds.Start;
        // Whatever the host has on fd 3 (a pipe, an eventfd, a connected socket, nothing) is not a listening socket.
        Assert.NotEqual(1, TestLibc.GetInt(fd, TestLibc.SOL_SOCKET, TestLibc.SO_ACCEPTCONN));
        int fdFlags = TestLibc.Fcntl(fd, TestLibc.F_GETFD, 0), statusFlags = TestLibc.Fcntl(fd, TestLibc.F_GETFL, 0);

        int me = Environment.ProcessId;
        var named = Assert.Throws<InvalidOperationException>(() => ListenFds.Take(me.ToString(), "1", "web", me));
        Assert.Equal("socket activation: fd 3 (\"web\") is not a listening stream socket", named.Message);
        var unnamed = Assert.Throws<InvalidOperationException>(() => ListenFds.Take(me.ToString(), "2", null, me));
        Assert.Equal("socket activation: fd 3 (\"unknown\") is not a listening stream socket", unnamed.Message);

        Assert.Equal(fdFlags, TestLibc.Fcntl(fd, TestLibc.F_GETFD, 0));
        Assert.Equal(statusFlags, TestLibc.Fcntl(fd, TestLibc.F_GETFL, 0));
    }
}
