using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using StaticD.Interop;
using StaticD.Tests.Systemd;
using Xunit;

namespace StaticD.Tests.Interop;

/// <summary>The wrappers that do more than pass arguments through, checked against the kernel (and read back with
/// the tests' own libc calls where the product's could hide a mistake).</summary>
public sealed unsafe class SyscallTests
{
    private const int IPPROTO_TCP = 6;

    [Theory]
    [InlineData((int)SocketOption.TcpNoDelay, IPPROTO_TCP, 1, 1)]
    [InlineData((int)SocketOption.TcpNotSentLowWater, IPPROTO_TCP, 25, 12345)]
    [InlineData((int)SocketOption.ReuseAddress, TestLibc.SOL_SOCKET, 2, 1)]
    [InlineData((int)SocketOption.ReceiveBuffer, TestLibc.SOL_SOCKET, TestLibc.SO_RCVBUF, 65536)]
    public void SocketOptionsReachTheirLevelAndName(int optionValue, int level, int name, int value)
    {
        var option = (SocketOption)optionValue;
        int fd = Syscall.OpenTcpSocket(AddressFamily.InterNetwork, out Errno errno);
        Assert.True(fd >= 0, errno.ToString());
        try
        {
            Assert.Equal(Errno.None, Syscall.SetOption(fd, option, value));
            int expected = TestLibc.GetInt(fd, level, name);
            Assert.NotEqual(-1, expected);
            Assert.Equal(expected, Syscall.GetOption(fd, option, out errno));
            Assert.Equal(Errno.None, errno);
            if (option != SocketOption.ReceiveBuffer) Assert.Equal(value, expected); // the kernel doubles SO_RCVBUF
        }
        finally
        {
            Syscall.Close(fd);
        }
    }

    [Fact]
    public void OptionOfSomethingThatIsNotASocketIsENOTSOCK()
    {
        int fd = Syscall.CreateEventFd(out _);
        try
        {
            Assert.Equal(-1, Syscall.GetOption(fd, SocketOption.Type, out Errno errno));
            Assert.Equal(Errno.ENOTSOCK, errno);
            Assert.Equal(Errno.ENOTSOCK, Syscall.SetOption(fd, SocketOption.TcpNoDelay, 1));
            Assert.False(Syscall.IsListeningStreamSocket(fd));
            Assert.Equal(AddressFamily.Unknown, Syscall.GetSocketFamily(fd));
        }
        finally
        {
            Syscall.Close(fd);
        }
    }

    [Fact]
    public void ListeningSocketIsRecognisedWithItsFamilyAndAddress()
    {
        int fd = Syscall.OpenTcpSocket(AddressFamily.InterNetworkV6, out _);
        try
        {
            Assert.Equal(AddressFamily.InterNetworkV6, Syscall.GetSocketFamily(fd));
            Assert.False(Syscall.IsListeningStreamSocket(fd));
            SockAddrStorage any = SockAddr.FromEndPoint(new IPEndPoint(IPAddress.IPv6Loopback, 0), out uint length);
            Assert.Equal(Errno.None, Syscall.Bind(fd, any, length));
            Assert.Equal(Errno.None, Syscall.Listen(fd, 16));
            Assert.True(Syscall.IsListeningStreamSocket(fd));
            Assert.Equal(Errno.None, Syscall.GetSockName(fd, out SockAddrStorage bound));
            IPEndPoint endPoint = SockAddr.ToEndPoint(bound);
            Assert.Equal(IPAddress.IPv6Loopback, endPoint.Address);
            Assert.Equal(TestLibc.LocalPort(fd), endPoint.Port);
        }
        finally
        {
            Syscall.Close(fd);
        }
    }

    [Fact]
    public void UnixFamilyIsReportedAsSuch()
    {
        int fd = Syscall.OpenUnixDatagramSocket(nonBlocking: true, out _);
        try
        {
            Assert.Equal(AddressFamily.Unix, Syscall.GetSocketFamily(fd));
            Assert.NotEqual(0, TestLibc.Fcntl(fd, TestLibc.F_GETFL, 0) & 0x800); // O_NONBLOCK
            Assert.Equal(1, TestLibc.Fcntl(fd, TestLibc.F_GETFD, 0));           // FD_CLOEXEC
        }
        finally
        {
            Syscall.Close(fd);
        }
    }

    [Fact]
    public void NonTcpFamilyIsRefusedWithoutASyscall()
    {
        Assert.Equal(-1, Syscall.OpenTcpSocket(AddressFamily.Unix, out Errno errno));
        Assert.Equal(Errno.EAFNOSUPPORT, errno);
    }

