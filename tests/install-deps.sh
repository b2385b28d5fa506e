#!/usr/bin/env bash
# What make test needs beyond the SDK: promtool (Debian's prometheus package) to check staticd's /metrics, and
# goaccess to parse the access log files staticd writes (combined and vhost-combined); chromium, the real browser
# that must get (and decode) compressed responses (Compression/BrowserTests.cs); pebble (Let's Encrypt's ACME test
# server, with pebble-challtestsrv for its DNS), which issues the certificates of the ACME tests (Acme/).
# The prometheus package's postinst would start a Prometheus server where systemd runs; a policy-rc.d that refuses
# every service start (created only if there is none, removed after) keeps it to the one binary the tests use.
set -uo pipefail
packages=()
command -v promtool >/dev/null || packages+=(prometheus)
command -v goaccess >/dev/null || packages+=(goaccess)
command -v chromium >/dev/null || packages+=(chromium)
command -v pebble >/dev/null || packages+=(pebble)
[ ${#packages[@]} -eq 0 ] && exit 0
echo "installing ${packages[*]} (promtool checks staticd's /metrics, goaccess reads its access log files, chromium gets compressed responses, pebble issues ACME certificates; no service is started)"
created=0
if [ ! -e /usr/sbin/policy-rc.d ] && [ -w /usr/sbin ]; then
    printf '#!/bin/sh\n# created by staticd tests/install-deps.sh, removed after the install\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    created=1
fi
install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null; }
install || { apt-get update -qq && install; }
rc=$?
[ "$created" = 1 ] && rm -f /usr/sbin/policy-rc.d
# Where systemd runs and the unit got enabled anyway, do not leave a server behind.
if [[ " ${packages[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null; then
    systemctl disable --now prometheus >/dev/null 2>&1
fi
exit $rc
