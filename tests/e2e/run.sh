#!/usr/bin/env bash
# End-to-end test of the .deb on a real, booted systemd (make e2e):
#   build the package -> boot a minimal Debian 12 with systemd-nspawn -> install it -> use it as a person would.
#
# Needs root (systemd-nspawn). Installs debootstrap and systemd-container with apt when missing. The Debian
# rootfs is cached in $STATICD_E2E_CACHE (default /var/cache/staticd-e2e); the container runs on a throw-away
# overlay (--volatile=overlay) in its own network namespace (--private-network: only its loopback exists).
# Exit status: 0 all passed, 1 a step failed, 77 cannot run here (printed reason).
# Environment: STATICD_BINARY (default out/staticd), STATICD_E2E_CACHE, STATICD_E2E_MIRROR,
# STATICD_E2E_MAX_EXPOSURE (default 1.5), STATICD_E2E_KEEP=1 (leave the container running for a look),
# STATICD_E2E_STEPS="1 16" (run only these steps; step 1, the install every other step stands on, always runs).
set -uo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${STATICD_E2E_CACHE:-/var/cache/staticd-e2e}"
SUITE=bookworm
INCLUDE=systemd,systemd-sysv,dbus,curl,ca-certificates
MAX_EXPOSURE="${STATICD_E2E_MAX_EXPOSURE:-1.5}"
ROOTFS="$CACHE/rootfs-$SUITE"
MACHINE="staticd-e2e-$$"
WORK="$(mktemp -d /tmp/staticd-e2e.XXXXXX)"
NSPAWN_PID=""
INIT_PID=""
PASSED=0
FAILED=0
STEP_FAILS=0

log() { printf 'e2e: %s\n' "$*"; }
skip() { log "SKIP: $*"; exit 77; }

# ---------------------------------------------------------------- host preparation

[ "$(id -u)" = 0 ] || skip "needs root (systemd-nspawn)"

install_missing() {
	local missing=()
	command -v debootstrap >/dev/null || missing+=(debootstrap)
	command -v systemd-nspawn >/dev/null || missing+=(systemd-container)
	command -v nsenter >/dev/null || missing+=(util-linux)
	command -v python3 >/dev/null || missing+=(python3)
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } ||
		skip "cannot install ${missing[*]}"
}

# The Debian mirror this machine's apt uses (deb822 or one-line sources), else deb.debian.org.
debian_mirror() {
	if [ -n "${STATICD_E2E_MIRROR:-}" ]; then echo "$STATICD_E2E_MIRROR"; return; fi
	local m
	m="$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		awk '/^URIs:/ { uri = $2 } /^Suites:/ && / bookworm( |$)/ { print uri; exit }')"
	[ -n "$m" ] || m="$(grep -hE '^deb +(\[[^]]*\] +)?https?://[^ ]+ +bookworm +' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		sed -E 's/^deb +(\[[^]]*\] +)?//' | awk '{ print $1; exit }')"
	echo "${m:-http://deb.debian.org/debian}"
}

