#!/usr/bin/env bash
# bench/wire-bytes.sh [DIR] - bytes on the wire for every file of DIR (default: sample-site/): identity, gzip, br
# and zstd, as staticd sends them (its own on-the-fly results, MinBytes lowered to 1 so that small files are
# shown too; with the default MinBytes of 1024, files under 1 KiB go out as they are). Prints a markdown table.
set -euo pipefail
REPO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DIR=$(realpath "${1:-$REPO_DIR/sample-site}")
BIN=${STATICD_BIN:-$REPO_DIR/out/staticd}
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
printf '{"StaticD": {"Port": %d, "Root": "%s", "Listen": ["127.0.0.1"], "Loops": 1, "AccessLog": false, "Compression": {"MinBytes": 1}}}\n' \
    "$PORT" "$DIR" >"$WORK/config.json"
"$BIN" --config "$WORK/config.json" >"$WORK/log" 2>&1 &
PID=$!
trap 'kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.05; done

# bytes PATH CODING: the body length of the answer once it carries CODING (or the identity length if it never
# does: a type staticd does not compress, or a result no smaller than the file).
bytes() {
    local i head
    for i in $(seq 100); do
        head=$(curl -s -o /dev/null -D - -H "Accept-Encoding: $2" "http://127.0.0.1:$PORT$1")
        if grep -qi "^content-encoding: $2" <<<"$head" || [ "$i" = 100 ]; then
            grep -i '^content-length:' <<<"$head" | tr -dc '0-9'
            grep -qi "^content-encoding: $2" <<<"$head" || printf ' (identity)'
            return
        fi
        sleep 0.05
    done
}

echo "| file | identity | gzip | br | zstd |"
echo "|---|---:|---:|---:|---:|"
total_id=0 total_gz=0 total_br=0 total_zst=0
while IFS= read -r file; do
    path=/${file#"$DIR"/}
    id=$(stat -c %s "$file")
    gz=$(bytes "$path" gzip) br=$(bytes "$path" br) zst=$(bytes "$path" zstd)
    echo "| \`$path\` | $id | $gz | $br | $zst |"
    total_id=$((total_id + id)) total_gz=$((total_gz + ${gz%% *})) total_br=$((total_br + ${br%% *})) total_zst=$((total_zst + ${zst%% *}))
done < <(find "$DIR" -type f ! -name '*.br' ! -name '*.gz' ! -name '*.zst' | sort)
echo "| total | $total_id | $total_gz | $total_br | $total_zst |"
