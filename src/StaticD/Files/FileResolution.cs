using StaticD.Interop;

namespace StaticD.Files;

/// <summary>The outcome of resolving a request path, produced on the thread pool and consumed on the loop.
/// When <see cref="Status"/> is 200 the resolution owns <see cref="Fd"/> until the connection takes it.</summary>
internal struct FileResolution
{
    public int Status;
    public int Fd;
    public long Length;
    public long MtimeSeconds;
    public uint MtimeNanoseconds;
    public ulong Inode;
    /// <summary>st_dev as major &lt;&lt; 32 | minor: with the inode, which file this is (the compression cache's key).</summary>
    public ulong Device;
    /// <summary>The size the ETag is made from when it is not <see cref="Length"/>: a body compressed on the fly is
    /// tagged with the original file's inode, size and mtime (plus its coding), while <see cref="Length"/> is the
    /// compressed length the body has. 0: the tag uses <see cref="Length"/>.</summary>
    public long TagSize;
    /// <summary>The path named a directory and its index file is what <see cref="Fd"/> holds.</summary>
    public bool IsIndex;
    /// <summary>The path named a directory (with its trailing '/') that has no index file.</summary>
    public bool IsDirectoryWithoutIndex;
    /// <summary>Why the resolution failed (for the log); None on success.</summary>
    public Errno Errno;
    /// <summary>The whole content of a small file, read on the pool so the loop can send it from memory.</summary>
    public byte[]? Body;

    /// <summary>The size that goes into the ETag.</summary>
    public readonly long ETagSize => TagSize > 0 ? TagSize : Length;

    public void Reset()
    {
        this = default;
        Fd = -1;
    }
}
