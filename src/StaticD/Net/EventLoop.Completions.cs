using System.Collections.Concurrent;
using StaticD.Interop;

namespace StaticD.Net;

/// <summary>
/// The one door from the thread pool back into a loop: a queue plus an eventfd in the loop's epoll set. A pool
/// thread writes the eventfd only when no wake-up is already pending (nginx ngx_epoll_notify, Tmds.LinuxAsync),
/// so a burst of completions costs one write and one read.
/// </summary>
internal sealed partial class EventLoop
{
    private readonly ConcurrentQueue<Connection> _completions = new();
    private readonly ConcurrentQueue<Action<EventLoop>> _posted = new();
    private int _wakePending;

    /// <summary>Thread pool: hand a resolved connection back to its loop.</summary>
    public void Complete(Connection connection)
    {
        _completions.Enqueue(connection);
        Wake();
    }

    private void Wake()
    {
        if (Interlocked.Exchange(ref _wakePending, 1) == 0) Syscall.WriteCounter(_wakeFd, 1);
    }

    private void DrainCompletions()
    {
        // Clear the flag before draining: a completion enqueued after this point writes the eventfd again, so
        // none can be stranded in the queue while the loop sleeps.
        Interlocked.Exchange(ref _wakePending, 0);
        while (_completions.TryDequeue(out Connection? connection))
        {
            connection.OnResolved();
            connection.CountState();
        }
    }
}
