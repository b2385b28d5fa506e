namespace StaticD.Interop;

/// <summary>open(2) flags for <see cref="Syscall.OpenBeneath(int, ReadOnlySpan{byte}, OpenFlags, out Errno)"/>
/// (O_CLOEXEC is always added there).</summary>
[Flags]
internal enum OpenFlags : ulong
{
    ReadOnly = Libc.O_RDONLY,
    NoCtty = Libc.O_NOCTTY,
    NonBlock = Libc.O_NONBLOCK,
    Directory = Libc.O_DIRECTORY,
    NoFollow = Libc.O_NOFOLLOW,
    CloseOnExec = Libc.O_CLOEXEC,
    Path = Libc.O_PATH,
}
