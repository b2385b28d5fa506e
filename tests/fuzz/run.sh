#!/usr/bin/env bash
# Coverage-guided fuzzing of RequestParser + TargetDecoder: SharpFuzz instruments the parser assembly,
# AFL++ (Debian's afl++ package) drives it in persistent mode.
#
#   tests/fuzz/run.sh [SECONDS]      default 300
#
# Installs what is missing (afl++ via apt, the sharpfuzz tool from dotnet-tools.json), builds the harness,
# instruments it, fuzzes for SECONDS, then prints executions, exec/s and crashes. Each crash input is
# copied to tests/StaticD.Tests/Properties/FuzzCrashes/, where FuzzRegressionTests replays it in
# `make test`. Exit status: 0 without crashes, 1 with crashes, 2 on a setup error.
# Environment: FUZZ_WORK (default tests/fuzz/.work) holds the build and AFL++'s findings; FUZZ_RESUME=1
# continues the previous session's queue instead of starting from corpus/.
set -euo pipefail

seconds=${1:-300}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=${FUZZ_WORK:-$here/.work}
crash_dir=$repo/tests/StaticD.Tests/Properties/FuzzCrashes
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "usage: $0 [SECONDS]" >&2; exit 2; }

# --- tools -----------------------------------------------------------------------------------------
if ! command -v afl-fuzz >/dev/null; then
    echo "== installing afl++ (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >/dev/null
fi
command -v dotnet >/dev/null || { echo "the .NET SDK (dotnet) is required" >&2; exit 2; }
(cd "$here" && dotnet tool restore >/dev/null)

# --- build and instrument ----------------------------------------------------------------------------
echo "== building the harness"
# Two copies: bin/ stays plain for replaying inputs (instrumented code needs AFL++'s shared memory),
# bin-afl/ gets its StaticD.FuzzTarget.dll instrumented.
rm -rf "$work/bin" "$work/bin-afl"
dotnet build "$here/StaticD.Fuzz/StaticD.Fuzz.csproj" -c Release -o "$work/bin" -nologo -v:q -clp:ErrorsOnly >/dev/null \
    || dotnet build "$here/StaticD.Fuzz/StaticD.Fuzz.csproj" -c Release -o "$work/bin" -nologo -v:q -clp:ErrorsOnly
cp -r "$work/bin" "$work/bin-afl"
echo "== instrumenting StaticD.FuzzTarget.dll"
(cd "$here" && dotnet tool run sharpfuzz "$work/bin-afl/StaticD.FuzzTarget.dll")

# The seeds must pass the invariants before fuzzing starts (a failing seed would only be reported as a crash).
dotnet "$work/bin/StaticD.Fuzz.dll" "$here/corpus" >/dev/null || {
    echo "a seed in corpus/ violates an invariant:" >&2
    dotnet "$work/bin/StaticD.Fuzz.dll" "$here/corpus" >&2 || true
    exit 2
}

# --- fuzz --------------------------------------------------------------------------------------------
input=$here/corpus
if [[ ${FUZZ_RESUME:-0} == 1 && -d $work/findings/default/queue ]]; then
    input=-
else
    rm -rf "$work/findings"
fi
mkdir -p "$work/findings"

export AFL_SKIP_BIN_CHECK=1                      # the target is `dotnet`, not an afl-cc binary
export AFL_NO_UI=1                               # plain status lines instead of the curses screen
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1   # core_pattern belongs to the host, leave it alone
export AFL_SKIP_CPUFREQ=1
export AFL_NO_AFFINITY=1
export AFL_FAST_CAL=1

echo "== afl-fuzz for ${seconds} s"
set +e
afl-fuzz -i "$input" -o "$work/findings" -V "$seconds" -t 5000 -m none -x "$here/http.dict" \
    -- dotnet "$work/bin-afl/StaticD.Fuzz.dll" > "$work/afl.log" 2>&1
rc=$?
set -e

stats=$work/findings/default/fuzzer_stats
if [[ ! -f $stats ]]; then
    echo "afl-fuzz did not start (exit $rc); last lines of $work/afl.log:" >&2
    tail -n 40 "$work/afl.log" >&2
    exit 2
fi

stat() { sed -nE "s/^$1 +: (.*)$/\1/p" "$stats"; }
execs=$(stat execs_done)
run_time=$(stat run_time)
crashes=$(stat saved_crashes)
hangs=$(stat saved_hangs)
paths=$(stat corpus_count)
per_sec=$(awk -v e="$execs" -v t="$run_time" 'BEGIN { printf "%.0f", (t > 0 ? e / t : 0) }')

# --- crashes → regression inputs --------------------------------------------------------------------
new=0
for f in "$work"/findings/default/crashes/id:*; do
    [[ -e $f ]] || continue
    mkdir -p "$crash_dir"
    name=crash-$(sha1sum "$f" | cut -c1-16)
    if [[ ! -e $crash_dir/$name ]]; then
        cp "$f" "$crash_dir/$name"
        new=$((new + 1))
    fi
done

echo
echo "executions: $execs in ${run_time} s (${per_sec} exec/s), corpus: $paths inputs"
echo "crashes: $crashes, hangs: $hangs"
if [[ $crashes -gt 0 ]]; then
    echo "$new new crash input(s) copied to ${crash_dir#"$repo"/}; replay:"
    dotnet "$work/bin/StaticD.Fuzz.dll" "$work/findings/default/crashes" || true
    exit 1
fi
