# bench/compression.sh - sourced by bench/run.sh: the compression table (BENCH_TABLES=compression runs it alone).
#
# A 4 KiB CSS file and a 200 KiB JavaScript file, asked for with "Accept-Encoding: gzip", from:
#   otf       staticd compressing on the fly, measured once the result is in its cache (memory)
#   sidecar   staticd with Compression off, serving FILE.gz made beforehand with gzip -9
#   identity  the otf server asked without Accept-Encoding (the file as it is)
#   nginx     nginx with "gzip on" at level 6 (it compresses every response)
# Every server: one worker/loop on CPU 0 under the one-core table's quota, wrk on CPU 1.
# shellcheck shell=bash

COMP_OTF=$WORK/comp-otf
COMP_SIDE=$WORK/comp-sidecar
COMP_SERVERS=(otf sidecar identity nginx)
declare -A SAE=() # table/server -> the Accept-Encoding curl and wrk send (none when unset)
declare -A SAE_CHECKED=()

# make_comp_roots: the two files, the same in both roots; the sidecar root also has their .gz.
make_comp_roots() {
    mkdir -p "$COMP_OTF" "$COMP_SIDE"
    make_text "$COMP_OTF/style.css" 4096 '/* staticd bench */ body { margin: 0; } ' $'\n'
    # JavaScript-like text with varying names and numbers: compresses about as well as real bundles (4-6x).
    awk 'BEGIN { srand(7); while (n < 204800) { l = sprintf("function handler%d(event) { const v%d = event.detail * %d + %d; return v%d > %d ? \"%x\" : null; }\n", n % 977, n % 89, int(rand() * 1000), int(rand() * 100000), n % 89, int(rand() * 5000), int(rand() * 1e9)); printf "%s", l; n += length(l) } }' >"$COMP_OTF/app.js"
    truncate -s 204800 "$COMP_OTF/app.js" # not head -c: awk would die of SIGPIPE, and pipefail stop the bench
    cp "$COMP_OTF/style.css" "$COMP_OTF/app.js" "$COMP_SIDE/"
    gzip -9nkf "$COMP_SIDE/style.css" "$COMP_SIDE/app.js"
}

# start_staticd_comp ROOT ENABLED PIN...
start_staticd_comp() {
    local root=$1 enabled=$2 name=staticd-comp-$((STATICD_STARTS += 1))
    shift 2
    if [ ! -x "$STATICD_BIN" ]; then START_ERR="binary $STATICD_BIN not found"; return 1; fi
    SERVER_PORT=$(free_port)
    printf '{"StaticD": {"Port": %d, "Root": "%s", "Listen": ["127.0.0.1"], "Loops": 1, "AccessLog": false, "Compression": {"Enabled": %s}}}\n' \
        "$SERVER_PORT" "$root" "$enabled" >"$RUN/$name.json"
    launch "$name" "$@" "$STATICD_BIN" --config "$RUN/$name.json"
}

# start_nginx_gzip PIN...: one worker, gzip on at level 6 (nginx's usual setting).
start_nginx_gzip() {
    NGINX_GZIP="gzip on; gzip_comp_level 6; gzip_min_length 1024; gzip_vary on; gzip_types text/css application/javascript;"
    start_nginx 1 "$@"
    local rc=$?
    NGINX_GZIP=
    return $rc
}

# check_encoded URL CASE CODING: asks until the answer carries Content-Encoding: CODING (the first answers of
# on-the-fly compression are the file as it is) and checks it decodes to the file.
check_encoded() {
    local url=$1 c=$2 coding=$3 i
    for ((i = 0; i < 300; i++)); do
        curl -s -D "$RUN/check.head" -o "$RUN/check.body" --max-time 20 -H "Accept-Encoding: $coding" "$url" >/dev/null 2>&1 || true
        grep -qi "^content-encoding: $coding" "$RUN/check.head" && break
        sleep 0.1
    done
    if ! grep -qi "^content-encoding: $coding" "$RUN/check.head"; then
        echo "no Content-Encoding: $coding after 30 s"
        return 1
    fi
    if ! gzip -dc <"$RUN/check.body" | cmp -s - "$COMP_OTF/${CASE_FILE[$c]}"; then
        echo "the $coding body does not decode to ${CASE_FILE[$c]}"
        return 1
    fi
    rm -f "$RUN/check.head" "$RUN/check.body"
}

