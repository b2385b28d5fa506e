namespace StaticD.Interop;

/// <summary>Linux ABI constants used by staticd (values are the same on x86-64 and arm64 unless noted).</summary>
internal static partial class Libc
{
    // epoll(7)
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 0x001, EPOLLOUT = 0x004, EPOLLERR = 0x008, EPOLLHUP = 0x010, EPOLLRDHUP = 0x2000;
    public const uint EPOLLEXCLUSIVE = 1u << 28, EPOLLET = 1u << 31;

    // fcntl(2)
    public const int F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, FD_CLOEXEC = 1;
    // F_LINUX_SPECIFIC_BASE (1024) + 6.
    public const int F_DUPFD_CLOEXEC = 1030;

    // eventfd(2)
    public const int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;

    // socket(2) and friends
    public const int AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10;
    public const int SOCK_STREAM = 1, SOCK_DGRAM = 2;
    public const int SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1, IPPROTO_TCP = 6, IPPROTO_IPV6 = 41;
    public const int SO_REUSEADDR = 2, SO_TYPE = 3, SO_ERROR = 4, SO_SNDBUF = 7, SO_RCVBUF = 8, SO_REUSEPORT = 15, SO_ACCEPTCONN = 30, SO_DOMAIN = 39;
    public const int TCP_NODELAY = 1, TCP_CORK = 3, TCP_DEFER_ACCEPT = 9, TCP_NOTSENT_LOWAT = 25, TCP_ULP = 31;
    public const int IPV6_V6ONLY = 26;
    public const int MSG_PEEK = 0x2, MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000, MSG_MORE = 0x8000;
    public const int SHUT_RD = 0, SHUT_WR = 1, SHUT_RDWR = 2;

    // open(2) / openat2(2)
    public const ulong O_RDONLY = 0, O_WRONLY = 0x1, O_RDWR = 0x2, O_CREAT = 0x40, O_APPEND = 0x400, O_NOCTTY = 0x100, O_NONBLOCK = 0x800, O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000,
        O_CLOEXEC = 0x80000, O_PATH = 0x200000;
    public const ulong RESOLVE_NO_XDEV = 0x01, RESOLVE_NO_MAGICLINKS = 0x02, RESOLVE_NO_SYMLINKS = 0x04,
        RESOLVE_BENEATH = 0x08, RESOLVE_IN_ROOT = 0x10;
    public const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100, AT_EMPTY_PATH = 0x1000;

    // statx(2)
    public const uint STATX_TYPE = 0x1, STATX_MODE = 0x2, STATX_INO = 0x100, STATX_SIZE = 0x200, STATX_MTIME = 0x40;
    public const uint STATX_BASIC = STATX_TYPE | STATX_MODE | STATX_INO | STATX_SIZE | STATX_MTIME;
    public const ushort S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFDIR = 0x4000;

    // syscall numbers (x86-64; arm64 shares 437 for openat2 since it was added after the unified table)
    public const nint SYS_openat2 = 437;

    // getrlimit(2)
    public const int RLIMIT_NOFILE = 7;
}
