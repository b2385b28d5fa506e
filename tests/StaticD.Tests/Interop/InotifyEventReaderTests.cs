using System.Runtime.InteropServices;
using System.Text;
using StaticD.Interop;
using Xunit;

namespace StaticD.Tests.Interop;

/// <summary>The layout read(2) returns from an inotify descriptor: header, then the name NUL-padded to the
/// length the header gives (none for events about the watched directory itself).</summary>
public class InotifyEventReaderTests
{
    private static void Append(List<byte> buffer, int watch, uint mask, string? name, int padTo)
    {
        byte[] nameBytes = name is null ? [] : Encoding.UTF8.GetBytes(name);
        int length = name is null ? 0 : padTo;
        var header = new InotifyEvent { Watch = watch, Mask = mask, Cookie = 0, Length = (uint)length };
        buffer.AddRange(MemoryMarshal.AsBytes(new ReadOnlySpan<InotifyEvent>(ref header)).ToArray());
        buffer.AddRange(nameBytes);
        buffer.AddRange(new byte[length - nameBytes.Length]);
    }

    [Fact]
    public void ReadsNamesWithoutTheirPadding_AndSelfEventsWithoutAName()
    {
        var buffer = new List<byte>();
        Append(buffer, 3, Libc.IN_MOVED_TO, "current", 16);
        Append(buffer, 4, Libc.IN_DELETE_SELF, null, 0);
        Append(buffer, 3, Libc.IN_CREATE, "current.tmp", 16);

        var reader = new InotifyEventReader(buffer.ToArray());
        Assert.True(reader.Next(out InotifyEvent first, out ReadOnlySpan<byte> name));
        Assert.Equal((3, Libc.IN_MOVED_TO, "current"), (first.Watch, first.Mask, Encoding.UTF8.GetString(name)));
        Assert.True(reader.Next(out InotifyEvent second, out name));
        Assert.Equal((4, Libc.IN_DELETE_SELF, 0), (second.Watch, second.Mask, name.Length));
        Assert.True(reader.Next(out InotifyEvent third, out name));
        Assert.Equal((3, Libc.IN_CREATE, "current.tmp"), (third.Watch, third.Mask, Encoding.UTF8.GetString(name)));
        Assert.False(reader.Next(out _, out _));
    }

    [Fact]
    public void TruncatedBuffer_EndsTheWalk()
    {
        Assert.False(new InotifyEventReader(new byte[10]).Next(out _, out _));
    }
}