ensure_rootfs() {
	local stamp="$SUITE $INCLUDE"
	if [ -f "$ROOTFS/.staticd-e2e" ] && [ "$(cat "$ROOTFS/.staticd-e2e")" = "$stamp" ]; then
		log "rootfs: cached $ROOTFS"
		return 0
	fi
	local mirror tmp="$CACHE/rootfs.new"
	mirror="$(debian_mirror)"
	log "rootfs: debootstrap $SUITE from $mirror (once; cached in $CACHE)"
	mkdir -p "$CACHE"
	rm -rf "$tmp"
	if ! debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$tmp" "$mirror" > "$CACHE/debootstrap.log" 2>&1; then
		tail -5 "$CACHE/debootstrap.log"
		skip "debootstrap failed (no access to the Debian archive?); log: $CACHE/debootstrap.log"
	fi
	echo staticd-e2e > "$tmp/etc/hostname"
	: > "$tmp/etc/machine-id"                     # a fresh machine id per boot
	rm -f "$tmp"/var/cache/apt/archives/*.deb
	echo "$stamp" > "$tmp/.staticd-e2e"
	rm -rf "$ROOTFS" && mv "$tmp" "$ROOTFS"
}

# ---------------------------------------------------------------- the container

teardown() {
	local rc=$?
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		if [ "${STATICD_E2E_KEEP:-0}" = 1 ]; then
			log "container kept: nsenter -t $INIT_PID -a bash   (stop: kill $NSPAWN_PID)"
		else
			# SIGTERM makes nspawn ask the container's systemd to power off; SIGKILL if it takes too long.
			kill -TERM "$NSPAWN_PID" 2>/dev/null
			for _ in $(seq 1 100); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.2; done
			kill -0 "$NSPAWN_PID" 2>/dev/null && kill -KILL "$NSPAWN_PID" 2>/dev/null
			wait "$NSPAWN_PID" 2>/dev/null
		fi
	fi
	rm -rf "$WORK"
	exit "$rc"
}
trap teardown EXIT
trap 'exit 130' INT TERM

boot() {
	log "booting $ROOTFS (volatile overlay, private network)"
	systemd-nspawn --quiet --boot --register=no --keep-unit --volatile=overlay --private-network \
		--console=read-only --machine="$MACHINE" --directory="$ROOTFS" --bind-ro="$WORK/deb:/mnt/deb" \
		> "$WORK/console.log" 2>&1 &
	NSPAWN_PID=$!
	for _ in $(seq 1 150); do
		INIT_PID="$(pgrep -P "$NSPAWN_PID" -x systemd | head -1)"
		[ -n "$INIT_PID" ] && break
		kill -0 "$NSPAWN_PID" 2>/dev/null || break
		sleep 0.2
	done
	if [ -z "$INIT_PID" ]; then
		tail -20 "$WORK/console.log"
		log "FAIL: the container did not boot"
		exit 1
	fi
	# systemctl cannot connect until PID 1 has set up its private socket: retry until it answers.
	local state="" i
	for i in $(seq 1 120); do
		state="$(c timeout 120 systemctl is-system-running --wait 2>/dev/null)"
		[ -n "$state" ] && break
		sleep 0.5
	done
	log "container up (init pid $INIT_PID): $state"
	case "$state" in running|degraded) ;; *) tail -20 "$WORK/console.log"; log "FAIL: boot state '$state'"; exit 1 ;; esac
}

# Run a command inside the container, as root, with a clean environment.
c() { nsenter -t "$INIT_PID" -a -r -w env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root TERM=dumb "$@"; }
csh() { c /bin/sh -c "$1"; }

# ---------------------------------------------------------------- step bookkeeping

check() { # check DESCRIPTION COMMAND...: one assertion inside a step
	local desc="$1"; shift
	if "$@" > "$WORK/check.out" 2>&1; then
		printf '    ok    %s\n' "$desc"
	else
		printf '    FAIL  %s\n' "$desc"
		tail -n 15 "$WORK/check.out" | sed 's/^/          | /'
		STEP_FAILS=$((STEP_FAILS + 1))
	fi
}
note() { printf '          %s\n' "$@"; }
selected() { [ -z "${STATICD_E2E_STEPS:-}" ] || [ "$1" = 1 ] || [[ " $STATICD_E2E_STEPS " == *" $1 "* ]]; }
run_step() { # run_step N DESCRIPTION FUNCTION
	STEP_FAILS=0
	selected "$1" || { printf -- '--- step %s: %s (not selected in STATICD_E2E_STEPS)\n' "$1" "$2"; return 0; }
	printf -- '--- step %s: %s\n' "$1" "$2"
	"$3"
	if [ "$STEP_FAILS" -eq 0 ]; then
		PASSED=$((PASSED + 1)); printf 'PASS: step %s: %s\n' "$1" "$2"
	else
		FAILED=$((FAILED + 1)); printf 'FAIL: step %s: %s (%s check(s) failed)\n' "$1" "$2" "$STEP_FAILS"
		return 1
	fi
}

# Helpers evaluated inside the container.
http_has() { csh "curl -fsS --max-time 5 '$1' | grep -qF '$2'"; }
http_code() { csh "curl -s -o /dev/null -w '%{http_code}' --max-time 5 '$1'"; }
wait_http_has() { # URL TEXT [seconds]
	local i
	for i in $(seq 1 $((${3:-10} * 5))); do http_has "$1" "$2" && return 0; sleep 0.2; done
	return 1
}
is_active() { [ "$(c systemctl is-active staticd.service)" = active ]; }
not_active() { ! is_active; }
file_exists() { csh "test -e '$1'"; }
file_absent() { ! file_exists "$1"; }
journal_since() { c journalctl -u staticd.service --since "@$1" -o cat --no-pager; }
CONF=/etc/staticd/appsettings.json

# ---------------------------------------------------------------- the steps

step_install() {
	check "apt-get install /mnt/deb/$DEB1 (offline)" \
		csh "DEBIAN_FRONTEND=noninteractive apt-get install -y -q /mnt/deb/$DEB1 > /tmp/install.log 2>&1 || { cat /tmp/install.log; false; }"
	check "staticd.service is enabled" csh "systemctl is-enabled staticd.service | grep -qx enabled"
	check "staticd.service is active" is_active
	check "curl http://127.0.0.1/ gets the default page" wait_http_has http://127.0.0.1/ "It works: staticd is serving this page." 10
	check "/usr/bin/staticd --check-config passes" c staticd --check-config
	check "man page installed" file_exists /usr/share/man/man8/staticd.8.gz
	check "the process runs as user staticd, not root" \
		csh 'ps_user=$(stat -c %U /proc/$(systemctl show -p MainPID --value staticd)); [ "$ps_user" = staticd ]'
}

step_reload() {
	# A big file under the *old* root, downloaded slowly across the reload.
	check "200 MiB test file created" csh "head -c 200M /dev/urandom > /var/www/staticd/big.bin && sha256sum < /var/www/staticd/big.bin > /tmp/big.sha256"
	csh "rm -f /tmp/big.out; (curl -sS --limit-rate 40M -o /tmp/big.out http://127.0.0.1/big.bin; echo \$? > /tmp/big.rc) > /tmp/big.log 2>&1 &"
	sleep 1
	check "download in progress before the reload" csh "test ! -e /tmp/big.rc && test -s /tmp/big.out"
	# The user's edit: a new root and port 8081.
	csh "mkdir -p /srv/site2 && echo '<h1>site two</h1>' > /srv/site2/index.html && cp $CONF /root/appsettings.orig.json"
	csh "sed -i -e 's|\"Port\": *80,|\"Port\": 8081,|' -e 's|\"Root\": *\"/var/www/staticd\"|\"Root\": \"/srv/site2\"|' $CONF"
	check "the edit is in place" csh "grep -q '\"Port\": 8081' $CONF && grep -q '/srv/site2' $CONF"
	local before; before="$(c systemctl show -p MainPID --value staticd)"
	check "systemctl reload staticd succeeds" c systemctl reload staticd
	check "curl :8081/ sees the new root" wait_http_has http://127.0.0.1:8081/ "site two" 10
	check "same process (reloaded, not restarted)" test "$before" = "$(c systemctl show -p MainPID --value staticd)"
	# The download started before the reload must finish intact.
	local i; for i in $(seq 1 60); do file_exists /tmp/big.rc && break; sleep 0.5; done
	check "the download finished with curl exit 0" csh 'test "$(cat /tmp/big.rc 2>/dev/null)" = 0 || { cat /tmp/big.log; false; }'
	check "the download is complete and intact (size + sha256)" \
		csh 'test "$(stat -c %s /tmp/big.out)" = 209715200 && test "$(sha256sum < /tmp/big.out)" = "$(cat /tmp/big.sha256)"'
	csh "rm -f /tmp/big.out /var/www/staticd/big.bin"
	check "still active" is_active
}

step_broken_edit() {
	local t0; t0="$(date +%s)"; sleep 1
	csh "cp $CONF /root/appsettings.good.json && printf '{ \"StaticD\": { \"Port\": 8081, \"Root\": ' > $CONF"
	check "systemctl reload staticd fails on invalid JSON" csh "! systemctl reload staticd"
	check "the old configuration keeps serving (200 on :8081)" test "$(http_code http://127.0.0.1:8081/)" = 200
	check "the service is still active" is_active
	# journald reads ExecReload's output from a stream on its own time: poll for the line (up to 5 s).
	# ... as an error: journalctl -p err (ExecReload's stderr carries the <3> prefix).
	check "the journal names the file and the problem, at priority err" csh "for i in \$(seq 1 25); do journalctl -u staticd -p err --since @$t0 -o cat --no-pager | grep -F '$CONF' | grep -v 'configuration is valid' | grep -q . && exit 0; sleep 0.2; done; exit 1"
	# The server's own guard: SIGHUP straight to the process (no --check-config in front).
	local pid; pid="$(c systemctl show -p MainPID --value staticd)"
	check "SIGHUP with the broken file: still serving" csh "systemctl kill -s HUP --kill-who=main staticd && sleep 1 && curl -fsS --max-time 5 http://127.0.0.1:8081/ | grep -q 'site two'"
	check "SIGHUP with the broken file: same process, still active" csh "test \"\$(systemctl show -p MainPID --value staticd)\" = $pid && systemctl is-active -q staticd"
	check "SIGHUP with the broken file: 'reload failed' at priority err" csh "for i in \$(seq 1 25); do journalctl -u staticd -p err --since @$t0 -o cat --no-pager | grep -q 'reload failed' && exit 0; sleep 0.2; done; exit 1"
	journal_since "$t0" | tail -4 | sed 's/^/          journal: /'
	csh "cp /root/appsettings.good.json $CONF"
	check "reload with the good file again" c systemctl reload staticd
}

# The access log (HTTP_* journal fields); kept in one function so what it asserts can be read at a glance.
check_journal_access_fields() {
	csh "curl -s -o /dev/null -A 'e2e-agent/1.0' -e 'http://referrer.test/' http://127.0.0.1:8081/ && curl -s -o /dev/null http://127.0.0.1:8081/no-such-file"
	local i; for i in $(seq 1 25); do
		c journalctl -u staticd.service -o json --no-pager > "$WORK/journal.json"
		grep -q '"HTTP_PATH":"/no-such-file"' "$WORK/journal.json" && break
		sleep 0.2
	done
	python3 - "$WORK/journal.json" <<'PY'
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def find(**want):
    return [e for e in entries if all(e.get(k) == v for k, v in want.items())]
ok = find(HTTP_METHOD="GET", HTTP_PATH="/", HTTP_STATUS="200", HTTP_USER_AGENT="e2e-agent/1.0",
          HTTP_REFERER="http://referrer.test/", SYSLOG_IDENTIFIER="staticd")
missing = find(HTTP_PATH="/no-such-file", HTTP_STATUS="404")
problems = []
if not ok: problems.append("no access entry GET / 200 with the e2e user agent and referer")
else:
    e = ok[-1]
    for f in ("HTTP_BYTES", "HTTP_DURATION_USEC", "CLIENT_ADDR", "PRIORITY", "MESSAGE"):
        if f not in e: problems.append(f"access entry lacks {f}")
    if not e.get("HTTP_BYTES", "x").isdigit(): problems.append("HTTP_BYTES is not a number")
    if not e.get("HTTP_DURATION_USEC", "x").isdigit(): problems.append("HTTP_DURATION_USEC is not a number")
    if e.get("CLIENT_ADDR") not in ("127.0.0.1", "::ffff:127.0.0.1"): problems.append(f"CLIENT_ADDR is {e.get('CLIENT_ADDR')!r}")
    print("          access entry:", {k: v for k, v in e.items() if k.startswith(("HTTP_", "CLIENT_", "PRIORITY", "SYSLOG_ID"))})
if not missing: problems.append("no access entry for /no-such-file with HTTP_STATUS=404")
for p in problems: print("          problem:", p)
sys.exit(1 if problems else 0)
PY
}

step_journal() {
	check "journalctl -u staticd shows the start-up entry" csh "journalctl -u staticd -o cat --no-pager | grep -q 'listening on'"
	check "entries carry SYSLOG_IDENTIFIER=staticd (journalctl -t staticd)" csh "journalctl -t staticd -o cat --no-pager | grep -q 'listening on'"
	check "access entries with HTTP_METHOD/PATH/STATUS/BYTES/DURATION_USEC, CLIENT_ADDR, USER_AGENT, REFERER" check_journal_access_fields
	check "journalctl -u staticd HTTP_STATUS=404 finds the miss" csh "journalctl -u staticd HTTP_STATUS=404 -o cat --no-pager | grep -q no-such-file"
}

step_security() {
	c systemd-analyze security staticd.service --no-pager > "$WORK/security.txt" 2>&1
	grep -E '^✗' "$WORK/security.txt" | sed 's/^/          /'
	local score; score="$(sed -n 's/.*Overall exposure level for staticd.service: \([0-9.]*\).*/\1/p' "$WORK/security.txt")"
	note "systemd-analyze security: exposure ${score:-?} (must be <= $MAX_EXPOSURE)"
	check "exposure $score <= $MAX_EXPOSURE" awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s != "" && s + 0 <= m + 0) }'
	check "the unit: RestartPreventExitStatus=77 78, journal rate limit off, PrivateMounts=yes" \
		csh 'systemctl show -p RestartPreventExitStatus --value staticd | grep -qx "77 78" && systemctl show -p LogRateLimitIntervalUSec --value staticd | grep -qx 0 && systemctl show -p PrivateMounts --value staticd | grep -qx yes'
	check "MemoryDenyWriteExecute=yes is in force and the server runs under it" \
		csh "systemctl show -p MemoryDenyWriteExecute --value staticd | grep -qx yes && systemctl is-active -q staticd"
	check "no writable+executable mapping in the server" \
		csh '! awk "\$2 ~ /w.x/" /proc/$(systemctl show -p MainPID --value staticd)/maps | grep -q .'
	# Even root cannot write there from inside the service's mount namespace (ProtectSystem=strict).
	check "the document root is read-only in the service's view (EROFS even for root)" \
		csh 'nsenter -t $(systemctl show -p MainPID --value staticd) -m touch /var/www/staticd/x 2>&1 | grep -q "Read-only file system"'

	check "systemd-analyze verify: no complaints about the units" \
		csh "systemd-analyze verify /lib/systemd/system/staticd.service /lib/systemd/system/staticd.socket 2>&1 | grep -v 'Unit is not enabled\\|^$' | grep -q . && false || true"
}

