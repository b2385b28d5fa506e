// Every test class starts its own staticd process and several tests assert wall-clock bounds
// (a FIFO must answer within 2 s, SIGTERM must finish within 3 s, ...). Running classes in
// parallel on a small CI machine would let a 100 MiB download or 500 concurrent clients
// starve a timing test and produce flaky failures, so classes run one after another.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]

namespace StaticD.IntegrationTests;

internal static class ThreadPoolWarmUp
{
    /// <summary>
    /// Each child process's redirected stdout and stderr keep a pool thread blocked in read(), and the tests
    /// themselves block pool threads in waits. On 2 cores the pool starts with 2 threads and adds about one per
    /// 0.5 s when they are all blocked, so a socket continuation or a child's last output line could wait
    /// seconds: long enough to fail a timing bound (and one CI run did fail that way). Enough threads from the
    /// start take the test host's scheduling out of what the tests measure.
    /// </summary>
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void Raise()
    {
        ThreadPool.GetMinThreads(out int workers, out int io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), Math.Max(io, 64));
    }
}
