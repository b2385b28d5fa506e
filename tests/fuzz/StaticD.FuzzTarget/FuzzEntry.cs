using StaticD.Tests.Properties;

namespace StaticD.Fuzzing;

/// <summary>
/// The one public entry point of the instrumented assembly. The checks themselves live in
/// tests/StaticD.Tests/Properties/ParserInvariants.cs (compiled into this assembly by path), so the
/// property tests, the crash-regression tests and the fuzzer enforce exactly the same invariants.
/// Input format: the first byte picks a set of parser limits, the rest is the request (see corpus/README).
/// </summary>
public static class FuzzEntry
{
    public static void Run(ReadOnlySpan<byte> data) => ParserInvariants.CheckFuzzInput(data);
}
