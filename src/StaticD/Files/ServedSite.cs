using StaticD.Site;

namespace StaticD.Files;

/// <summary>A site as the loops serve it: its compiled policy and its open root (shared with every other site
/// configured with the same directory). <see cref="Index"/> is its place in the configuration's site list, which
/// the file cache keys entries by, so one site's answers are never another's even when their roots nest.</summary>
internal sealed class ServedSite(int index, SitePolicy policy, SiteRoot? root)
{
    public int Index { get; } = index;
    public SitePolicy Policy { get; } = policy;
    /// <summary>Null for a site that only redirects (RedirectTo) and has no directory.</summary>
    public SiteRoot? Root { get; } = root;
}
