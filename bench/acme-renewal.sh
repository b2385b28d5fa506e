#!/usr/bin/env bash
# bench/acme-renewal.sh: ACME issuance time against pebble, and certificate renewal swaps under wrk load.
#
#   bench/acme-renewal.sh                         # ~1.5 min: 3 issuances, then 50 s of wrk over >= 2 renewals
#   ACME_VALIDITY=30 ACME_SECONDS=50 ACME_ISSUANCES=3 STATICD_BIN=out/staticd bench/acme-renewal.sh
#
# What it does, all on 127.0.0.1 and on free ports:
#   - makes a throwaway CA and a certificate for 127.0.0.1 with openssl: pebble's own HTTPS certificate, which
#     staticd trusts through Acme:CaCertificate;
#   - starts pebble-challtestsrv as DNS only (every name answers 127.0.0.1, so pebble's validation lands on staticd)
#     and pebble (real validation: PEBBLE_VA_ALWAYS_VALID=0, PEBBLE_VA_NOSLEEP=1) issuing certificates valid for
#     ACME_VALIDITY seconds (default 30, so staticd renews about every 20 s, at two thirds of the lifetime);
#   - starts staticd (STATICD_BIN, default out/staticd, built with `make build` when missing) with one site
#     "acme-bench.test" whose "Tls" is "acme", its Port/HttpsPort being pebble's httpPort/tlsPort;
#   - ACME_ISSUANCES times (default 3): fresh state directory, start, wait (polling the log) for staticd's
#     "certificate issued ... (N s)" line; prints each time and the median. The last staticd keeps running;
#   - then runs two wrk at once for ACME_SECONDS (default 50, enough for two renewals at 30 s validity): one with
#     keep-alive connections (they keep the certificate of their handshake) and one with "Connection: close" (every
#     request a new handshake, which must get the current certificate), while an `openssl s_client` loop records
#     the serial staticd presents for acme-bench.test once a second;
#   - prints requests, non-2xx and socket errors of each wrk, the serials seen (with times) and staticd's
#     "certificate renewed" lines.
#
# Why wrk gets a Lua script (written to the working directory): wrk sends the URL's host as SNI, and with
# https://127.0.0.1:PORT/ that is "127.0.0.1", a name no site has. With only ACME sites staticd's listener context
# has no certificate of its own (TlsConfig: "SNI picks each site's"), so every such handshake fails with an alert:
# wrk counts them as "connect" socket errors and gets 0 requests (the script shows this in a 2 s run). Were there a
# top-level certificate, the handshake would get it instead, and the request would get 421, since the SNI name
# does not choose the site the Host header does (checked by hand with a file-certificate site: all 421).
# acme-bench.test does not resolve on this machine (and /etc/hosts is not ours to change), so the script overrides
# wrk.resolve to connect to 127.0.0.1 while the URL stays https://acme-bench.test:PORT/: SNI and Host are then the
# acme site's name, as a real client's would be.
#
# It stops every process it started and removes its working directory on exit (also on error or ^C).
set -euo pipefail

cd "$(dirname "$0")/.."
STATICD_BIN=${STATICD_BIN:-out/staticd}
ACME_VALIDITY=${ACME_VALIDITY:-30}
ACME_SECONDS=${ACME_SECONDS:-50}
ACME_ISSUANCES=${ACME_ISSUANCES:-3}
HOST=acme-bench.test

for tool in pebble pebble-challtestsrv wrk openssl curl ss; do
    command -v "$tool" >/dev/null || { echo "acme-renewal: $tool is missing (apt-get install pebble wrk openssl curl iproute2)" >&2; exit 1; }
done
if [ ! -x "$STATICD_BIN" ]; then
    echo "acme-renewal: $STATICD_BIN missing, running make build" >&2
    make build >&2
fi
STATICD_BIN=$(realpath "$STATICD_BIN")

