using System.Text;
using StaticD.Http;
using StaticD.Site;

namespace StaticD.Files;

/// <summary>
/// The thread-pool side of a request: from a decoded path and the request's negotiation headers to a
/// <see cref="Resource"/>. Applies, in order: the hidden-file rule, file resolution, precompressed variants
/// (RFC 9110 §12.5.3), compressed-only files, the SPA fallback, directory listings and custom error pages.
/// </summary>
internal static class ResourceLookup
{
    private static readonly ContentCoding[] SidecarOrder = AcceptEncoding.SidecarPreference;
    // A compressed-only file must be decodable on the fly; zstd has no decoder in the BCL, so a lone FILE.zst is
    // not offered (.zst is served as a sidecar beside an original, as documented).
    private static readonly ContentCoding[] CompressedOnlyOrder = [ContentCoding.Brotli, ContentCoding.Gzip];

    public readonly ref struct Request(
        ReadOnlySpan<byte> acceptEncoding, bool acceptEncodingPresent, bool wantsJson, int inotifyFd, Compressor? compressor = null)
    {
        /// <summary>Compression on the fly, or null when it is off server-wide.</summary>
        public readonly Compressor? Compressor = compressor;
        public readonly ReadOnlySpan<byte> AcceptEncoding = acceptEncoding;
        public readonly bool AcceptEncodingPresent = acceptEncodingPresent;
        public readonly bool WantsJson = wantsJson;
        /// <summary>The loop's inotify descriptor when its file cache is on, else -1.</summary>
        public readonly int InotifyFd = inotifyFd;
    }

    public static void Lookup(SitePolicy site, SiteRoot root, byte[] pathArray, int pathStart, int pathLength, in Request request, ref Resource result)
    {
        result.Reset();
        result.RootGeneration = root.Generation; // before any root.Fd: see FileCache.Store
        ReadOnlySpan<byte> path = new(pathArray, pathStart, pathLength);
        result.NameArray = pathArray;
        result.NameStart = pathStart;
        result.NameLength = pathLength;
        // Watch first, look second: a change after this point cannot be missed by the cache.
        int watch = FileCache.Watch(request.InotifyFd, root.Path, path);

        if (!site.ServeHiddenFiles && HiddenPaths.IsHidden(path))
        {
            result.Status = 404;
        }
        else
        {
            LookupFile(site, root, path, request, ref result);
            if (result.Status == 404 && site.SpaFallback is byte[] fallback && IsRoute(path))
            {
                // A client-side route (no extension) that is not a file: the single-page app handles it.
                result.Reset();
                result.NameArray = fallback;
                result.NameLength = fallback.Length;
                result.UsedFallback = true;
                LookupFile(site, root, fallback, request, ref result);
            }
            if (result.Status == 403 && result.File.IsDirectoryWithoutIndex && site.DirectoryListing)
                RenderListing(site, path, request.WantsJson, ref result);
        }

        if (result.Status >= 400 && site.ErrorPages.TryGetValue(result.Status, out byte[]? page))
        {
            FileResolution pageFile = default;
            FileResolver.Resolve(root.Fd, page, ref pageFile);
            if (pageFile.Status == 200)
            {
                result.File = pageFile;
                result.IsErrorPage = true;
                result.Coding = ContentCoding.Identity;
                result.Negotiable = false;
                result.NameArray = page;
                result.NameStart = 0;
                result.NameLength = page.Length;
            }
        }
        result.Watch = watch;
        if (result.Status == 200 && result.Listing is null && result.DecodeFrom == ContentCoding.Identity &&
            result.File.Length <= FileCache.SmallFileMax && result.File.Fd >= 0)
            result.File.Body = ReadSmall(result.File.Fd, result.File.Length);
    }

    /// <summary>A small file's bytes, so the loop can answer with one send() of head and body. Null if the file
    /// changed size meanwhile (the descriptor is then used as usual).</summary>
    private static byte[]? ReadSmall(int fd, long length)
    {
        var body = new byte[length];
        int done = 0;
        while (done < body.Length)
        {
            nint n = Interop.Syscall.PRead(fd, body.AsSpan(done), done, out _);
            if (n <= 0) return null;
            done += (int)n;
        }
        return body;
    }

    /// <summary>The file itself or, when it has precompressed variants, the best one the client accepts.</summary>
    private static void LookupFile(SitePolicy site, SiteRoot root, ReadOnlySpan<byte> path, in Request request, ref Resource result)
    {
        FileResolver.Resolve(root.Fd, path, ref result.File);
        result.Status = result.File.Status;
        result.Errno = result.File.Errno;
        bool precompressed = site.Precompressed;

        if (result.Status == 200)
        {
            if (!precompressed && (request.Compressor is null || !site.Compress)) return;
            // The name the variants hang off: "/dir/" was served as "/dir/index.html".
            Span<byte> name = stackalloc byte[path.Length + FileResolver.IndexFile.Length + 4];
            path.CopyTo(name);
            int length = path.Length;
            if (result.File.IsIndex)
            {
                FileResolver.IndexFile.CopyTo(name[length..]);
                length += FileResolver.IndexFile.Length;
            }
            ReadOnlySpan<byte> contentType = site.ContentTypeFor(LastSegment(name[..length]));
            if (precompressed && IsCompressible(contentType))
                ChooseVariant(root, name, length, SidecarOrder, request, ref result, originalExists: true);
            // Sidecars on disk win: a file that has any is served from them alone, as the operator made them.
            if (result.Status == 200 && !result.Negotiable)
                request.Compressor?.Offer(site, contentType, request.AcceptEncoding, request.AcceptEncodingPresent, ref result);
            return;
        }

        if (result.Status == 404 && precompressed && path.Length > 1 && path[^1] != (byte)'/')
        {
            Span<byte> name = stackalloc byte[path.Length + 4];
            path.CopyTo(name);
            ChooseVariant(root, name, path.Length, CompressedOnlyOrder, request, ref result, originalExists: false);
        }
    }

