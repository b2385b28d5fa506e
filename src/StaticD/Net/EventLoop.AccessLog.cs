using StaticD.Logging;

namespace StaticD.Net;

/// <summary>The loop's side of access log files: lines are formatted into the loop's own chunk of each file, and
/// the files written to since the last tick are handed over once a second (and when the loop exits).</summary>
internal sealed partial class EventLoop
{
    /// <summary>Files this loop has appended to since its last flush (a handful; grows once, then reused).</summary>
    private readonly List<AccessLogFile> _accessFilesPending = new(4);

    internal void AppendAccess(AccessLogFile file, scoped in AccessRecord record, bool json, bool vhost)
    {
        if (file.Append(Index, UnixSeconds, record, json, vhost)) _accessFilesPending.Add(file);
    }

    /// <summary>On the loop thread (its tick), or after it has exited.</summary>
    internal void FlushAccessFiles()
    {
        foreach (AccessLogFile file in _accessFilesPending) file.Flush(Index);
        _accessFilesPending.Clear();
    }
}
