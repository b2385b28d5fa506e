using StaticD.Interop;
using StaticD.Net;

namespace StaticD.Hosting;

/// <summary>
/// A failure to start serving, as the operator sees it: one line on stderr (no stack trace, whatever wrapped the
/// exception on its way out of the generic host) and an exit code from sysexits.h that says which kind of problem
/// it is, so systemd's unit state and a shell script can tell them apart.
/// </summary>
internal static class StartupFailure
{
    /// <summary>The <see cref="ListenException"/> behind <paramref name="ex"/>, looking through the wrappers the
    /// host adds (AggregateException when several hosted services fail, inner exceptions otherwise).</summary>
    public static ListenException? Find(Exception ex)
    {
        var pending = new Stack<Exception>([ex]);
        while (pending.Count > 0)
        {
            Exception e = pending.Pop();
            if (e is ListenException listen) return listen;
            if (e is AggregateException aggregate)
                foreach (Exception inner in aggregate.InnerExceptions) pending.Push(inner);
            else if (e.InnerException is not null)
                pending.Push(e.InnerException);
        }
        return null;
    }

    /// <summary>EX_NOPERM (77) when the kernel refused the privilege (a port below 1024 without
    /// CAP_NET_BIND_SERVICE), EX_UNAVAILABLE (69) for everything else: in use, not an address of this host.</summary>
    public static int ExitCode(ListenException ex) =>
        ex.Errno is Errno.EACCES or Errno.EPERM ? Program.ExitNoPermission : Program.ExitUnavailable;

    public static string Line(Exception ex) =>
        "staticd: " + string.Concat(ex.Message.Select(c => char.IsControl(c) ? ' ' : c)).Trim();
}