    /// <summary>Probes NAME.br/.zst/.gz beside the file and keeps the one negotiation picks. Every sidecar is
    /// probed even when the client accepts none, because their existence alone makes the response vary on
    /// Accept-Encoding (a shared cache must not hand the identity body to a client that asked for br, or the
    /// reverse).</summary>
    private static void ChooseVariant(SiteRoot root, Span<byte> name, int length, ContentCoding[] order,
        in Request request, ref Resource result, bool originalExists)
    {
        var variants = new ThreeFiles();
        Span<FileResolution> found = variants;
        ContentCoding available = ContentCoding.Identity;
        for (int i = 0; i < order.Length; i++)
        {
            ReadOnlySpan<byte> suffix = AcceptEncoding.FileSuffix(order[i]);
            suffix.CopyTo(name[length..]);
            found[i].Reset();
            FileResolver.Resolve(root.Fd, name[..(length + suffix.Length)], ref found[i]);
            if (found[i].Status == 200) available |= order[i];
        }
        if (available == ContentCoding.Identity) return; // no variants: result stays as it was

        result.Negotiable = true;
        result.Available = available;
        result.Preference = order;
        NegotiationResult choice = AcceptEncoding.Choose(request.AcceptEncoding, request.AcceptEncodingPresent, available, out ContentCoding chosen);
        FileResolution keep = default;
        keep.Reset();
        if (choice == NegotiationResult.Encoded)
        {
            for (int i = 0; i < order.Length; i++)
            {
                if (order[i] == chosen) { keep = found[i]; found[i].Fd = -1; }
            }
        }
        else if (!originalExists)
        {
            // Compressed-only and the client takes no coding we have: decompress while sending (off the loop).
            for (int i = 0; i < order.Length && keep.Fd < 0; i++)
            {
                if (found[i].Status == 200) { keep = found[i]; found[i].Fd = -1; chosen = order[i]; }
            }
            result.DecodeFrom = chosen;
            chosen = ContentCoding.Identity;
        }
        for (int i = 0; i < order.Length; i++) Interop.Syscall.Close(found[i].Fd);

        if (keep.Fd >= 0)
        {
            // The variant stands in for the file the path named: "/dir/" served as index.html.br is still the
            // index, so its type and cache rule come from "index.html" (losing this sent every "/" with a sidecar
            // as application/octet-stream, and browsers downloaded the site instead of showing it).
            keep.IsIndex = result.File.IsIndex;
            if (originalExists) result.Release();
            result.File = keep;
            result.Status = 200;
            result.Coding = chosen;
        }
        else if (choice == NegotiationResult.NotAcceptable)
        {
            // "identity;q=0" (or "*;q=0") and no acceptable variant: RFC 9110 §12.5.3 allows 406 here.
            result.Release();
            result.Status = 406;
        }
    }

    /// <summary>Room for the three sidecar lookups without a heap allocation (FileResolution holds a reference,
    /// so it cannot be stackalloc'ed).</summary>
    [System.Runtime.CompilerServices.InlineArray(3)]
    private struct ThreeFiles
    {
        private FileResolution _first;
    }

    private static void RenderListing(SitePolicy site, ReadOnlySpan<byte> path, bool json, ref Resource result)
    {
        string requestPath = Encoding.UTF8.GetString(path);
        string directory = Path.Join(site.Root, requestPath);
        try
        {
            List<ListingEntry> entries = DirectoryListing.Read(directory, site.ServeHiddenFiles);
            result.Listing = json ? DirectoryListing.RenderJson(requestPath, entries) : DirectoryListing.RenderHtml(requestPath, entries);
            result.ListingIsJson = json;
            result.Status = 200;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            result.Status = 403;
        }
    }

    /// <summary>A path whose last segment has no '.': what a client-side router produces.</summary>
    private static bool IsRoute(ReadOnlySpan<byte> path) => !LastSegment(path).Contains((byte)'.');

    public static ReadOnlySpan<byte> LastSegment(ReadOnlySpan<byte> path)
    {
        int slash = path.LastIndexOf((byte)'/');
        return slash < 0 ? path : path[(slash + 1)..];
    }

    /// <summary>Types worth probing for precompressed variants; images, media, fonts in compressed formats and
    /// archives are already compressed, so the three extra lookups would be wasted on them.</summary>
    public static bool IsCompressible(ReadOnlySpan<byte> contentType) => MediaTypeList.Default.Matches(contentType);
}
