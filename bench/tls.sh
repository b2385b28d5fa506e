# bench/tls.sh - the HTTPS table of bench/run.sh (sourced by it; uses its helpers and arrays).
#
# Every server gets the same ECDSA P-256 certificate, made here by a throw-away test CA, and the same TLS settings
# as far as each lets them be set (TLS 1.2 + 1.3, session tickets on, a session cache, no OCSP stapling; see
# bench/conf/*-tls.*.in). The clients (wrk, curl, idle_conns.py) run with OPENSSL_CONF=conf/client-openssl.cnf:
# they offer TLS 1.3 with one suite (TLS_AES_128_GCM_SHA256) and one group (X25519) only, so every server ends
# up with the same session whatever its own preferences. No kernel TLS here unless the kernel has the tls module
# (TLS_KTLS says which): without it every server encrypts in user space (pread/read + SSL_write).
# shellcheck shell=bash
# Arrays and settings read by run.sh (TABLE_SCHEME, CG_PROCS...) look unused here.
# shellcheck disable=SC2034

TLS_DIR=$WORK/tls
TLS_CERT=$TLS_DIR/server.pem
TLS_KEY=$TLS_DIR/server.key
TLS_CA=$TLS_DIR/ca.pem
TLS_CLIENT_CONF=$CONF_DIR/client-openssl.cnf
TLS_ROUNDS=${BENCH_TLS_ROUNDS:-3}
TLS_SERVERS=(staticd nginx h2o lighttpd)
TLS_KTLS=no
TLS_LONG=3 # the 1,000-connection case runs 3 x BENCH_SECONDS

# make_tls_cert: a test CA and a leaf for localhost / 127.0.0.1 signed by it, both ECDSA P-256 (made once per
# run: the key files must be readable by the servers, which all run as root here).
make_tls_cert() {
    rm -rf "$TLS_DIR"
    mkdir -p "$TLS_DIR"
    make_test_certificate "$TLS_DIR" "staticd bench CA" || { cp "$TLS_DIR/cert.log" "$RUN/tls-cert.log"; return 1; }
}

# The kernel's tls module (kTLS): a socket takes the "tls" upper-layer protocol only if it is there.
ktls_available() {
    python3 - <<'EOF' 2>/dev/null
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
c = socket.create_connection(s.getsockname()); a, _ = s.accept()
try:
    a.setsockopt(socket.SOL_TCP, 31, b"tls")  # TCP_ULP
except OSError:
    sys.exit(1)
EOF
}

# start_staticd_tls LOOPS PIN...: STATICD_BIN with an HTTPS port (SERVER_PORT) and a plain one it does not use.
start_staticd_tls() {
    local loops=$1 name
    shift
    if [ ! -x "$STATICD_BIN" ]; then START_ERR="binary $STATICD_BIN not found"; return 1; fi
    name=staticd-tls-$((STATICD_STARTS += 1))
    SERVER_PORT=$(free_port)
    render "$CONF_DIR/staticd-tls.json.in" "$RUN/$name.json" PORT="$SERVER_PORT" PLAINPORT="$(free_port)" \
        ROOT="$DOCROOT" LOOPS="$loops" CERT="$TLS_CERT" KEY="$TLS_KEY"
    launch "$name" "$@" "$STATICD_BIN" --config "$RUN/$name.json"
}

start_nginx_tls() {
    local dir=$RUN/nginx-tls
    if [ "$HAVE_NGINX" != 1 ]; then START_ERR=$PEER_MISSING; return 1; fi
    SERVER_PORT=$(free_port)
    mkdir -p "$dir/nginx-tmp"
    render "$CONF_DIR/nginx-tls.conf.in" "$dir/nginx.conf" PORT="$SERVER_PORT" ROOT="$DOCROOT" WORK="$dir" \
        WORKERS=1 NOFILE="$(ulimit -n)" CERT="$TLS_CERT" KEY="$TLS_KEY"
    launch nginx-tls "$@" nginx -p "$dir/" -e "$dir/nginx-error.log" -c "$dir/nginx.conf" -g 'daemon off;'
}

