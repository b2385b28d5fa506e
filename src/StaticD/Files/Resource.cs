using StaticD.Http;
using StaticD.Interop;

namespace StaticD.Files;

/// <summary>
/// What a request resolved to, built on the thread pool by <see cref="ResourceLookup"/> and turned into a
/// response on the loop. When <see cref="File"/> holds an open descriptor, the Resource owns it until the
/// connection takes it.
/// </summary>
internal struct Resource
{
    /// <summary>Status to answer with: 200 (a file or a listing), 301, or an error status.</summary>
    public int Status;
    /// <summary>The file whose bytes are the body: the file itself, a precompressed variant, or an error page.</summary>
    public FileResolution File;
    /// <summary>Content-Encoding of <see cref="File"/> as sent (Identity unless a variant was chosen).</summary>
    public ContentCoding Coding;
    /// <summary>Variants exist: the response depends on Accept-Encoding (Vary).</summary>
    public bool Negotiable;
    /// <summary>Compressed-only file for a client that does not accept its coding: decompress while sending.</summary>
    public ContentCoding DecodeFrom;
    /// <summary>The body is an error page (<see cref="File"/>) sent with an error <see cref="Status"/>.</summary>
    public bool IsErrorPage;
    /// <summary>A rendered directory listing (200), HTML or JSON.</summary>
    public byte[]? Listing;
    public bool ListingIsJson;
    /// <summary>The path whose file name decides Content-Type (and cache rules), as decoded bytes.</summary>
    public byte[]? NameArray;
    public int NameStart, NameLength;
    public Errno Errno;
    /// <summary>Precompressed variants that exist beside the file (whatever the client accepted).</summary>
    public ContentCoding Available;
    /// <summary>The order of preference negotiation used among <see cref="Available"/> (sidecars: br, zstd, gzip;
    /// on the fly: Compression:Encodings), so the loop's file cache chooses as the pool did.</summary>
    public ContentCoding[]? Preference;
    /// <summary>The body is a result of the compression cache (its hits are checked for eviction).</summary>
    public CompressedBody? Compressed;
    /// <summary>inotify watch on the directory looked at (-1: none), for the loop's file cache.</summary>
    public int Watch;
    /// <summary>The SPA fallback answered; such results are not cached under the requested path.</summary>
    public bool UsedFallback;
    /// <summary><see cref="File"/>'s descriptor belongs to the file cache: never close it here.</summary>
    public bool Borrowed;
    /// <summary><see cref="SiteRoot.Generation"/> read before the root's descriptor was first used: the file cache
    /// keeps the answer only if the root has not been swapped since.</summary>
    public int RootGeneration;

    public readonly ReadOnlySpan<byte> Name => new(NameArray, NameStart, NameLength);

    public void Reset()
    {
        this = default;
        File.Reset();
        Watch = -1;
    }

    /// <summary>Closes the descriptor if the resource still owns one.</summary>
    public void Release()
    {
        if (!Borrowed) Syscall.Close(File.Fd);
        File.Fd = -1;
    }
}
