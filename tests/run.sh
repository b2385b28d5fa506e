#!/usr/bin/env bash
# Runs every test project and prints one summary line: "N passed, N failed".
# STATICD_BINARY must point at the AOT binary (the Makefile sets it).
set -uo pipefail
cd "$(dirname "$0")/.."
: "${STATICD_BINARY:?set STATICD_BINARY to the AOT binary (make test does)}"
export STATICD_BINARY

passed=0 failed=0 skipped=0 status=0
for project in tests/StaticD.Tests tests/StaticD.IntegrationTests; do
    echo "== $project"
    log=$(mktemp)
    dotnet test "$project" -c Release -nologo --logger "console;verbosity=normal" 2>&1 | tee "$log" \
        | grep -E '^\s*(Failed|Passed!|Failed!|Error Message|Total tests|  [A-Z].*Exception)' || true
    rc=${PIPESTATUS[0]}
    # vstest's summary line: "Passed!  - Failed: 0, Passed: 215, Skipped: 0, Total: 215, ..."
    line=$(grep -E '(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+' "$log" | tail -n1)
    if [[ -z "$line" ]]; then
        echo "no test summary from $project (build error?):"; tail -n 30 "$log"
        status=1
    else
        f=$(sed -E 's/.*Failed: +([0-9]+).*/\1/' <<<"$line")
        p=$(sed -E 's/.*Passed: +([0-9]+).*/\1/' <<<"$line")
        s=$(sed -E 's/.*Skipped: +([0-9]+).*/\1/' <<<"$line")
        passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    fi
    [[ $rc -ne 0 ]] && status=1
    rm -f "$log"
done
echo
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 && $status -eq 0 ]]
