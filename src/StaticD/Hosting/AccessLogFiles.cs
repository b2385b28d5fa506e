using Microsoft.Extensions.Logging;
using StaticD.Interop;
using StaticD.Logging;
using StaticD.Net;
using StaticD.Site;

namespace StaticD.Hosting;

/// <summary>
/// The access log files of the running server, one writer per path however many sites and configurations name it.
/// A reload keeps the files it still names (same writer, same descriptor, nothing reopened) and opens new ones;
/// a file no configuration names any more is closed when the configuration that used it is retired.
/// </summary>
internal sealed class AccessLogFiles(int loops) : IDisposable
{
    private readonly Dictionary<string, AccessLogFile> _open = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private ILogger? _logger;
    /// <summary>Drops counted by files already closed, so the metric never goes down.</summary>
    private long _retiredDropped;
    /// <summary>Reports each file's drops every <see cref="AccessLogFile.ReportInterval"/>.</summary>
    private Timer? _reporter;

    /// <summary>
    /// Gives <paramref name="context"/> its sites' files, opening those not open yet. A file that cannot be opened
    /// is a configuration error naming the key (nothing is attached then; files opened on the way stay in the set
    /// until <see cref="Retain"/> closes them).
    /// </summary>
    public void Attach(ServeContext context)
    {
        var files = new AccessLogFile?[context.Sites.Length + 1];
        lock (_lock)
        {
            for (int i = 0; i < files.Length; i++)
            {
                SitePolicy policy = i < context.Sites.Length ? context.Sites[i].Policy : context.Fallback;
                if (!policy.AccessLog || policy.AccessLogPath is not string path) continue;
                if (!_open.TryGetValue(path, out AccessLogFile? file))
                {
                    file = AccessLogFile.Open(path, loops, out Errno errno)
                        ?? throw new ConfigException(policy.ConfigPath + ":AccessLog:Path", $"\"{path}\" cannot be opened for appending: {errno.Describe()}" +
                            (errno is Errno.EACCES or Errno.EROFS ? " (under systemd only /var/log/staticd is writable; see ReadWritePaths= for another directory)" : ""));
                    _open[path] = file;
                    if (_logger is not null) file.Start(_logger);
                }
                files[i] = file;
            }
        }
        context.AttachAccessFiles(files);
    }

    /// <summary>Starts the writer threads (and those of files opened later).</summary>
    public void Start(ILogger logger)
    {
        lock (_lock)
        {
            _logger = logger;
            foreach (AccessLogFile file in _open.Values) file.Start(logger);
            _reporter = new Timer(_ => ReportDrops(), null, AccessLogFile.ReportInterval, AccessLogFile.ReportInterval);
        }
    }

    /// <summary>Closes every file <paramref name="context"/> does not use (after its lines are written).</summary>
    public void Retain(ServeContext context)
    {
        lock (_lock)
        {
            foreach (AccessLogFile file in _open.Values.Except(context.AccessFiles.OfType<AccessLogFile>()).ToList())
            {
                _open.Remove(file.Path);
                file.Dispose();
                _retiredDropped += file.Dropped;
            }
        }
    }

    private void ReportDrops()
    {
        lock (_lock)
        {
            foreach (AccessLogFile file in _open.Values) file.ReportDrops();
        }
    }

    /// <summary>SIGUSR1: every file is opened again by its path (after logrotate renamed it).</summary>
    public void Reopen()
    {
        lock (_lock)
        {
            foreach (AccessLogFile file in _open.Values) file.RequestReopen();
        }
    }

    public long Dropped
    {
        get
        {
            lock (_lock) return _retiredDropped + _open.Values.Sum(f => f.Dropped);
        }
    }

    /// <summary>At stop, once the loops have flushed: everything written, every file closed.</summary>
    public void Dispose()
    {
        _reporter?.Dispose();
        lock (_lock)
        {
            foreach (AccessLogFile file in _open.Values)
            {
                file.Dispose();
                _retiredDropped += file.Dropped;
            }
            _open.Clear();
        }
    }
}
