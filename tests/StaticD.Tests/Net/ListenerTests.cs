using System.Net;
using System.Net.Sockets;
using StaticD.Interop;
using StaticD.Net;
using Xunit;

namespace StaticD.Tests.Net;

/// <summary>
/// The listener sets its TCP options once so that no accepted connection pays a setsockopt. That rests on the
/// kernel copying them into every accepted socket; these tests check that on the kernel they run on.
/// </summary>
public sealed unsafe class ListenerTests
{
    [Theory]
    [InlineData(Libc.TCP_NODELAY, 1)]
    [InlineData(Libc.TCP_NOTSENT_LOWAT, Listener.NotSentLowWater)]
    public void AcceptedSocketsInheritTheListenersTcpOptions(int option, int expected)
    {
        using Listener listener = Listener.Bind(new IPEndPoint(IPAddress.Loopback, 0), reusePort: true);
        int port = TestLibc.LocalPort(listener.Fd);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(IPAddress.Loopback, port);
        // TCP_DEFER_ACCEPT: the connection is handed over only once data has arrived.
        client.Send("G"u8);

        int accepted = -1;
        for (int i = 0; i < 200 && accepted < 0; i++)
        {
            SockAddrStorage peer;
            accepted = Syscall.Accept(listener.Fd, &peer, out Errno errno);
            if (accepted < 0)
            {
                Assert.Equal(Errno.EAGAIN, errno);
                Thread.Sleep(10);
            }
        }
        Assert.True(accepted >= 0, "nothing to accept within 2 s");
        try
        {
            // Read back with the tests' own libc calls, not the product's.
            Assert.Equal(expected, TestLibc.GetInt(accepted, Libc.IPPROTO_TCP, option));
        }
        finally
        {
            TestLibc.Close(accepted);
        }
    }
}
