using System.Runtime.InteropServices;

namespace StaticD.Interop;

/// <summary>Linux errno values (x86-64 and arm64 share these). Typed so an errno is never confused with a
/// byte count or an fd — the same reason dotnet/runtime keeps <c>Interop.Error</c> an enum.</summary>
internal enum Errno
{
    None = 0,
    EPERM = 1,
    ENOENT = 2,
    EINTR = 4,
    EIO = 5,
    ENXIO = 6,
    EBADF = 9,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    EBUSY = 16,
    EEXIST = 17,
    EXDEV = 18,
    ENODEV = 19,
    ENOTDIR = 20,
    EISDIR = 21,
    EINVAL = 22,
    ENFILE = 23,
    EMFILE = 24,
    ETXTBSY = 26,
    EFBIG = 27,
    ENOSPC = 28,
    EROFS = 30,
    EPIPE = 32,
    ENAMETOOLONG = 36,
    ENOSYS = 38,
    ELOOP = 40,
    EOVERFLOW = 75,
    ENOTSOCK = 88,
    EMSGSIZE = 90,
    EOPNOTSUPP = 95,
    EAFNOSUPPORT = 97,
    EADDRINUSE = 98,
    EADDRNOTAVAIL = 99,
    ENETDOWN = 100,
    ECONNABORTED = 103,
    ECONNRESET = 104,
    ENOBUFS = 105,
    ETIMEDOUT = 110,
    ECONNREFUSED = 111,
    EPROTO = 71,
}

internal static class ErrnoExtensions
{
    /// <summary>The errno of the last LibraryImport call made with SetLastError = true.</summary>
    public static Errno Last() => (Errno)Marshal.GetLastPInvokeError();

    /// <summary>strerror text, for log lines and operator-facing messages (cold path only: allocates).</summary>
    public static string Describe(this Errno errno) => $"{Marshal.GetPInvokeErrorMessage((int)errno)} ({errno})";
}
