#!/usr/bin/env bash
# bench/run.sh - compare staticd with nginx, h2o and lighttpd on this machine.
#
# Usage:  bench/run.sh            (or: make bench)
#         bench/run.sh --baseline PATH   (or: BASELINE=PATH make bench)
# Env:    BENCH_SECONDS   seconds per wrk run (default 5)
#         BENCH_ROUNDS    repeat every case N times, report the best (default 1;
#                         3 with a baseline)
#         STATICD_BIN     server binary (default <repo>/out/staticd)
#         BENCH_WORK      work dir (default bench/.work, gitignored)
#         BASELINE        a second staticd binary: instead of the peer tables,
#                         compare STATICD_BIN with it, case by case, the two
#                         run back to back in every round (same as --baseline)
#         BENCH_PEERS     0: leave out nginx/h2o/lighttpd (not installed, not
#                         run). Default 1, or 0 with a baseline (1 adds them
#                         to the comparison's tables)
#         BENCH_SITES     sites in the many-sites table (default 1000; 0 leaves
#                         the table out)
#         BENCH_TABLES    the tables to run, e.g. "alog" or "one,alog" (of one,
#                         two, alog, sites, compression, https, h2, footprint;
#                         default all). "https" alone: the HTTPS table and its
#                         idle TLS connections; "h2" alone: the HTTP/2 table
#                         (h2load vs nginx and h2o, bench/h2.sh). Not with a
#                         baseline. "acme" (alone, never part of "all"): ACME issuance
#                         and renewal swaps under wrk, bench/acme-renewal.sh
#         BENCH_H2_ROUNDS rounds of the HTTP/2 table, its median reported
#                         (default 3)
#         BENCH_TLS_ROUNDS rounds of the HTTPS table, its median reported
#                         (default 3)
#         BENCH_TLS_IDLE_CONNS idle TLS connections for the RSS figure
#                         (default 5000)
#         BENCH_TLS_CPU_QUOTA the HTTPS table's quota (default half of
#                         BENCH_CPU_QUOTA: wrk's TLS costs it as much as the
#                         server's costs the server)
#         BENCH_CPU_QUOTA percent of a CPU each server may use, per core it is
#                         pinned to: every server runs in its own cgroup with
#                         that CPU quota (cgroup v1 cpu or v2 cpu.max), so the
#                         ratios measure the servers, not wrk. Default 40 in
#                         the one-core, HTTPS, access-log and many-sites tables and, with a
#                         baseline, in all tables (two-core: 40% of each of
#                         its 2 cores); the normal run's two-core table is
#                         uncapped unless it is set. 0: no quota anywhere
#
# Results (machine line + tables, markdown) go to stdout; progress goes to
# stderr. The script reports failures of the servers, it does not fail on
# them: it exits 0 unless wrk or curl can't be installed or the arguments are
# bad. Everything it starts is killed on exit.
# Functions called indirectly (trap, start_table's START_FN) confuse SC2317.
# shellcheck disable=SC2317
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$BENCH_DIR")
STATICD_BIN=${STATICD_BIN:-$REPO_DIR/out/staticd}
BASELINE=${BASELINE:-}
usage() { sed -n '2,/^# Functions called/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case $1 in
        --baseline) [ $# -ge 2 ] || { echo "--baseline needs a path" >&2; exit 2; }
            BASELINE=$2; shift 2 ;;
        --baseline=*) BASELINE=${1#--baseline=}; shift ;;
        -h | --help) usage; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
if [ -n "$BASELINE" ]; then
    if [ ! -f "$BASELINE" ] || [ ! -x "$BASELINE" ]; then
        echo "baseline $BASELINE is not an executable file" >&2
        exit 2
    fi
    BASELINE=$(realpath "$BASELINE")
fi
DURATION=${BENCH_SECONDS:-5}
if [ -n "$BASELINE" ]; then ROUNDS=${BENCH_ROUNDS:-3}; else ROUNDS=${BENCH_ROUNDS:-1}; fi
PEERS=${BENCH_PEERS:-$([ -n "$BASELINE" ] && echo 0 || echo 1)}
WORK=${BENCH_WORK:-$BENCH_DIR/.work}
DOCROOT=$WORK/docroot
RUN=$WORK/run
CONF_DIR=$BENCH_DIR/conf
LUA=$BENCH_DIR/report.lua

if ! [[ $DURATION =~ ^[1-9][0-9]*$ && $ROUNDS =~ ^[1-9][0-9]*$ ]]; then
    echo "BENCH_SECONDS and BENCH_ROUNDS must be positive integers" >&2
    exit 2
fi
SITES=${BENCH_SITES:-1000}
if ! [[ $SITES =~ ^(0|[1-9][0-9]{0,4})$ ]] || [ "$SITES" -gt 10000 ]; then
    echo "BENCH_SITES must be 0 to 10000" >&2
    exit 2
fi
BENCH_TABLES=${BENCH_TABLES:-}
# The ACME bench needs pebble, not the peer servers: handed over before anything is installed or built here.
if [ "$BENCH_TABLES" = acme ]; then exec "$BENCH_DIR/acme-renewal.sh"; fi
# want TABLE: whether BENCH_TABLES (empty: all) asks for it.
want() { [ -z "$BENCH_TABLES" ] || [[ ",${BENCH_TABLES// /,}," == *",$1,"* ]]; }
for t in ${BENCH_TABLES//,/ }; do
    case $t in one | two | alog | sites | compression | https | h2 | footprint) ;; *) echo "BENCH_TABLES: unknown table $t (one, two, alog, sites, compression, https, h2, footprint)" >&2; exit 2 ;; esac
done
if ! [[ ${BENCH_TLS_ROUNDS:-3} =~ ^[1-9][0-9]?$ && ${BENCH_TLS_IDLE_CONNS:-5000} =~ ^[1-9][0-9]{0,4}$ &&
    ${BENCH_TLS_CPU_QUOTA:-0} =~ ^(0|[1-9][0-9]?|100)$ ]]; then
    echo "BENCH_TLS_ROUNDS must be 1 to 99, BENCH_TLS_IDLE_CONNS 1 to 99999, BENCH_TLS_CPU_QUOTA 0 to 100" >&2
    exit 2
fi
if [[ $PEERS != [01] ]]; then
    echo "BENCH_PEERS must be 0 or 1" >&2
    exit 2
fi
if ! [[ ${BENCH_CPU_QUOTA:-40} =~ ^(0|[1-9][0-9]?|100)$ ]]; then
    echo "BENCH_CPU_QUOTA must be a percentage, 0 (no quota) to 100" >&2
    exit 2
fi
QUOTA_PCT=${BENCH_CPU_QUOTA:-40}

log() { printf '==> %s\n' "$*" >&2; }

# ----------------------------------------------------------------------------
# Process bookkeeping: every server we start is recorded and killed on exit.
# ----------------------------------------------------------------------------
PIDS=()
POLICY_CREATED=0

# Prints the pids of all descendants of $1 (children first, depth first).
descendants() {
    local c
    for c in $(pgrep -P "$1" 2>/dev/null || true); do
        echo "$c"
        descendants "$c"
    done
}

