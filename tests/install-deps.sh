#!/usr/bin/env bash
# What make test needs beyond the SDK: promtool (Debian's prometheus package) to check staticd's /metrics, and
# goaccess to parse the access log files staticd writes (combined and vhost-combined); chromium, the real browser
# that must get (and decode) compressed responses (Compression/BrowserTests.cs); nghttp2-client (nghttp, h2load) and
# python3-h2 (Debian's HTTP/2 client library, for /usr/bin/python3) drive the HTTP/2 conformance, differential and
# attack tests (Http2/), which need a second, independent HTTP/2 implementation to talk to ours; pebble, the ACME
# test server of the Let's Encrypt project (pebble and pebble-challtestsrv as its DNS), which the Acme/ tests run on
# loopback to issue certificates to staticd over real http-01 and tls-alpn-01 validation.
# The prometheus package's postinst would start a Prometheus server where systemd runs; a policy-rc.d that refuses
# every service start (created only if there is none, removed after) keeps it to the one binary the tests use.
set -uo pipefail
packages=()
command -v promtool >/dev/null || packages+=(prometheus)
command -v goaccess >/dev/null || packages+=(goaccess)
command -v chromium >/dev/null || packages+=(chromium)
command -v nghttp >/dev/null && command -v h2load >/dev/null || packages+=(nghttp2-client)
/usr/bin/python3 -c 'import h2' >/dev/null 2>&1 || packages+=(python3-h2)
command -v pebble >/dev/null && command -v pebble-challtestsrv >/dev/null || packages+=(pebble)
[ ${#packages[@]} -eq 0 ] && exit 0
echo "installing ${packages[*]} (promtool checks staticd's /metrics, goaccess reads its access log files, chromium gets compressed responses, nghttp2-client and python3-h2 speak HTTP/2 to it, pebble issues ACME certificates; no service is started)"
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