WORK=$(mktemp -d /tmp/staticd-acme-bench.XXXXXX)
PIDS=()
cleanup() {
    # Only the processes this script started, by PID; then the working directory.
    local pid
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free loopback TCP port: random, not listening now and not handed out before in this run (a small race with
# other programs remains; bind errors then show in the logs).
USED=" "
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        [[ $USED == *" $p "* ]] && continue
        ss -Htan "sport = :$p" | grep -q . && continue
        USED+="$p "
        echo "$p"
        return
    done
}

# Polls (every 50 ms, no fixed sleep) until "$@" succeeds, or fails after $1 seconds with $2 as message.
wait_for() {
    local timeout=$1 what=$2
    shift 2
    local deadline=$((SECONDS + timeout))
    until "$@"; do
        if ((SECONDS > deadline)); then
            echo "acme-renewal: timed out after ${timeout} s waiting for $what" >&2
            return 1
        fi
        sleep 0.05
    done
}

log() { echo "acme-renewal: $*" >&2; }

# Pebble's HTTPS certificate: a CA of our own, a leaf for 127.0.0.1 (pebble's directory URL is an IP literal).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=acme-bench CA" \
    -keyout "$WORK/ca.key" -out "$WORK/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$WORK/pebble.key" -out "$WORK/pebble.csr" 2>/dev/null
openssl x509 -req -in "$WORK/pebble.csr" -CA "$WORK/ca.pem" -CAkey "$WORK/ca.key" -CAcreateserial -days 1 \
    -extfile <(printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n') \
    -out "$WORK/pebble.pem" 2>/dev/null

PEBBLE_PORT=$(free_port)
PEBBLE_MGMT=$(free_port)
DNS_PORT=$(free_port)
DNS_MGMT=$(free_port)
HTTP_PORT=$(free_port)
HTTPS_PORT=$(free_port)

# DNS only: challtestsrv's own challenge servers are switched off, or they would answer in staticd's place.
(cd "$WORK" && exec pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" -dns01 "127.0.0.1:$DNS_PORT" \
    -http01 "" -https01 "" -tlsalpn01 "" -management "127.0.0.1:$DNS_MGMT") >"$WORK/challtestsrv.log" 2>&1 &
PIDS+=($!)

cat >"$WORK/pebble.json" <<EOF
{"pebble": {"listenAddress": "127.0.0.1:$PEBBLE_PORT", "managementListenAddress": "127.0.0.1:$PEBBLE_MGMT",
 "certificate": "$WORK/pebble.pem", "privateKey": "$WORK/pebble.key", "httpPort": $HTTP_PORT, "tlsPort": $HTTPS_PORT,
 "ocspResponderURL": "", "externalAccountBindingRequired": false, "certificateValidityPeriod": $ACME_VALIDITY}}
EOF
(cd "$WORK" && PEBBLE_VA_ALWAYS_VALID=0 PEBBLE_VA_NOSLEEP=1 exec pebble -config "$WORK/pebble.json" \
    -dnsserver "127.0.0.1:$DNS_PORT" -strict=false) >"$WORK/pebble.log" 2>&1 &
PIDS+=($!)
wait_for 15 "pebble's directory" curl -fs --cacert "$WORK/ca.pem" -o /dev/null "https://127.0.0.1:$PEBBLE_PORT/dir"
# The root pebble issues under (new at every pebble start), to verify staticd's certificates with.
curl -fs --cacert "$WORK/ca.pem" -o "$WORK/pebble-root.pem" "https://127.0.0.1:$PEBBLE_MGMT/roots/0"

mkdir -p "$WORK/root" "$WORK/site"
echo "default site" >"$WORK/root/index.html"
# 1 KiB page: small enough that handshakes, not bytes, dominate the Connection: close run.
head -c 1024 /dev/zero | tr '\0' 'a' >"$WORK/site/index.html"
cat >"$WORK/staticd.json" <<EOF
{"StaticD": {"Port": $HTTP_PORT, "HttpsPort": $HTTPS_PORT, "Listen": ["127.0.0.1"], "Root": "$WORK/root",
 "AccessLog": false,
 "Acme": {"Directory": "https://127.0.0.1:$PEBBLE_PORT/dir", "Email": "ops@acme-bench.example.org",
          "AgreeToTerms": true, "CaCertificate": "$WORK/ca.pem", "StateDirectory": "$WORK/state",
          "ChallengeTypes": ["http-01", "tls-alpn-01"]},
 "Sites": [{"Hosts": ["$HOST"], "Root": "$WORK/site", "Tls": "acme"}]}}
EOF

# staticd's log, each line prefixed with the wall-clock time it was read (staticd's own console lines carry none).
STATICD_PID=
start_staticd() {
    : >"$1"
    "$STATICD_BIN" --config "$WORK/staticd.json" \
        > >(while IFS= read -r line; do printf '%(%H:%M:%S)T.%s %s\n' "${EPOCHREALTIME%.*}" "${EPOCHREALTIME#*.}" "$line"; done >>"$1") 2>&1 &
    STATICD_PID=$!
    PIDS+=("$STATICD_PID")
}
stop_staticd() {
    kill "$STATICD_PID"
    wait "$STATICD_PID" 2>/dev/null || true
}
issued_in() { grep -q "certificate issued" "$1"; }

echo "## ACME issuance and renewal swap (pebble $(dpkg-query -W -f '${Version}' pebble 2>/dev/null || echo '?'), validity ${ACME_VALIDITY} s)"
echo
echo "$(nproc) CPUs, $(uname -r), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2), staticd $STATICD_BIN"
echo
TIMES=()
for i in $(seq 1 "$ACME_ISSUANCES"); do
    # A fresh state directory each time: a new account and a new order, not a certificate loaded from disk.
    rm -rf "$WORK/state"
    start_staticd "$WORK/staticd-$i.log"
    wait_for 60 "staticd's first certificate (run $i)" issued_in "$WORK/staticd-$i.log" || { cat "$WORK/staticd-$i.log" >&2; exit 1; }
    line=$(grep -m1 "certificate issued" "$WORK/staticd-$i.log")
    secs=$(sed -E 's/.*, ([0-9.]+) s\)$/\1/' <<<"$line")
    TIMES+=("$secs")
    echo "issuance $i: ${secs} s   ($line)"
    if ((i < ACME_ISSUANCES)); then stop_staticd; fi
done
MEDIAN=$(printf '%s\n' "${TIMES[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
echo "issuance median of ${#TIMES[@]}: ${MEDIAN} s"
echo
LOG="$WORK/staticd-$ACME_ISSUANCES.log"

# The serial staticd presents for $HOST, verified against pebble's root ("-" when the handshake or check fails).
serial() {
    local pem
    pem=$(openssl s_client -connect "127.0.0.1:$HTTPS_PORT" -servername "$HOST" -verify_return_error \
        -CAfile "$WORK/pebble-root.pem" </dev/null 2>/dev/null | openssl x509 2>/dev/null) || { echo -; return; }
    openssl x509 -noout -serial <<<"$pem" | cut -d= -f2
}

# Why the IP-literal URL is not used: show what 2 s of it get (see the header).
wrk -t1 -c1 -d2s -H "Host: $HOST" "https://127.0.0.1:$HTTPS_PORT/index.html" >"$WORK/wrk-ip.txt" 2>&1 || true
echo "not used: wrk https://127.0.0.1:$HTTPS_PORT/index.html -H 'Host: $HOST' (SNI 127.0.0.1), 2 s:"
sed 's/^/    /' "$WORK/wrk-ip.txt"
echo

# Serial watcher: one s_client handshake a second, a line whenever the serial changes.
(
    last=
    while :; do
        s=$(serial)
        if [ "$s" != "$last" ]; then
            printf '%(%H:%M:%S)T serial %s\n' -1 "$s"
            last=$s
        fi
        sleep 1
    done
) >"$WORK/serials.log" 2>&1 &
WATCHER=$!
PIDS+=("$WATCHER")

# Latency probe: a new curl connection (SNI and Host = $HOST) every 0.2 s, its total time logged with the wall
# clock, so wrk's worst latencies can be set against the renewal times (or shown to have nothing to do with them:
# the machine is shared, and a stall of the whole machine shows here too).
(
    while :; do
        printf '%(%H:%M:%S)T %s\n' -1 "$(curl -sk --resolve "$HOST:$HTTPS_PORT:127.0.0.1" -o /dev/null \
            -w '%{http_code} %{time_total}' "https://$HOST:$HTTPS_PORT/index.html" || echo "failed")"
        sleep 0.2
    done
) >"$WORK/probe.log" 2>&1 &
PROBE=$!
PIDS+=("$PROBE")

cat >"$WORK/resolve.lua" <<'EOF'
-- Connect to 127.0.0.1 whatever the URL's host, so SNI and Host stay the site's name (see bench/acme-renewal.sh).
wrk.resolve = function(host, service)
    wrk.addrs = wrk.lookup("127.0.0.1", service)
end
EOF
URL="https://$HOST:$HTTPS_PORT/index.html"
START=$(date +%H:%M:%S)
log "wrk for ${ACME_SECONDS} s from $START"
wrk -t1 -c8 -d"${ACME_SECONDS}s" --latency -s "$WORK/resolve.lua" "$URL" >"$WORK/wrk-keepalive.txt" 2>&1 &
WRK1=$!
PIDS+=("$WRK1")
wrk -t1 -c4 -d"${ACME_SECONDS}s" -s "$WORK/resolve.lua" -H 'Connection: close' "$URL" >"$WORK/wrk-close.txt" 2>&1 &
WRK2=$!
PIDS+=("$WRK2")
wait "$WRK1" "$WRK2"
END=$(date +%H:%M:%S)
kill "$WATCHER" "$PROBE" 2>/dev/null || true
wait "$WATCHER" "$PROBE" 2>/dev/null || true

# wrk's summary: requests, non-2xx ("Non-2xx or 3xx responses", absent when 0), socket errors (absent when none).
summary() {
    local f=$1 reqs non2xx errs
    reqs=$(grep -Eo '^ *[0-9]+ requests in' "$f" | grep -Eo '[0-9]+' || echo '?')
    non2xx=$(grep -Eo 'Non-2xx or 3xx responses: [0-9]+' "$f" | grep -Eo '[0-9]+$' || echo 0)
    errs=$(grep -E 'Socket errors' "$f" | sed 's/^ *Socket errors: //' || true)
    printf '| %s | %s | %s | %s | %s |\n' "$2" "$reqs" "$(grep -Eo 'Requests/sec: *[0-9.]+' "$f" | grep -Eo '[0-9.]+$')" "$non2xx" "${errs:-none}"
}
echo "wrk $START - $END (${ACME_SECONDS} s, both at once), $URL via 127.0.0.1:"
echo
echo "| wrk | requests | req/s | non-2xx | socket errors |"
echo "|---|---|---|---|---|"
summary "$WORK/wrk-keepalive.txt" "keep-alive, 8 conns"
summary "$WORK/wrk-close.txt" "Connection: close, 4 conns"
echo
echo "serials presented for $HOST (openssl s_client once a second, verified against pebble's root; - = failed):"
sed 's/^/    /' "$WORK/serials.log"
echo
echo "staticd's certificate lines:"
grep -E "certificate (issued|renewed)" "$LOG" | sed 's/^/    /'
RENEWALS=$(awk -v s="$START" -v e="$END" '/certificate renewed/ { t = substr($1, 1, 8); if (t >= s && t <= e) n++ } END { print n + 0 }' "$LOG")
CHANGES=$(grep -cv ' serial -$' "$WORK/serials.log" || true)
echo
echo "renewals during wrk: $RENEWALS (distinct serials seen: $CHANGES)"
echo
echo "curl probe (new connection every 0.2 s): $(wc -l <"$WORK/probe.log") requests, $(grep -cv ' 200 ' "$WORK/probe.log" || true) not 200;" \
    "slowest 5 (time, status, seconds):"
sort -k3 -rn "$WORK/probe.log" | head -5 | sed 's/^/    /'
if grep -qiE "fail|error|warn" "$LOG"; then
    echo
    echo "staticd warnings/errors:"
    grep -iE "fail|error|warn" "$LOG" | sed 's/^/    /'
fi
echo
echo "wrk output:"
sed 's/^/    /' "$WORK/wrk-keepalive.txt" "$WORK/wrk-close.txt"
if ((RENEWALS < 2)); then
    log "fewer than two renewals during wrk: raise ACME_SECONDS"
    exit 1
fi
