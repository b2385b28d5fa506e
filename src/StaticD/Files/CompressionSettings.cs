using StaticD.Http;

namespace StaticD.Files;

/// <summary>The server-wide part of the <c>Compression</c> configuration (sites choose only whether and which
/// types), validated by Hosting.</summary>
internal sealed class CompressionSettings
{
    public const long DefaultMinBytes = 1024;
    public const long DefaultMaxBytes = 8 * 1024 * 1024;
    public const long DefaultCacheBytes = 64 * 1024 * 1024;

    /// <summary>The codings to produce, in the server's order of preference (for clients that weigh them equally).</summary>
    public ContentCoding[] Encodings { get; init; } = [ContentCoding.Zstd, ContentCoding.Brotli, ContentCoding.Gzip];
    /// <summary>Smaller files are sent as they are: a few hundred bytes gain less than the coding costs a client.</summary>
    public long MinBytes { get; init; } = DefaultMinBytes;
    /// <summary>Larger files are sent as they are: compressing them would hold that much memory per job.</summary>
    public long MaxBytes { get; init; } = DefaultMaxBytes;
    /// <summary>What the compressed results may occupy, in memory or, with <see cref="CacheDirectory"/>, on disk.</summary>
    public long CacheBytes { get; init; } = DefaultCacheBytes;
    /// <summary>Where results persist as files (sent with sendfile), or null to keep them in memory.</summary>
    public string? CacheDirectory { get; init; }

    /// <summary>The codings as a set, for negotiation.</summary>
    public ContentCoding Available => Encodings.Aggregate(ContentCoding.Identity, (set, c) => set | c);

    /// <summary>A reload with equal settings keeps the cache (and the work queued for it).</summary>
    public bool SameAs(CompressionSettings? other) =>
        other is not null && Encodings.SequenceEqual(other.Encodings) && MinBytes == other.MinBytes &&
        MaxBytes == other.MaxBytes && CacheBytes == other.CacheBytes && CacheDirectory == other.CacheDirectory;
}