step_remove_purge() {
	check "apt-get remove staticd" csh "DEBIAN_FRONTEND=noninteractive apt-get remove -y -q staticd > /tmp/remove.log 2>&1 || { cat /tmp/remove.log; false; }"
	check "the service is stopped" not_active
	check "nothing answers on :8081 any more" csh "! curl -s --max-time 2 -o /dev/null http://127.0.0.1:8081/"
	check "the (edited) conffile stays after remove" csh "grep -q 8081 $CONF"
	check "apt-get purge staticd" csh "DEBIAN_FRONTEND=noninteractive apt-get purge -y -q staticd > /tmp/purge.log 2>&1 || { cat /tmp/purge.log; false; }"
	check "purge removed /etc/staticd" file_absent /etc/staticd
	check "purge removed the enablement symlink" file_absent /etc/systemd/system/multi-user.target.wants/staticd.service
	check "dpkg no longer knows staticd" csh "! dpkg -s staticd >/dev/null 2>&1"
	check "purge removed the unchanged default page" file_absent /var/www/staticd/index.html
}

step_upgrade_conffile() {
	check "fresh install again" csh "DEBIAN_FRONTEND=noninteractive apt-get install -y -q /mnt/deb/$DEB1 > /tmp/i.log 2>&1 || { cat /tmp/i.log; false; }"
	check "serving the default page on :80" wait_http_has http://127.0.0.1/ "It works" 10
	# The user's edit: another port; then an upgrade to a rebuilt package, keeping the local version.
	csh "sed -i 's|\"Port\": *80,|\"Port\": 8082,|' $CONF && systemctl reload staticd"
	check "the edit is live (:8082)" wait_http_has http://127.0.0.1:8082/ "It works" 10
	check "upgrade to $DEB2 (--force-confold)" \
		csh "DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Options::=--force-confold /mnt/deb/$DEB2 > /tmp/u.log 2>&1 || { cat /tmp/u.log; false; }"
	check "the new version is installed" csh "dpkg-query -W -f '\${Version}' staticd | grep -qx '$VERSION2'"
	check "the edited conffile survived the upgrade" csh "grep -q '\"Port\": 8082' $CONF"
	check "restarted and serving with the edited configuration" wait_http_has http://127.0.0.1:8082/ "It works" 10
	check "reinstall of the same version keeps the edit too" \
		csh "DEBIAN_FRONTEND=noninteractive apt-get install -y -q --reinstall -o Dpkg::Options::=--force-confold /mnt/deb/$DEB2 > /tmp/r.log 2>&1 && grep -q '\"Port\": 8082' $CONF"
	check "still active" is_active
}

step_socket_activation() {
	csh "sed -i 's|\"Port\": *8082,|\"Port\": 80,|' $CONF; systemctl stop staticd.service"
	check "service stopped before the socket is started" not_active
	check "systemctl enable --now staticd.socket" c systemctl enable --now staticd.socket
	check "the service is not running yet" not_active
	check "curl :80 starts it through the socket and gets the page" wait_http_has http://127.0.0.1/ "It works" 10
	check "staticd.service is now active" is_active
	csh "systemctl disable --now staticd.socket >/dev/null 2>&1; systemctl restart staticd.service"
}

