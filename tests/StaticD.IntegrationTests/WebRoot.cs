using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace StaticD.IntegrationTests;

/// <summary>
/// A throw-away document root. The served directory is <see cref="RootPath"/>; it lives inside
/// <see cref="BasePath"/> so tests can place files *next to* the root (traversal targets,
/// config files) that the server must never serve. Everything is deleted on dispose.
/// </summary>
public sealed class WebRoot : IDisposable
{
    public WebRoot()
    {
        BasePath = Path.Combine(Path.GetTempPath(), "staticd-it-" + Guid.NewGuid().ToString("N"));
        RootPath = Path.Combine(BasePath, "root");
        Directory.CreateDirectory(RootPath);
    }

    /// <summary>Parent of the served root: outside the server's reach.</summary>
    public string BasePath { get; }

    /// <summary>The directory configured as StaticD:Root.</summary>
    public string RootPath { get; }

    public string FullPath(string relative) => Path.Combine(RootPath, relative.TrimStart('/'));

    public string AddFile(string relative, string content, DateTime? lastWriteUtc = null) =>
        AddFile(relative, Encoding.UTF8.GetBytes(content), lastWriteUtc);

    public string AddFile(string relative, byte[] content, DateTime? lastWriteUtc = null)
    {
        var path = FullPath(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        if (lastWriteUtc is { } mtime)
        {
            File.SetLastWriteTimeUtc(path, mtime);
        }

        return path;
    }

    public string AddDirectory(string relative)
    {
        var path = FullPath(relative);
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Creates a symlink inside the root; <paramref name="target"/> is stored verbatim (may be relative).</summary>
    public string AddSymlink(string relative, string target)
    {
        var path = FullPath(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.CreateSymbolicLink(path, target);
        return path;
    }

    public string AddFifo(string relative)
    {
        var path = FullPath(relative);
        if (TestLibc.MkFifo(path, Convert.ToUInt32("644", 8)) != 0)
        {
            throw new InvalidOperationException($"mkfifo({path}) failed, errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
        }

        return path;
    }

    /// <summary>Binds a unix domain socket so a socket inode exists in the root; the inode outlives the socket object.</summary>
    public string AddUnixSocket(string relative)
    {
        var path = FullPath(relative);
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return path;
    }

    /// <summary>Creates a file in <see cref="BasePath"/>, i.e. next to (outside) the served root.</summary>
    public string AddOutsideFile(string relative, string content)
    {
        var path = Path.Combine(BasePath, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    /// <summary>Writes <paramref name="size"/> random bytes and returns the SHA-256 of what was written.</summary>
    public byte[] AddRandomFile(string relative, long size)
    {
        var path = FullPath(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var chunk = new byte[1 << 20];
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
        {
            for (long written = 0; written < size;)
            {
                var n = (int)Math.Min(chunk.Length, size - written);
                RandomNumberGenerator.Fill(chunk.AsSpan(0, n));
                file.Write(chunk, 0, n);
                hash.AppendData(chunk, 0, n);
                written += n;
            }
        }

        return hash.GetHashAndReset();
    }

    public void Dispose()
    {
        try
        {
            // Directory.Delete does not follow symlinks on Unix, so links pointing to /etc or
            // outside directories are removed without touching their targets.
            Directory.Delete(BasePath, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
