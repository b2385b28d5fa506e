#!/usr/bin/env bash
# bench/testssl.sh - testssl.sh against staticd's HTTPS port on loopback (or: make testssl).
#
# Usage:  bench/testssl.sh
# Env:    STATICD_BIN   server binary (default <repo>/out/staticd)
#         TESTSSL_WORK  work dir (default bench/.work/testssl, gitignored)
#         TESTSSL_ARGS  more arguments for testssl.sh (e.g. "--fast")
#
# Installs the Debian package testssl.sh when the command is missing, makes a throw-away test CA and an ECDSA P-256
# certificate for localhost/127.0.0.1 (the bench's), starts staticd with it on a free port, runs every testssl.sh
# check with the CA trusted (--add-ca: the chain is then "ok", as it would be with a public CA), prints the findings
# rated LOW or worse and a count per rating, and exits 1 if any finding is rated HIGH or CRITICAL (2 when the scan
# itself could not run). The certificate is made like a public CA's would be (valid 365 days, a CRL URI, which
# testssl.sh does not fetch), so that findings rated HIGH are about staticd, not about a bare test certificate (a
# 30-day certificate without CRL or OCSP URI is rated HIGH twice). staticd runs with "Hsts" set, as a deployment
# should.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
# shellcheck source=bench/standalone-https.sh
. "$BENCH_DIR/standalone-https.sh"
STATICD_BIN=${STATICD_BIN:-$REPO_DIR/out/staticd}
WORK=${TESTSSL_WORK:-$BENCH_DIR/.work/testssl}
read -r -a EXTRA <<<"${TESTSSL_ARGS:-}"

log() { printf '==> %s\n' "$*" >&2; }

if [ ! -x "$STATICD_BIN" ]; then
    echo "no staticd binary at $STATICD_BIN (make build)" >&2
    exit 2
fi
if ! command -v testssl.sh >/dev/null 2>&1 && ! command -v testssl >/dev/null 2>&1; then
    log "installing testssl.sh"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends testssl.sh >/dev/null 2>&1; then
        apt-get update >/dev/null 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends testssl.sh >/dev/null 2>&1 ||
            { echo "could not install the Debian package testssl.sh" >&2; exit 2; }
    fi
fi
TESTSSL=$(command -v testssl.sh || command -v testssl)

rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"

# The test CA and leaf, as bench/tls.sh makes them, with a CRL URI (see above).
make_test_certificate "$WORK" "staticd testssl CA" 'crlDistributionPoints=URI:http://127.0.0.1/staticd-testssl-ca.crl' ||
    { echo "could not make the test certificate: $(tail -n 2 "$WORK/cert.log")" >&2; exit 2; }
start_standalone_staticd "$STATICD_BIN" "$WORK" '"Hsts": "max-age=63072000", '

log "$("$TESTSSL" --version 2>/dev/null | grep -m1 -o 'testssl.sh *[0-9][^ ]*' || echo testssl.sh) against staticd on https://127.0.0.1:$PORT/ (a few minutes)"
# testssl.sh's exit code counts findings; the JSON is what decides here.
"$TESTSSL" --quiet --color 0 --warnings off --add-ca "$WORK/ca.pem" --severity LOW --jsonfile "$WORK/testssl.json" \
    "${EXTRA[@]}" "https://127.0.0.1:$PORT/" >testssl.out 2>&1 || true
if [ ! -s testssl.json ]; then
    echo "testssl.sh wrote no results: $(tail -n 5 testssl.out)" >&2
    exit 2
fi

python3 - "$WORK/testssl.json" <<'EOF'
import json, sys
order = ["CRITICAL", "HIGH", "MEDIUM", "LOW"]
findings = [f for f in json.load(open(sys.argv[1])) if f.get("severity") in order]
counts = {s: sum(1 for f in findings if f["severity"] == s) for s in order}
print("testssl.sh findings rated LOW or worse (scan of staticd, ECDSA P-256 test certificate):")
for f in sorted(findings, key=lambda f: order.index(f["severity"])):
    print(f"  {f['severity']:8} {f['id']}: {f['finding']}")
if not findings:
    print("  none")
print("summary: " + ", ".join(f"{counts[s]} {s}" for s in order))
sys.exit(1 if counts["CRITICAL"] or counts["HIGH"] else 0)
EOF
