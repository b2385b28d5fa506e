#!/usr/bin/env bash
# Every test after the format check (make test): unit and integration tests (tests/run.sh), then the .deb on a
# booted Debian (tests/e2e/run.sh; needs root, installs debootstrap and systemd-container, caches a rootfs), and
# one last line adding them up: "N passed, N failed, N skipped". Exits non-zero if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
: "${STATICD_BINARY:?set STATICD_BINARY to the AOT binary (make test does)}"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
tests/run.sh | tee "$log"
suite=${PIPESTATUS[0]}
tests/e2e/run.sh | tee -a "$log"
e2e=${PIPESTATUS[0]}

# tests/run.sh ends with "N passed, N failed, N skipped"; the e2e with "e2e: N passed, N failed".
read -r p f s < <(sed -nE 's/^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/\1 \2 \3/p' "$log" | tail -n1)
read -r ep ef < <(sed -nE 's/^e2e: ([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' "$log" | tail -n1)
p=${p:-0} f=${f:-0} s=${s:-0} ep=${ep:-0} ef=${ef:-0} es=0
if [ "$e2e" = 77 ]; then
    es=1 # the e2e test could not run here (it said why above)
elif [ "$e2e" != 0 ] && [ "$ef" = 0 ]; then
    ef=1 # it failed before counting a step
fi
echo
echo "all tests: $((p + ep)) passed, $((f + ef)) failed, $((s + es)) skipped (unit + integration: $p/$f/$s, e2e: $ep/$ef/$es)"
[ "$suite" = 0 ] && { [ "$e2e" = 0 ] || [ "$e2e" = 77 ]; }
