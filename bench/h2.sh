# bench/h2.sh - the HTTP/2 table of bench/run.sh (sourced by it, after tls.sh; uses their helpers and arrays).
#
# h2load (Debian's nghttp2-client) against staticd, nginx ("http2" on its TLS listener) and h2o (h2 by ALPN, its
# default), all over TLS with the HTTPS table's certificate and settings (bench/tls.sh, bench/conf/*-tls.*): each
# server one worker/loop/thread pinned on CPU 0 in its own cgroup under the HTTPS table's CPU quota, h2load one
# thread pinned on CPU 1 with the same client OpenSSL configuration as wrk (one TLS 1.3 suite, X25519). Cases: the
# 1 KiB page and the 64 KiB image with 16 connections x 10 concurrent streams (-m 10: HTTP/2's multiplexing), the
# 100 MiB file with 4 connections x 1 stream (MB/s). H2_ROUNDS rounds, the servers of a round back to back in a
# rotating order; the table shows medians and the within-round ratios vs h2o (the reference) and nginx.
# shellcheck shell=bash
# Arrays read by run.sh's helpers (TABLE_SKIP, CELL...) look unused here.
# shellcheck disable=SC2034,SC2004  # (RSS_AFTER and the like are associative arrays of run.sh)

H2_ROUNDS=${BENCH_H2_ROUNDS:-3}
H2_SERVERS=(staticd nginx h2o)
H2_LABEL=("1 KiB, 16 conns x 10 streams" "64 KiB, 16 conns x 10 streams" "100 MiB, 4 conns x 1 stream")
H2_PATH=(/index.html /image.png /100m.bin)
H2_ARGS=("-c 16 -m 10" "-c 16 -m 10" "-c 4 -m 1")
H2_UNIT=(rps rps mbs)
declare -A H2_RAW=()  # server/case/round -> req/s, or MB/s x 10
declare -A H2_CELL=() # server/case -> what the table shows when there is no number (n/a, failed (!))
declare -A H2_CPU=()  # server/case -> the server's CPU µs per response in its best round
declare -A H2_PROTO=() # server -> the protocol h2load negotiated

# start_nginx_h2 PIN...: nginx's HTTPS config with "http2" on the listen line (nginx 1.22's spelling).
start_nginx_h2() {
    local dir=$RUN/nginx-h2
    if [ "$HAVE_NGINX" != 1 ]; then START_ERR=$PEER_MISSING; return 1; fi
    SERVER_PORT=$(free_port)
    mkdir -p "$dir/nginx-tmp"
    render "$CONF_DIR/nginx-tls.conf.in" "$dir/nginx.conf" PORT="$SERVER_PORT" ROOT="$DOCROOT" WORK="$dir" \
        WORKERS=1 NOFILE="$(ulimit -n)" CERT="$TLS_CERT" KEY="$TLS_KEY"
    sed -i 's/ ssl reuseport/ ssl http2 reuseport/' "$dir/nginx.conf"
    grep -q ' ssl http2 reuseport' "$dir/nginx.conf" || { START_ERR="could not turn on http2 in $dir/nginx.conf"; return 1; }
    launch nginx-h2 "$@" nginx -p "$dir/" -e "$dir/nginx-error.log" -c "$dir/nginx.conf" -g 'daemon off;'
}

start_h2o_h2() { start_h2o_tls "$@"; }
start_staticd_h2() { start_staticd_tls 1 "$@"; }

