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

# The test CA and leaf, as bench/tls.sh makes them.
{
    openssl ecparam -name prime256v1 -genkey -noout -out ca.key &&
        openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=staticd testssl CA" -out ca.pem \
            -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
        openssl ecparam -name prime256v1 -genkey -noout -out server.key &&
        openssl req -new -key server.key -subj "/CN=localhost" -out server.csr &&
        printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'basicConstraints=critical,CA:FALSE' \
            'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' \
            'crlDistributionPoints=URI:http://127.0.0.1/staticd-testssl-ca.crl' >leaf.ext &&
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 -sha256 \
            -extfile leaf.ext -out server.pem
} >cert.log 2>&1 || { echo "could not make the test certificate: $(tail -n 2 cert.log)" >&2; exit 2; }

# Two free ports below the ephemeral range: plain (unused) and HTTPS.
free_port() {
    local p
    for _ in $(seq 500); do
        p=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
    done
    return 1
}
PORT=$(free_port)
PLAIN=$(free_port)
printf '{"StaticD": {"Port": %s, "HttpsPort": %s, "Root": "%s", "Listen": ["127.0.0.1"], "Loops": 1, "Hsts": "max-age=63072000", "Tls": {"Certificate": "%s", "Key": "%s"}}}\n' \
    "$PLAIN" "$PORT" "$REPO_DIR/sample-site" "$WORK/server.pem" "$WORK/server.key" >staticd.json
"$STATICD_BIN" --config staticd.json >staticd.log 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    kill -0 "$PID" 2>/dev/null || { echo "staticd exited: $(tail -n 3 staticd.log)" >&2; exit 2; }
    sleep 0.05
done

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