# Stops process $1 and its descendants: TERM, up to 3 s grace, then KILL.
stop_tree() {
    local pid=$1 all p i
    kill -0 "$pid" 2>/dev/null || return 0
    # shellcheck disable=SC2207  # pids are plain integers
    all=("$pid" $(descendants "$pid"))
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 30; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    for p in "${all[@]}"; do
        kill -KILL "$p" 2>/dev/null || true
    done
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        stop_tree "$pid"
    done
    if [ "$POLICY_CREATED" = 1 ]; then
        rm -f /usr/sbin/policy-rc.d
    fi
    cg_cleanup
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ----------------------------------------------------------------------------
# CPU quota (BENCH_CPU_QUOTA): every server of a table runs in a cgroup of its
# own, staticd-bench-<our pid>-<table>-<server>, limited to TABLE_QUOTA[table]
# percent of one CPU (100 ms period). cgroup v1 (a "cpu" controller mount,
# cpu.cfs_quota_us) is used when there is one, else cgroup v2 (cpu.max). The
# server joins its cgroup before it execs (launch), so every process and
# thread it starts (nginx's workers) is in it. Removed on exit.
# ----------------------------------------------------------------------------
declare -A TABLE_QUOTA=() # table -> percent of one CPU for each of its servers; 0: none
declare -A SCG=()         # table/server -> its cgroup directory
declare -A QUOTA_LOST=()  # table -> 1 if it was to have a quota but there was no cgroup for it
CG_MODE=none              # v1 | v2 | none
CG_BASE=                  # where our cgroups are created
CG_WHY=                   # why there is no quota although one was asked for
CG_DIRS=()                # every cgroup created, removed on exit
CG_V2_ENABLED=            # a cgroup.subtree_control we added +cpu to (taken back on exit)
CG_PERIOD_US=100000
CG_MAX_PCT=0              # the largest quota of a table

# cg_set_limit DIR PERCENT: the quota of cgroup DIR, PERCENT of one CPU.
cg_set_limit() {
    local dir=$1 quota=$(($2 * CG_PERIOD_US / 100))
    if [ "$CG_MODE" = v1 ]; then
        { echo "$CG_PERIOD_US" >"$dir/cpu.cfs_period_us" && echo "$quota" >"$dir/cpu.cfs_quota_us"; } 2>/dev/null
    else
        { echo "$quota $CG_PERIOD_US" >"$dir/cpu.max"; } 2>/dev/null
    fi
}

# cg_rmdir DIR: removes cgroup DIR, waiting up to 2 s for its killed processes to be gone.
cg_rmdir() {
    local i
    for ((i = 0; i < 20; i++)); do
        [ -d "$1" ] || return 0
        rmdir "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    log "could not remove cgroup $1"
    return 1
}

# cg_try MODE BASE: can we create a cgroup under BASE, give it the largest quota a table needs (v1 refuses
# one above its parent's) and move a process into it? Sets CG_MODE/CG_BASE if so; else adds the reason to
# CG_TRIED and fails.
CG_TRIED=()
cg_try() {
    local probe=$2/staticd-bench-$$-probe why
    CG_MODE=$1
    if ! mkdir "$probe" 2>/dev/null; then
        why="cannot create a cgroup in $2"
    elif ! cg_set_limit "$probe" "$CG_MAX_PCT"; then
        why="cannot set a CPU quota in $2"
    elif ! sh -c '{ echo $$ >"$1"; } 2>/dev/null' sh "$probe/cgroup.procs"; then
        why="cannot move a process into a cgroup in $2"
    else
        cg_rmdir "$probe" || true
        CG_BASE=$2
        return 0
    fi
    if [ -d "$probe" ]; then cg_rmdir "$probe" || true; fi
    CG_MODE=none
    CG_TRIED+=("$1: $why")
    return 1
}

# cg_init: finds a writable cgroup with the cpu controller, when a table has a quota. Without one, every
# table runs without a quota and the report says why (the bench does not fail for it).
cg_init() {
    local t v1 v2 own d pid
    CG_MAX_PCT=0
    for t in "${!TABLE_QUOTA[@]}"; do
        [ "${TABLE_QUOTA[$t]}" -le "$CG_MAX_PCT" ] || CG_MAX_PCT=${TABLE_QUOTA[$t]}
    done
    [ "$CG_MAX_PCT" -gt 0 ] || return 0
    # v1: the "cpu" controller's mount (maybe "cpu,cpuacct"), under our own cgroup in it, else its root.
    v1=$(awk '$3 == "cgroup" { n = split($4, o, ","); for (i = 1; i <= n; i++) if (o[i] == "cpu") { print $2; exit } }' /proc/mounts)
    if [ -n "$v1" ]; then
        own=$(awk -F: '{ n = split($2, c, ","); for (i = 1; i <= n; i++) if (c[i] == "cpu") { print $3; exit } }' /proc/self/cgroup)
        own=${own%/}
        cg_try v1 "$v1$own" || { [ -n "$own" ] && cg_try v1 "$v1"; } || true
    fi
    # v2: the root of the cgroup2 mount (below it, the no-internal-processes rule keeps a cgroup that has
    # processes, such as ours, from handing the cpu controller to its children).
    v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
    if [ "$CG_MODE" = none ] && [ -n "$v2" ]; then
        if ! grep -qw cpu "$v2/cgroup.controllers" 2>/dev/null; then
            CG_TRIED+=("v2: $v2 has no cpu controller (bound to cgroup v1, or disabled)")
        else
            if ! grep -qw cpu "$v2/cgroup.subtree_control" 2>/dev/null &&
                { echo +cpu >"$v2/cgroup.subtree_control"; } 2>/dev/null; then
                CG_V2_ENABLED=$v2/cgroup.subtree_control
            fi
            if grep -qw cpu "$v2/cgroup.subtree_control" 2>/dev/null; then
                cg_try v2 "$v2" || true
            else
                CG_TRIED+=("v2: cannot enable the cpu controller in $v2/cgroup.subtree_control")
            fi
        fi
    fi
    if [ "$CG_MODE" != none ]; then
        # Left over by a run that was killed (no exit trap): empty, and its script is gone.
        for d in "$CG_BASE"/staticd-bench-*; do
            [ -d "$d" ] || continue
            pid=${d##*/staticd-bench-}
            pid=${pid%%-*}
            if [[ $pid =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null && [ ! -s "$d/cgroup.procs" ]; then
                rmdir "$d" 2>/dev/null || true
            fi
        done
        log "CPU quota: cgroup $CG_MODE, in $CG_BASE"
        return 0
    fi
    [ -n "$v1$v2" ] || CG_TRIED+=("no cgroup mount with a cpu controller")
    CG_WHY=$(printf '%s; ' "${CG_TRIED[@]}")
    CG_WHY=${CG_WHY%; }
    for t in "${!TABLE_QUOTA[@]}"; do
        [ "${TABLE_QUOTA[$t]}" = 0 ] || QUOTA_LOST[$t]=1
        TABLE_QUOTA[$t]=0
    done
    log "no CPU quota, running without one: $CG_WHY"
}

# cg_create TABLE SERVER: the cgroup for SERVER of TABLE with the table's quota; sets CG_PROCS to the
# cgroup.procs file launch has the server join (empty: no quota). Fails if the cgroup can't be set up.
CG_PROCS=
cg_create() {
    local table=$1 server=$2 pct=${TABLE_QUOTA[$1]:-0} dir
    CG_PROCS=
    if [ "$pct" = 0 ] || [ "$CG_MODE" = none ]; then return 0; fi
    dir=$CG_BASE/staticd-bench-$$-$table-$server
    if ! mkdir "$dir" 2>/dev/null; then
        START_ERR="cannot create cgroup $dir"
        return 1
    fi
    CG_DIRS+=("$dir")
    if ! cg_set_limit "$dir" "$pct"; then
        START_ERR="cannot set the CPU quota of cgroup $dir"
        return 1
    fi
    SCG[$table/$server]=$dir
    CG_PROCS=$dir/cgroup.procs
}

# cg_throttled DIR: "periods throttled" so far from the cgroup's cpu.stat (v1 and v2 alike).
cg_throttled() {
    awk '$1 == "nr_periods" { p = $2 } $1 == "nr_throttled" { t = $2 } END { print p + 0, t + 0 }' \
        "$1/cpu.stat" 2>/dev/null || echo "0 0"
}

# cg_cleanup: removes every cgroup we created (their servers are stopped by then).
cg_cleanup() {
    local d
    for d in "${CG_DIRS[@]}"; do cg_rmdir "$d" || true; done
    CG_DIRS=()
    if [ -n "$CG_V2_ENABLED" ]; then
        { echo -cpu >"$CG_V2_ENABLED"; } 2>/dev/null || true
        CG_V2_ENABLED=
    fi
}

# ----------------------------------------------------------------------------
# Installing the tools.
# ----------------------------------------------------------------------------
APT_UPDATED=0
APT_LOG=$WORK/apt.log

# Keeps package postinst scripts from starting services (nginx/lighttpd/h2o
# would grab port 80). Only creates policy-rc.d if there is none.
block_service_start() {
    if [ ! -e /usr/sbin/policy-rc.d ] && [ -w /usr/sbin ]; then
        printf '#!/bin/sh\n# created by staticd bench/run.sh, removed on exit\nexit 101\n' \
            >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        POLICY_CREATED=1
    fi
}

apt_install() {
    block_service_start
    if DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" \
        >>"$APT_LOG" 2>&1; then
        return 0
    fi
    if [ "$APT_UPDATED" = 0 ]; then
        APT_UPDATED=1
        log "apt-get install $* failed; running apt-get update once"
        apt-get update >>"$APT_LOG" 2>&1 || true
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" \
            >>"$APT_LOG" 2>&1 && return 0
    fi
    return 1
}

# Makes sure the distro's service for $1 is neither running nor enabled.
disable_system_service() {
    local svc=$1 pidfile
    if command -v systemctl >/dev/null 2>&1; then
        # 'disable' only edits symlinks, so it works without a running systemd.
        systemctl disable "$svc" >/dev/null 2>&1 || true
        if [ -d /run/systemd/system ]; then
            systemctl stop "$svc" >/dev/null 2>&1 || true
        fi
    fi
    if [ -x "/etc/init.d/$svc" ]; then
        "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    fi
    if command -v update-rc.d >/dev/null 2>&1; then
        update-rc.d "$svc" disable >/dev/null 2>&1 || true
    fi
    # If a postinst started it anyway (no init system to ask), use its pid file.
    for pidfile in "/run/$svc.pid" "/run/$svc/$svc.pid" "/var/run/$svc.pid"; do
        if [ -s "$pidfile" ]; then
            stop_tree "$(head -n1 "$pidfile")"
        fi
    done
}

# ensure_tool CMD PKG [PKG...]: installs the first package that works if CMD
# is missing. Returns non-zero if CMD is still missing.
ensure_tool() {
    local cmd=$1 pkg svc
    shift
    command -v "$cmd" >/dev/null 2>&1 && return 0
    for pkg in "$@"; do
        log "installing $pkg"
        if apt_install "$pkg"; then
            for svc in nginx lighttpd h2o; do
                if [ "$cmd" = "$svc" ]; then disable_system_service "$svc"; fi
            done
            command -v "$cmd" >/dev/null 2>&1 && return 0
        fi
    done
    log "could not install $cmd (see $APT_LOG)"
    return 1
}

mkdir -p "$WORK"
rm -rf "$RUN"
mkdir -p "$RUN"

ensure_tool wrk wrk || { echo "FATAL: wrk is not installed and could not be installed" >&2; exit 1; }
ensure_tool curl curl || { echo "FATAL: curl is not installed and could not be installed" >&2; exit 1; }
HAVE_NGINX=0 HAVE_H2O=0 HAVE_LIGHTTPD=0
PEER_MISSING="not installed"
if [ "$PEERS" = 1 ]; then
    ensure_tool nginx nginx nginx-light && HAVE_NGINX=1
    if [ "$BENCH_TABLES" != compression ]; then # the compression table compares with nginx alone
        ensure_tool h2o h2o && HAVE_H2O=1
        ensure_tool lighttpd lighttpd && HAVE_LIGHTTPD=1
    fi
else
    PEER_MISSING="left out (BENCH_PEERS=0)"
fi
if [ "$POLICY_CREATED" = 1 ]; then
    rm -f /usr/sbin/policy-rc.d
    POLICY_CREATED=0
fi

# wrk at 1000 connections and the servers need more than 1024 fds.
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 65536 ]; then
    ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fi

NPROC=$(nproc)
if [ "$NPROC" -ge 2 ]; then
    PIN_SERVER=(taskset -c 0)
    PIN_CLIENT=(taskset -c 1)
    PIN_BOTH=(taskset -c "0,1")
else
    PIN_SERVER=() PIN_CLIENT=() PIN_BOTH=()
fi

# The quota of each table, in percent of one CPU: BENCH_CPU_QUOTA per core the servers are pinned to. The
# normal run's two-core table (what a second loop adds) has none unless BENCH_CPU_QUOTA is set.
TABLE_QUOTA[one]=$QUOTA_PCT
TABLE_QUOTA[alog]=$QUOTA_PCT
TABLE_QUOTA[sites]=$QUOTA_PCT
TABLE_QUOTA[comp]=$QUOTA_PCT
# HTTPS: the client's half of TLS costs wrk about as much as the server's half costs the server, so at the one-core
# quota wrk (one core) would be the limit; half of it keeps the server the limit.
TABLE_QUOTA[tls]=${BENCH_TLS_CPU_QUOTA:-$((QUOTA_PCT / 2))}
TABLE_QUOTA[h2]=${TABLE_QUOTA[tls]} # HTTP/2 over TLS: the client (h2load) pays for TLS as wrk does
if [ -n "${BENCH_CPU_QUOTA:-}" ] || [ -n "$BASELINE" ]; then TABLE_QUOTA[two]=$((QUOTA_PCT * 2)); else TABLE_QUOTA[two]=0; fi
cg_init

# cpu_pct_note TABLE: under a quota, what the second figure of a USE cell is.
cpu_pct_note() {
    if [ "${TABLE_QUOTA[$1]:-0}" -gt 0 ]; then
        echo " / in what % of the 100 ms periods the quota of ${TABLE_QUOTA[$1]}% was used up (near ${TABLE_QUOTA[$1]} / 100: the quota set the pace)"
    fi
}

# use_intro TABLE: the text above a table of USE figures.
use_intro() {
    if [ "${TABLE_QUOTA[$1]:-0}" -gt 0 ]; then
        echo "The server's CPU use during the best round (user + system of all its processes, from /proc/PID/stat, in % of"
        echo "one CPU) / in what % of the quota's 100 ms periods it used up its quota of ${TABLE_QUOTA[$1]}% (cgroup cpu.stat). Near"
        echo "${TABLE_QUOTA[$1]} / 100 the quota was the limit, as intended: the server, not wrk, set the pace."
    else
        echo "The server's CPU use during the best round (user + system of all its processes, from /proc/PID/stat, in % of"
        echo "one CPU):"
    fi
}

# quota_line: the "- CPU quota:" line of a report.
quota_line() {
    if [ "$CG_MODE" != none ]; then
        local one=${TABLE_QUOTA[one]} two=${TABLE_QUOTA[two]}
        printf -- '- CPU quota (BENCH_CPU_QUOTA): every server in a cgroup of its own (cgroup %s, %s), %s%% of\n' \
            "$CG_MODE" "$CG_BASE" "$one"
        printf '  its core in the one-core, access-log and many-sites tables, %s%% in the HTTPS table, %s in the two-core table;\n  0 turns it off\n' "${TABLE_QUOTA[tls]}" \
            "$([ "$two" -gt 0 ] && echo "$((two / 2))% of each of its 2 cores" || echo "none")"
    elif [ -n "$CG_WHY" ]; then
        echo "- CPU quota: none, BENCH_CPU_QUOTA=$QUOTA_PCT asked for one but no cgroup was writable (see Notes)"
    else
        echo "- CPU quota: none (BENCH_CPU_QUOTA=0)"
    fi
}

# quota_text TABLE: the table's CPU quota, for its heading.
quota_text() {
    local pct=${TABLE_QUOTA[$1]:-0}
    if [ "$pct" -gt 0 ]; then
        if [ "$1" = two ]; then
            echo "CPU quota ${pct}% of a CPU per server, $((pct / 2))% of each core"
        else
            echo "CPU quota ${pct}% per server"
        fi
    elif [ -n "${QUOTA_LOST[$1]:-}" ]; then
        echo "no CPU quota (no writable cgroup)"
    else
        echo "no CPU quota"
    fi
}

# ----------------------------------------------------------------------------
# Document root (created once, reused while the sizes match).
# ----------------------------------------------------------------------------

# make_text FILE SIZE PREFIX SUFFIX: text file of exactly SIZE bytes.
make_text() {
    local file=$1 size=$2 prefix=$3 suffix=$4 body filler
    filler='Lorem ipsum dolor sit amet, consectetur adipiscing elit. '
    body=$prefix
    while [ $((${#body} + ${#suffix})) -lt "$size" ]; do body+=$filler; done
    body=${body:0:$((size - ${#suffix}))}$suffix
    printf '%s' "$body" >"$file.tmp"
    mv "$file.tmp" "$file"
}

make_docroot() {
    local name size
    mkdir -p "$DOCROOT"
    for name in index.html:1024 style.css:4096 image.png:65536 1m.bin:1048576 100m.bin:104857600; do
        size=${name#*:}
        name=${name%%:*}
        if [ -f "$DOCROOT/$name" ] && [ "$(stat -c %s "$DOCROOT/$name")" = "$size" ]; then
            continue
        fi
        log "creating $name ($size bytes)"
        case $name in
            index.html) make_text "$DOCROOT/$name" "$size" \
                '<!DOCTYPE html><html><head><title>staticd bench</title><link rel="stylesheet" href="style.css"></head><body><p>' \
                $'</p></body></html>\n' ;;
            style.css) make_text "$DOCROOT/$name" "$size" '/* staticd bench */ body { margin: 0; } /* ' $' */\n' ;;
            *) head -c "$size" /dev/urandom >"$DOCROOT/$name.tmp" && mv "$DOCROOT/$name.tmp" "$DOCROOT/$name" ;;
        esac
    done
}
make_docroot

# make_site_roots N: $SITES_DIR/s0 ... s<N-1>, each a root of its own holding a copy of the 1 KiB page and a
# site.txt naming the site (the routing check). Rebuilt when the count or the page changed.
SITES_DIR=$WORK/sites
make_site_roots() {
    local n=$1 i stamp
    stamp="$n $(cksum <"$DOCROOT/index.html")"
    if [ -f "$SITES_DIR/.stamp" ] && [ "$(cat "$SITES_DIR/.stamp")" = "$stamp" ]; then return 0; fi
    log "creating $n site roots in $SITES_DIR"
    rm -rf "$SITES_DIR"
    for ((i = 0; i < n; i++)); do
        mkdir -p "$SITES_DIR/s$i"
        cp "$DOCROOT/index.html" "$SITES_DIR/s$i/index.html"
        printf 's%d\n' "$i" >"$SITES_DIR/s$i/site.txt"
    done
    echo "$stamp" >"$SITES_DIR/.stamp"
}

# ----------------------------------------------------------------------------
# Helpers: ports, templates, RSS.
# ----------------------------------------------------------------------------

# Succeeds if something accepts on 127.0.0.1:$1. No fork: ~50 us per try.
try_connect() {
    local fd
    if exec {fd}<>"/dev/tcp/127.0.0.1/$1"; then
        exec {fd}>&-
        return 0
    fi
    return 1
}

# A port below the ephemeral range that nothing listens on.
free_port() {
    local p i
    for ((i = 0; i < 500; i++)); do
        p=$((20000 + RANDOM % 12000))
        if ! try_connect "$p" 2>/dev/null; then
            echo "$p"
            return 0
        fi
    done
    return 1
}

# render TEMPLATE OUT KEY=VALUE...: replaces @KEY@ with VALUE.
render() {
    local tpl=$1 out=$2 kv key val args=()
    shift 2
    for kv in "$@"; do
        key=${kv%%=*}
        val=${kv#*=}
        val=${val//\\/\\\\}
        val=${val//|/\\|}
        val=${val//&/\\&}
        args+=(-e "s|@${key}@|${val}|g")
    done
    sed "${args[@]}" "$tpl" >"$out"
}

# RSS in KiB of $1 plus all its descendants (nginx: master + workers).
rss_kib() {
    local total=0 p v
    for p in "$1" $(descendants "$1"); do
        v=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
        total=$((total + ${v:-0}))
    done
    echo "$total"
}

# KiB -> "12.3" MiB
kib_to_mib() { printf '%d.%d' $(($1 / 1024)) $(($1 * 10 / 1024 % 10)); }

# µs since the epoch, no fork.
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }

# cpu_ticks: "busy0 idle0 busy1 idle1" for CPUs 0 and 1 from /proc/stat (idle includes iowait; steal,
# time the hypervisor gave to someone else, counts as neither).
cpu_ticks() {
    awk '/^cpu0 / { b0 = $2 + $3 + $4 + $7 + $8; i0 = $5 + $6 }
         /^cpu1 / { b1 = $2 + $3 + $4 + $7 + $8; i1 = $5 + $6 }
         END { print b0 + 0, i0 + 0, b1 + 0, i1 + 0 }' /proc/stat
}

# proc_ticks PID: user+system clock ticks used so far by PID and its descendants (nginx's workers).
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
proc_ticks() {
    local total=0 p f
    for p in "$1" $(descendants "$1"); do
        # Fields 14 and 15 of /proc/PID/stat, counted after the ")" that ends the command name.
        f=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null) || continue
        set -- $f
        total=$((total + ${12} + ${13}))
    done
    echo "$total"
}

# busy_pct BEFORE AFTER CPU: percent of the interval CPU (0 or 1) was busy.
busy_pct() {
    local -a a b
    read -r -a a <<<"$1"
    read -r -a b <<<"$2"
    local k=$(($3 * 2)) busy idle
    busy=$((b[k] - a[k]))
    idle=$((b[k + 1] - a[k + 1]))
    [ $((busy + idle)) -gt 0 ] || { echo 0; return; }
    echo $((100 * busy / (busy + idle)))
}

# ----------------------------------------------------------------------------
# Starting servers. Each start_* prints nothing and sets SERVER_PID and
# SERVER_PORT; returns non-zero if the port does not accept within 5 s.
# ----------------------------------------------------------------------------
SERVER_PID=
SERVER_PORT=
START_ERR=

# launch NAME CMD...: starts CMD in the background, waits for SERVER_PORT (up to LAUNCH_SECONDS, default 5).
# Sets LAUNCH_T0 (when it forked), LAUNCH_US (µs from the fork to the port accepting) and LAUNCH_OUT (its output).
LAUNCH_US=
LAUNCH_T0=
LAUNCH_OUT=
launch() {
    local name=$1 deadline t0
    shift
    t0=$(now_us)
    LAUNCH_T0=$t0
    LAUNCH_OUT=$RUN/$name.out
    if [ -n "$CG_PROCS" ]; then
        # Joins the cgroup, then execs the server (same pid): everything it starts inherits the cgroup.
        # shellcheck disable=SC2016  # $$ and $1 are the inner shell's
        sh -c '{ echo $$ >"$1"; } 2>/dev/null || { echo "bench: cannot join cgroup $1" >&2; exit 1; }
            shift; exec "$@"' cgroup-join "$CG_PROCS" "$@" >"$RUN/$name.out" 2>&1 &
    else
        "$@" >"$RUN/$name.out" 2>&1 &
    fi
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    deadline=$(($(now_us) + ${LAUNCH_SECONDS:-5} * 1000000))
    while ! try_connect "$SERVER_PORT" 2>/dev/null; do
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            START_ERR="exited before accepting: $(tail -n 3 "$RUN/$name.out" | tr '\n' ' ')"
            return 1
        fi
        if [ "$(now_us)" -gt "$deadline" ]; then
            START_ERR="port $SERVER_PORT not accepting after ${LAUNCH_SECONDS:-5} s: $(tail -n 3 "$RUN/$name.out" | tr '\n' ' ')"
            stop_tree "$SERVER_PID"
            return 1
        fi
        sleep 0.01
    done
    LAUNCH_US=$(($(now_us) - t0))
}

# start_staticd LOOPS PIN...: STATICD_BIN.
start_staticd() { start_staticd_bin staticd "$STATICD_BIN" "$@"; }
# start_baseline LOOPS PIN...: the BASELINE binary, same config.
start_baseline() { start_staticd_bin baseline "$BASELINE" "$@"; }

# start_staticd_bin NAME BINARY LOOPS PIN...
start_staticd_bin() {
    local label=$1 bin=$2 loops=$3
    shift 3
    if [ ! -x "$bin" ]; then
        START_ERR="binary $bin not found"
        return 1
    fi
    # Numbered: one table may run staticd twice, and each run keeps its own config and log.
    STATICD_STARTS=$((STATICD_STARTS + 1))
    local name=$label-$STATICD_STARTS-$loops-loop
    SERVER_PORT=$(free_port)
    render "$CONF_DIR/staticd.json.in" "$RUN/$name.json" \
        PORT="$SERVER_PORT" ROOT="$DOCROOT" LOOPS="$loops" ACCESSLOG=false
    launch "$name" "$@" "$bin" --config "$RUN/$name.json"
}
STATICD_STARTS=0

# start_staticd_sites PIN...: one loop, the one-core config plus "Sites": SITES sites, s<i>.bench.test and
# *.s<i>.bench.test each, Root $SITES_DIR/s<i>. The top-level Root stays the default site.
start_staticd_sites() {
    local i name=staticd-sites-$((STATICD_STARTS += 1))
    if [ ! -x "$STATICD_BIN" ]; then START_ERR="binary $STATICD_BIN not found"; return 1; fi
    SERVER_PORT=$(free_port)
    render "$CONF_DIR/staticd.json.in" "$RUN/$name.base.json" \
        PORT="$SERVER_PORT" ROOT="$DOCROOT" LOOPS=1 ACCESSLOG=false
    {
        sed 's/}}[[:space:]]*$//' "$RUN/$name.base.json"
        printf ', "Sites": [\n'
        for ((i = 0; i < SITES; i++)); do
            printf '  {"Hosts": ["s%d.bench.test", "*.s%d.bench.test"], "Root": "%s/s%d"}%s\n' \
                "$i" "$i" "$SITES_DIR" "$i" "$([ $((i + 1)) -lt "$SITES" ] && echo ,)"
        done
        printf ']}}\n'
    } >"$RUN/$name.json"
    # Loading 1,000 sites takes seconds under the quota (about 2.8 s here): more than the usual 5 s allows for more.
    LAUNCH_SECONDS=120 launch "$name" "$@" "$STATICD_BIN" --config "$RUN/$name.json"
}

# wait_started SECONDS: staticd accepts as soon as its loops run, but goes on setting up (watching every
# root) before it logs "listening on" and tells systemd READY=1; waits for that line in LAUNCH_OUT. Sets
# STARTED_US (µs from the fork to the line). Fails after SECONDS.
STARTED_US=
wait_started() {
    local deadline=$(($(now_us) + $1 * 1000000))
    STARTED_US=
    while ! grep -q 'listening on' "$LAUNCH_OUT" 2>/dev/null; do
        [ "$(now_us)" -lt "$deadline" ] || return 1
        sleep 0.05
    done
    STARTED_US=$(($(now_us) - LAUNCH_T0))
}

# inotify_watches PID: the inotify watches PID holds, over all its inotify descriptors (/proc/PID/fdinfo).
inotify_watches() {
    cat /proc/"$1"/fdinfo/* 2>/dev/null | grep -c '^inotify wd:' || true
}

# start_staticd_journal PIN...: one loop, access log on, logging to a real
# systemd-journald through the native protocol (INVOCATION_ID makes staticd
# pick the journal, as it does under systemd). Log: $RUN/staticd-journal.out.
start_staticd_journal() { start_journal_bin staticd "$STATICD_BIN" "$@"; }
# start_baseline_journal PIN...: the same with BASELINE ($RUN/baseline-journal.out).
start_baseline_journal() { start_journal_bin baseline "$BASELINE" "$@"; }

# start_journal_bin NAME BINARY PIN...
start_journal_bin() {
    local label=$1 bin=$2
    shift 2
    if [ ! -x "$bin" ]; then START_ERR="binary $bin not found"; return 1; fi
    SERVER_PORT=$(free_port)
    render "$CONF_DIR/staticd.json.in" "$RUN/$label-journal.json" \
        PORT="$SERVER_PORT" ROOT="$DOCROOT" LOOPS=1 ACCESSLOG=true
    launch "$label-journal" env INVOCATION_ID=0123456789abcdef0123456789abcdef "$@" \
        "$bin" --config "$RUN/$label-journal.json"
}

# ensure_journald: the access-log row needs a journal to write to; start a
# standalone systemd-journald when none answers (it is stopped on exit).
ensure_journald() {
    if python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.connect("/run/systemd/journal/socket")' 2>/dev/null; then
        return 0
    fi
    [ -x /lib/systemd/systemd-journald ] || return 1
    /lib/systemd/systemd-journald >"$RUN/journald.out" 2>&1 &
    PIDS+=("$!")
    local i
    for ((i = 0; i < 50; i++)); do
        [ -S /run/systemd/journal/socket ] && return 0
        sleep 0.1
    done
    return 1
}

# start_nginx WORKERS PIN...: access_log off, or NGINX_ACCESSLOG (its arguments), in a directory of its own
# per NGINX_TAG.
start_nginx() {
    local workers=$1 dir=$RUN/nginx-$1${NGINX_TAG:-}
    shift
    if [ "$HAVE_NGINX" != 1 ]; then START_ERR=$PEER_MISSING; return 1; fi
    SERVER_PORT=$(free_port)
    mkdir -p "$dir/nginx-tmp"
    render "$CONF_DIR/nginx.conf.in" "$dir/nginx.conf" \
        PORT="$SERVER_PORT" ROOT="$DOCROOT" WORK="$dir" WORKERS="$workers" NOFILE="$(ulimit -n)" \
        ACCESSLOG="${NGINX_ACCESSLOG:-off}" GZIP="${NGINX_GZIP:-}"
    launch "nginx-$workers${NGINX_TAG:-}" "$@" nginx -p "$dir/" -e "$dir/nginx-error.log" \
        -c "$dir/nginx.conf" -g 'daemon off;'
}

# start_nginx_file PIN...: one worker, the combined format into $RUN/nginx-1-file/access.log, buffered as
# staticd buffers its file (64 KiB, flushed every second).
start_nginx_file() {
    NGINX_TAG=-file NGINX_ACCESSLOG="$RUN/nginx-1-file/access.log combined buffer=64k flush=1s" start_nginx 1 "$@"
}

# start_staticd_file PIN...: one loop, access log into $RUN/staticd-access.log in the combined format.
start_staticd_file() {
    if [ ! -x "$STATICD_BIN" ]; then START_ERR="binary $STATICD_BIN not found"; return 1; fi
    SERVER_PORT=$(free_port)
    rm -f "$RUN/staticd-access.log"
    render "$CONF_DIR/staticd.json.in" "$RUN/staticd-file.json" \
        PORT="$SERVER_PORT" ROOT="$DOCROOT" LOOPS=1 \
        ACCESSLOG="{\"Target\": \"file\", \"Path\": \"$RUN/staticd-access.log\", \"Format\": \"combined\"}"
    launch staticd-file "$@" "$STATICD_BIN" --config "$RUN/staticd-file.json"
}

start_h2o() {
    local dir=$RUN/h2o
    if [ "$HAVE_H2O" != 1 ]; then START_ERR=$PEER_MISSING; return 1; fi
    SERVER_PORT=$(free_port)
    mkdir -p "$dir"
    render "$CONF_DIR/h2o.conf.in" "$dir/h2o.conf" \
        PORT="$SERVER_PORT" ROOT="$DOCROOT" WORK="$dir" THREADS=1
    launch h2o "$@" h2o -c "$dir/h2o.conf"
}

start_lighttpd() {
    local dir=$RUN/lighttpd
    if [ "$HAVE_LIGHTTPD" != 1 ]; then START_ERR=$PEER_MISSING; return 1; fi
    SERVER_PORT=$(free_port)
    mkdir -p "$dir"
    render "$CONF_DIR/lighttpd.conf.in" "$dir/lighttpd.conf" \
        PORT="$SERVER_PORT" ROOT="$DOCROOT" WORK="$dir"
    launch lighttpd "$@" lighttpd -D -f "$dir/lighttpd.conf"
}

# ----------------------------------------------------------------------------
# Cases.
# ----------------------------------------------------------------------------
CASE_LABEL=(
    "1 KiB page, 64 conns (req/s)"
    "1 KiB page, 1000 conns (req/s)"
    "64 KiB file, 64 conns (req/s)"
    "new conn per request, 1 KiB, 64 conns (req/s)"
    "404, 64 conns (req/s)"
    "100 MiB file, 4 conns (MB/s)"
)
CASE_PATH=(/index.html /index.html /image.png /index.html /no-such-file.html /100m.bin)
CASE_CONNS=(64 1000 64 64 64 4)
CASE_CLOSE=(0 0 0 1 0 0)
CASE_STATUS=(200 200 200 200 404 200)
CASE_FILE=(index.html index.html image.png index.html "" 100m.bin)
CASE_UNIT=(rps rps rps rps rps mbs)
NCASES=${#CASE_LABEL[@]}

declare -A CELL=()   # table/server/case -> text shown
declare -A RAW=()    # table/server/case -> integer (req/s, or MB/s * 10)
declare -A BUSY=()   # table/server/case -> "server core % / wrk core %" during the best round
declare -A CPU_US=() # table/server/case -> server's user+system CPU per response (µs), best round
declare -A USE=()    # table/server/case -> server's CPU use, % of one CPU [/ % of periods throttled], best round
# Every round on its own (the baseline comparison pairs them):
declare -A ROUND_RAW=() # table/server/case/round -> RAW of that round alone
declare -A ROUND_CPU=() # table/server/case/round -> CPU per response of that round, hundredths of µs
# wrk threads per table: one in the one-core table (it has one core), two when everything shares both cores.
declare -A TABLE_THREADS=([two]=2)
# The HTTPS table's scheme, and the cases a table leaves out (the HTTPS table: the 404 case).
declare -A TABLE_SCHEME=() TABLE_SKIP=()
NOTES=()
[ -z "$CG_WHY" ] || NOTES+=("no CPU quota (BENCH_CPU_QUOTA=$QUOTA_PCT asked for one): $CG_WHY")

# check_case URL CASE [HOST] [CODING]: one curl request; status, size and content must match (with a CODING,
# the body must be that coding of the file: check_encoded in compression.sh).
# Prints a reason and fails if they don't.
check_case() {
    local url=$1 c=$2 got code size hdr=()
    if [ -n "${4:-}" ]; then check_encoded "$url" "$c" "$4"; return; fi
    [ "${CASE_CLOSE[$c]}" = 1 ] && hdr=(-H 'Connection: close')
    [ -z "${3:-}" ] || hdr+=(-H "Host: $3")
    local tls=()
    [[ $url != https:* ]] || tls=("OPENSSL_CONF=$TLS_CLIENT_CONF") hdr+=(--cacert "$TLS_CA")
    got=$(env "${tls[@]}" curl -s -o "$RUN/check.body" -w '%{http_code} %{size_download}' --max-time 20 \
        "${hdr[@]}" "$url" 2>&1) || { echo "curl failed: $got"; return 1; }
    code=${got%% *}
    size=${got##* }
    if [ "$code" != "${CASE_STATUS[$c]}" ]; then
        echo "status $code, expected ${CASE_STATUS[$c]}"
        return 1
    fi
    if [ -n "${CASE_FILE[$c]}" ]; then
        local want
        want=$(stat -c %s "$DOCROOT/${CASE_FILE[$c]}")
        if [ "$size" != "$want" ]; then
            echo "body $size bytes, expected $want"
            return 1
        fi
        if ! cmp -s "$RUN/check.body" "$DOCROOT/${CASE_FILE[$c]}"; then
            echo "body differs from ${CASE_FILE[$c]}"
            return 1
        fi
    fi
    rm -f "$RUN/check.body"
}

# run_case TABLE SERVER CASE PORT ROUND PIN...: curl check, then wrk under
# PIN; fills CELL/RAW with the best result over the rounds.
run_case() {
    local table=$1 server=$2 c=$3 port=$4 round=$5 key url why out line hdr=() tag=""
    shift 5
    [ "$ROUNDS" -gt 1 ] && tag=" (round $round)"
    key=$table/$server/$c
    url=${TABLE_SCHEME[$table]:-http}://127.0.0.1:$port${CASE_PATH[$c]}
    if [ "${CELL[$key]:-}" = "wrong (!)" ]; then return 0; fi
    if [ "$round" = 1 ] && ! why=$(check_case "$url" "$c" "${SHOST[$table/$server]:-}" "${SAE[$table/$server]:-}"); then
        CELL[$key]="wrong (!)"
        NOTES+=("$server ($table core table), ${CASE_LABEL[$c]}: curl check failed: $why; wrk not run")
        return 0
    fi
    [ "${CASE_CLOSE[$c]}" = 1 ] && hdr=(-H 'Connection: close')
    [ -z "${SHOST[$table/$server]:-}" ] || hdr+=(-H "Host: ${SHOST[$table/$server]}")
    [ -z "${SAE[$table/$server]:-}" ] || hdr+=(-H "Accept-Encoding: ${SAE[$table/$server]}")
    out=$RUN/wrk-$table-$server-$c-$round.txt
    log "  $server: ${CASE_LABEL[$c]}$tag"
    local ticks_before ticks_after proc_before proc_after threads=${TABLE_THREADS[$table]:-1}
    local wall_before wall_after thr_before thr_after cg=${SCG[$table/$server]:-}
    [ -z "$cg" ] || thr_before=$(cg_throttled "$cg")
    ticks_before=$(cpu_ticks)
    proc_before=$(proc_ticks "${SPID[$table/$server]}")
    wall_before=$(now_us)
    # The HTTPS table's wrk offers the one suite and group every server is measured with (bench/tls.sh).
    # Its 1,000-connection case runs TLS_LONG times as long: the first seconds go to the 1,000 handshakes.
    local client_env=() seconds=$DURATION
    if [ "${TABLE_SCHEME[$table]:-http}" = https ]; then
        client_env=("OPENSSL_CONF=$TLS_CLIENT_CONF")
        [ "${CASE_CONNS[$c]}" -lt 1000 ] || seconds=$((DURATION * TLS_LONG))
    fi
    timeout $((seconds + 30)) "$@" env "${client_env[@]}" wrk -t"$threads" -c"${CASE_CONNS[$c]}" -d"${seconds}s" \
        --timeout 10s -s "$LUA" "${hdr[@]}" "$url" >"$out" 2>&1 || true
    wall_after=$(now_us)
    ticks_after=$(cpu_ticks)
    proc_after=$(proc_ticks "${SPID[$table/$server]}")
    [ -z "$cg" ] || thr_after=$(cg_throttled "$cg")
    line=$(grep '^BENCH ' "$out" || true)
    if [ -z "$line" ]; then
        [ -n "${RAW[$key]:-}" ] || CELL[$key]="err (!)"
        NOTES+=("$server ($table core table), ${CASE_LABEL[$c]}$tag: wrk gave no result: $(tail -n 2 "$out" | tr '\n' ' ')")
        return 0
    fi
    local requests=0 bytes=0 duration_us=1 connect=0 read=0 write=0 status=0 timeout=0 kv
    for kv in ${line#BENCH }; do
        case ${kv%%=*} in
            requests) requests=${kv#*=} ;;
            bytes) bytes=${kv#*=} ;;
            duration_us) duration_us=${kv#*=} ;;
            connect) connect=${kv#*=} ;;
            read) read=${kv#*=} ;;
            write) write=${kv#*=} ;;
            status) status=${kv#*=} ;;
            timeout) timeout=${kv#*=} ;;
        esac
    done
    [ "$duration_us" -gt 0 ] || duration_us=1
    local raw text flag=""
    if [ "${CASE_UNIT[$c]}" = mbs ]; then
        raw=$((bytes * 10 / duration_us))          # MB/s (10^6 B/s) * 10
        text="$((raw / 10)).$((raw % 10))"
    else
        raw=$((requests * 1000000 / duration_us))  # req/s
        text=$raw
    fi
    # The server's own CPU time per response, in hundredths of µs (wrk counts the responses).
    local us=$(((proc_after - proc_before) * 1000000 / CLK_TCK * 100 / (requests > 0 ? requests : 1)))
    # shellcheck disable=SC2034  # read through pair_ratios' nameref
    ROUND_RAW[$key/$round]=$raw
    # shellcheck disable=SC2034
    ROUND_CPU[$key/$round]=$us
    local problems=()
    if [ $((connect + read + write + timeout)) -gt 0 ]; then
        problems+=("socket errors connect=$connect read=$read write=$write timeout=$timeout")
    fi
    if [ "${CASE_STATUS[$c]}" = 200 ] && [ "$status" -gt 0 ]; then
        problems+=("non-2xx/3xx responses=$status")
    fi
    if [ "${CASE_STATUS[$c]}" = 404 ] && [ "$status" -lt "$requests" ]; then
        problems+=("$((requests - status)) responses were not 4xx/5xx")
    fi
    if [ "$requests" -eq 0 ]; then
        problems+=("no complete response")
    fi
    if [ ${#problems[@]} -gt 0 ]; then
        flag=" (!)"
        local joined
        printf -v joined '%s; ' "${problems[@]}"
        NOTES+=("$server ($table core table), ${CASE_LABEL[$c]}$tag: ${joined%; } (of $requests requests)")
    fi
    # Keep the best round; a flag from any round sticks.
    if [ -z "${RAW[$key]:-}" ] || [ "$raw" -gt "${RAW[$key]}" ]; then
        RAW[$key]=$raw
        # CPU 0 is the server's core and CPU 1 wrk's in the one-core table (meaningless in the shared two-core one).
        BUSY[$key]="$(busy_pct "$ticks_before" "$ticks_after" 0) / $(busy_pct "$ticks_before" "$ticks_after" 1)"
        CPU_US[$key]="$((us / 100)).$(printf '%02d' $((us % 100)))"
        # The server's CPU use over the run, % of one CPU; under a quota also the % of its 100 ms periods
        # in which the quota was used up (near 100: the server's CPU was the limit).
        USE[$key]=$(((proc_after - proc_before) * 100000000 / CLK_TCK / (wall_after - wall_before > 0 ? wall_after - wall_before : 1)))
        if [ -n "$cg" ]; then
            local -a t0 t1
            read -r -a t0 <<<"$thr_before"
            read -r -a t1 <<<"$thr_after"
            USE[$key]+=" / $(((t1[1] - t0[1]) * 100 / (t1[0] - t0[0] > 0 ? t1[0] - t0[0] : 1)))"
        fi
        [[ ${CELL[$key]:-} == *"(!)" ]] && flag=" (!)"
        CELL[$key]=$text$flag
    elif [ -n "$flag" ] && [[ ${CELL[$key]} != *"(!)" ]]; then
        CELL[$key]+=" (!)"
    fi
}

declare -A RSS_IDLE=() RSS_AFTER=() SPID=() SPORT=() SPIN=()
declare -A SHOST=() # table/server -> the Host header curl and wrk send (default: 127.0.0.1:PORT)

# start_table TABLE SERVER START_FN START_ARGS... -- CLIENT_PIN...
# Starts one server of a table and records its pid/port, or marks it n/a.
start_table() {
    local table=$1 server=$2 fn=$3 c start_args=()
    shift 3
    while [ $# -gt 0 ] && [ "$1" != -- ]; do start_args+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    SPIN[$table/$server]="$*"
    log "[$table core table] starting $server"
    START_ERR=
    if ! cg_create "$table" "$server" || ! "$fn" "${start_args[@]}"; then
        for ((c = 0; c < NCASES; c++)); do CELL[$table/$server/$c]="n/a"; done
        RSS_IDLE[$table/$server]="n/a"
        RSS_AFTER[$table/$server]="n/a"
        NOTES+=("$server ($table core table): n/a, $START_ERR")
        return 0
    fi
    SPID[$table/$server]=$SERVER_PID
    SPORT[$table/$server]=$SERVER_PORT
    sleep 0.2
    RSS_IDLE[$table/$server]=$(kib_to_mib "$(rss_kib "$SERVER_PID")")
}

# bench_table TABLE SERVER...: all servers of the table are already up and
# idle; for each round and case, run every server in turn (rotating the
# order), so slow spells of a shared/virtual host hit all of them alike.
bench_table() {
    local table=$1 round c i n s pid
    shift
    local servers=("$@")
    n=${#servers[@]}
    for ((round = 1; round <= ROUNDS; round++)); do
        for ((c = 0; c < NCASES; c++)); do
            [ "$c" != "${TABLE_SKIP[$table]:-}" ] || continue
            for ((i = 0; i < n; i++)); do
                s=${servers[$(((i + c + round) % n))]}
                pid=${SPID[$table/$s]:-}
                [ -n "$pid" ] || continue
                if ! kill -0 "$pid" 2>/dev/null; then
                    CELL[$table/$s/$c]="died (!)"
                    continue
                fi
                # shellcheck disable=SC2086  # SPIN is a plain word list
                run_case "$table" "$s" "$c" "${SPORT[$table/$s]}" "$round" ${SPIN[$table/$s]}
            done
        done
    done
    for s in "${servers[@]}"; do
        pid=${SPID[$table/$s]:-}
        [ -n "$pid" ] || continue
        if kill -0 "$pid" 2>/dev/null; then
            RSS_AFTER[$table/$s]=$(kib_to_mib "$(rss_kib "$pid")")
        else
            RSS_AFTER[$table/$s]="died (!)"
            NOTES+=("$s ($table core table): process died during the run, see $RUN/*.out")
        fi
        stop_tree "$pid"
        if [ -n "${SCG[$table/$s]:-}" ]; then cg_rmdir "${SCG[$table/$s]}" || true; fi
    done
}

# ratio A B (integers) -> "1.23x", or n/a
ratio() {
    local a=${1:-} b=${2:-}
    if [ -z "$a" ] || [ -z "$b" ] || [ "$b" = 0 ]; then echo "n/a"; return; fi
    local r=$(((a * 200 / b + 1) / 2)) # hundredths, rounded
    printf '%d.%02dx' $((r / 100)) $((r % 100))
}

# ratio of two "12.3" MiB strings
ratio_mib() {
    local a=$1 b=$2
    [[ $a =~ ^[0-9]+\.[0-9]$ && $b =~ ^[0-9]+\.[0-9]$ ]] || { echo "n/a"; return; }
    ratio "${a/./}" "${b/./}"
}

# print_table ROW...: rows are tab-separated cells; first row is the header.
print_table() {
    local row cells i w widths=() line sep
    for row in "$@"; do
        IFS=$'\t' read -r -a cells <<<"$row"
        for i in "${!cells[@]}"; do
            w=${#cells[$i]}
            [ "${widths[$i]:-0}" -ge "$w" ] || widths[i]=$w
        done
    done
    local first=1
    for row in "$@"; do
        IFS=$'\t' read -r -a cells <<<"$row"
        line="|"
        for i in "${!widths[@]}"; do
            if [ "$i" = 0 ]; then
                line+=$(printf ' %-*s |' "${widths[$i]}" "${cells[$i]:-}")
            else
                line+=$(printf ' %*s |' "${widths[$i]}" "${cells[$i]:-}")
            fi
        done
        echo "$line"
        if [ "$first" = 1 ]; then
            first=0
            sep="|"
            for i in "${!widths[@]}"; do
                if [ "$i" = 0 ]; then
                    sep+=" $(printf '%*s' "${widths[$i]}" '' | tr ' ' '-') |"
                else
                    sep+=" $(printf '%*s' $((widths[i] - 1)) '' | tr ' ' '-'): |"
                fi
            done
            echo "$sep"
        fi
    done
}

# case_table MAP TABLE HEADER SERVER...: a row per case, a column per server, from the associative array
# named MAP (keys TABLE/SERVER/CASE).
case_table() {
    local -n cells=$1
    local table=$2 header=$3 c s row rows
    shift 3
    rows=("$header")
    for ((c = 0; c < NCASES; c++)); do
        [ "$c" != "${TABLE_SKIP[$table]:-}" ] || continue
        row=${CASE_LABEL[$c]}
        for s in "$@"; do row+=$'\t'${cells[$table/$s/$c]:-n/a}; done
        rows+=("$row")
    done
    print_table "${rows[@]}"
}

# ----------------------------------------------------------------------------
# Footprint of staticd: exec -> accepting, and idle RSS right after that.
# ----------------------------------------------------------------------------
# footprint [BINARY [NAME]] (default STATICD_BIN, staticd): sets FP_SIZE, FP_START, FP_RSS, FP_IDLE (text)
# and FP_SIZE_B, FP_START_US, FP_RSS_KIB, FP_IDLE_B (integers, empty when n/a). NAME names the logs.
STARTUP_RUNS=5
footprint() {
    local bin=${1:-$STATICD_BIN} label=${2:-staticd}
    FP_SIZE="n/a" FP_START="n/a" FP_RSS="n/a" FP_IDLE="n/a"
    FP_SIZE_B="" FP_START_US="" FP_RSS_KIB="" FP_IDLE_B=""
    if [ ! -x "$bin" ]; then
        return 0
    fi
    local size i port pid t0 t1 times=() rss=() ok
    size=$(stat -c %s "$bin")
    FP_SIZE_B=$size
    FP_SIZE="$size bytes ($(kib_to_mib $((size / 1024))) MiB)"
    for ((i = 0; i < STARTUP_RUNS; i++)); do
        port=$(free_port)
        render "$CONF_DIR/staticd.json.in" "$RUN/$label-fp.json" \
            PORT="$port" ROOT="$DOCROOT" LOOPS=1 ACCESSLOG=false
        ok=0
        t0=$(now_us)
        "${PIN_SERVER[@]}" "$bin" --config "$RUN/$label-fp.json" >"$RUN/$label-fp.out" 2>&1 &
        pid=$!
        PIDS+=("$pid")
        while [ $(($(now_us) - t0)) -lt 5000000 ] && kill -0 "$pid" 2>/dev/null; do
            if try_connect "$port" 2>/dev/null; then ok=1; break; fi
        done
        t1=$(now_us)
        if [ "$ok" = 1 ]; then
            times+=($((t1 - t0)))
            rss+=("$(rss_kib "$pid")")
        fi
        stop_tree "$pid"
    done
    if [ ${#times[@]} -eq 0 ]; then
        FP_START="n/a (never accepted: $(tail -n 2 "$RUN/$label-fp.out" | tr '\n' ' '))"
        return 0
    fi
    local sorted med min
    mapfile -t sorted < <(printf '%s\n' "${times[@]}" | sort -n)
    min=${sorted[0]}
    med=${sorted[$((${#sorted[@]} / 2))]}
    FP_START=$(printf '%d.%02d ms median, %d.%02d ms min (%d runs, includes fork+exec)' \
        $((med / 1000)) $((med % 1000 / 10)) $((min / 1000)) $((min % 1000 / 10)) ${#times[@]})
    FP_START_US=$med
    mapfile -t sorted < <(printf '%s\n' "${rss[@]}" | sort -n)
    FP_RSS_KIB=${sorted[$((${#sorted[@]} / 2))]}
    FP_RSS="$(kib_to_mib "$FP_RSS_KIB") MiB"
    idle_connections "$bin" "$label"
}

# idle_connections BINARY NAME: a fresh staticd (1 loop) holding 10,000 idle keep-alive connections, each
# after one request; RSS growth per connection, measured by idle_conns.py. The limits are raised for this
# run only. Sets FP_IDLE, FP_IDLE_B.
IDLE_CONNS=10000
idle_connections() {
    local bin=$1 label=$2
    FP_IDLE="n/a" FP_IDLE_B=""
    local port pid line
    port=$(free_port)
    render "$CONF_DIR/staticd.json.in" "$RUN/$label-idle.json" \
        PORT="$port" ROOT="$DOCROOT" LOOPS=1 ACCESSLOG=false
    env StaticD__Limits__MaxConnections=$((IDLE_CONNS * 2)) StaticD__Limits__KeepAliveTimeoutSeconds=600 \
        "${PIN_SERVER[@]}" "$bin" --config "$RUN/$label-idle.json" >"$RUN/$label-idle.out" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    local i
    for ((i = 0; i < 100; i++)); do
        try_connect "$port" 2>/dev/null && break
        sleep 0.05
    done
    if line=$("${PIN_CLIENT[@]}" python3 "$BENCH_DIR/idle_conns.py" "$pid" "$port" /index.html "$IDLE_CONNS" 2>&1); then
        local per=${line#per_conn_bytes=}
        per=${per%% *}
        FP_IDLE="$per bytes ($IDLE_CONNS connections, 1 loop: $line)"
        [[ $per =~ ^[0-9]+$ ]] && FP_IDLE_B=$per
    else
        FP_IDLE="n/a ($line)"
    fi
    stop_tree "$pid"
}

# ----------------------------------------------------------------------------
# Main.
# ----------------------------------------------------------------------------
version_of() {
    case $1 in
        staticd)
            if [ -x "$STATICD_BIN" ]; then
                printf '%s, built %s, repo HEAD %s%s\n' "$STATICD_BIN" \
                    "$(date -r "$STATICD_BIN" '+%Y-%m-%d %H:%M')" \
                    "$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
                    "$([ -n "$BASELINE" ] && echo ", sha256 $(sha256sum <"$STATICD_BIN" | cut -c1-12)")"
            else
                echo "n/a (no $STATICD_BIN)"
            fi ;;
        baseline)
            printf '%s, built %s, sha256 %s\n' "$BASELINE" \
                "$(date -r "$BASELINE" '+%Y-%m-%d %H:%M')" "$(sha256sum <"$BASELINE" | cut -c1-12)" ;;
        nginx) [ "$HAVE_NGINX" = 1 ] && nginx -v 2>&1 | sed 's/^nginx version: //' || echo "nginx n/a" ;;
        h2o) [ "$HAVE_H2O" = 1 ] && h2o --version 2>&1 | head -n1 | sed 's/ version / /' || echo "h2o n/a" ;;
        lighttpd) [ "$HAVE_LIGHTTPD" = 1 ] && lighttpd -v 2>&1 | head -n1 | sed 's/ - a light.*//; s/ (ssl)//' || echo "lighttpd n/a" ;;
        wrk) wrk -v 2>&1 | head -n1 | sed 's/ Copyright.*//' ;;
    esac
}

CPU_MODEL=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
OS_NAME=$(sed -n 's/^PRETTY_NAME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' /etc/os-release 2>/dev/null || true)
OS_NAME=${OS_NAME:-unknown}
START_ALL=$(now_us)

# ----------------------------------------------------------------------------
# Baseline comparison (BASELINE=PATH or --baseline PATH): STATICD_BIN against
# a second staticd binary, same configs and pinning, case by case. Replaces
# the peer report; runs nginx/h2o/lighttpd too only with BENCH_PEERS=1.
# ----------------------------------------------------------------------------

# fmt_ratio HUNDREDTHS -> "1.02x"
fmt_ratio() { printf '%d.%02dx' $(($1 / 100)) $(($1 % 100)); }

# PAIR_MEDIAN / PAIR_RANGE: set by pair_ratios.
PAIR_MEDIAN=n/a
PAIR_RANGE=n/a

# pair_ratios MAP TABLE A B CASE: A's value over B's within each round (they ran back to back), as hundredths;
# sets PAIR_MEDIAN ("1.01x") and PAIR_RANGE ("0.98x - 1.03x", lowest - highest). MAP: ROUND_RAW or ROUND_CPU.
pair_ratios() {
    local -n vals=$1
    local table=$2 a=$3 b=$4 c=$5 r x y q=() n m
    for ((r = 1; r <= ROUNDS; r++)); do
        x=${vals[$table/$a/$c/$r]:-}
        y=${vals[$table/$b/$c/$r]:-}
        if [ -z "$x" ] || [ -z "$y" ] || [ "$y" = 0 ]; then continue; fi
        q+=($(((x * 200 / y + 1) / 2)))
    done
    n=${#q[@]}
    if [ "$n" = 0 ]; then PAIR_MEDIAN=n/a PAIR_RANGE=n/a; return 0; fi
    mapfile -t q < <(printf '%s\n' "${q[@]}" | sort -n)
    if ((n % 2)); then m=${q[$((n / 2))]}; else m=$(((q[n / 2 - 1] + q[n / 2] + 1) / 2)); fi
    PAIR_MEDIAN=$(fmt_ratio "$m")
    if [ "$n" = 1 ]; then PAIR_RANGE="(1 round)"; else PAIR_RANGE="$(fmt_ratio "${q[0]}") - $(fmt_ratio "${q[n - 1]}")"; fi
}

# ratio_cell MAP TABLE A B CASE: pair_ratios as one table cell, "1.01x (0.98x-1.03x)", or just the median when
# there is no range to show (one round, or none).
ratio_cell() {
    pair_ratios "$@"
    if [ "$PAIR_RANGE" = n/a ] || [ "$PAIR_RANGE" = "(1 round)" ]; then
        printf '%s' "$PAIR_MEDIAN"
    else
        printf '%s (%s)' "$PAIR_MEDIAN" "${PAIR_RANGE// - /-}"
    fi
}

# compare_table TABLE PEER...: throughput per case, staticd vs baseline, then the peers' figures.
compare_table() {
    local table=$1 c s row rows what
    shift
    row="case	staticd	baseline	staticd/baseline	each round"
    for s in "$@"; do row+=$'\t'$s; done
    rows=("$row")
    for ((c = 0; c < NCASES; c++)); do
        row=${CASE_LABEL[$c]}$'\t'${CELL[$table/staticd/$c]:-n/a}$'\t'${CELL[$table/baseline/$c]:-n/a}
        pair_ratios ROUND_RAW "$table" staticd baseline "$c"
        row+=$'\t'$PAIR_MEDIAN$'\t'$PAIR_RANGE
        for s in "$@"; do row+=$'\t'${CELL[$table/$s/$c]:-n/a}; done
        rows+=("$row")
    done
    for what in IDLE AFTER; do
        # shellcheck disable=SC2178  # a nameref to RSS_IDLE or RSS_AFTER
        local -n rss=RSS_$what
        if [ "$what" = IDLE ]; then row="RSS idle, after start (MiB)"; else row="RSS after the run (MiB)"; fi
        row+=$'\t'${rss[$table/staticd]:-n/a}$'\t'${rss[$table/baseline]:-n/a}
        row+=$'\t'$(ratio_mib "${rss[$table/staticd]:-}" "${rss[$table/baseline]:-}")$'\t'
        for s in "$@"; do row+=$'\t'${rss[$table/$s]:-n/a}; done
        rows+=("$row")
        unset -n rss
    done
    print_table "${rows[@]}"
}

# compare_cpu_table TABLE BUSY(0|1): server CPU per response, staticd vs baseline; with BUSY=1 also how busy
# the server's and wrk's cores were (meaningful only when they are pinned apart).
compare_cpu_table() {
    local table=$1 busy=$2 c row rows
    row="case	staticd µs	baseline µs	staticd/baseline	each round"
    [ "$busy" = 1 ] && row+=$'\t'"staticd busy %"$'\t'"baseline busy %"
    row+=$'\t'"staticd CPU %"$'\t'"baseline CPU %"
    rows=("$row")
    for ((c = 0; c < NCASES; c++)); do
        row=${CASE_LABEL[$c]%% (*}$'\t'${CPU_US[$table/staticd/$c]:-n/a}$'\t'${CPU_US[$table/baseline/$c]:-n/a}
        pair_ratios ROUND_CPU "$table" staticd baseline "$c"
        row+=$'\t'$PAIR_MEDIAN$'\t'$PAIR_RANGE
        [ "$busy" = 1 ] && row+=$'\t'${BUSY[$table/staticd/$c]:-n/a}$'\t'${BUSY[$table/baseline/$c]:-n/a}
        row+=$'\t'${USE[$table/staticd/$c]:-n/a}$'\t'${USE[$table/baseline/$c]:-n/a}
        rows+=("$row")
    done
    print_table "${rows[@]}"
}

# compare_main: runs the comparison and prints its report.
compare_main() {
    local one=(staticd baseline) two=(staticd baseline) s runs
    [ "$PEERS" = 1 ] && one+=(nginx h2o lighttpd) && two+=(nginx)
    # wrk runs: one-core and two-core tables, and the four access-log servers on one case.
    runs=$((ROUNDS * (NCASES * (${#one[@]} + (NPROC >= 2 ? ${#two[@]} : 0)) + 4)))
    # Each wrk run costs about half a second more than its duration; the footprint about 20 s.
    log "comparing $STATICD_BIN with baseline $BASELINE: $runs wrk runs of ${DURATION} s," \
        "about $(((runs * (DURATION * 10 + 5) / 10 + 30 + 30) / 60)) min"

    # Single core: servers pinned to CPU 0, wrk on CPU 1.
    start_table one staticd start_staticd 1 "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    start_table one baseline start_baseline 1 "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    if [ "$PEERS" = 1 ]; then
        start_table one nginx start_nginx 1 "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
        start_table one h2o start_h2o "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
        start_table one lighttpd start_lighttpd "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    fi
    bench_table one "${one[@]}"

    # Two cores: servers (2 loops / 2 workers) and wrk (2 threads) share CPUs 0-1.
    if [ "$NPROC" -ge 2 ]; then
        start_table two staticd start_staticd 2 "${PIN_BOTH[@]}" -- "${PIN_BOTH[@]}"
        start_table two baseline start_baseline 2 "${PIN_BOTH[@]}" -- "${PIN_BOTH[@]}"
        [ "$PEERS" = 1 ] && start_table two nginx start_nginx 2 "${PIN_BOTH[@]}" -- "${PIN_BOTH[@]}"
        bench_table two "${two[@]}"
    fi

    # Access log off and on (journald), 1 loop on CPU 0, the 1 KiB keep-alive case.
    log "[access log] both binaries with the access log off and on (journald)"
    local alog=0 dropped_cur=n/a dropped_base=n/a
    if ensure_journald; then
        alog=1
        start_table alog staticd start_staticd 1 "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
        start_table alog baseline start_baseline 1 "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
        start_table alog journal start_staticd_journal "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
        start_table alog base-journal start_baseline_journal "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
        local saved=$NCASES
        NCASES=1
        bench_table alog staticd baseline journal base-journal
        NCASES=$saved
        dropped_cur=$(grep -c 'access log: dropped' "$RUN/staticd-journal.out" 2>/dev/null || true)
        dropped_base=$(grep -c 'access log: dropped' "$RUN/baseline-journal.out" 2>/dev/null || true)
    else
        NOTES+=("access log rows: no systemd-journald to write to")
    fi

    log "footprint of both binaries"
    local -A fp=()
    local k
    for s in staticd baseline; do
        if [ "$s" = staticd ]; then footprint "$STATICD_BIN" staticd; else footprint "$BASELINE" baseline; fi
        for k in FP_SIZE FP_START FP_RSS FP_IDLE FP_SIZE_B FP_START_US FP_RSS_KIB FP_IDLE_B; do
            fp[$s/$k]=${!k}
        done
    done
    ELAPSED=$((($(now_us) - START_ALL) / 1000000))

    # ---- report ------------------------------------------------------------
    echo "## staticd vs baseline"
    echo
    echo "- Machine: $NPROC cores, $CPU_MODEL, kernel $(uname -r), $OS_NAME"
    echo "- Client: $(version_of wrk), ${DURATION} s per case, $ROUNDS round(s); in every round each case runs on both"
    echo "  binaries back to back (which goes first alternates), same config and pinning, both servers running"
    echo "  side by side (idle when not measured)"
    echo "- staticd: $(version_of staticd)"
    echo "- baseline: $(version_of baseline)"
    if cmp -s "$STATICD_BIN" "$BASELINE"; then
        echo "- The two binaries are identical: every difference below is noise."
    fi
    [ "$PEERS" = 1 ] && echo "- Peers: $(version_of nginx), $(version_of h2o), $(version_of lighttpd)"
    quota_line
    echo
    echo "staticd and baseline columns: the best round of each. staticd/baseline: the two binaries' ratio within a"
    echo "round (they ran back to back), median over the rounds; above 1.00x the current binary is faster (for CPU"
    echo "and RSS: uses more). \"each round\": the lowest - highest of those ratios. A ratio whose rounds fall on both"
    echo "sides of 1.00x is within this run's noise; a run of the baseline against itself shows how wide that is."
    echo
    echo "### One core: servers pinned to CPU 0 (1 loop), $(quota_text one), wrk (1 thread) pinned to CPU 1"
    echo
    compare_table one "${one[@]:2}"
    echo
    echo "Server CPU time per response (user + system, µs, in the best round; softirq network work not included), and how"
    echo "busy the server's core (CPU 0) / wrk's core (CPU 1) were. Where wrk's core is near 100%, wrk was the limit"
    echo "and req/s can't tell the binaries apart: the CPU per response still does. CPU %: the server's own CPU use"
    echo "(% of one CPU)$(cpu_pct_note one)."
    echo
    compare_cpu_table one 1
    echo
    echo "### Two cores: \"Loops\": 2, servers and wrk (2 threads) sharing CPUs 0-1, $(quota_text two)"
    echo
    if [ "$NPROC" -ge 2 ]; then
        compare_table two "${two[@]:2}"
        echo
        echo "Server CPU time per response (user + system, µs). CPU %: the server's own CPU use"
        echo "(% of one CPU)$(cpu_pct_note two)."
        echo
        compare_cpu_table two 0
    else
        echo "n/a: only $NPROC core"
    fi
    echo
    echo "### Access log cost (1 KiB page, 64 conns, 1 loop on CPU 0, $(quota_text alog))"
    echo
    if [ "$alog" = 1 ]; then
        local rows=("access log	staticd	baseline	staticd/baseline	each round")
        pair_ratios ROUND_RAW alog staticd baseline 0
        rows+=("off	${CELL[alog/staticd/0]:-n/a}	${CELL[alog/baseline/0]:-n/a}	$PAIR_MEDIAN	$PAIR_RANGE")
        pair_ratios ROUND_RAW alog journal base-journal 0
        rows+=("on, into systemd-journald	${CELL[alog/journal/0]:-n/a}	${CELL[alog/base-journal/0]:-n/a}	$PAIR_MEDIAN	$PAIR_RANGE")
        rows+=("on / off	$(ratio "${RAW[alog/journal/0]:-}" "${RAW[alog/staticd/0]:-}")	$(ratio "${RAW[alog/base-journal/0]:-}" "${RAW[alog/baseline/0]:-}")		")
        print_table "${rows[@]}"
        echo
        echo "Journal drop reports in the log: staticd $dropped_cur, baseline $dropped_base."
    else
        echo "n/a: no systemd-journald"
    fi
    echo
    echo "### Footprint"
    echo
    local rows=("metric	staticd	baseline	staticd/baseline") a b
    rows+=("binary size (bytes)	${fp[staticd/FP_SIZE_B]:-n/a}	${fp[baseline/FP_SIZE_B]:-n/a}	$(ratio "${fp[staticd/FP_SIZE_B]}" "${fp[baseline/FP_SIZE_B]}")")
    a=${fp[staticd/FP_START_US]} b=${fp[baseline/FP_START_US]}
    rows+=("exec to accepting (ms, median of $STARTUP_RUNS)	$([ -n "$a" ] && printf '%d.%02d' $((a / 1000)) $((a % 1000 / 10)) || echo n/a)	$([ -n "$b" ] && printf '%d.%02d' $((b / 1000)) $((b % 1000 / 10)) || echo n/a)	$(ratio "$a" "$b")")
    a=${fp[staticd/FP_RSS_KIB]} b=${fp[baseline/FP_RSS_KIB]}
    rows+=("idle RSS after start (MiB)	$([ -n "$a" ] && kib_to_mib "$a" || echo n/a)	$([ -n "$b" ] && kib_to_mib "$b" || echo n/a)	$(ratio "$a" "$b")")
    rows+=("RSS per idle keep-alive conn (bytes)	${fp[staticd/FP_IDLE_B]:-n/a}	${fp[baseline/FP_IDLE_B]:-n/a}	$(ratio "${fp[staticd/FP_IDLE_B]}" "${fp[baseline/FP_IDLE_B]}")")
    print_table "${rows[@]}"
    echo
    for s in staticd baseline; do
        echo "- $s: start ${fp[$s/FP_START]}; idle connections ${fp[$s/FP_IDLE]}"
    done
    echo
    report_notes
}

# shellcheck source=bench/standalone-https.sh
. "$BENCH_DIR/standalone-https.sh"
# shellcheck source=bench/tls.sh
. "$BENCH_DIR/tls.sh"
# shellcheck source=bench/h2.sh
. "$BENCH_DIR/h2.sh"

# report_header: the report's title and the lines on the machine, client, binaries and quota.
report_header() {
    echo "## staticd benchmark"
    echo
    echo "- Machine: $NPROC cores, $CPU_MODEL, kernel $(uname -r), $OS_NAME"
    echo "- Client: $(version_of wrk), 1 thread (2 in the two-core table), ${DURATION} s per case, best of $ROUNDS round(s) ($TLS_ROUNDS in the HTTPS table, median); servers of a table run side by side (idle when not measured)"
    echo "- staticd: $(version_of staticd)"
    echo "- Peers: $(version_of nginx), $(version_of h2o), $(version_of lighttpd)"
    quota_line
    echo
}

# report_notes: the notes of the run, and where its logs are.
report_notes() {
    local n
    if [ ${#NOTES[@]} -gt 0 ]; then
        echo "### Notes (!)"
        echo
        for n in "${NOTES[@]}"; do echo "- $n"; done
        echo
    fi
    echo "Total bench time: ${ELAPSED} s. Logs and wrk outputs: $RUN"
}

if [ -n "$BASELINE" ]; then
    compare_main
    exit 0
fi


# shellcheck source=bench/compression.sh
. "$BENCH_DIR/compression.sh"
if [ "$BENCH_TABLES" = compression ]; then
    run_compression_table
    echo "## staticd benchmark (compression table only)"
    echo
    echo "- Machine: $NPROC cores, $CPU_MODEL, kernel $(uname -r), $OS_NAME"
    echo "- Client: $(version_of wrk), 1 thread, ${DURATION} s per case, best of $ROUNDS round(s)"
    echo "- staticd: $(version_of staticd); $(version_of nginx)"
    echo
    echo "$COMP_REPORT"
    ELAPSED=$((($(now_us) - START_ALL) / 1000000))
    report_notes
    exit 0
fi

if [ "$BENCH_TABLES" = https ]; then
    tls_main
    ELAPSED=$((($(now_us) - START_ALL) / 1000000))
    report_header
    tls_report
    report_notes
    exit 0
fi
if [ "$BENCH_TABLES" = h2 ]; then
    h2_main
    ELAPSED=$((($(now_us) - START_ALL) / 1000000))
    report_header
    h2_report
    report_notes
    exit 0
fi

# Single core: every server pinned to CPU 0, wrk on CPU 1.
SERVERS=(staticd nginx h2o lighttpd)
if want one; then
    start_table one staticd start_staticd 1 "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    start_table one nginx start_nginx 1 "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    start_table one h2o start_h2o "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    start_table one lighttpd start_lighttpd "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    bench_table one "${SERVERS[@]}"
fi

# Two cores: servers and wrk all on CPUs 0-1.
# staticd with one loop under the same pinning shows what the second loop adds.
TWO_SERVERS=("staticd" "nginx" "staticd1")
if [ "$NPROC" -ge 2 ] && want two; then
    start_table two staticd start_staticd 2 "${PIN_BOTH[@]}" -- "${PIN_BOTH[@]}"
    start_table two staticd1 start_staticd 1 "${PIN_BOTH[@]}" -- "${PIN_BOTH[@]}"
    start_table two nginx start_nginx 2 "${PIN_BOTH[@]}" -- "${PIN_BOTH[@]}"
    bench_table two "${TWO_SERVERS[@]}"
fi

# Access log cost: staticd alone (1 loop, CPU 0), access log off, into the journal and into a file (combined);
# nginx (1 worker) off and into a file, buffered alike.
if want alog; then
    log "[access log] staticd with the access log off, into the journal, into a file; nginx off and into a file"
    ALOG_SERVERS=(off file nginxoff nginxfile)
    start_table alog off start_staticd 1 "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    start_table alog file start_staticd_file "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    if ensure_journald; then
        start_table alog journal start_staticd_journal "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
        ALOG_SERVERS+=(journal)
    else
        NOTES+=("access log row: no systemd-journald to write to")
    fi
    start_table alog nginxoff start_nginx 1 "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    start_table alog nginxfile start_nginx_file "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
    SAVED_NCASES=$NCASES
    NCASES=1 # the 1 KiB keep-alive case is where a per-request cost shows most
    bench_table alog "${ALOG_SERVERS[@]}"
    NCASES=$SAVED_NCASES
    ALOG_DROPPED=$(grep -c 'access log: dropped' "$RUN/staticd-journal.out" 2>/dev/null || true)
    ALOG_FILE_DROPPED=$(grep -c "access log $RUN/staticd-access.log: dropped" "$RUN/staticd-file.out" 2>/dev/null || true)
    ALOG_FILE_LINES=$(wc -l <"$RUN/staticd-access.log" 2>/dev/null || echo n/a)
fi

# Many sites: the 1 KiB page from the one-core table's config (one site, the top-level Root) and from a config
# of SITES sites, asked for by exact name and by wildcard; 1 loop on CPU 0 under the one-core table's quota,
# wrk on CPU 1, every server sent the same kind of Host header.
declare -A SITES_START=() SITES_READY=() SITES_WATCHES=()
if [ "$SITES" -gt 0 ] && want sites; then
    log "[many sites] staticd with one site and with $SITES sites"
    make_site_roots "$SITES"
    PICK=$((SITES / 2))
    SHOST[sites/one]=s$PICK.bench.test # no such site there: the default site, the same page
    SHOST[sites/exact]=s$PICK.bench.test
    SHOST[sites/wild]=www.s$PICK.bench.test
    for s in one exact wild; do
        if [ "$s" = one ]; then
            start_table sites one start_staticd 1 "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
        else
            start_table sites "$s" start_staticd_sites "${PIN_SERVER[@]}" -- "${PIN_CLIENT[@]}"
        fi
        [ -n "${SPID[sites/$s]:-}" ] || continue
        SITES_START[$s]=$LAUNCH_US
        # Measured only once it is done starting: what it does after accepting runs on the same core and quota.
        if wait_started 300; then
            SITES_READY[$s]=$STARTED_US
        else
            NOTES+=("$s (sites table): no \"listening on\" line 300 s after the start (see $LAUNCH_OUT)")
        fi
    done
    for s in one exact wild; do
        [ -n "${SPID[sites/$s]:-}" ] || continue
        SITES_WATCHES[$s]=$(inotify_watches "${SPID[sites/$s]}")
        [ "$s" != one ] || continue
        # The page is the same everywhere: site.txt shows which root answered.
        got=$(curl -s --max-time 5 -H "Host: ${SHOST[sites/$s]}" "http://127.0.0.1:${SPORT[sites/$s]}/site.txt" || true)
        if [ "$got" != "s$PICK" ]; then
            CELL[sites/$s/0]="wrong (!)"
            NOTES+=("$s (sites table): Host ${SHOST[sites/$s]}, /site.txt answered '${got:0:40}', expected s$PICK; wrk not run")
        fi
    done
    SAVED_NCASES=$NCASES
    NCASES=1 # the 1 KiB keep-alive case: the host lookup is a per-request cost
    bench_table sites one exact wild
    NCASES=$SAVED_NCASES
fi

if want compression; then
    run_compression_table
fi
want https && tls_main
want h2 && h2_main

if want footprint; then
    log "staticd footprint"
    footprint
fi

ELAPSED=$((($(now_us) - START_ALL) / 1000000))

# ---- report ----------------------------------------------------------------
report_header
if want one; then
echo "### One core: servers pinned to CPU 0 (1 worker/loop/thread), $(quota_text one), wrk pinned to CPU 1"
echo
rows=("case	staticd	nginx	h2o	lighttpd	staticd/nginx	staticd/h2o	staticd/lighttpd")
for ((c = 0; c < NCASES; c++)); do
    row=${CASE_LABEL[$c]}
    for s in "${SERVERS[@]}"; do row+=$'\t'${CELL[one/$s/$c]:-n/a}; done
    for s in nginx h2o lighttpd; do row+=$'\t'$(ratio "${RAW[one/staticd/$c]:-}" "${RAW[one/$s/$c]:-}"); done
    rows+=("$row")
done
for what in idle after; do
    if [ "$what" = idle ]; then row="RSS idle, after start (MiB)"; else row="RSS after the run (MiB)"; fi
    for s in "${SERVERS[@]}"; do
        if [ "$what" = idle ]; then row+=$'\t'${RSS_IDLE[one/$s]:-n/a}; else row+=$'\t'${RSS_AFTER[one/$s]:-n/a}; fi
    done
    for s in nginx h2o lighttpd; do
        if [ "$what" = idle ]; then
            row+=$'\t'$(ratio_mib "${RSS_IDLE[one/staticd]:-}" "${RSS_IDLE[one/$s]:-}")
        else
            row+=$'\t'$(ratio_mib "${RSS_AFTER[one/staticd]:-}" "${RSS_AFTER[one/$s]:-}")
        fi
    done
    rows+=("$row")
done
print_table "${rows[@]}"
echo
echo "Ratios are staticd / peer: above 1.00x staticd is faster (for RSS: uses more memory)."
echo "MB/s = 10^6 bytes/s of response bytes received by wrk. nginx RSS = master + workers."
echo
echo "CPU busy during the best round, server core (CPU 0) / wrk's core (CPU 1), in percent. Where wrk's core is"
echo "near 100% and the server's is not, the case measured the client: the server had time to spare, and the"
echo "server with the lower figure did the same work with less CPU."
echo
case_table BUSY one "case	staticd	nginx	h2o	lighttpd" "${SERVERS[@]}"
echo
use_intro one
echo
case_table USE one "case	staticd	nginx	h2o	lighttpd" "${SERVERS[@]}"
echo
echo "The server's own CPU time per response (user + system, µs, from /proc/PID/stat; nginx = master + worker)."
echo "Network work the kernel does in softirq context is not in it; the busy figures above include it."
echo
case_table CPU_US one "case	staticd	nginx	h2o	lighttpd" "${SERVERS[@]}"
echo

fi
if want two; then
echo "### Two cores: staticd \"Loops\": 2 vs nginx worker_processes 2, $(quota_text two)"
echo
if [ "$NPROC" -ge 2 ]; then
    echo "Server and wrk share CPUs 0-1 here (taskset -c 0,1): wrk competes with the server"
    echo "for the same two cores, so these numbers measure what is left after the client."
    echo "wrk runs 2 threads here. \"staticd (1 loop)\" runs under the same pinning: the last column is what"
    echo "the second loop adds."
    echo
    rows=("case	staticd (2 loops)	nginx (2 workers)	staticd (1 loop)	staticd/nginx	2 loops/1 loop")
    for ((c = 0; c < NCASES; c++)); do
        row=${CASE_LABEL[$c]}
        for s in "${TWO_SERVERS[@]}"; do row+=$'\t'${CELL[two/$s/$c]:-n/a}; done
        row+=$'\t'$(ratio "${RAW[two/staticd/$c]:-}" "${RAW[two/nginx/$c]:-}")
        row+=$'\t'$(ratio "${RAW[two/staticd/$c]:-}" "${RAW[two/staticd1/$c]:-}")
        rows+=("$row")
    done
    row="RSS after the run (MiB)"
    for s in "${TWO_SERVERS[@]}"; do row+=$'\t'${RSS_AFTER[two/$s]:-n/a}; done
    row+=$'\t'$(ratio_mib "${RSS_AFTER[two/staticd]:-}" "${RSS_AFTER[two/nginx]:-}")
    row+=$'\t'$(ratio_mib "${RSS_AFTER[two/staticd]:-}" "${RSS_AFTER[two/staticd1]:-}")
    rows+=("$row")
    print_table "${rows[@]}"
    echo
    echo "Server CPU time per response (user + system, µs): a second loop that costs no more per response than"
    echo "the first is one that would add its core's worth of throughput on a machine with a core to spare."
    echo
    case_table CPU_US two "case	staticd (2 loops)	nginx (2 workers)	staticd (1 loop)" "${TWO_SERVERS[@]}"
    echo
    use_intro two
    echo
    case_table USE two "case	staticd (2 loops)	nginx (2 workers)	staticd (1 loop)" "${TWO_SERVERS[@]}"
else
    echo "n/a: only $NPROC core"
fi
echo
fi
if want alog; then
echo "### Access log cost (1 KiB page, 64 conns, 1 worker/loop on CPU 0, $(quota_text alog))"
echo
rows=("server, access log	req/s	vs off	server CPU %")
rows+=("staticd, off	${CELL[alog/off/0]:-n/a}	1.00x	${USE[alog/off/0]:-n/a}")
rows+=("staticd, into systemd-journald	${CELL[alog/journal/0]:-n/a}	$(ratio "${RAW[alog/journal/0]:-}" "${RAW[alog/off/0]:-}")	${USE[alog/journal/0]:-n/a}")
rows+=("staticd, into a file (combined)	${CELL[alog/file/0]:-n/a}	$(ratio "${RAW[alog/file/0]:-}" "${RAW[alog/off/0]:-}")	${USE[alog/file/0]:-n/a}")
rows+=("nginx, off	${CELL[alog/nginxoff/0]:-n/a}	1.00x	${USE[alog/nginxoff/0]:-n/a}")
rows+=("nginx, into a file (combined, buffer=64k flush=1s)	${CELL[alog/nginxfile/0]:-n/a}	$(ratio "${RAW[alog/nginxfile/0]:-}" "${RAW[alog/nginxoff/0]:-}")	${USE[alog/nginxfile/0]:-n/a}")
print_table "${rows[@]}"
echo
echo "Entries the journal could not take are dropped, never waited for (drop reports in the log: ${ALOG_DROPPED:-n/a})."
echo "The file: ${ALOG_FILE_LINES:-n/a} lines written over all rounds, ${ALOG_FILE_DROPPED:-n/a} drop reports."
echo "staticd file vs nginx file: $(ratio "${RAW[alog/file/0]:-}" "${RAW[alog/nginxfile/0]:-}")."
echo
fi
# ms MICROSECONDS -> "12.3" (or n/a)
ms() { if [ -n "${1:-}" ]; then printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); else echo n/a; fi; }
if [ "$SITES" -gt 0 ] && want sites; then
    echo "### staticd with $SITES sites (1 KiB page, 64 conns, 1 loop on CPU 0, $(quota_text sites), wrk pinned to CPU 1)"
    echo
    echo "\"one site\": the one-core table's config (a top-level Root only). \"$SITES sites\": the same plus \"Sites\","
    echo "s0.bench.test ... s$((SITES - 1)).bench.test and *.s<i>.bench.test each, every one with its own Root (a copy"
    echo "of the same page). wrk sends the Host shown; the one-site server answers it from its default site."
    echo
    rows=("server	Host sent	req/s	vs one site	CPU µs/response	server CPU %	exec to accepting / started (ms)	RSS idle (MiB)	inotify watches")
    for s in one exact wild; do
        case $s in
            one) row="one site" ;;
            exact) row="$SITES sites, exact name" ;;
            wild) row="$SITES sites, wildcard" ;;
        esac
        row+=$'\t'${SHOST[sites/$s]}$'\t'${CELL[sites/$s/0]:-n/a}
        row+=$'\t'$(ratio "${RAW[sites/$s/0]:-}" "${RAW[sites/one/0]:-}")
        row+=$'\t'${CPU_US[sites/$s/0]:-n/a}$'\t'${USE[sites/$s/0]:-n/a}
        row+=$'\t'$(ms "${SITES_START[$s]:-}")" / "$(ms "${SITES_READY[$s]:-}")
        row+=$'\t'${RSS_IDLE[sites/$s]:-n/a}$'\t'${SITES_WATCHES[$s]:-n/a}
        rows+=("$row")
    done
    print_table "${rows[@]}"
    echo
    echo "Start-up runs under the quota (the server joins its cgroup before exec), unlike the footprint below:"
    echo "\"accepting\" is the port taking connections, \"started\" the \"listening on\" log line (sent with READY=1),"
    echo "after every root is watched; wrk runs only after that. inotify watches: over all the process's inotify"
    echo "descriptors (root watcher and file caches), after the start."
    echo
fi
[ -n "${COMP_REPORT:-}" ] && echo "$COMP_REPORT"
if want https; then tls_report; fi
if want h2; then h2_report; fi
if want footprint; then
    echo "### staticd footprint"
    echo
    echo "- Binary size: $FP_SIZE"
    echo "- Idle RSS right after start (1 loop): $FP_RSS"
    echo "- Exec to port accepting: $FP_START"
    echo "- RSS per idle keep-alive connection: $FP_IDLE"
    echo
fi
report_notes
exit 0
