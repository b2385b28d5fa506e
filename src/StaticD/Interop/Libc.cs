using System.Runtime.InteropServices;

namespace StaticD.Interop;

/// <summary>
/// Every syscall staticd makes, one source-generated LibraryImport each (no runtime marshalling: Native AOT).
/// All set errno; read it with <see cref="ErrnoExtensions.Last"/>. None use SuppressGCTransition: they may block
/// (epoll_wait) or take microseconds (sendfile), and the GC must be able to run meanwhile.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Lib = "libc";

    [LibraryImport(Lib, SetLastError = true)] internal static partial int epoll_create1(int flags);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int epoll_wait(int epfd, EpollEvent* events, int maxEvents, int timeoutMs);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int eventfd(uint initval, int flags);

    [LibraryImport(Lib, SetLastError = true)] internal static partial nint read(int fd, void* buf, nuint count);
    [LibraryImport(Lib, SetLastError = true)] internal static partial nint write(int fd, void* buf, nuint count);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int close(int fd);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int fsync(int fd);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int flock(int fd, int operation);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int chmod(byte* path, uint mode);
    [LibraryImport(Lib, SetLastError = true)] internal static partial nint pread(int fd, void* buf, nuint count, long offset);

    [LibraryImport(Lib, SetLastError = true)] internal static partial int socket(int domain, int type, int protocol);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int setsockopt(int fd, int level, int name, void* value, uint length);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int getsockopt(int fd, int level, int name, void* value, uint* length);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int bind(int fd, SockAddrStorage* addr, uint length);
    [LibraryImport(Lib, EntryPoint = "bind", SetLastError = true)] internal static partial int bind_unix(int fd, SockAddrUnix* addr, uint length);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int listen(int fd, int backlog);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int accept4(int fd, SockAddrStorage* addr, uint* length, int flags);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int getsockname(int fd, SockAddrStorage* addr, uint* length);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int shutdown(int fd, int how);
    [LibraryImport(Lib, SetLastError = true)] internal static partial nint recv(int fd, void* buf, nuint length, int flags);
    [LibraryImport(Lib, SetLastError = true)] internal static partial nint send(int fd, void* buf, nuint length, int flags);
    [LibraryImport(Lib, SetLastError = true)] internal static partial nint sendfile(int outFd, int inFd, long* offset, nuint count);

    [LibraryImport(Lib, SetLastError = true)] internal static partial int openat(int dirFd, byte* path, int flags, uint mode);
    [LibraryImport(Lib, SetLastError = true)] internal static partial nint readlinkat(int dirFd, byte* path, byte* buffer, nuint size);
    [LibraryImport(Lib, SetLastError = true)] internal static partial byte* realpath(byte* path, byte* resolved);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int statx(int dirFd, byte* path, int flags, uint mask, Statx* result);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int getrlimit(int resource, RLimit* limit);
    [LibraryImport(Lib, SetLastError = true)] internal static partial int setrlimit(int resource, RLimit* limit);

    // glibc 2.36 (Debian 12) has no openat2 wrapper, so it goes through syscall(2). All arguments are integers or
    // pointers, which the variadic x86-64 convention passes exactly like a fixed-argument call.
    [LibraryImport(Lib, EntryPoint = "syscall", SetLastError = true)]
    private static partial nint syscall_openat2(nint number, int dirFd, byte* path, OpenHow* how, nuint size);

    internal static int openat2(int dirFd, byte* path, OpenHow* how) =>
        (int)syscall_openat2(SYS_openat2, dirFd, path, how, (nuint)sizeof(OpenHow));
}
