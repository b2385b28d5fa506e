namespace StaticD.Interop;

/// <summary>epoll(7) event bits, for <see cref="EpollEvent.Events"/> and the epoll wrappers in <see cref="Syscall"/>.</summary>
[Flags]
internal enum EpollEvents : uint
{
    None = 0,
    In = Libc.EPOLLIN,
    Out = Libc.EPOLLOUT,
    Error = Libc.EPOLLERR,
    HangUp = Libc.EPOLLHUP,
    ReadHangUp = Libc.EPOLLRDHUP,
    Exclusive = Libc.EPOLLEXCLUSIVE,
    EdgeTriggered = Libc.EPOLLET,
}