start_h2o_tls() {
    local dir=$RUN/h2o-tls
    if [ "$HAVE_H2O" != 1 ]; then START_ERR=$PEER_MISSING; return 1; fi
    SERVER_PORT=$(free_port)
    mkdir -p "$dir"
    render "$CONF_DIR/h2o-tls.conf.in" "$dir/h2o.conf" PORT="$SERVER_PORT" ROOT="$DOCROOT" WORK="$dir" \
        THREADS=1 CERT="$TLS_CERT" KEY="$TLS_KEY"
    launch h2o-tls "$@" h2o -c "$dir/h2o.conf"
}

start_lighttpd_tls() {
    local dir=$RUN/lighttpd-tls
    if [ "$HAVE_LIGHTTPD" != 1 ]; then START_ERR=$PEER_MISSING; return 1; fi
    if [ ! -e /usr/lib/lighttpd/mod_openssl.so ] && ! apt_install lighttpd-mod-openssl; then
        START_ERR="no mod_openssl (package lighttpd-mod-openssl could not be installed)"
        return 1
    fi
    SERVER_PORT=$(free_port)
    mkdir -p "$dir"
    render "$CONF_DIR/lighttpd-tls.conf.in" "$dir/lighttpd.conf" PORT="$SERVER_PORT" ROOT="$DOCROOT" WORK="$dir" \
        CERT="$TLS_CERT" KEY="$TLS_KEY"
    launch lighttpd-tls "$@" lighttpd -D -f "$dir/lighttpd.conf"
}

# tls_session SERVER: "TLSv1.3 TLS_AES_128_GCM_SHA256 X25519, ..." as the bench's client negotiates it with the
# server of the tls table, and whether a second connection resumes the first's session from its ticket (what the
# report shows, so a server that differs is seen).
tls_session() {
    local port=${SPORT[tls/$1]:-} out proto group resumed sess=$RUN/tls-$1.session
    [ -n "$port" ] || { echo n/a; return; }
    # s_client reads the TLS 1.3 ticket (sent after the handshake) while its input stays open.
    out=$({ sleep 0.5; } | OPENSSL_CONF=$TLS_CLIENT_CONF timeout 10 openssl s_client -connect "127.0.0.1:$port" \
        -servername localhost -CAfile "$TLS_CA" -sess_out "$sess" 2>&1 | tr -d '\r')
    proto=$(sed -n 's/^New, \([^,]*\), Cipher is \(.*\)$/\1 \2/p' <<<"$out" | head -n1)
    group=$(sed -n 's/^Server Temp Key: \([^,]*\).*/\1/p' <<<"$out" | head -n1)
    if [ -s "$sess" ] && { sleep 0.5; } | OPENSSL_CONF=$TLS_CLIENT_CONF timeout 10 openssl s_client \
        -connect "127.0.0.1:$port" -servername localhost -CAfile "$TLS_CA" -sess_in "$sess" 2>&1 | grep -q '^Reused,'; then
        resumed="a ticket resumes the session"
    else
        resumed="no resumption from a ticket (!)"
    fi
    grep -q 'Verify return code: 0 (ok)' <<<"$out" || resumed+=", certificate not verified (!)"
    echo "${proto:-?} ${group:-?}, $resumed"
}

# tls_main: the HTTPS table's runs (1 loop / 1 worker / 1 thread on CPU 0 under the one-core quota, wrk on CPU 1,
# TLS_ROUNDS rounds, the 404 case left out).
tls_main() {
    log "[https] test CA and ECDSA P-256 certificate in $TLS_DIR"
    if ! make_tls_cert; then
        NOTES+=("HTTPS table: could not make the test certificate: $(tail -n 2 "$RUN/tls-cert.log" | tr '\n' ' ')")
        return 0
    fi
    ktls_available && TLS_KTLS=yes
    TABLE_SCHEME[tls]=https
    TABLE_SKIP[tls]=4
    start_table tls staticd start_staticd_tls 1 "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    start_table tls nginx start_nginx_tls "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    start_table tls h2o start_h2o_tls "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    start_table tls lighttpd start_lighttpd_tls "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    declare -gA TLS_SESSION=()
    local s saved=$ROUNDS
    for s in "${TLS_SERVERS[@]}"; do TLS_SESSION[$s]=$(tls_session "$s"); done
    ROUNDS=$TLS_ROUNDS
    bench_table tls "${TLS_SERVERS[@]}"
    ROUNDS=$saved
    log "[https] RSS per idle TLS keep-alive connection"
    tls_idle
}

