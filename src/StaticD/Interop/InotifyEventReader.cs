using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace StaticD.Interop;

/// <summary>Walks what one read(2) of an inotify descriptor returned: events back to back, each a 16-byte struct
/// inotify_event followed by <see cref="InotifyEvent.Length"/> bytes of name (NUL-padded).</summary>
internal ref struct InotifyEventReader(ReadOnlySpan<byte> buffer)
{
    private ReadOnlySpan<byte> _rest = buffer;

    /// <summary>The next event, skipping its name; false when no whole event header is left.</summary>
    public bool TryRead(out InotifyEvent ev)
    {
        int header = Unsafe.SizeOf<InotifyEvent>();
        if (_rest.Length < header)
        {
            ev = default;
            return false;
        }
        ev = MemoryMarshal.Read<InotifyEvent>(_rest);
        ulong next = (ulong)header + ev.Length;
        _rest = next <= (ulong)_rest.Length ? _rest[(int)next..] : default;
        return true;
    }

    /// <summary>The next event and the name it carries (empty for events about the watched directory itself);
    /// false when no whole event header is left.</summary>
    public bool Next(out InotifyEvent ev, out ReadOnlySpan<byte> name)
    {
        ReadOnlySpan<byte> at = _rest;
        if (!TryRead(out ev))
        {
            name = default;
            return false;
        }
        int header = Unsafe.SizeOf<InotifyEvent>();
        name = at.Slice(header, (int)Math.Min(ev.Length, (uint)(at.Length - header)));
        int nul = name.IndexOf((byte)0);
        if (nul >= 0) name = name[..nul];
        return true;
    }
}