step_restart_under_load() {
	wait_http_has http://127.0.0.1/ "It works" 10
	local before; before="$(c systemctl show -p MainPID --value staticd)"
	# A bounded client loop (400 requests, about 4 s) while the service restarts.
	csh "rm -f /tmp/load.txt; for i in \$(seq 1 400); do curl -s -o /dev/null -w '%{http_code}\n' --max-time 5 http://127.0.0.1/ >> /tmp/load.txt; sleep 0.01; done &
	     sleep 1; systemctl restart staticd; wait"
	local total bad
	total="$(csh 'wc -l < /tmp/load.txt')"; bad="$(csh "grep -vcx 200 /tmp/load.txt")"
	note "$total requests during the restart, $bad not answered 200"
	check "systemctl restart under a client loop refuses no connection" test "$bad" = 0
	check "active after the restart, as a new process" \
		csh "systemctl is-active -q staticd && test \"\$(systemctl show -p MainPID --value staticd)\" != '$before'"
	# 65536, or less when the container's own hard limit is lower (systemd cannot raise it).
	check "LimitNOFILE=65536 reached the process (capped by PID 1's hard limit)" \
		csh 'cap=$(awk "/^Max open files/ { print \$5 }" /proc/1/limits); want=65536; [ "$cap" != unlimited ] && [ "$cap" -lt $want ] && want=$cap
		     grep -E "^Max open files +$want +$want " /proc/$(systemctl show -p MainPID --value staticd)/limits'
}

