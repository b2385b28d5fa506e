// Every test class starts its own staticd process and several tests assert wall-clock bounds
// (a FIFO must answer within 2 s, SIGTERM must finish within 3 s, ...). Running classes in
// parallel on a small CI machine would let a 100 MiB download or 500 concurrent clients
// starve a timing test and produce flaky failures, so classes run one after another.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
