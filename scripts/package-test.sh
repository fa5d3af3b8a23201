#!/usr/bin/env bash
# Builds the Debian package out of tree, checks it with lintian, installs it, exercises the
# installed program as cron and systemd would run it, removes and purges it, and checks what is
# left at each step. Run as root on a Debian 12 machine after `npm ci` (CI: .ci/run).
#   scripts/package-test.sh            build, lintian, install, test, remove, purge
#   scripts/package-test.sh --build    build and lintian only
# The .deb and the lintian output are left in build/.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT="$ROOT/build"
PKG=syschangemon
BIN=/usr/sbin/syschangemon
STATE=/var/lib/syschangemon
BUILD_ONLY=false
[ "${1:-}" = "--build" ] && BUILD_ONLY=true

step() { printf '\n== %s\n' "$*"; }
fail() { printf 'package-test: FAIL: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (it installs and purges the package)"
[ -d "$ROOT/node_modules/better-sqlite3" ] || fail "node_modules is missing: run npm ci first"

VERSION=$(node -p "require('$ROOT/package.json').version")
DEBVERSION=$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -S Version)
[ "${DEBVERSION%-*}" = "$VERSION" ] || fail "debian/changelog is $DEBVERSION, package.json is $VERSION"

# The package depends on nodejs (>= 20), (<< 21): say so plainly when this machine's node is
# not such a dpkg package, rather than forcing the dependency.
NODEVER=$(dpkg-query -W -f '${Version}' nodejs 2>/dev/null || true)
if [ -z "$NODEVER" ] || ! dpkg --compare-versions "$NODEVER" ge 20 || ! dpkg --compare-versions "$NODEVER" lt 21; then
  fail "the nodejs package installed here is '${NODEVER:-none}'; syschangemon needs nodejs 20.x as a Debian package (e.g. from deb.nodesource.com node_20.x)"
fi

