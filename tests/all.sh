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
read -r p f s < <(grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$log" | tail -n1 | grep -oE '[0-9]+' | xargs)
read -r ep ef < <(grep -E '^e2e: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n1 | grep -oE '[0-9]+' | xargs)
p=${p:-0} f=${f:-0} s=${s:-0} ep=${ep:-0} ef=${ef:-0}
if [ "$e2e" = 77 ]; then
    s=$((s + 1)) # the e2e test could not run here (it said why above)
elif [ "$e2e" != 0 ] && [ "$ef" = 0 ]; then
    ef=1 # it failed before counting a step
fi
echo
echo "all tests: $((p + ep)) passed, $((f + ef)) failed, $s skipped (unit + integration: $p/$f/$s, e2e: $ep/$ef)"
[ "$suite" = 0 ] && { [ "$e2e" = 0 ] || [ "$e2e" = 77 ]; }