# h2_case SERVER CASE ROUND: one h2load run; records H2_RAW and the server's CPU time per response.
h2_case() {
    local s=$1 c=$2 r=$3 port=${SPORT[h2/$1]} pid=${SPID[h2/$1]} out t0 t1 rps mbs ok failed proto us v u
    out=$RUN/h2-$s-$c-$r.txt
    log "  [h2 round $r] $s: ${H2_LABEL[$c]}"
    t0=$(proc_ticks "$pid")
    # shellcheck disable=SC2086  # H2_ARGS is a plain word list
    OPENSSL_CONF=$TLS_CLIENT_CONF timeout $((DURATION + 30)) "${PIN_CLIENT[@]}" h2load -t 1 ${H2_ARGS[$c]} \
        -D "$DURATION" --warm-up-time 1 "https://127.0.0.1:$port${H2_PATH[$c]}" >"$out" 2>&1 || true
    t1=$(proc_ticks "$pid")
    proto=$(sed -n 's/^Application protocol: //p' "$out" | head -n1)
    H2_PROTO[$s]=${proto:-none}
    read -r ok failed < <(sed -n 's/^requests: .* \([0-9]*\) succeeded, \([0-9]*\) failed.*/\1 \2/p' "$out" | head -n1)
    rps=$(sed -n 's/^finished in [^,]*, \([0-9.]*\) req\/s, \([0-9.]*\)\([KMG]*\)B\/s.*/\1/p' "$out" | head -n1)
    mbs=$(sed -n 's/^finished in [^,]*, [0-9.]* req\/s, \([0-9.]*\)\([KMG]*\)B\/s.*/\1 \2/p' "$out" | head -n1)
    if [ "$proto" != h2 ] || [ -z "$rps" ] || [ -z "${ok:-}" ] || [ "${ok:-0}" = 0 ] || [ "${failed:-1}" != 0 ]; then
        H2_CELL[$s/$c]="failed (!)"
        NOTES+=("$s (h2 table), ${H2_LABEL[$c]}, round $r: protocol ${proto:-none}, $(grep -E '^(requests|status codes):' "$out" | tr '\n' ' ') see $out")
        return 0
    fi
    if [ "${H2_UNIT[$c]}" = mbs ]; then
        # h2load prints MB/s (or KB/s, GB/s); kept as tenths of MB/s.
        read -r v u <<<"$mbs"
        case $u in K) H2_RAW[$s/$c/$r]=$(awk -v v="$v" 'BEGIN { printf "%d", v / 100 }') ;;
            G) H2_RAW[$s/$c/$r]=$(awk -v v="$v" 'BEGIN { printf "%d", v * 10240 }') ;;
            *) H2_RAW[$s/$c/$r]=$(awk -v v="$v" 'BEGIN { printf "%d", v * 10 }') ;;
        esac
    else
        H2_RAW[$s/$c/$r]=${rps%.*}
    fi
    # CPU µs per response over the whole run (warm-up included: h2load counts only the measured part, so this
    # is an upper bound, the same for every server).
    us=$(((t1 - t0) * 1000000 / CLK_TCK / ok))
    if [ -z "${H2_CPU[$s/$c]:-}" ] || [ "$us" -lt "${H2_CPU[$s/$c]}" ]; then H2_CPU[$s/$c]=$us; fi
}

