using System.Text;
using Microsoft.Extensions.Logging;
using StaticD.Files;
using StaticD.Interop;
using StaticD.Logging;

namespace StaticD.Hosting;

/// <summary>
/// Notices when a site's root path starts naming another directory — a deploy by symlink swap, a directory
/// replaced by rename, or removed and created again — and has the <see cref="SiteRoot"/> re-open it. One per
/// server: one thread, one inotify descriptor, any number of roots (during a reload the old and new contexts'
/// roots are both registered, usually with the same path).
///
/// What is watched, per root, is every directory on the path for the entry that continues it: for
/// <c>/srv/app/current/public</c>, "srv" in /, "app" in /srv, "current" in /srv/app and "public" in
/// /srv/app/current — and the same along the path with symlinks resolved (realpath), e.g. "42" in
/// /srv/app/releases when current → releases/42.
/// <list type="bullet">
/// <item>Watching the parent for the name, not the path itself, is what sees a symlink being replaced: inotify
/// on the path would follow the link and watch the old release, which never changes. It also sees a directory
/// arrive under the name (rm -rf + mkdir, rename over it), which a watch on the old directory (IN_DELETE_SELF,
/// IN_MOVE_SELF) cannot: that one only says the old directory went.</item>
/// <item>Every ancestor, not only the parent: in the Capistrano layout the swapped link is a middle component
/// (<c>current</c>) and the root a directory below it.</item>
/// <item>The resolved path too: the link can stay while the directory it names is renamed away and another takes
/// its place (releases/live moved to releases/previous, releases/staged to releases/live).</item>
/// </list>
/// inotify cannot see everything: a link in the middle of a symlink's target swapped (current → sites/app, and
/// sites itself a link), network file systems, mounts. So every root is also revalidated every
/// <see cref="DefaultInterval"/> regardless — one statx per root — and its watches re-armed (inotify_add_watch
/// returns the existing watch for an inode it already has, so this costs nothing when nothing moved, and follows
/// ancestors that were replaced).
/// </summary>
internal sealed class RootWatcher : IDisposable
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromSeconds(2);
    /// <summary>How long a replaced root descriptor stays open for resolutions already on the thread pool (the
    /// same margin as a reload's old context).</summary>
    public static readonly TimeSpan DefaultRetireAfter = TimeSpan.FromMinutes(1);

    // Entry events name the entry (checked against the names a root cares about). Self events on a watched
    // ancestor — it was renamed, deleted, unmounted, or its watch is gone (IN_IGNORED) — mean the path may lead
    // elsewhere now, whatever the name. One mask for all: inotify keeps one mask per inode and instance, and
    // several roots can share a directory. IN_ATTRIB: a chmod of a component can make the path unusable.
    private const InotifyMask Mask = InotifyMask.Create | InotifyMask.Delete | InotifyMask.MovedFrom | InotifyMask.MovedTo |
        InotifyMask.Attrib | InotifyMask.DeleteSelf | InotifyMask.MoveSelf | InotifyMask.OnlyDir;
    private const InotifyMask SelfEvents = InotifyMask.DeleteSelf | InotifyMask.MoveSelf | InotifyMask.Unmount | InotifyMask.Ignored;
    private static readonly TimeSpan FailureLogInterval = TimeSpan.FromMinutes(1);

    /// <summary>One registered root and the watches that serve it.</summary>
    private sealed class Registration(SiteRoot root)
    {
        public readonly SiteRoot Root = root;
        /// <summary>(watch descriptor, entry name) pairs as last armed.</summary>
        public readonly List<(int Watch, byte[] Name)> Watches = [];
        /// <summary>The path with symlinks resolved, as last seen.</summary>
        public string? Resolved;
        /// <summary>The "cannot be opened" warning was logged and the root has not been seen since.</summary>
        public bool Unavailable;
        /// <summary>Set by an event or the tick; revalidated once after the whole read is processed.</summary>
        public bool Pending;
        /// <summary>Set by the periodic tick: check the path (one statx), re-arm only if it changed.</summary>
        public bool Due;
    }

    private readonly ILogger _logger;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _retireAfter;
    private readonly Lock _gate = new();
    private readonly List<Registration> _registrations = [];
    /// <summary>Which registrations each watch descriptor serves; rebuilt whenever watches are (re-)armed.</summary>
    private readonly Dictionary<int, List<Registration>> _byWatch = [];
    private readonly Thread _thread;
    private readonly int _wakeFd;
    private int _inotifyFd;
    private volatile bool _stopping;
    private bool _disposed;
    private long? _lastFailureLogMs;

    public RootWatcher(ILogger logger, TimeSpan? interval = null, TimeSpan? retireAfter = null)
    {
        _logger = logger;
        _interval = interval ?? DefaultInterval;
        _retireAfter = retireAfter ?? DefaultRetireAfter;
        _wakeFd = Syscall.CreateEventFd(out Errno errno);
        if (_wakeFd < 0) throw new InvalidOperationException($"eventfd: {errno.Describe()}");
        _inotifyFd = Syscall.InotifyInit(out errno);
        if (_inotifyFd < 0) Failed("inotify_init1", errno.Describe());
        _thread = new Thread(Run) { IsBackground = true, Name = "staticd root watcher" };
        _thread.Start();
    }

    /// <summary>Starts watching <paramref name="root"/>. Its watches are armed and the path checked before this
    /// returns, so a change from this point on is not missed.</summary>
    public void Register(SiteRoot root) => Register([root]);

    /// <summary>Starts watching every root of a configuration: the index is rebuilt once for all of them, so a
    /// thousand sites cost a thousand registrations, not a thousand rebuilds.</summary>
    public void Register(IEnumerable<SiteRoot> roots)
    {
        lock (_gate)
        {
            if (_disposed) return;
            var added = new List<Registration>();
            foreach (SiteRoot root in roots)
            {
                var registration = new Registration(root);
                _registrations.Add(registration);
                Arm(registration);
                added.Add(registration);
            }
            RebuildIndex();
            foreach (Registration registration in added) Revalidate(registration);
        }
    }

    /// <summary>Stops watching <paramref name="root"/> (before it is disposed). Safe after <see cref="Dispose"/>.</summary>
    public void Unregister(SiteRoot root) => Unregister([root]);

    public void Unregister(IEnumerable<SiteRoot> roots)
    {
        var set = roots.ToHashSet();
        lock (_gate)
        {
            if (_disposed) return;
            _registrations.RemoveAll(r => set.Contains(r.Root));
            RebuildIndex();
        }
    }

    // ───────────────────────────── the thread ─────────────────────────────

    private void Run()
    {
        long nextCheckMs = Environment.TickCount64 + (long)_interval.TotalMilliseconds;
        while (!_stopping)
        {
            try
            {
                int timeout = (int)Math.Clamp(nextCheckMs - Environment.TickCount64, 0, int.MaxValue);
                if (!Syscall.WaitReadable(_inotifyFd, _wakeFd, timeout, out bool events, out bool woken, out Errno errno))
                {
                    // Cannot happen with two valid descriptors; if it does, waiting the interval out another way
                    // keeps the periodic check and avoids a busy loop.
                    Failed("poll", errno.Describe());
                    Thread.Sleep(_interval);
                }
                if (woken) Syscall.ReadCounter(_wakeFd, out _);
                if (_stopping) break;
                lock (_gate)
                {
                    if (events) ReadEvents();
                    if (Environment.TickCount64 >= nextCheckMs)
                    {
                        foreach (Registration r in _registrations) r.Due = true;
                        nextCheckMs = Environment.TickCount64 + (long)_interval.TotalMilliseconds;
                    }
                    RevalidatePending();
                }
            }
            catch (Exception ex)
            {
                // Whatever went wrong, the process keeps serving the directory it has; the next tick tries again.
                // An exception escaping a thread would end the process, so not even logging may throw from here.
                nextCheckMs = Environment.TickCount64 + (long)_interval.TotalMilliseconds;
                try
                {
                    Failed("check", ex.Message, ex);
                }
                catch (Exception)
                {
                }
            }
        }
    }

    /// <summary>Marks the registrations an event concerns. Names are compared so that a busy directory on the way
    /// (a deploy writing releases/ next to current, files added to /tmp) costs a comparison, not a statx.</summary>
    private void ReadEvents()
    {
        Span<byte> buffer = stackalloc byte[4096];
        while (_inotifyFd >= 0)
        {
            int n = (int)Syscall.Read(_inotifyFd, buffer, out Errno errno);
            if (n < 0 && errno == Errno.EAGAIN) return;
            if (n <= 0)
            {
                // An inotify descriptor that cannot be read would stay readable and spin the thread: give it up
                // and live on the periodic check.
                Failed("read from inotify", n == 0 ? "end of file" : errno.Describe());
                Syscall.Close(_inotifyFd);
                _inotifyFd = -1;
                _byWatch.Clear();
                return;
            }
            var reader = new InotifyEventReader(buffer[..n]);
            while (reader.Next(out InotifyEvent ev, out ReadOnlySpan<byte> name))
            {
                if (((InotifyMask)ev.Mask & InotifyMask.QueueOverflow) != 0)
                {
                    foreach (Registration r in _registrations) r.Pending = true; // events were lost
                    continue;
                }
                if (!_byWatch.TryGetValue(ev.Watch, out List<Registration>? list)) continue;
                bool self = ((InotifyMask)ev.Mask & SelfEvents) != 0 || name.IsEmpty;
                foreach (Registration r in list)
                {
                    if (!r.Pending && (self || Concerns(r, ev.Watch, name))) r.Pending = true;
                }
            }
        }
    }

    private static bool Concerns(Registration r, int watch, ReadOnlySpan<byte> name)
    {
        foreach ((int w, byte[] n) in r.Watches)
        {
            if (w == watch && name.SequenceEqual(n)) return true;
        }
        return false;
    }

    private void RevalidatePending()
    {
        bool rearmed = false;
        foreach (Registration r in _registrations)
        {
            if (!r.Pending)
            {
                // The periodic check is the safety net for changes inotify cannot see (network file systems):
                // a statx per root. Re-arming every root each time cost ~1% of a core per thousand roots, all of it
                // taken from the loops' CPU budget under a quota; an event or a changed answer re-arms instead.
                if (!r.Due) continue;
                r.Due = false;
                if (!Revalidate(r)) continue;
            }
            r.Pending = false;
            r.Due = false;
            // Re-arm first, check second (the FileCache's order): a change after the watches are in place queues
            // an event, so nothing between the check and the next event is lost.
            Arm(r);
            rearmed = true;
            Revalidate(r);
        }
        if (rearmed) RebuildIndex();
    }

    /// <summary>(Re-)adds the registration's watches: each directory on the configured path and on the resolved
    /// path, for the entry that continues it. A directory that does not exist right now (mid-swap) gets none; the
    /// swap itself is an event in a directory further up, and the periodic check follows anyway.</summary>
    private void Arm(Registration r)
    {
        r.Watches.Clear();
        if (_inotifyFd < 0) return;
        var seen = new HashSet<(string, string)>();
        AddAncestors(r, r.Root.Path, seen);
        // Mid-swap the path may not resolve (releases/live renamed away, the new one not there yet): keep watching
        // where it led, or the arrival of the new directory under that name would go unseen.
        r.Resolved = Syscall.RealPath(r.Root.Path, out _) ?? r.Resolved;
        if (r.Resolved is not null) AddAncestors(r, r.Resolved, seen);
    }

    private void AddAncestors(Registration r, string path, HashSet<(string, string)> seen)
    {
        // "/srv/site/" and "/srv/site" are the same root; the trailing slash would make an empty last name.
        if (path.Length > 1) path = path.TrimEnd('/');
        for (string child = path, parent = Path.GetDirectoryName(path)!; !string.IsNullOrEmpty(parent);
             child = parent, parent = Path.GetDirectoryName(parent)!)
        {
            string name = Path.GetFileName(child);
            if (name.Length == 0 || !seen.Add((parent, name))) continue;
            int watch = Syscall.InotifyAddWatch(_inotifyFd, parent, Mask, out _);
            if (watch >= 0) r.Watches.Add((watch, Encoding.UTF8.GetBytes(name)));
        }
    }

    /// <summary>Maps watches to registrations and removes the watches nothing uses any more (an ancestor that was
    /// replaced, a root unregistered), so a long life of deploys does not pile up watches.</summary>
    private void RebuildIndex()
    {
        var stale = new HashSet<int>(_byWatch.Keys);
        _byWatch.Clear();
        foreach (Registration r in _registrations)
        {
            foreach ((int watch, _) in r.Watches) Index(watch, r);
        }
        stale.ExceptWith(_byWatch.Keys);
        foreach (int watch in stale) Syscall.InotifyRemoveWatch(_inotifyFd, watch);
    }

    private void Index(int watch, Registration r)
    {
        if (!_byWatch.TryGetValue(watch, out List<Registration>? list)) _byWatch[watch] = list = [];
        // A registration's watches are indexed one after the other, so a repeat (the configured and the resolved
        // path share a directory) can only be the last entry: O(1), where Contains made shared ancestors O(n).
        if (list.Count == 0 || list[^1] != r) list.Add(r);
    }

    /// <summary>Checks the root's path; true when the answer changed (swapped, gone, back).</summary>
    private bool Revalidate(Registration r)
    {
        switch (r.Root.Revalidate(_retireAfter, out Errno errno))
        {
            case RootCheck.Swapped:
                r.Unavailable = false;
                Log.RootSwapped(_logger, r.Root.Path, r.Root.Generation);
                return true;
            case RootCheck.Unavailable when !r.Unavailable:
                r.Unavailable = true;
                Log.RootUnavailable(_logger, r.Root.Path, errno.Describe());
                return true;
            case RootCheck.Unchanged when r.Unavailable:
                r.Unavailable = false;
                Log.RootAvailableAgain(_logger, r.Root.Path);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Logs a failure of the watcher itself, at most once a minute (a persistent one would otherwise log
    /// every interval).</summary>
    private void Failed(string operation, string reason, Exception? exception = null)
    {
        long now = Environment.TickCount64;
        if (_lastFailureLogMs is long last && now - last < (long)FailureLogInterval.TotalMilliseconds) return;
        _lastFailureLogMs = now;
        Log.RootWatchFailed(_logger, operation, reason, Math.Max(1, (int)_interval.TotalSeconds), exception);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _stopping = true;
        Syscall.WriteCounter(_wakeFd, 1);
        _thread.Join();
        lock (_gate)
        {
            _registrations.Clear();
            _byWatch.Clear();
            Syscall.Close(_inotifyFd);
            _inotifyFd = -1;
            Syscall.Close(_wakeFd);
        }
    }
}
