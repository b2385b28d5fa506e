using System.Text;
using StaticD.Files;
using StaticD.Interop;
using Xunit;

namespace StaticD.Tests.Files;

/// <summary>FileResolver against a real temporary root: real files, symlinks, a FIFO, a unix socket.</summary>
[Collection(nameof(FileResolverTests))] // the walk switch below is process-wide: never run beside the other class
public class FileResolverTests : IDisposable
{
    private readonly string _base;
    private readonly string _root;
    private readonly int _rootFd;

    public FileResolverTests()
    {
        _base = Directory.CreateTempSubdirectory("staticd-resolver-").FullName;
        _root = Path.Combine(_base, "root");
        Directory.CreateDirectory(_root);
        File.WriteAllText(Path.Combine(_base, "secret.txt"), "outside");
        File.WriteAllText(Path.Combine(_root, "a.txt"), "hello");
        Directory.CreateDirectory(Path.Combine(_root, "dir"));
        File.WriteAllText(Path.Combine(_root, "dir", "index.html"), "<p>index</p>");
        Directory.CreateDirectory(Path.Combine(_root, "empty"));
        Directory.CreateDirectory(Path.Combine(_root, "sub"));
        File.WriteAllText(Path.Combine(_root, "sub", "real.txt"), "real");
        File.CreateSymbolicLink(Path.Combine(_root, "inside.txt"), "sub/real.txt");
        File.CreateSymbolicLink(Path.Combine(_root, "escape.txt"), "../secret.txt");
        File.CreateSymbolicLink(Path.Combine(_root, "absolute.txt"), Path.Combine(_base, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "outdir"), _base);
        File.CreateSymbolicLink(Path.Combine(_root, "loop1"), "loop2");
        File.CreateSymbolicLink(Path.Combine(_root, "loop2"), "loop1");
        Directory.CreateSymbolicLink(Path.Combine(_root, "sublink"), "sub");
        File.CreateSymbolicLink(Path.Combine(_root, "sub", "up.txt"), "../a.txt");
        Assert.Equal(0, TestLibc.MkFifo(Path.Combine(_root, "fifo"), 0x1b6));
        _rootFd = OpenRoot(_root);
    }

    public virtual void Dispose()
    {
        Syscall.Close(_rootFd);
        Directory.Delete(_base, recursive: true);
    }

    private static unsafe int OpenRoot(string path)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            OpenHow how = new() { Flags = Libc.O_PATH | Libc.O_DIRECTORY | Libc.O_CLOEXEC };
            int fd = Libc.openat2(Libc.AT_FDCWD, p, &how);
            Assert.True(fd >= 0);
            return fd;
        }
    }

    private FileResolution Resolve(string path)
    {
        FileResolution r = default;
        FileResolver.Resolve(_rootFd, Encoding.UTF8.GetBytes(path), ref r);
        return r;
    }

    private static unsafe string ReadAll(int fd)
    {
        var buffer = new byte[4096];
        fixed (byte* p = buffer)
        {
            nint n = Libc.read(fd, p, (nuint)buffer.Length);
            return Encoding.UTF8.GetString(buffer, 0, (int)n);
        }
    }

    [Theory]
    [InlineData("/a.txt", "hello", false)]
    [InlineData("/dir/", "<p>index</p>", true)]
    [InlineData("/inside.txt", "real", false)]
    [InlineData("/sublink/real.txt", "real", false)]
    [InlineData("/sub/up.txt", "hello", false)]
    [InlineData("/sublink/up.txt", "hello", false)]
    public void ServesRegularFiles(string path, string content, bool isIndex)
    {
        FileResolution r = Resolve(path);
        try
        {
            Assert.Equal(200, r.Status);
            Assert.Equal(content.Length, r.Length);
            Assert.Equal(isIndex, r.IsIndex);
            Assert.Equal(content, ReadAll(r.Fd));
        }
        finally
        {
            Syscall.Close(r.Fd);
        }
    }

    [Theory]
    [InlineData("/dir", 301)]
    [InlineData("/sub/../escape.txt", 403)]
    [InlineData("/sub/../../secret.txt", 403)]
    [InlineData("/loop1", 403)]
    [InlineData("/empty/", 403)]
    [InlineData("/missing", 404)]
    [InlineData("/missing/deeper/x", 404)]
    [InlineData("/a.txt/x", 404)]
    [InlineData("/fifo", 404)]
    [InlineData("/escape.txt", 403)]
    [InlineData("/absolute.txt", 403)]
    [InlineData("/outdir/secret.txt", 403)]
    [InlineData("/../secret.txt", 403)]
    public void RefusesWhatIsNotAFileUnderTheRoot(string path, int status)
    {
        FileResolution r = Resolve(path);
        Assert.Equal(status, r.Status);
        Assert.Equal(-1, r.Fd);
    }

    [Fact]
    public void RootWithoutIndexIsForbidden()
    {
        File.Delete(Path.Combine(_root, "dir", "index.html"));
        Assert.Equal(403, Resolve("/dir/").Status);
        Assert.Equal(403, Resolve("/").Status);
    }

    [Fact]
    public void TooLongPathIsNotFoundWithoutASyscall() =>
        Assert.Equal(404, Resolve("/" + new string('a', 5000)).Status);

    [Theory]
    [InlineData((int)Errno.ENOENT, 404)]
    [InlineData((int)Errno.ENOTDIR, 404)]
    [InlineData((int)Errno.EACCES, 403)]
    [InlineData((int)Errno.EXDEV, 403)]
    [InlineData((int)Errno.ELOOP, 403)]
    [InlineData((int)Errno.EMFILE, 503)]
    [InlineData((int)Errno.ENFILE, 503)]
    [InlineData((int)Errno.EIO, 500)]
    public void ErrnoMapsToStatus(int errno, int status) => Assert.Equal(status, FileResolver.StatusFor((Errno)errno));
}

/// <summary>The same table through the component-by-component walk that replaces openat2 where a seccomp filter
/// (systemd's RestrictSUIDSGID) or an old kernel refuses it: the confinement must be identical.</summary>
[Collection(nameof(FileResolverTests))]
public sealed class FileResolverWalkTests : FileResolverTests
{
    public FileResolverWalkTests() => Syscall.ForceBeneathWalk = true;

    public override void Dispose()
    {
        Syscall.ForceBeneathWalk = false;
        base.Dispose();
    }
}
