#!/usr/bin/env bash
# Builds the Debian package, checks it with lintian, installs it, uses it, removes and purges
# it, and checks what is left. Run as root on Debian 12 after `npm ci` (CI does).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '# package-test: %s\n' "$*"; }
fail() { printf 'package-test: FAILED: %s\n' "$*" >&2; exit 1; }

version=$(node -p "require('./package.json').version")
[ "$(dpkg-parsechangelog -S Version)" = "$version" ] || fail "debian/changelog version $(dpkg-parsechangelog -S Version) is not package.json's $version"

step "dpkg-buildpackage"
out=$(mktemp -d)
dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1 || { tail -40 "$out/build.log"; fail "dpkg-buildpackage"; }
deb=$(ls ../syschangemon_"$version"_*.deb)
mv ../syschangemon_"$version"_* "$out/"
deb="$out/$(basename "$deb")"

step "lintian"
lintian --fail-on error "$deb" || fail "lintian reports errors"

if dpkg -s syschangemon >/dev/null 2>&1; then dpkg -P syschangemon >/dev/null; fi
rm -rf /var/lib/syschangemon /etc/syschangemon

step "dpkg -i"
dpkg -i "$deb"

step "--version"
[ "$(/usr/sbin/syschangemon --version)" = "$version" ] || fail "--version"

step "the background baseline"
for _ in $(seq 1 120); do
  n=$(/usr/sbin/syschangemon list-sessions --format json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).length)}catch{console.log(0)}})')
  [ "$n" -ge 1 ] && break
  sleep 1
done
[ "$n" -ge 1 ] || fail "no baseline session after 120 s"

step "collect and run with the installed configuration"
/usr/sbin/syschangemon collect || fail "collect"
output=$(/usr/sbin/syschangemon run --skip-empty-mail --quiet 2>&1) || fail "run"
[ -z "$output" ] || fail "run --quiet printed: $output"
/usr/sbin/syschangemon print-report --format json >/dev/null || fail "print-report"
man -w syschangemon >/dev/null 2>&1 || [ -f /usr/share/man/man8/syschangemon.8.gz ] || fail "man page"

step "permissions"
[ "$(stat -c %a /var/lib/syschangemon)" = 700 ] || fail "/var/lib/syschangemon is not 0700"
[ "$(stat -c %a /var/lib/syschangemon/storage)" = 700 ] || fail "storage dir is not 0700"
[ "$(stat -c %a /var/lib/syschangemon/storage/db.sqlite)" = 600 ] || fail "db.sqlite is not 0600"

step "dpkg -r: the cron job stays silent"
dpkg -r syschangemon
[ -f /etc/cron.d/syschangemon ] || fail "the cron file (a conffile) should stay until purge"
cronline=$(grep -E '^[0-9*]' /etc/cron.d/syschangemon | sed -E 's/^([^ ]+ +){5}root +//')
cron_out=$(sh -c "$cronline" 2>&1) || fail "the cron line exited non-zero after removal"
[ -z "$cron_out" ] || fail "the cron line printed after removal: $cron_out"

step "dpkg -P: nothing left"
dpkg -P syschangemon
for p in /var/lib/syschangemon /etc/syschangemon /etc/cron.d/syschangemon /usr/lib/syschangemon /usr/sbin/syschangemon; do
  [ ! -e "$p" ] || fail "$p is left after purge"
done
rm -rf "$out"
echo "# package-test: ok"
