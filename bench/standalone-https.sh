# shellcheck shell=bash
# bench/standalone-https.sh - sourced by the scans that run against one staticd over HTTPS on loopback
# (bench/h2spec.sh, bench/testssl.sh) and by bench/tls.sh for its certificate: the throw-away test CA and leaf, a free
# port, and staticd started on the sample site. Not run on its own.

# make_test_certificate DIR CA_NAME [EXTRA_EXTENSION...]: DIR/ca.pem (a CA valid 10 years) and DIR/server.pem +
# DIR/server.key (ECDSA P-256 for localhost and 127.0.0.1, 365 days, serverAuth), as a public CA would issue them;
# extra lines (e.g. a CRL URI) go into the leaf's extensions. Output goes to DIR/cert.log; the status is openssl's.
make_test_certificate() {
    local dir=$1 ca_name=$2
    shift 2
    (
        cd "$dir" || exit 1
        openssl ecparam -name prime256v1 -genkey -noout -out ca.key &&
            openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=$ca_name" -out ca.pem \
                -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
            openssl ecparam -name prime256v1 -genkey -noout -out server.key &&
            openssl req -new -key server.key -subj "/CN=localhost" -out server.csr &&
            printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'basicConstraints=critical,CA:FALSE' \
                'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' "$@" >leaf.ext &&
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 -sha256 \
                -extfile leaf.ext -out server.pem
    ) >"$dir/cert.log" 2>&1
}

# A port below the ephemeral range that nothing listens on.
standalone_free_port() {
    local p
    for _ in $(seq 500); do
        p=$((20000 + RANDOM % 12000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
    done
    return 1
}

# start_standalone_staticd BINARY DIR [EXTRA_JSON]: staticd with DIR/server.pem on a free HTTPS port (set in PORT;
# the plain port is free and unused), one loop, the sample site, EXTRA_JSON (e.g. '"Hsts": "max-age=63072000", ')
# spliced into its configuration; PID is set, an EXIT trap stops it, and it returns once the port takes
# connections (exit 2 if staticd dies first).
start_standalone_staticd() {
    local bin=$1 dir=$2 extra=${3:-} plain repo
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    PORT=$(standalone_free_port)
    plain=$(standalone_free_port)
    printf '{"StaticD": {"Port": %s, "HttpsPort": %s, "Root": "%s", "Listen": ["127.0.0.1"], "Loops": 1, %s"Tls": {"Certificate": "%s", "Key": "%s"}}}\n' \
        "$plain" "$PORT" "$repo/sample-site" "$extra" "$dir/server.pem" "$dir/server.key" >"$dir/staticd.json"
    "$bin" --config "$dir/staticd.json" >"$dir/staticd.log" 2>&1 &
    PID=$!
    trap 'kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true' EXIT
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
        kill -0 "$PID" 2>/dev/null || { echo "staticd exited: $(tail -n 3 "$dir/staticd.log")" >&2; exit 2; }
        sleep 0.05
    done
    echo "staticd did not open port $PORT in 5 s: $(tail -n 3 "$dir/staticd.log")" >&2
    exit 2
}
