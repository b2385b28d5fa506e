#!/usr/bin/env bash
# Builds out/staticd_<version>-1_amd64.deb from the AOT binary (make build) with plain dpkg-deb:
#
#   packaging/build-deb.sh [OUT_DIR]        (default OUT_DIR: <repo>/out)
#
# Environment: STATICD_BINARY (default <repo>/out/staticd), DEB_REVISION (default 1),
# DEB_MAINTAINER, SOURCE_DATE_EPOCH (default: the last commit's date, for a reproducible .deb),
# LINTIAN=1 to run lintian on the result (installed with apt when missing).
# Prints the path of the .deb as its last line.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PKG="$REPO/packaging"
OUT_DIR="$(mkdir -p "${1:-$REPO/out}" && cd "${1:-$REPO/out}" && pwd)"
BINARY="${STATICD_BINARY:-$REPO/out/staticd}"
MAINTAINER="${DEB_MAINTAINER:-staticd developers <staticd@example.org>}"
REVISION="${DEB_REVISION:-1}"
ARCH=amd64

die() { echo "build-deb: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "$1 is missing (apt-get install $2)"; }
need dpkg-deb dpkg
need dpkg-shlibdeps dpkg-dev
need strip binutils
need gzip gzip

[ -x "$BINARY" ] || die "$BINARY not found: run 'make build' first"
[ "$(dpkg --print-architecture)" = "$ARCH" ] || die "builds $ARCH packages only"

# "staticd 0.1.0" -> 0.1.0; Debian revision -1.
UPSTREAM="$("$BINARY" --version | awk 'NR == 1 { print $NF }')"
[[ "$UPSTREAM" =~ ^[0-9][A-Za-z0-9.+~]*$ ]] || die "unexpected version '$UPSTREAM' from $BINARY --version"
VERSION="$UPSTREAM-$REVISION"

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH="$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || date +%s)"
fi
export SOURCE_DATE_EPOCH
DATE_RFC2822="$(LC_ALL=C date -u -d "@$SOURCE_DATE_EPOCH" -R)"
DATE_MAN="$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)"
COMMIT="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
ROOT="$WORK/staticd"
umask 022

# ---- files ------------------------------------------------------------------------------
install -D -m 0755 "$BINARY" "$ROOT/usr/bin/staticd"
# Symbols are already gone (StripSymbols); this drops .comment/.note sections too (lintian).
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$ROOT/usr/bin/staticd"
"$ROOT/usr/bin/staticd" --version >/dev/null || die "the stripped binary does not run"

install -D -m 0644 "$REPO/appsettings.json" "$ROOT/etc/staticd/appsettings.json"
install -D -m 0644 "$REPO/deploy/staticd.service" "$ROOT/lib/systemd/system/staticd.service"
install -D -m 0644 "$REPO/deploy/staticd.socket" "$ROOT/lib/systemd/system/staticd.socket"
install -D -m 0644 "$PKG/logrotate" "$ROOT/etc/logrotate.d/staticd"
install -D -m 0644 "$PKG/staticd.sysusers" "$ROOT/usr/lib/sysusers.d/staticd.conf"
# The default page lives in /usr/share; postinst copies it to /var/www/staticd on first install
# (Debian packages must not ship files under /var/www: lintian dir-or-file-in-var-www).
install -D -m 0644 "$PKG/index.html" "$ROOT/usr/share/staticd/www/index.html"

install -d -m 0755 "$ROOT/usr/share/man/man8"
sed -e "s/^\.TH STATICD 8 .*/.TH STATICD 8 \"$DATE_MAN\" \"staticd $UPSTREAM\" \"System Administration\"/" \
	"$REPO/docs/staticd.8" | gzip -9n > "$ROOT/usr/share/man/man8/staticd.8.gz"

install -D -m 0644 "$PKG/copyright" "$ROOT/usr/share/doc/staticd/copyright"
install -D -m 0644 "$PKG/lintian-overrides" "$ROOT/usr/share/lintian/overrides/staticd"
{
	printf 'staticd (%s) unstable; urgency=medium\n\n' "$VERSION"
	printf '  * Upstream release %s (commit %s).\n\n' "$UPSTREAM" "$COMMIT"
	printf ' -- %s  %s\n' "$MAINTAINER" "$DATE_RFC2822"
} | gzip -9n > "$ROOT/usr/share/doc/staticd/changelog.Debian.gz"
chmod 0644 "$ROOT/usr/share/doc/staticd/changelog.Debian.gz" "$ROOT/usr/share/man/man8/staticd.8.gz"

# ---- control ----------------------------------------------------------------------------
# Shared-library dependencies as dh_shlibdeps computes them (needs a debian/control to read).
mkdir -p "$WORK/debian"
printf 'Source: staticd\n\nPackage: staticd\nArchitecture: %s\n' "$ARCH" > "$WORK/debian/control"
SHLIBS="$(cd "$WORK" && dpkg-shlibdeps -O -e"$ROOT/usr/bin/staticd" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')"
[ -n "$SHLIBS" ] || die "dpkg-shlibdeps found no dependencies"
# HTTPS loads OpenSSL 3 at run time (LibraryImport of libssl.so.3, which pulls libcrypto.so.3), so the binary has
# no DT_NEEDED entry for it and dpkg-shlibdeps cannot see it: name it here (libssl3t64 is its name from trixie on).
# postinst runs systemd-sysusers (the same alternatives dh_installsysusers adds).
# libzstd1 (Content-Encoding: zstd, Interop/Zstd.cs), libssl3 (HTTPS, Interop/LibSsl.cs) and libnghttp2-14 (HTTP/2,
# Interop/LibNghttp2.cs) are loaded at run time, so dpkg-shlibdeps cannot see them.
DEPENDS="$SHLIBS, libssl3 | libssl3t64, libzstd1, libnghttp2-14, systemd | systemd-standalone-sysusers | systemd-sysusers"

install -d -m 0755 "$ROOT/DEBIAN"
INSTALLED_SIZE="$(du -sk --apparent-size --exclude=DEBIAN "$ROOT" | cut -f1)"
cat > "$ROOT/DEBIAN/control" <<EOF
Package: staticd
Version: $VERSION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $INSTALLED_SIZE
Depends: $DEPENDS
Section: httpd
Priority: optional
Description: static-file HTTP/1.1 server for systemd
 staticd serves one directory over HTTP/1.1 from a single Native AOT binary:
 epoll event loops, sendfile, strong ETags and conditional requests, byte
 ranges, precompressed (.br, .zst, .gz) variants, per-path headers and
 Cache-Control rules, SPA fallback and custom error pages. Every path is
 resolved beneath the document root by the kernel (openat2 RESOLVE_BENEATH).
 .
 It runs as a hardened Type=notify systemd service: configuration in
 /etc/staticd/appsettings.json, validated before every reload (staticd
 --check-config); a start with a broken file serves the last good one.
 Reload on SIGHUP without dropping connections,
 a watchdog, and structured access logs in the journal
 (journalctl -u staticd HTTP_STATUS=404) or in nginx's combined format or JSON
 under /var/log/staticd (rotated by logrotate). Socket activation is optional.
EOF
# Not "Provides: httpd": that virtual package promises a general web server (CGI, virtual
# hosts, ...); packages depending on it expect more than static files.

printf '%s\n' /etc/staticd/appsettings.json /etc/logrotate.d/staticd > "$ROOT/DEBIAN/conffiles"
INDEX_SHA256="$(sha256sum < "$PKG/index.html" | cut -d' ' -f1)"
for script in postinst prerm postrm; do
	sed -e "s/@INDEX_SHA256@/$INDEX_SHA256/g" "$PKG/$script" > "$ROOT/DEBIAN/$script"
	chmod 0755 "$ROOT/DEBIAN/$script"
done
(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z |
	xargs -0 md5sum) > "$ROOT/DEBIAN/md5sums"
chmod 0644 "$ROOT/DEBIAN/control" "$ROOT/DEBIAN/conffiles" "$ROOT/DEBIAN/md5sums"

# Reproducible: fixed mtimes (dpkg-deb clamps nothing by itself for files).
find "$ROOT" -newermt "@$SOURCE_DATE_EPOCH" -print0 | xargs -0r touch --no-dereference --date="@$SOURCE_DATE_EPOCH"

DEB="$OUT_DIR/staticd_${VERSION}_${ARCH}.deb"
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$DEB" >/dev/null
echo "build-deb: $(dpkg-deb --show --showformat='${Package} ${Version} ${Architecture}, Depends: ${Depends}' "$DEB")" >&2

if [ "${LINTIAN:-0}" = 1 ]; then
	command -v lintian >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends lintian >&2
	lintian --pedantic --display-info --fail-on error,warning "$DEB" >&2
fi
echo "$DEB"