# median_raw TABLE SERVER CASE: the median over the rounds of ROUND_RAW (req/s, or MB/s * 10); empty if none.
median_raw() {
    local r v q=() n
    for ((r = 1; r <= TLS_ROUNDS; r++)); do
        v=${ROUND_RAW[$1/$2/$3/$r]:-}
        [ -z "$v" ] || q+=("$v")
    done
    n=${#q[@]}
    [ "$n" -gt 0 ] || return 0
    mapfile -t q < <(printf '%s\n' "${q[@]}" | sort -n)
    if ((n % 2)); then echo "${q[$((n / 2))]}"; else echo $(((q[n / 2 - 1] + q[n / 2]) / 2)); fi
}

# tls_cell SERVER CASE: the median as shown (MB/s with one decimal), flagged like its CELL.
tls_cell() {
    local v flag=""
    v=$(median_raw tls "$1" "$2")
    [[ ${CELL[tls/$1/$2]:-} == *"(!)" ]] && flag=" (!)"
    if [ -z "$v" ]; then echo "${CELL[tls/$1/$2]:-n/a}"; return; fi
    if [ "${CASE_UNIT[$2]}" = mbs ]; then echo "$((v / 10)).$((v % 10))$flag"; else echo "$v$flag"; fi
}

# IDLE_TLS[server/kind] -> bytes per idle connection; IDLE_TLS_LINE: idle_conns.py's lines.
declare -A IDLE_TLS=()
IDLE_TLS_LINES=()
TLS_IDLE_CONNS=${BENCH_TLS_IDLE_CONNS:-5000}

# idle_one LABEL PID PORT [--tls]: idle_conns.py against PID (its VmRSS) on PORT.
idle_one() {
    local label=$1 pid=$2 port=$3 line per
    shift 3
    if line=$(OPENSSL_CONF=$TLS_CLIENT_CONF "${PIN_CLIENT[@]}" python3 "$BENCH_DIR/idle_conns.py" "$@" \
        "$pid" "$port" /index.html "$TLS_IDLE_CONNS" 2>&1); then
        per=${line#per_conn_bytes=}
        per=${per%% *}
        [[ $per =~ ^[0-9]+$ ]] && IDLE_TLS[$label]=$per
    fi
    IDLE_TLS_LINES+=("$label: $line")
}

# tls_idle: RSS per idle keep-alive connection (each after one request) of staticd over TLS and over plain HTTP
# (a fresh process each: memory the first freed would otherwise serve the second), and of nginx over TLS (its one
# worker's RSS); no quota, servers on CPU 0.
tls_idle() {
    local pid port plain worker i kind
    for kind in tls plain; do
        port=$(free_port) plain=$(free_port)
        render "$CONF_DIR/staticd-tls.json.in" "$RUN/staticd-idle-$kind.json" PORT="$port" PLAINPORT="$plain" \
            ROOT="$DOCROOT" LOOPS=1 CERT="$TLS_CERT" KEY="$TLS_KEY"
        env StaticD__Limits__MaxConnections=$((TLS_IDLE_CONNS * 3)) StaticD__Limits__KeepAliveTimeoutSeconds=600 \
            "${PIN_SERVER[@]}" "$STATICD_BIN" --config "$RUN/staticd-idle-$kind.json" >"$RUN/staticd-idle-$kind.out" 2>&1 &
        pid=$!
        PIDS+=("$pid")
        for ((i = 0; i < 100; i++)); do try_connect "$port" 2>/dev/null && try_connect "$plain" 2>/dev/null && break; sleep 0.05; done
        if [ "$kind" = tls ]; then idle_one staticd/tls "$pid" "$port" --tls; else idle_one staticd/plain "$pid" "$plain"; fi
        stop_tree "$pid"
    done
    [ "$HAVE_NGINX" = 1 ] || return 0
    SERVER_PORT=
    CG_PROCS=
    start_nginx_tls "${PIN_SERVER[@]}" || { IDLE_TLS_LINES+=("nginx: $START_ERR"); return 0; }
    worker=$(pgrep -P "$SERVER_PID" | head -n1)
    [ -n "$worker" ] && idle_one "nginx/tls" "$worker" "$SERVER_PORT" --tls
    stop_tree "$SERVER_PID"
}

# tls_report: the HTTPS section of the report.
tls_report() {
    local c s row rows=() label ROUNDS=$TLS_ROUNDS # pair_ratios goes over ROUNDS rounds
    echo "### HTTPS: servers pinned to CPU 0 (1 worker/loop/thread), $(quota_text tls), wrk pinned to CPU 1"
    echo
    echo "Median of $TLS_ROUNDS rounds per server; the ratios are the median of the within-round ratios (the servers"
    echo "of a round ran one after the other), with their lowest - highest in brackets."
    echo
    rows=("case	staticd	nginx	h2o	lighttpd	staticd/h2o	staticd/nginx	staticd/lighttpd")
    for ((c = 0; c < NCASES; c++)); do
        [ "$c" != "${TABLE_SKIP[tls]}" ] || continue
        label=${CASE_LABEL[$c]}
        row=${label/new conn per request/new TLS conn per request}
        for s in "${TLS_SERVERS[@]}"; do row+=$'\t'$(tls_cell "$s" "$c"); done
        for s in h2o nginx lighttpd; do
            row+=$'\t'$(ratio_cell ROUND_RAW tls staticd "$s" "$c")
        done
        rows+=("$row")
    done
    row="RSS after the run (MiB)"
    for s in "${TLS_SERVERS[@]}"; do row+=$'\t'${RSS_AFTER[tls/$s]:-n/a}; done
    rows+=("$row")
    print_table "${rows[@]}"
    echo
    echo "The server's own CPU time per response (user + system, µs, best round) and its CPU use (% of one CPU / % of"
    echo "the quota periods used up):"
    echo
    case_table CPU_US tls "case	staticd	nginx	h2o	lighttpd" "${TLS_SERVERS[@]}"
    echo
    case_table USE tls "case	staticd	nginx	h2o	lighttpd" "${TLS_SERVERS[@]}"
    echo
    echo "CPU busy during the best round, server core (CPU 0) / wrk's core (CPU 1), in percent:"
    echo
    case_table BUSY tls "case	staticd	nginx	h2o	lighttpd" "${TLS_SERVERS[@]}"
    echo
    echo "New TLS connection per request: wrk resumes the session of its previous connection on the same socket slot"
    echo "(TLS 1.3 ticket, PSK with X25519 key exchange: no certificate, no ECDSA signature), as browsers do; only the"
    echo "first handshake of each slot is a full one. The 1,000-connection case runs ${TLS_LONG}x as long as the others,"
    echo "as its first seconds are 1,000 full handshakes."
    echo
    echo "TLS as negotiated by the bench's client (openssl s_client with the same OPENSSL_CONF as wrk):"
    echo
    for s in "${TLS_SERVERS[@]}"; do echo "- $s: ${TLS_SESSION[$s]:-n/a}"; done
    echo "- kernel TLS (tls module): $TLS_KTLS$([ "$TLS_KTLS" = no ] && echo ": every server encrypts in user space")"
    echo
    echo "RSS per idle keep-alive connection, $TLS_IDLE_CONNS connections after one request each (VmRSS growth / count):"
    echo
    rows=("server	bytes per idle connection")
    rows+=("staticd, HTTPS	${IDLE_TLS[staticd/tls]:-n/a}")
    rows+=("staticd, plain HTTP	${IDLE_TLS[staticd/plain]:-n/a}")
    rows+=("nginx, HTTPS (its worker)	${IDLE_TLS[nginx/tls]:-n/a}")
    print_table "${rows[@]}"
    echo
    for s in "${IDLE_TLS_LINES[@]}"; do echo "- $s"; done
    echo
}