# run_compression_table: runs the table with its own cases and leaves the report in COMP_REPORT.
run_compression_table() {
    log "[compression] staticd on the fly vs sidecar vs identity vs nginx gzip on"
    make_comp_roots
    local saved=("${CASE_LABEL[@]}") saved_path=("${CASE_PATH[@]}") saved_conns=("${CASE_CONNS[@]}") saved_close=("${CASE_CLOSE[@]}")
    local saved_status=("${CASE_STATUS[@]}") saved_file=("${CASE_FILE[@]}") saved_unit=("${CASE_UNIT[@]}") saved_n=$NCASES
    local saved_root=$DOCROOT
    DOCROOT=$COMP_OTF # what nginx serves and what the identity check compares with
    CASE_LABEL=("4 KiB CSS, 64 conns (req/s)" "200 KiB JS, 64 conns (req/s)")
    CASE_PATH=(/style.css /app.js) CASE_CONNS=(64 64) CASE_CLOSE=(0 0) CASE_STATUS=(200 200)
    CASE_FILE=(style.css app.js) CASE_UNIT=(rps rps) NCASES=2
    SAE[comp/otf]=gzip SAE[comp/sidecar]=gzip SAE[comp/nginx]=gzip
    start_table comp otf start_staticd_comp "$COMP_OTF" true "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    start_table comp sidecar start_staticd_comp "$COMP_SIDE" false "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    start_table comp identity start_staticd_comp "$COMP_OTF" true "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    start_table comp nginx start_nginx_gzip "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    bench_table comp "${COMP_SERVERS[@]}"

    local c s row rows=("case	on the fly (cached)	sidecar .gz	identity	nginx gzip on (6)	otf/sidecar	otf/nginx	otf CPU µs/resp	nginx CPU µs/resp")
    for ((c = 0; c < NCASES; c++)); do
        row=${CASE_LABEL[$c]}
        for s in "${COMP_SERVERS[@]}"; do row+=$'\t'${CELL[comp/$s/$c]:-n/a}; done
        row+=$'\t'$(ratio "${RAW[comp/otf/$c]:-}" "${RAW[comp/sidecar/$c]:-}")$'\t'$(ratio "${RAW[comp/otf/$c]:-}" "${RAW[comp/nginx/$c]:-}")
        row+=$'\t'${CPU_US[comp/otf/$c]:-n/a}$'\t'${CPU_US[comp/nginx/$c]:-n/a}
        rows+=("$row")
    done
    local sizes="" f
    for f in style.css app.js; do sizes+=" $f $(stat -c %s "$COMP_OTF/$f") B, gzip -9 $(stat -c %s "$COMP_SIDE/$f.gz") B;"; done
    COMP_REPORT="### Compression: \"Accept-Encoding: gzip\", 1 worker/loop on CPU 0, $(quota_text comp), wrk pinned to CPU 1"$'\n\n'
    COMP_REPORT+="Sizes:${sizes%;}. The otf column is measured after its result is cached (the check asks until it is)."$'\n\n'
    COMP_REPORT+=$(print_table "${rows[@]}")$'\n'

    CASE_LABEL=("${saved[@]}") CASE_PATH=("${saved_path[@]}") CASE_CONNS=("${saved_conns[@]}") CASE_CLOSE=("${saved_close[@]}")
    CASE_STATUS=("${saved_status[@]}") CASE_FILE=("${saved_file[@]}") CASE_UNIT=("${saved_unit[@]}") NCASES=$saved_n
    DOCROOT=$saved_root
}
