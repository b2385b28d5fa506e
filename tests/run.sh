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
    dotnet test "$project" -c Release -nologo --logger "console;verbosity=normal" >"$log" 2>&1
    rc=$?
    # Show what went wrong (failed tests with their messages, build errors), not the 1,000 passing names.
    grep -E -A40 '^\s+Failed [A-Za-z]' "$log" || true
    grep -E ': error [A-Z]+[0-9]+' "$log" | sort -u || true
    # vstest's summary: "Total tests: 344" then "     Passed: 344" / "     Failed: 1" / "    Skipped: 0".
    if ! grep -qE '^Total tests: +[0-9]+' "$log"; then
        echo "no test summary from $project (build error?):"; tail -n 30 "$log"
        status=1
    else
        count() { grep -E "^ +$1: +[0-9]+" "$log" | tail -n1 | grep -oE '[0-9]+' || echo 0; }
        p=$(count Passed); f=$(count Failed); s=$(count Skipped)
        echo "$project: $p passed, $f failed, $s skipped"
        passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    fi
    [[ $rc -ne 0 ]] && status=1
    rm -f "$log"
done
echo
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 && $status -eq 0 ]]
