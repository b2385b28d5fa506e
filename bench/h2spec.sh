#!/usr/bin/env bash
# bench/h2spec.sh - h2spec (github.com/summerwind/h2spec) against staticd's HTTPS port over h2 (or: make h2spec).
#
# Usage:  bench/h2spec.sh [h2spec section...]        (default: generic http2 hpack, the whole suite)
# Env:    STATICD_BIN  server binary (default <repo>/out/staticd)
#         H2SPEC       an h2spec binary to use (default: h2spec on PATH, else /var/cache/staticd-h2spec/h2spec,
#                      built on first use)
#         H2SPEC_SRC   where to build it from: a checkout or a bare git directory of summerwind/h2spec
#                      (default: cloned from GitHub)
#         H2SPEC_WORK  work dir (default bench/.work/h2spec, gitignored)
#
# h2spec is not packaged by Debian and its pinned Go module dependencies (2016-2019 commits) are not in Debian
# either; it builds in GOPATH mode against Debian's golang-*-dev packages instead (x/net's hpack and http2 framer,
# cobra, pflag, color), which are installed with golang-go when missing: no module download. The server runs with
# a throw-away test CA and an ECDSA P-256 certificate for localhost (as bench/tls.sh makes them), one loop, the
# sample site as its root. Prints h2spec's report and exits with its status (1 when a test case failed, 2 when
# the run itself could not start).
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
# shellcheck source=bench/standalone-https.sh
. "$BENCH_DIR/standalone-https.sh"
STATICD_BIN=${STATICD_BIN:-$REPO_DIR/out/staticd}
WORK=${H2SPEC_WORK:-$BENCH_DIR/.work/h2spec}
CACHE=/var/cache/staticd-h2spec
SECTIONS=("$@")
[ ${#SECTIONS[@]} -eq 0 ] && SECTIONS=(generic http2 hpack)

log() { printf '==> %s\n' "$*" >&2; }

if [ ! -x "$STATICD_BIN" ]; then
    echo "no staticd binary at $STATICD_BIN (make build)" >&2
    exit 2
fi

build_h2spec() {
    local deps=(golang-go golang-golang-x-net-dev golang-github-spf13-cobra-dev golang-github-spf13-pflag-dev
        golang-github-fatih-color-dev golang-github-mattn-go-colorable-dev golang-github-mattn-go-isatty-dev
        golang-golang-x-sys-dev golang-github-inconshreveable-mousetrap-dev)
    local missing=() p gopath=$CACHE/gopath src
    for p in "${deps[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    if [ ${#missing[@]} -gt 0 ]; then
        log "installing ${missing[*]} (to build h2spec)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } ||
            { echo "could not install ${missing[*]}" >&2; return 1; }
    fi
    rm -rf "$gopath"
    src=$gopath/src/github.com/summerwind/h2spec
    mkdir -p "$(dirname "$src")"
    if [ -n "${H2SPEC_SRC:-}" ] && [ -d "$H2SPEC_SRC/cmd/h2spec" ]; then
        cp -r "$H2SPEC_SRC" "$src"
    elif [ -n "${H2SPEC_SRC:-}" ]; then # a bare git directory
        mkdir -p "$src" && git -C "$H2SPEC_SRC" archive HEAD | tar -x -C "$src"
    else
        git clone -q --depth 1 https://github.com/summerwind/h2spec "$src"
    fi
    log "building h2spec (GOPATH mode, Debian's Go packages from /usr/share/gocode)"
    (cd "$src" && GO111MODULE=off GOPATH=$gopath:/usr/share/gocode GOFLAGS='' go build -o "$CACHE/h2spec" ./cmd/h2spec)
}

H2SPEC=${H2SPEC:-$(command -v h2spec || true)}
if [ -z "$H2SPEC" ]; then
    H2SPEC=$CACHE/h2spec
    if [ ! -x "$H2SPEC" ]; then
        mkdir -p "$CACHE"
        build_h2spec || { echo "could not build h2spec" >&2; exit 2; }
    fi
fi

rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
make_test_certificate "$WORK" "staticd h2spec CA" ||
    { echo "could not make the test certificate: $(tail -n 2 "$WORK/cert.log")" >&2; exit 2; }
start_standalone_staticd "$STATICD_BIN" "$WORK"

log "h2spec -t -k -p $PORT ${SECTIONS[*]} (staticd $("$STATICD_BIN" --version 2>/dev/null | head -n 1))"
set +e
"$H2SPEC" -t -k -h 127.0.0.1 -p "$PORT" -j "$WORK/junit.xml" "${SECTIONS[@]}" | tee h2spec.log
rc=${PIPESTATUS[0]}
set -e
kill -0 "$PID" 2>/dev/null || { echo "staticd exited during the run: $(tail -n 3 staticd.log)" >&2; exit 2; }
exit "$rc"