    [Fact]
    public void CloseOnExecAndNonBlockingAreAddedToWhatWasThere()
    {
        int* pipe = stackalloc int[2];
        Assert.Equal(0, TestLibc.Pipe2(pipe, 0));
        try
        {
            int before = TestLibc.Fcntl(pipe[0], TestLibc.F_GETFL, 0);
            Assert.Equal(0, TestLibc.Fcntl(pipe[0], TestLibc.F_GETFD, 0));
            Assert.Equal(Errno.None, Syscall.SetCloseOnExec(pipe[0]));
            Assert.Equal(Errno.None, Syscall.SetNonBlocking(pipe[0]));
            Assert.Equal(1, TestLibc.Fcntl(pipe[0], TestLibc.F_GETFD, 0));
            Assert.Equal(before | 0x800, TestLibc.Fcntl(pipe[0], TestLibc.F_GETFL, 0));
            Assert.Equal(-1, Syscall.Read(pipe[0], new byte[8], out Errno errno));
            Assert.Equal(Errno.EAGAIN, errno);
            Assert.Equal(Errno.EBADF, Syscall.SetNonBlocking(-1));
        }
        finally
        {
            Syscall.Close(pipe[0]);
            Syscall.Close(pipe[1]);
        }
    }

    [Fact]
    public void SealedMemfdHoldsTheContentsAndRefusesChange()
    {
        byte[] contents = new byte[300_000];
        Random.Shared.NextBytes(contents);
        int fd = Syscall.CreateSealedMemfd("staticd-test\0"u8, contents, out Errno errno);
        Assert.True(fd >= 0, errno.ToString());
        try
        {
            byte[] back = new byte[contents.Length + 1];
            int done = 0;
            nint n;
            while ((n = Syscall.PRead(fd, back.AsSpan(done), done, out errno)) > 0) done += (int)n;
            Assert.Equal(0, n);
            Assert.Equal(contents, back[..done]);
            const int F_GET_SEALS = 1034;
            Assert.Equal(0xF, TestLibc.Fcntl(fd, F_GET_SEALS, 0)); // SEAL | SHRINK | GROW | WRITE
            Assert.Equal(-1, Syscall.Write(fd, "x"u8, out errno));
            Assert.Equal(Errno.EPERM, errno);
        }
        finally
        {
            Syscall.Close(fd);
        }
    }

    [Fact]
    public void CStringArgumentsMustBeNulTerminated()
    {
        Assert.Throws<ArgumentException>(() => Syscall.CreateSealedMemfd("unterminated"u8, [], out _));
        Assert.Throws<ArgumentException>(() => Syscall.StatPath("/"u8, out _, out _));
        Assert.Throws<ArgumentException>(() => Syscall.OpenBeneath(-1, "a"u8, OpenFlags.Path, out _));
        Assert.Throws<ArgumentException>(() => Syscall.InotifyAddWatch(-1, "/tmp"u8, InotifyMask.Create, out _));
    }

    [Fact]
    public void StatPathFollowsThePath()
    {
        Assert.True(Syscall.StatPath("/\0"u8, out Statx st, out Errno errno), errno.ToString());
        Assert.True(st.IsDirectory);
        Assert.False(Syscall.StatPath("/nonexistent-staticd-test\0"u8, out _, out errno));
        Assert.Equal(Errno.ENOENT, errno);
    }

    [Fact]
    public void EventFdCounterWakesEpollAndReadsBackOnce()
    {
        int epoll = Syscall.EpollCreate(out Errno errno);
        Assert.True(epoll >= 0, errno.ToString());
        int eventFd = Syscall.CreateEventFd(out errno);
        Assert.True(eventFd >= 0, errno.ToString());
        try
        {
            Span<EpollEvent> events = stackalloc EpollEvent[4];
            Assert.Equal(Errno.None, Syscall.EpollAdd(epoll, eventFd, EpollEvents.In | EpollEvents.EdgeTriggered, 0xABCDEF_0123));
            Assert.Equal(0, Syscall.EpollWait(epoll, events, 0, out errno));
            Assert.Equal(Errno.None, errno);

            Assert.Equal(Errno.None, Syscall.WriteCounter(eventFd, 2));
            Assert.Equal(Errno.None, Syscall.WriteCounter(eventFd, 3));
            Assert.Equal(1, Syscall.EpollWait(epoll, events, 1000, out errno));
            Assert.Equal(0xABCDEF_0123ul, events[0].Data);
            Assert.Equal(EpollEvents.In, (EpollEvents)events[0].Events);

            Assert.Equal(Errno.None, Syscall.ReadCounter(eventFd, out ulong value));
            Assert.Equal(5ul, value);
            Assert.Equal(Errno.EAGAIN, Syscall.ReadCounter(eventFd, out value));
            Assert.Equal(0ul, value);

            Assert.Equal(Errno.None, Syscall.EpollModify(epoll, eventFd, EpollEvents.Out, 7));
            Assert.Equal(1, Syscall.EpollWait(epoll, events, 1000, out _));
            Assert.Equal(7ul, events[0].Data);
            Assert.Equal(Errno.None, Syscall.EpollDelete(epoll, eventFd));
            Assert.Equal(Errno.ENOENT, Syscall.EpollDelete(epoll, eventFd));
            Assert.Equal(-1, Syscall.EpollWait(-1, events, 0, out errno));
            Assert.Equal(Errno.EBADF, errno);
        }
        finally
        {
            Syscall.Close(eventFd);
            Syscall.Close(epoll);
        }
    }

