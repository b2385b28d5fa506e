using System.Runtime.CompilerServices;
using StaticD.Interop;
using Xunit;

namespace StaticD.Tests.Interop;

/// <summary>The kernel ABI, pinned: a wrong size here corrupts memory silently, so it is asserted, not assumed.</summary>
public class StructLayoutTests
{
    [Fact]
    public void EpollEventIsPackedTo12BytesOnX64() => Assert.Equal(12, Unsafe.SizeOf<EpollEvent>());

    [Fact]
    public void OpenHowIs24Bytes() => Assert.Equal(24, Unsafe.SizeOf<OpenHow>());

    [Fact]
    public void StatxIs256BytesWithMtimeAt112()
    {
        Assert.Equal(256, Unsafe.SizeOf<Statx>());
        Statx st = default;
        ref byte start = ref Unsafe.As<Statx, byte>(ref st);
        Assert.Equal(112, (int)Unsafe.ByteOffset(ref start, ref Unsafe.As<StatxTimestamp, byte>(ref st.Mtime)));
        Assert.Equal(32, (int)Unsafe.ByteOffset(ref start, ref Unsafe.As<ulong, byte>(ref st.Ino)));
        Assert.Equal(40, (int)Unsafe.ByteOffset(ref start, ref Unsafe.As<ulong, byte>(ref st.Size)));
    }

    [Fact]
    public void SockAddrStorageHoldsSockaddrIn6() => Assert.Equal(28, Unsafe.SizeOf<SockAddrStorage>());

    [Fact]
    public void PollFdIs8Bytes() => Assert.Equal(8, Unsafe.SizeOf<PollFd>());

    [Fact]
    public void InotifyEventHeaderIs16Bytes() => Assert.Equal(16, Unsafe.SizeOf<InotifyEvent>());
}