# Several sites in one server (StaticD:Sites), set up the way an operator would: two roots under /srv (the unit's
# ProtectSystem=strict leaves /srv readable; ProtectHome=yes would hide /home), the conffile edited, a reload.
# Last step: it leaves the configuration as it found it all the same.
SITES_T0=""
http_host() { # HOST URL [curl args...]: the body, fetched inside the container with that Host header
	local host="$1" url="$2"; shift 2
	c curl -sS --max-time 5 -H "Host: $host" "$@" "$url"
}
wait_host_has() { # HOST URL TEXT SECONDS [curl args...]
	local host="$1" url="$2" text="$3" secs="$4" i; shift 4
	for i in $(seq 1 $((secs * 5))); do http_host "$host" "$url" -f "$@" 2>/dev/null | grep -qF "$text" && return 0; sleep 0.2; done
	return 1
}
host_code() { c curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Host: $1" "$2"; }
# The Location of a redirect, without the CR.
host_location() { c curl -s -o /dev/null -D - --max-time 5 -H "Host: $1" "$2" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p'; }

# The access entries (journal fields) of the requests above; in one function so what it asserts can be read at a glance.
check_journal_site_fields() {
	local i; for i in $(seq 1 25); do
		c journalctl -u staticd.service --since "@$SITES_T0" -o json --no-pager > "$WORK/journal-sites.json"
		grep -q '"SITE":"b.example"' "$WORK/journal-sites.json" && grep -q '"SITE":"www.a.example"' "$WORK/journal-sites.json" && break
		sleep 0.2
	done
	python3 - "$WORK/journal-sites.json" <<'PY'
import json, sys
entries = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def find(**want):
    return [e for e in entries if all(e.get(k) == v for k, v in want.items())]
problems = []
b = find(SITE="b.example", HTTP_HOST="b.example", HTTP_PATH="/only-b.html", HTTP_STATUS="200", SYSLOG_IDENTIFIER="staticd")
if not b: problems.append("no access entry SITE=b.example HTTP_HOST=b.example GET /only-b.html 200")
else: print("          access entry:", {k: v for k, v in b[-1].items() if k.startswith(("HTTP_", "SITE"))})
if not find(SITE="a.example", HTTP_HOST="a.example", HTTP_STATUS="404", HTTP_PATH="/only-b.html"):
    problems.append("no access entry SITE=a.example for a.example's 404 on /only-b.html")
w = find(SITE="www.a.example", HTTP_HOST="www.a.example", HTTP_STATUS="301")
if not w: problems.append("no access entry SITE=www.a.example HTTP_STATUS=301 for the redirect")
for p in problems: print("          problem:", p)
sites = sorted({e.get("SITE", "(none)") for e in entries if "HTTP_STATUS" in e})
print("          SITE values seen:", sites)
sys.exit(1 if problems else 0)
PY
}

step_sites() {
	check "two roots, /srv/a and /srv/b, readable by all (the service runs as staticd)" \
		csh "umask 022; mkdir -p /srv/a /srv/b && echo '<h1>site a</h1>' > /srv/a/index.html && echo '<h1>site b</h1>' > /srv/b/index.html &&
		     echo 'only on b' > /srv/b/only-b.html && chmod 0755 /srv/a /srv/b && chmod 0644 /srv/a/index.html /srv/b/index.html /srv/b/only-b.html"
	csh "cp $CONF /root/appsettings.before-sites.json"
	# The operator's edit: the top-level settings stay the default site; three named sites.
	c sh -c "cat > $CONF" <<'JSON'
{
  "StaticD": {
    "Port": 80,
    "Root": "/var/www/staticd",
    "Listen": ["0.0.0.0", "::"],
    "ShutdownTimeoutSeconds": 10,
    "Sites": [
      { "Hosts": ["a.example"], "Root": "/srv/a" },
      { "Hosts": ["b.example"], "Root": "/srv/b" },
      { "Hosts": ["www.a.example"], "RedirectTo": "https://a.example" }
    ]
  }
}
JSON
	check "staticd --check-config accepts the edited file" c staticd --check-config --config "$CONF"
	SITES_T0="$(date +%s)"; sleep 1
	local before; before="$(c systemctl show -p MainPID --value staticd)"
	check "systemctl reload staticd succeeds" c systemctl reload staticd
	check "Host: a.example gets /srv/a/index.html" wait_host_has a.example http://127.0.0.1/ "site a" 10
	check "Host: b.example gets /srv/b/index.html" wait_host_has b.example http://127.0.0.1/ "site b" 10
	check "same process (reloaded, not restarted)" test "$before" = "$(c systemctl show -p MainPID --value staticd)"
	check "Host: B.Example.:80 (case, trailing dot, port) is b.example" wait_host_has B.Example.:80 http://127.0.0.1/ "site b" 2
	check "Host: b.example gets a file only /srv/b has" wait_host_has b.example http://127.0.0.1/only-b.html "only on b" 2
	check "Host: a.example gets 404 for it (roots are separate)" test "$(host_code a.example http://127.0.0.1/only-b.html)" = 404
	check "absolute-form target wins over Host (GET http://b.example/ with Host: a.example)" \
		wait_host_has a.example http://127.0.0.1/ "site b" 2 --request-target http://b.example/
	check "an unknown host gets the default site (top-level Root)" wait_host_has unknown.example http://127.0.0.1/ "It works" 2
	check "no Host at all (HTTP/1.0) gets the default site" \
		csh "curl -fsS --max-time 5 --http1.0 -H 'Host:' http://127.0.0.1/ | grep -qF 'It works'"
	check "Host: www.a.example gets 301" test "$(host_code www.a.example 'http://127.0.0.1/docs/page.html?x=1')" = 301
	local loc; loc="$(host_location www.a.example 'http://127.0.0.1/docs/page.html?x=1')"
	note "www.a.example/docs/page.html?x=1 -> Location: $loc"
	check "its Location is https://a.example with the path and query" test "$loc" = "https://a.example/docs/page.html?x=1"
	check "journal: access entries carry SITE and HTTP_HOST (SITE=b.example, a.example's 404, www.a.example's 301)" check_journal_site_fields
	check "journalctl -u staticd SITE=b.example finds b's request by field match" \
		csh "journalctl -u staticd SITE=b.example --since @$SITES_T0 -o cat --no-pager | grep -q only-b.html"
	# Back to the one-site configuration.
	csh "cp /root/appsettings.before-sites.json $CONF"
	check "reload with the one-site file again" c systemctl reload staticd
	check "Host: a.example is the default site once more" wait_host_has a.example http://127.0.0.1/ "It works" 10
	check "still active" is_active
}

# 15,000 requests in at most 10 s (curl --parallel: keep-alive connections, no python3 in the rootfs); then each
# one is in the journal as a structured entry (HTTP_STATUS=200) or counted in staticd's own "dropped" line, and
# none reached the journal as stderr text.
FLOOD_REQUESTS=15000
step_access_flood() {
	local t0; t0="$(date +%s)"; sleep 1
	local n=$FLOOD_REQUESTS start end secs
	start="$(date +%s.%N)"
	check "curl --parallel: $n requests, each one 200" \
		csh "curl -s --parallel --parallel-max 32 -o /dev/null -w '%{http_code}\n' 'http://127.0.0.1/index.html?flood=[1-$n]' > /tmp/flood.codes; test \"\$(grep -cx 200 /tmp/flood.codes)\" = $n"
	end="$(date +%s.%N)"
	secs="$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')"
	note "$n requests in $secs s"
	check "$n requests in at most 10 s" awk -v s="$secs" 'BEGIN { exit !(s <= 10) }'
	# The rest of the drop count is logged when staticd stops.
	check "restart (staticd logs what it dropped when it stops)" c systemctl restart staticd
	check "active again" is_active
	c journalctl --sync
	local logged dropped
	logged="$(csh "journalctl -u staticd --since @$t0 HTTP_STATUS=200 -o cat --no-pager | grep -c '\"GET /index.html?flood='")"
	dropped="$(csh "journalctl -u staticd --since @$t0 -o cat --no-pager | sed -n 's/^access log: dropped \([0-9]*\) entries.*/\1/p'" | awk '{ s += $1 } END { print s + 0 }')"
	note "journal: $logged access entries with HTTP_STATUS=200, $dropped dropped (staticd's count)"
	check "entries in the journal = $n - dropped" test "$logged" = "$((n - dropped))"
	check "no access entry reached the journal as stderr text" \
		csh "! journalctl -u staticd --since @$t0 _TRANSPORT=stdout -o cat --no-pager | grep -q 'flood='"
}

# Metrics on a unix socket in /run/staticd (RuntimeDirectory=), turned on by a reload and scraped with curl; the
# request counter must grow by exactly the requests sent. Turned off again by a reload, which removes the socket.
METRICS_SOCK=/run/staticd/metrics.sock
scrape_get_2xx() { # the default site's GET 2xx count, 0 when there is no such sample yet
	c curl -fsS --max-time 5 --unix-socket "$METRICS_SOCK" http://localhost/metrics |
		awk '$1 == "staticd_http_requests_total{site=\"_\",method=\"GET\",code=\"2xx\"}" { v = $2 } END { print v + 0 }'
}
step_metrics() {
	csh "cp $CONF /root/appsettings.before-metrics.json"
	csh "sed -i 's|\"StaticD\": {|\"StaticD\": {\n    \"Metrics\": { \"Listen\": \"unix:$METRICS_SOCK\" },|' $CONF"
	check "the edit is in place and staticd --check-config accepts it" csh "grep -qF 'unix:$METRICS_SOCK' $CONF && staticd --check-config"
	check "systemctl reload staticd succeeds" c systemctl reload staticd
	check "the socket exists, mode 0660, user and group staticd" \
		csh "for i in \$(seq 1 25); do test -S $METRICS_SOCK && break; sleep 0.2; done; test \"\$(stat -c '%a %U %G' $METRICS_SOCK)\" = '660 staticd staticd'"
	local before after i n=25
	before="$(scrape_get_2xx)"
	check "$n GETs of /index.html, each 200" \
		csh "curl -s -o /dev/null -w '%{http_code}\n' 'http://127.0.0.1/index.html?m=[1-$n]' > /tmp/m.codes; test \"\$(grep -cx 200 /tmp/m.codes)\" = $n"
	# A response is counted once its last byte is sent, which can be a moment after curl has it.
	for i in $(seq 1 25); do after="$(scrape_get_2xx)"; [ $((after - before)) -ge $n ] && break; sleep 0.2; done
	note "staticd_http_requests_total{site=\"_\",method=\"GET\",code=\"2xx\"}: $before before, $after after"
	check "the counter grew by exactly $n" test "$((after - before))" = "$n"
	check "staticd_connections{state=...} is exposed" \
		csh "curl -fsS --max-time 5 --unix-socket $METRICS_SOCK http://localhost/metrics | grep -q '^staticd_connections{state=\"idle\"} '"
	csh "cp /root/appsettings.before-metrics.json $CONF"
	check "reload without Metrics" c systemctl reload staticd
	check "the socket file is gone" csh "for i in \$(seq 1 25); do test -e $METRICS_SOCK || exit 0; sleep 0.2; done; exit 1"
}

# A broken file and `systemctl restart`: the site stays up on /var/lib/staticd/last-good.json (StateDirectory=),
# STATUS= and journalctl -p err say so; fixed and restarted, all is normal again.
LAST_GOOD=/var/lib/staticd/last-good.json
step_last_good() {
	check "the running configuration is saved: $LAST_GOOD, mode 0600, user staticd, naming $CONF" \
		csh "test \"\$(stat -c '%a %U' $LAST_GOOD)\" = '600 staticd' && grep -qF '\"ConfigFile\": \"$CONF\"' $LAST_GOOD"
	local t0 saved; t0="$(date +%s)"; sleep 1
	saved="$(csh "sha256sum < $LAST_GOOD")"
	csh "cp $CONF /root/appsettings.good3.json && printf '{ \"StaticD\": { \"Port\": 80, \"Root\": ' > $CONF"
	check "systemctl restart staticd with the broken file succeeds" c systemctl restart staticd
	check "still serving the site" wait_http_has http://127.0.0.1/ "It works" 10
	check "systemctl status: Status: \"Running the last good configuration: $CONF: invalid JSON ...\"" \
		csh "systemctl status staticd --no-pager | grep -F 'Status: \"Running the last good configuration: $CONF: invalid JSON at line 1'"
	systemctl_status_line="$(csh "systemctl status staticd --no-pager | grep -F 'Status:'")"
	note "systemctl status: ${systemctl_status_line# *}"
	check "journalctl -u staticd -p err: the file's error and the copy served instead" \
		csh "for i in \$(seq 1 25); do j=\$(journalctl -u staticd -p err --since @$t0 -o cat --no-pager);
		     echo \"\$j\" | grep -qF 'staticd: $CONF: invalid JSON at line 1' &&
		     echo \"\$j\" | grep -qF 'staticd: $CONF is invalid; serving with the last good configuration instead: $LAST_GOOD' && exit 0; sleep 0.2; done
		     journalctl -u staticd -p err --since @$t0 -o cat --no-pager; exit 1"
	check "the broken file did not replace the copy" test "$saved" = "$(csh "sha256sum < $LAST_GOOD")"
	check "staticd --check-config still refuses the file (exit 78)" csh "staticd --check-config; test \$? = 78"
	csh "cp /root/appsettings.good3.json $CONF"
	check "restart with the fixed file" c systemctl restart staticd
	check "serving" wait_http_has http://127.0.0.1/ "It works" 10
	check "STATUS= is plain \"Serving...\" again" \
		csh "systemctl show -p StatusText --value staticd | grep -q '^Serving' && ! systemctl status staticd --no-pager | grep -q 'last good'"
}

# Access lines in a file, as an nginx operator keeps them: the conffile edited to log to /var/log/staticd (the
# unit's LogsDirectory=), a reload, then the package's /etc/logrotate.d/staticd run by hand: the renamed file keeps
# the lines from before, the new one gets the lines after (SIGUSR1 from postrotate), none is lost. logrotate is not in
# the minimal rootfs: its .deb (and libpopt0's) come from the host's apt, installed offline.
ACCESS_FILE=/var/log/staticd/access.log
file_lines() { csh "grep -c 'GET /index.html?file=$1-' $2 2>/dev/null || true"; }
wait_file_lines() { # TAG FILE COUNT
	local i; for i in $(seq 1 50); do [ "$(file_lines "$1" "$2")" = "$3" ] && return 0; sleep 0.2; done
	file_lines "$1" "$2"; return 1
}
step_access_file() {
	csh "cp $CONF /root/appsettings.before-file.json"
	csh "sed -i 's|\"Port\": *80,|\"Port\": 80, \"AccessLog\": { \"Target\": \"file\", \"Path\": \"$ACCESS_FILE\", \"Format\": \"combined\" },|' $CONF"
	check "the edit is in place and staticd --check-config accepts it" csh "grep -q '\"Target\": \"file\"' $CONF && staticd --check-config --config $CONF"
	check "systemctl reload staticd succeeds" c systemctl reload staticd
	check "/var/log/staticd is the service's (LogsDirectory=, owner staticd)" csh "test \"\$(stat -c %U /var/log/staticd)\" = staticd"
	csh "for i in \$(seq 1 20); do curl -s -o /dev/null -A 'e2e-file/1.0' http://127.0.0.1/index.html?file=before-\$i; done"
	check "20 lines in $ACCESS_FILE within the 1 s flush" wait_file_lines before "$ACCESS_FILE" 20
	check "a line is nginx's combined format" \
		csh "grep -E '^127\\.0\\.0\\.1 - - \\[[0-9]{2}/[A-Z][a-z]{2}/[0-9]{4}:[0-9:]{8} \\+0000\\] \"GET /index\\.html\\?file=before-1 HTTP/1\\.1\" 200 [0-9]+ \"-\" \"e2e-file/1\\.0\"\$' $ACCESS_FILE"
	csh "head -1 $ACCESS_FILE" | sed 's/^/          line: /'
	check "dpkg -i logrotate (offline: the host's .deb files)" \
		csh "ls /mnt/deb/extra/*.deb >/dev/null 2>&1 && dpkg -i /mnt/deb/extra/*.deb > /tmp/logrotate-install.log 2>&1 || { cat /tmp/logrotate-install.log; false; }"
	local t0; t0="$(date +%s)"
	check "logrotate -f /etc/logrotate.d/staticd" csh "logrotate -f /etc/logrotate.d/staticd 2>&1"
	check "the journal says the file was reopened" \
		csh "for i in \$(seq 1 25); do journalctl -u staticd --since @$t0 -o cat --no-pager | grep -q 'access log $ACCESS_FILE: reopened' && exit 0; sleep 0.2; done; exit 1"
	csh "for i in \$(seq 1 20); do curl -s -o /dev/null -A 'e2e-file/1.0' http://127.0.0.1/index.html?file=after-\$i; done"
	check "the 20 later lines are in the new $ACCESS_FILE" wait_file_lines after "$ACCESS_FILE" 20
	check "the 20 earlier lines are in $ACCESS_FILE.1 (delaycompress), none in the new file" \
		csh "test \"\$(grep -c 'file=before-' $ACCESS_FILE.1)\" = 20 && ! grep -q 'file=before-' $ACCESS_FILE"
	csh "ls -l /var/log/staticd/" | sed 's/^/          /'
	csh "cp /root/appsettings.before-file.json $CONF"
	check "reload with the journal-only file again" c systemctl reload staticd
	check "still active" is_active
}

# HTTPS as an operator sets it up: a certificate from a (test) CA, the key readable by root only and handed to the
# service with LoadCredential= (the service runs as staticd, which cannot read it), the config naming it through
# ${CREDENTIALS_DIRECTORY}; then curl verifies the certificate against the CA, and plain HTTP is redirected.
TLS_DIR=/etc/staticd/tls
step_https() {
	check "openssl: a test CA and a P-256 certificate for example.test, signed by it" csh "set -e; umask 022; mkdir -p $TLS_DIR; cd $TLS_DIR
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -subj '/CN=staticd e2e CA' -days 2 2>/dev/null
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout example.key -out example.csr -subj '/CN=example.test' 2>/dev/null
		printf 'subjectAltName=DNS:example.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > example.ext
		openssl x509 -req -in example.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out example.pem -days 2 -extfile example.ext 2>/dev/null
		chown root:root example.key ca.key; chmod 0600 example.key ca.key; chmod 0644 example.pem ca.pem
		openssl verify -CAfile ca.pem example.pem"
	check "the key is root's, mode 0600" test "$(c stat -c '%U %a' $TLS_DIR/example.key)" = "root 600"
	check "user staticd cannot read the key itself" csh "! runuser -u staticd -- cat $TLS_DIR/example.key > /dev/null 2>&1"
	csh "cp $CONF /root/appsettings.before-https.json"
	c mkdir -p /etc/systemd/system/staticd.service.d
	printf '[Service]\nLoadCredential=tls.key:%s/example.key\n' "$TLS_DIR" | c sh -c "cat > /etc/systemd/system/staticd.service.d/tls.conf"
	c sh -c "cat > $CONF" <<JSON
{
  "StaticD": {
    "Port": 80,
    "HttpsPort": 443,
    "Root": "/var/www/staticd",
    "Listen": ["0.0.0.0", "::"],
    "RedirectHttp": true,
    "Hsts": "max-age=600",
    "Tls": { "Certificate": "$TLS_DIR/example.pem", "Key": "\${CREDENTIALS_DIRECTORY}/tls.key" }
  }
}
JSON
	check "the config names the key as \${CREDENTIALS_DIRECTORY}/tls.key" csh "grep -qF '\"\${CREDENTIALS_DIRECTORY}/tls.key\"' $CONF"
	c systemctl daemon-reload
	local t0; t0="$(date +%s)"; sleep 1
	check "systemctl restart staticd (the server reads the credential)" c systemctl restart staticd
	check "active" is_active
	check "curl --cacert ca.pem https://example.test/ gets the default page" \
		csh "for i in \$(seq 1 50); do curl -fsS --max-time 5 --cacert $TLS_DIR/ca.pem --resolve example.test:443:127.0.0.1 https://example.test/ 2>/tmp/https.err | grep -qF 'It works' && exit 0; sleep 0.2; done; cat /tmp/https.err; exit 1"
	check "HTTPS answers carry Strict-Transport-Security" csh "curl -fsS -o /dev/null -D - --max-time 5 --cacert $TLS_DIR/ca.pem --resolve example.test:443:127.0.0.1 https://example.test/ | grep -qi '^strict-transport-security: max-age=600'"
	check "HTTPS over IPv6 too ([::1]:443)" csh "curl -fsS --max-time 5 --cacert $TLS_DIR/ca.pem --resolve 'example.test:443:[::1]' https://example.test/ | grep -qF 'It works'"
	local answer; answer="$(csh "curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --max-time 5 --resolve example.test:80:127.0.0.1 'http://example.test/docs/a.html?x=1'")"
	note "http://example.test/docs/a.html?x=1 -> $answer"
	check "plain HTTP gets 308 to https://example.test/docs/a.html?x=1" test "$answer" = "308 https://example.test/docs/a.html?x=1"
	check "curl -L from http:// ends on the HTTPS page" \
		csh "curl -fsSL --max-time 5 --cacert $TLS_DIR/ca.pem --resolve example.test:80:127.0.0.1 --resolve example.test:443:127.0.0.1 http://example.test/ | grep -qF 'It works'"
	check "plain HTTP to port 443 gets the 400 that says so" \
		csh "curl -s --max-time 5 http://127.0.0.1:443/ | grep -qF 'A plain HTTP request was sent to the HTTPS port'"
	check "systemctl reload (its --check-config leaves the credential to the server, which reads it)" c systemctl reload staticd
	check "HTTPS after the reload" csh "curl -fsS --max-time 5 --cacert $TLS_DIR/ca.pem --resolve example.test:443:127.0.0.1 https://example.test/ | grep -qF 'It works'"
	# Back to plain HTTP only.
	csh "cp /root/appsettings.before-https.json $CONF; rm -f /etc/systemd/system/staticd.service.d/tls.conf"
	c systemctl daemon-reload
	check "restart without HTTPS" c systemctl restart staticd
	check "still active" is_active
	# What the unit said, when something above failed (ExecReload= and credentials: see systemd issue #35227).
	[ "$STEP_FAILS" -eq 0 ] || c journalctl -u staticd --since "@$t0" -o short-monotonic --no-pager | grep -v '"GET ' | tail -40 | sed 's/^/          | /'
}

# Automatic HTTPS inside the booted container: pebble (the Let's Encrypt project's ACME test server, from the host's
# apt like logrotate: the container has no network) on loopback with pebble-challtestsrv as its DNS (every name is
# 127.0.0.1), both as transient units; it validates for real against staticd's :80 and :443. The conffile names an
# acme site and pebble's directory; the certificate lands in /var/lib/staticd/acme (the unit's StateDirectory=, mode
# 0700, the service user's), curl verifies it against pebble's root. Then the same .deb is installed again: the state
# directory, its certificate and the account survive, and pebble sees no new order.
PEBBLE_DIR=/etc/staticd/pebble
PEBBLE_LOG=/var/log/e2e-pebble.log
# Orders pebble created ("Added order"), not its "POST /order-plz" lines: it refuses 5 % of good nonces by design, and
# the client sends a refused request again.
pebble_orders() { csh "grep -c 'Added order ' $PEBBLE_LOG"; }
acme_curl() { csh "curl -fsS --max-time 5 --cacert /root/pebble-root.pem --resolve example.test:443:127.0.0.1 https://example.test/ 2>/tmp/acme-curl.err | grep -qF 'It works'"; }
wait_acme_curl() { local i; for i in $(seq 1 150); do acme_curl && return 0; sleep 0.2; done; csh "cat /tmp/acme-curl.err"; return 1; }
served_serial() { csh "openssl s_client -connect 127.0.0.1:443 -servername example.test -CAfile /root/pebble-root.pem -verify_return_error </dev/null 2>/dev/null | openssl x509 -noout -serial"; }
step_acme() {
	check "dpkg -i pebble (offline: the host's .deb)" \
		csh "ls /mnt/deb/pebble/pebble_*.deb >/dev/null 2>&1 && dpkg -i /mnt/deb/pebble/pebble_*.deb > /tmp/pebble-install.log 2>&1 || { cat /tmp/pebble-install.log; false; }"
	check "pebble's own HTTPS certificate (a CA and a leaf for 127.0.0.1, made here)" csh "set -e; umask 022; mkdir -p $PEBBLE_DIR; cd $PEBBLE_DIR
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -subj '/CN=pebble e2e CA' -days 2 2>/dev/null
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout pebble.key -out pebble.csr -subj '/CN=localhost' 2>/dev/null
		printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > pebble.ext
		openssl x509 -req -in pebble.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out pebble.pem -days 2 -extfile pebble.ext 2>/dev/null
		chmod 0644 ca.pem
		printf '{\"pebble\":{\"listenAddress\":\"127.0.0.1:14000\",\"managementListenAddress\":\"127.0.0.1:15000\",\"certificate\":\"%s/pebble.pem\",\"privateKey\":\"%s/pebble.key\",\"httpPort\":80,\"tlsPort\":443,\"ocspResponderURL\":\"\",\"externalAccountBindingRequired\":false}}\n' $PEBBLE_DIR $PEBBLE_DIR > pebble.json"
	check "pebble-challtestsrv (DNS only) and pebble started as transient units" csh "set -e
		systemd-run --quiet --unit=e2e-challtestsrv /usr/bin/pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 '' -dns01 127.0.0.1:8053 -http01 '' -https01 '' -tlsalpn01 '' -management 127.0.0.1:8055
		systemd-run --quiet --unit=e2e-pebble --property=StandardOutput=append:$PEBBLE_LOG --property=StandardError=append:$PEBBLE_LOG --setenv=PEBBLE_VA_ALWAYS_VALID=0 --setenv=PEBBLE_VA_NOSLEEP=1 /usr/bin/pebble -config $PEBBLE_DIR/pebble.json -dnsserver 127.0.0.1:8053 -strict=false"
	check "pebble's directory answers; its issuing root fetched" csh "for i in \$(seq 1 100); do curl -fsS --max-time 2 --cacert $PEBBLE_DIR/ca.pem https://127.0.0.1:14000/dir > /dev/null 2>&1 && break; sleep 0.1; done
		curl -fsS --max-time 5 --cacert $PEBBLE_DIR/ca.pem https://127.0.0.1:15000/roots/0 > /root/pebble-root.pem && grep -q 'BEGIN CERTIFICATE' /root/pebble-root.pem"
	csh "cp $CONF /root/appsettings.before-acme.json"
	c sh -c "cat > $CONF" <<JSON
{
  "StaticD": {
    "Port": 80,
    "HttpsPort": 443,
    "Root": "/var/www/staticd",
    "Listen": ["0.0.0.0", "::"],
    "Acme": { "Directory": "https://127.0.0.1:14000/dir", "Email": "ops@example.org", "AgreeToTerms": true,
              "CaCertificate": "$PEBBLE_DIR/ca.pem" },
    "Sites": [ { "Hosts": ["example.test", "www.example.test"], "Root": "/var/www/staticd", "Tls": "acme" } ]
  }
}
JSON
	check "staticd --check-config accepts the acme site" c staticd --check-config --config $CONF
	local t0; t0="$(date +%s)"; sleep 1
	check "systemctl restart staticd" c systemctl restart staticd
	check "curl --cacert <pebble root> https://example.test/ gets the default page (certificate issued)" wait_acme_curl
	check "www.example.test is in the same certificate" csh "curl -fsS --max-time 5 --cacert /root/pebble-root.pem --resolve www.example.test:443:127.0.0.1 https://www.example.test/ | grep -qF 'It works'"
	check "issued by pebble's intermediate" csh "openssl s_client -connect 127.0.0.1:443 -servername example.test -CAfile /root/pebble-root.pem </dev/null 2>/dev/null | openssl x509 -noout -issuer | grep -q 'Pebble Intermediate CA'"
	check "/var/lib/staticd/acme is the service user's, mode 0700" test "$(c stat -c '%U %a' /var/lib/staticd/acme)" = "staticd 700"
	check "the certificate and key are in /var/lib/staticd/acme/certificates/example.test" \
		csh "test -s /var/lib/staticd/acme/certificates/example.test/cert.pem && test -s /var/lib/staticd/acme/certificates/example.test/key.pem"
	check "one journal entry with ACME_HOST=example.test and ACME_ORDER" \
		csh "test \"\$(journalctl -u staticd --since @$t0 ACME_HOST=example.test -o json --no-pager | grep -c '\"ACME_ORDER\"')\" = 1"
	note "pebble: $(pebble_orders) order(s) created"
	check "pebble saw one new order" test "$(pebble_orders)" = 1
	local serial cert_sum; serial="$(served_serial)"; cert_sum="$(csh "sha256sum < /var/lib/staticd/acme/certificates/example.test/cert.pem")"
	note "served: $serial; $(csh 'journalctl -u staticd ACME_HOST=example.test -o cat --no-pager | tail -1')"
	# The same package installed again (postinst restarts the service).
	local v deb; v="$(c dpkg-query -W -f '${Version}' staticd)"; deb="$DEB1"; [ "$v" = "$VERSION2" ] && deb="$DEB2"
	check "dpkg -i $deb again (the installed version)" \
		csh "DEBIAN_FRONTEND=noninteractive dpkg -i --force-confold /mnt/deb/$deb > /tmp/acme-reinstall.log 2>&1 || { cat /tmp/acme-reinstall.log; false; }"
	check "HTTPS with the certificate after the reinstall" wait_acme_curl
	check "the state directory survived: same owner and mode, same certificate file" \
		csh "test \"\$(stat -c '%U %a' /var/lib/staticd/acme)\" = 'staticd 700' && test \"\$(sha256sum < /var/lib/staticd/acme/certificates/example.test/cert.pem)\" = '$cert_sum'"
	check "the same certificate is served ($serial)" test "$(served_serial)" = "$serial"
	note "pebble: $(pebble_orders) order(s) created in all"
	check "no new order after the reinstall" test "$(pebble_orders)" = 1
	# Back to plain HTTP only; pebble stopped.
	csh "cp /root/appsettings.before-acme.json $CONF"
	check "restart without acme" c systemctl restart staticd
	csh "systemctl stop e2e-pebble e2e-challtestsrv >/dev/null 2>&1"
	check "still active" is_active
	[ "$STEP_FAILS" -eq 0 ] || { c journalctl -u staticd --since "@$t0" -o short-monotonic --no-pager | grep -v '"GET ' | tail -40; csh "grep -v ' GET /dir ' $PEBBLE_LOG | tail -40"; } | sed 's/^/          | /'
}

# ---------------------------------------------------------------- main

install_missing
if [ ! -x "${STATICD_BINARY:-$REPO/out/staticd}" ]; then
	log "out/staticd missing: make build"
	make -C "$REPO" build >/dev/null || { log "FAIL: make build"; exit 1; }
fi
mkdir -p "$WORK/deb"
log "building the packages"
DEB1_PATH="$("$REPO/packaging/build-deb.sh" "$WORK/deb" 2>"$WORK/build.log")" || { cat "$WORK/build.log"; log "FAIL: build-deb.sh"; exit 1; }
# A rebuilt package with the next Debian revision, for the upgrade step.
DEB2_PATH="$(DEB_REVISION=2 "$REPO/packaging/build-deb.sh" "$WORK/deb" 2>>"$WORK/build.log")" || { cat "$WORK/build.log"; log "FAIL: build-deb.sh (rev 2)"; exit 1; }
DEB1="$(basename "$DEB1_PATH")"; DEB2="$(basename "$DEB2_PATH")"
VERSION2="$(dpkg-deb --show --showformat='${Version}' "$DEB2_PATH")"
log "packages: $DEB1, $DEB2"
# logrotate for the access-file step (the minimal rootfs has none; the container has no network).
mkdir -p "$WORK/deb/extra"
(cd "$WORK/deb/extra" && apt-get download -qq logrotate libpopt0 >"$WORK/download.log" 2>&1) ||
	{ apt-get update -qq >/dev/null 2>&1 && (cd "$WORK/deb/extra" && apt-get download -qq logrotate libpopt0 >>"$WORK/download.log" 2>&1); } ||
	log "could not download logrotate (step 12 will fail): $(tail -1 "$WORK/download.log")"
# pebble for the ACME step, apart from logrotate (step 14 installs every .deb of extra/).
mkdir -p "$WORK/deb/pebble"
(cd "$WORK/deb/pebble" && apt-get download -qq pebble >"$WORK/download-pebble.log" 2>&1) ||
	{ apt-get update -qq >/dev/null 2>&1 && (cd "$WORK/deb/pebble" && apt-get download -qq pebble >>"$WORK/download-pebble.log" 2>&1); } ||
	log "could not download pebble (step 16 will fail): $(tail -1 "$WORK/download-pebble.log")"
ensure_rootfs
boot

if ! run_step 1 "install: active, default page on :80" step_install; then
	log "the package did not install and start: the other 15 steps are not run"
	echo "e2e: $PASSED passed, $((FAILED + 15)) failed"
	exit 1
fi
run_step 2 "edit root+port, reload; a download across the reload stays intact" step_reload
run_step 3 "broken edit: reload refused, old configuration serves, reason logged" step_broken_edit
run_step 4 "journal: start-up entry and access entries with fields" step_journal
run_step 5 "systemd-analyze security <= $MAX_EXPOSURE, W^X, read-only root" step_security
run_step 6 "remove keeps the conffile, purge removes it" step_remove_purge
run_step 7 "upgrade and reinstall keep an edited conffile" step_upgrade_conffile
run_step 8 "socket activation via staticd.socket" step_socket_activation
run_step 9 "restart under a client loop refuses nothing (fd store)" step_restart_under_load
run_step 10 "two sites and a www redirect by Host after a reload; SITE in the journal" step_sites
run_step 11 "$FLOOD_REQUESTS requests in <= 10 s: each in the journal with its fields or counted as dropped" step_access_flood
run_step 12 "metrics on a unix socket turned on by a reload: the request counter matches the requests sent" step_metrics
run_step 13 "broken file + systemctl restart: still serving the last good configuration, STATUS= and journal say so" step_last_good
run_step 14 "access log file in /var/log/staticd; logrotate renames, SIGUSR1 reopens, no line lost" step_access_file
run_step 15 "HTTPS: key passed with LoadCredential=, curl --cacert verifies, plain HTTP gets 308" step_https
run_step 16 "automatic HTTPS: a certificate from pebble in /var/lib/staticd/acme; a reinstall keeps it, no new order" step_acme

echo "e2e: $PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
