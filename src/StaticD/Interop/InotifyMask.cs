namespace StaticD.Interop;

/// <summary>inotify(7) event bits: what to watch for (<see cref="Syscall.InotifyAddWatch"/>) and what happened
/// (<see cref="InotifyEvent.Mask"/>).</summary>
[Flags]
internal enum InotifyMask : uint
{
    None = 0,
    Modify = Libc.IN_MODIFY,
    Attrib = Libc.IN_ATTRIB,
    CloseWrite = Libc.IN_CLOSE_WRITE,
    MovedFrom = Libc.IN_MOVED_FROM,
    MovedTo = Libc.IN_MOVED_TO,
    Create = Libc.IN_CREATE,
    Delete = Libc.IN_DELETE,
    DeleteSelf = Libc.IN_DELETE_SELF,
    MoveSelf = Libc.IN_MOVE_SELF,
    QueueOverflow = Libc.IN_Q_OVERFLOW,
    Ignored = Libc.IN_IGNORED,
    Unmount = Libc.IN_UNMOUNT,
    OnlyDir = Libc.IN_ONLYDIR,
}