# h2_main: start the three servers, run H2_ROUNDS rounds of every case, stop them.
h2_main() {
    local s c r i n=${#H2_SERVERS[@]} pid
    ensure_tool h2load nghttp2-client || { NOTES+=("HTTP/2 table: h2load (nghttp2-client) could not be installed"); return 0; }
    if [ ! -s "$TLS_CERT" ]; then
        log "[h2] test CA and ECDSA P-256 certificate in $TLS_DIR"
        make_tls_cert || { NOTES+=("HTTP/2 table: could not make the test certificate"); return 0; }
    fi
    start_table h2 staticd start_staticd_h2 "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    start_table h2 nginx start_nginx_h2 "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    start_table h2 h2o start_h2o_h2 "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    for ((r = 1; r <= H2_ROUNDS; r++)); do
        for ((c = 0; c < ${#H2_LABEL[@]}; c++)); do
            for ((i = 0; i < n; i++)); do
                s=${H2_SERVERS[$(((i + c + r) % n))]}
                pid=${SPID[h2/$s]:-}
                [ -n "$pid" ] || continue
                if ! kill -0 "$pid" 2>/dev/null; then H2_CELL[$s/$c]="died (!)"; continue; fi
                h2_case "$s" "$c" "$r"
            done
        done
    done
    for s in "${H2_SERVERS[@]}"; do
        pid=${SPID[h2/$s]:-}
        [ -n "$pid" ] || continue
        if kill -0 "$pid" 2>/dev/null; then RSS_AFTER[h2/$s]=$(kib_to_mib "$(rss_kib "$pid")"); else RSS_AFTER[h2/$s]="died (!)"; fi
        stop_tree "$pid"
        if [ -n "${SCG[h2/$s]:-}" ]; then cg_rmdir "${SCG[h2/$s]}" || true; fi
    done
}

# h2_cell SERVER CASE: the median over the rounds as shown (MB/s with one decimal).
h2_cell() {
    local r v q=() n m
    for ((r = 1; r <= H2_ROUNDS; r++)); do
        v=${H2_RAW[$1/$2/$r]:-}
        [ -z "$v" ] || q+=("$v")
    done
    n=${#q[@]}
    if [ "$n" = 0 ]; then echo "${H2_CELL[$1/$2]:-n/a}"; return; fi
    mapfile -t q < <(printf '%s\n' "${q[@]}" | sort -n)
    if ((n % 2)); then m=${q[$((n / 2))]}; else m=$(((q[n / 2 - 1] + q[n / 2]) / 2)); fi
    if [ "${H2_UNIT[$2]}" = mbs ]; then echo "$((m / 10)).$((m % 10)) MB/s"; else echo "$m"; fi
    [ -z "${H2_CELL[$1/$2]:-}" ] || echo " ${H2_CELL[$1/$2]}"
}

# h2_report: the HTTP/2 section of the report.
h2_report() {
    local c s row rows=() ROUNDS=$H2_ROUNDS # pair_ratios goes over ROUNDS rounds
    declare -A ROUND_H2=()
    for c in "${!H2_RAW[@]}"; do ROUND_H2[h2/$c]=${H2_RAW[$c]}; done
    echo "### HTTP/2 over TLS: h2load, servers pinned to CPU 0 (1 worker/loop/thread), $(quota_text h2), h2load pinned to CPU 1"
    echo
    echo "Median of $H2_ROUNDS rounds of ${DURATION} s (after 1 s of warm-up) per server, req/s unless marked; the"
    echo "ratios are the median of the within-round ratios, their lowest - highest in brackets."
    echo
    rows=("case	staticd	nginx	h2o	staticd/h2o	staticd/nginx")
    for ((c = 0; c < ${#H2_LABEL[@]}; c++)); do
        row=${H2_LABEL[$c]}
        for s in "${H2_SERVERS[@]}"; do row+=$'\t'$(h2_cell "$s" "$c" | tr -d '\n'); done
        for s in h2o nginx; do
            row+=$'\t'$(ratio_cell ROUND_H2 h2 staticd "$s" "$c")
        done
        rows+=("$row")
    done
    row="RSS after the run (MiB)"
    for s in "${H2_SERVERS[@]}"; do row+=$'\t'${RSS_AFTER[h2/$s]:-n/a}; done
    rows+=("$row")
    print_table "${rows[@]}"
    echo
    echo "The server's CPU time per response (user + system, µs, best round, warm-up included):"
    echo
    rows=("case	staticd	nginx	h2o")
    for ((c = 0; c < ${#H2_LABEL[@]}; c++)); do
        row=${H2_LABEL[$c]}
        for s in "${H2_SERVERS[@]}"; do row+=$'\t'${H2_CPU[$s/$c]:-n/a}; done
        rows+=("$row")
    done
    print_table "${rows[@]}"
    echo
    echo "Protocol h2load negotiated: $(for s in "${H2_SERVERS[@]}"; do printf '%s %s; ' "$s" "${H2_PROTO[$s]:-n/a}"; done)"
    echo
}
