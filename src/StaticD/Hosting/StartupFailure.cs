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
    /// <summary>What stopped start-up, looking through the wrappers the host adds (AggregateException when
    /// several hosted services fail, inner exceptions otherwise): a <see cref="ListenException"/> anywhere in the
    /// tree, else the first InvalidOperationException (a failed epoll_create, a bad socket from systemd). Null for
    /// anything else: that is a bug, and keeps its stack trace.</summary>
    public static Exception? Find(Exception ex) =>
        All(ex).OfType<ListenException>().FirstOrDefault() ?? (Exception?)All(ex).OfType<InvalidOperationException>().FirstOrDefault();

    private static IEnumerable<Exception> All(Exception ex)
    {
        var pending = new Stack<Exception>([ex]);
        while (pending.Count > 0)
        {
            Exception e = pending.Pop();
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (Exception inner in aggregate.InnerExceptions.Reverse()) pending.Push(inner);
            }
            else if (e.InnerException is not null)
            {
                pending.Push(e.InnerException);
            }
        }
    }

    /// <summary>Whether a log event is the host's own report of a start-up failure that <c>Program</c> prints as
    /// one line; such an event would add a stack trace to stderr (and the journal) for nothing.</summary>
    public static bool IsReportedByProgram(Serilog.Events.LogEvent e) =>
        e.Exception is not null && Find(e.Exception) is not null &&
        e.Properties.TryGetValue(Serilog.Core.Constants.SourceContextPropertyName, out Serilog.Events.LogEventPropertyValue? source) &&
        source.ToString().StartsWith("\"Microsoft.Extensions.Hosting", StringComparison.Ordinal);

    /// <summary>For a listen failure, EX_NOPERM (77) when the kernel refused the privilege (a port below 1024
    /// without CAP_NET_BIND_SERVICE), EX_UNAVAILABLE (69) for everything else: in use, not an address of this host.
    /// 1 for any other failure to start.</summary>
    public static int ExitCode(Exception ex) => ex switch
    {
        ListenException { Errno: Errno.EACCES or Errno.EPERM } => Program.ExitNoPermission,
        ListenException => Program.ExitUnavailable,
        _ => 1,
    };

    public static string Line(Exception ex) =>
        "staticd: " + string.Concat(ex.Message.Select(c => char.IsControl(c) ? ' ' : c)).Trim();
}