step "build (out of tree)"
WORK=$(mktemp -d /tmp/syschangemon-pkg.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir "$WORK/$PKG-$VERSION"
tar -C "$ROOT" --exclude=./.git --exclude=./build --exclude=./dist \
  --exclude=./debian/$PKG --exclude=./debian/.debhelper --exclude=./debian/files \
  -cf - . | tar -C "$WORK/$PKG-$VERSION" -xf -
(cd "$WORK/$PKG-$VERSION" && dpkg-buildpackage -us -uc -b) >"$WORK/build.log" 2>&1 || {
  tail -n 40 "$WORK/build.log" >&2
  fail "dpkg-buildpackage failed"
}
mkdir -p "$OUT"
rm -f "$OUT"/${PKG}_*.deb
cp "$WORK"/${PKG}_"${DEBVERSION}"_*.deb "$OUT"/
DEB=$(ls "$OUT"/${PKG}_"${DEBVERSION}"_*.deb)
echo "built $DEB"
dpkg-deb -I "$DEB" | sed -n '/Package:/,$p'

step "lintian"
# Errors fail the build; warnings are listed (and kept in build/lintian.txt).
lintian --info --display-info "$DEB" >"$OUT/lintian.txt" 2>&1 || true
cat "$OUT/lintian.txt"
if grep -q '^E: ' "$OUT/lintian.txt"; then fail "lintian reports errors"; fi

step "contents"
dpkg-deb -c "$DEB" >"$WORK/contents"
for f in ./usr/sbin/syschangemon ./usr/lib/syschangemon/dist/cli.js ./usr/lib/syschangemon/package.json \
  ./usr/lib/syschangemon/native/build/Release/fsnative.node ./usr/lib/syschangemon/etc/syschangemon/syschangemon.conf ./usr/share/syschangemon/templates/report.txt.njk \
  ./etc/syschangemon/syschangemon.conf ./etc/syschangemon/plugins.d/file.conf ./etc/cron.d/syschangemon \
  ./lib/systemd/system/syschangemon.service ./lib/systemd/system/syschangemon.timer \
  ./usr/share/man/man8/syschangemon.8.gz; do
  grep -q " $f\$" "$WORK/contents" || fail "$f is not in the package"
done
if grep -E ' \./usr/lib/syschangemon/node_modules/(typescript|tsx|fast-check|smtp-server|mailparser|@types/[^/]+)/package\.json$' "$WORK/contents" >/dev/null; then
  fail "development dependencies are in the package"
fi
dpkg-deb -I "$DEB" conffiles | grep -qx /etc/syschangemon/syschangemon.conf || fail "syschangemon.conf is not a conffile"
dpkg-deb -I "$DEB" conffiles | grep -qx /etc/cron.d/syschangemon || fail "the cron file is not a conffile"

$BUILD_ONLY && exit 0

step "install"
if dpkg-query -W -f '${Status}' $PKG 2>/dev/null | grep -qv 'not-installed'; then dpkg -P $PKG >/dev/null; fi
rm -rf "$STATE"
dpkg -i "$DEB"
[ "$($BIN --version)" = "$VERSION" ] || fail "$BIN --version is not $VERSION"
[ "$(stat -c %a "$STATE")" = 700 ] || fail "$STATE is not mode 0700"
[ -d /var/log/syschangemon ] || fail "/var/log/syschangemon (README.Debian's log directory) is not there after install"
[ "$(stat -c %a /var/log/syschangemon)" = 700 ] || fail "/var/log/syschangemon is not mode 0700"

step "the first baseline, taken in the background by postinst"
for _ in $(seq 1 600); do
  [ -n "$($BIN list-sessions --format json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{const a=JSON.parse(s);if(a.length)console.log(a.length)}catch{}})')" ] && break
  sleep 1
done
# Wait for the baseline process itself (it holds the run lock until it has closed the database).
for _ in $(seq 1 120); do pgrep -f "$BIN collect --quiet" >/dev/null || pgrep -f '/usr/lib/syschangemon/dist/cli.js collect --quiet' >/dev/null || break; sleep 1; done
$BIN list-sessions

step "collect with the installed configuration"
OUTTXT=$($BIN collect 2>&1) || fail "collect failed: $OUTTXT"
[ -z "$OUTTXT" ] || fail "collect printed in a pipe: $OUTTXT"
DB=$STATE/storage/db.sqlite
[ "$(stat -c %a "$DB")" = 600 ] || fail "$DB is not mode 0600"
[ "$(stat -c %a "$STATE/storage")" = 700 ] || fail "$STATE/storage is not mode 0700"
[ "$(stat -c %a "$STATE")" = 700 ] || fail "$STATE is not mode 0700"

step "the cron job, as cron runs it: silent, exit 0"
CRONCMD=$(awk '/^[0-9*]/ { $1=$2=$3=$4=$5=$6=""; sub(/^ +/, ""); print; exit }' /etc/cron.d/syschangemon)
[ -n "$CRONCMD" ] || fail "no job line in /etc/cron.d/syschangemon"
echo "$CRONCMD"
CRONOUT=$(env -i SHELL=/bin/sh PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root sh -c "$CRONCMD" 2>&1) || fail "cron job exited $?: $CRONOUT"
[ -z "$CRONOUT" ] || fail "cron job printed: $CRONOUT"
$BIN list-reports
$BIN print-report --format json >/dev/null || fail "print-report --format json"
[ -f /usr/share/man/man8/syschangemon.8.gz ] || fail "the man page is not installed"

step "the unit lets mail_handler = sendmail write the MTA's spool"
UNIT=/lib/systemd/system/syschangemon.service
grep -q '^NoNewPrivileges=yes' $UNIT && fail "NoNewPrivileges=yes stops postfix's setgid postdrop"
for p in /var/spool/exim4 /var/spool/postfix/maildrop; do
  grep '^ReadWritePaths=' $UNIT | grep -q -- "-$p" || fail "$p is not writable under the unit"
done

if command -v systemd-analyze >/dev/null; then
  step "systemd units"
  VERIFY=$(systemd-analyze verify /lib/systemd/system/syschangemon.service /lib/systemd/system/syschangemon.timer 2>&1 || true)
  echo "$VERIFY"
  if echo "$VERIFY" | grep -q '^syschangemon\.'; then fail "systemd-analyze verify complains about the units"; fi
fi

step "remove (configuration and state stay)"
dpkg -r $PKG
[ ! -e $BIN ] || fail "$BIN left after remove"
[ ! -e /usr/lib/syschangemon ] || fail "/usr/lib/syschangemon left after remove"
[ -f /etc/syschangemon/syschangemon.conf ] || fail "the configuration was removed without purge"
[ -f /etc/cron.d/syschangemon ] || fail "the cron file (a conffile) went with remove"
[ -f "$DB" ] || fail "the database was removed without purge"
CRONOUT=$(env -i SHELL=/bin/sh PATH=/usr/sbin:/usr/bin:/sbin:/bin sh -c "$CRONCMD" 2>&1) || fail "cron job after remove exited $?: $CRONOUT"
[ -z "$CRONOUT" ] || fail "cron job after remove printed: $CRONOUT"

step "purge"
dpkg -P $PKG
for p in "$STATE" /etc/syschangemon /etc/cron.d/syschangemon /usr/lib/syschangemon $BIN /var/log/syschangemon; do
  [ ! -e "$p" ] || fail "$p left after purge"
done
echo
echo "package-test: OK ($DEB)"