    [Fact]
    public void InotifyEventsAreReadOneByOneSkippingNames()
    {
        string directory = Directory.CreateTempSubdirectory("staticd-inotify-").FullName;
        int fd = Syscall.InotifyInit(out Errno errno);
        Assert.True(fd >= 0, errno.ToString());
        try
        {
            byte[] path = System.Text.Encoding.UTF8.GetBytes(directory + "\0");
            int watch = Syscall.InotifyAddWatch(fd, path, InotifyMask.Create | InotifyMask.Delete | InotifyMask.OnlyDir, out errno);
            Assert.True(watch >= 0, errno.ToString());
            File.WriteAllText(Path.Combine(directory, "a-name-long-enough-to-need-padding"), "");
            File.Delete(Path.Combine(directory, "a-name-long-enough-to-need-padding"));

            byte[] buffer = new byte[4096];
            nint n = Syscall.Read(fd, buffer, out errno);
            Assert.True(n > 0, errno.ToString());
            var reader = new InotifyEventReader(buffer.AsSpan(0, (int)n));
            Assert.True(reader.TryRead(out InotifyEvent created));
            Assert.True(reader.TryRead(out InotifyEvent deleted));
            Assert.False(reader.TryRead(out _));
            Assert.Equal(watch, created.Watch);
            Assert.Equal(InotifyMask.Create, (InotifyMask)created.Mask);
            Assert.Equal(InotifyMask.Delete, (InotifyMask)deleted.Mask);
            Assert.True(created.Length > 0);

            Assert.Equal(-1, Syscall.Read(fd, buffer, out errno));
            Assert.Equal(Errno.EAGAIN, errno);
        }
        finally
        {
            Syscall.Close(fd);
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void InotifyReaderStopsAtATruncatedHeaderAndAnOverlongName()
    {
        byte[] buffer = new byte[16 + 8 + 16 + 4];
        MemoryMarshal.Write(buffer, new InotifyEvent { Watch = 1, Mask = (uint)InotifyMask.Modify, Length = 8 });
        MemoryMarshal.Write(buffer.AsSpan(24), new InotifyEvent { Watch = 2, Mask = (uint)InotifyMask.QueueOverflow, Length = 0 });
        var reader = new InotifyEventReader(buffer);
        Assert.True(reader.TryRead(out InotifyEvent first));
        Assert.Equal(1, first.Watch);
        Assert.True(reader.TryRead(out InotifyEvent second));
        Assert.Equal(InotifyMask.QueueOverflow, (InotifyMask)second.Mask);
        Assert.False(reader.TryRead(out _)); // 4 bytes left: no header

        MemoryMarshal.Write(buffer, new InotifyEvent { Watch = 3, Length = uint.MaxValue });
        reader = new InotifyEventReader(buffer);
        Assert.True(reader.TryRead(out InotifyEvent overlong));
        Assert.Equal(3, overlong.Watch);
        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public void SendMsgDeliversOneDatagramToAPath()
    {
        string directory = Directory.CreateTempSubdirectory("staticd-sendmsg-").FullName;
        try
        {
            string socketPath = Path.Combine(directory, "s");
            using var receiver = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            receiver.Bind(new UnixDomainSocketEndPoint(socketPath));
            int fd = Syscall.OpenUnixDatagramSocket(nonBlocking: false, out _);
            try
            {
                uint length = SockAddr.UnixPath(System.Text.Encoding.UTF8.GetBytes(socketPath), out SockAddrUnix address);
                Assert.Equal(Errno.None, Syscall.SendMsg(fd, address, length, "READY=1\n"u8, [], dontWait: false));
                Assert.Equal(Errno.None, Syscall.SendMsg(fd, address, length, [], [], dontWait: true));
                byte[] received = new byte[64];
                Assert.Equal("READY=1\n"u8.ToArray(), received[..receiver.Receive(received)]);
                Assert.Equal(0, receiver.Receive(received));
                Assert.Equal(Errno.EINVAL, Syscall.SendMsg(fd, address, length, "x"u8, new int[254], dontWait: true));
            }
            finally
            {
                Syscall.Close(fd);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void ControlMessageSpaceIsPaddedToEightBytes()
    {
        Assert.Equal(0, Syscall.ControlSpace(0));
        Assert.Equal(24, Syscall.ControlSpace(1));
        Assert.Equal(24, Syscall.ControlSpace(2));
        Assert.Equal(32, Syscall.ControlSpace(3));
        Assert.Equal(24, Syscall.ControlDataLength(2));
        Assert.Equal(28, Syscall.ControlDataLength(3));
    }

    [Fact]
    public void OpenFileLimitReadsBackAsSet()
    {
        Assert.Equal(Errno.None, Syscall.GetOpenFileLimit(out RLimit limit));
        Assert.True(limit.Current <= limit.Maximum);
        Assert.Equal(Errno.None, Syscall.SetOpenFileLimit(limit));
        Assert.Equal(Errno.None, Syscall.GetOpenFileLimit(out RLimit again));
        Assert.Equal(limit, again);
    }
}
