#!/bin/sh
# The bundled default configuration (etc/syschangemon) next to AIDE with Debian's default
# /etc/aide/aide.conf (aide-common), on this machine, in one run:
#
#   aide --init   ->  syschangemon collect (empty database)  ->  aide --check  ->  syschangemon run
#
# Each step is one process under GNU time (wall, user, sys, peak RSS) and nice -n 19, with the
# load average before and after. AIDE is started the way Debian's aideinit and cron job start it
# (aide --config=/etc/aide/aide.conf), with only these changes given on the command line:
#   -B database_in/out/new  the databases in the work directory, not /var/lib/aide
#   -A '!<dir>/ 0'          for each excluded directory: the directory itself stays, what is
#                           below it is not read.
# syschangemon runs a snapshot of dist/ with the bundled configuration (etc/syschangemon); only
# the storage directory is moved into the work directory, and each excluded directory gets a
# '<dir>/**' line in file.conf's exclude (the same trees are left out of both).
#
# usage: sh bench/default-vs-aide.sh [--work DIR] [--exclude DIR]... [--no-default-excludes]
#        [--skip-aide] [--skip-scm]
# Prints a Markdown table on stdout, progress on stderr; keeps the logs in the work directory.
set -eu

REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=/tmp/scm-default-bench
SKIP_AIDE=0
SKIP_SCM=0
# The parts of this machine that are the development environment, not the server watched:
#   /work                  the engineers' checkouts, worktrees and CI trees
#   /tmp                   their test trees (and this benchmark's work directory)
#   /root/.pyenv .rustup .cargo .m2 .npm .cache
#                          language toolchains and package caches of the build environment
#   /opt/pypi /opt/pypi-more /opt/wheels /opt/tf-plugins
#                          the build environment's offline package mirrors (7.9 GB of wheels,
#                          sdists and Terraform providers)
# Both programs' defaults read /opt; syschangemon's reads /root/* (dotfiles and directory
# entries), not the trees below them.
EXCLUDES='/work
/tmp
/root/.pyenv
/root/.rustup
/root/.cargo
/root/.m2
/root/.npm
/root/.cache
/opt/pypi
/opt/pypi-more
/opt/wheels
/opt/tf-plugins'

while [ $# -gt 0 ]; do
  case "$1" in
    --work) WORK=$2; shift 2 ;;
    --exclude) EXCLUDES="$EXCLUDES
$2"; shift 2 ;;
    --no-default-excludes) EXCLUDES=''; shift ;;
    --skip-aide) SKIP_AIDE=1; shift ;;
    --skip-scm) SKIP_SCM=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "default-vs-aide.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

[ -x /usr/bin/time ] || { echo "default-vs-aide.sh: GNU time missing: apt-get install -y time" >&2; exit 2; }
[ "$SKIP_AIDE" = 1 ] || command -v aide >/dev/null || { echo "default-vs-aide.sh: aide missing: apt-get install -y aide" >&2; exit 2; }
[ -f "$REPO/dist/cli.js" ] || { echo "default-vs-aide.sh: $REPO/dist/cli.js missing: npm run build" >&2; exit 2; }

umask 077
# Only a directory this script made (or none) is replaced.
if [ -e "$WORK" ] && [ ! -f "$WORK/steps.tsv" ]; then
  echo "default-vs-aide.sh: $WORK exists and is not a work directory of this script: give another --work" >&2
  exit 2
fi
rm -rf "$WORK"
mkdir -p "$WORK/aide" "$WORK/storage" "$WORK/app"
LOG="$WORK/steps.tsv"
: > "$LOG"

# Snapshot of the CLI, as bench/run.mjs does, so a rebuild during the run changes nothing.
for p in dist templates etc package.json native/build/Release/fsnative.node; do
  [ -e "$REPO/$p" ] || continue
  mkdir -p "$WORK/app/$(dirname "$p")"
  cp -a "$REPO/$p" "$WORK/app/$p"
done
ln -s "$REPO/node_modules" "$WORK/app/node_modules"
cp -a "$WORK/app/etc/syschangemon" "$WORK/etc"
sed -i "s|^\( *dir *= *\).*|\1$WORK/storage|" "$WORK/etc/plugins.d/storage.conf"
OLDIFS=$IFS; IFS='
'
for e in $EXCLUDES; do
  case "$e" in /*) ;; *) echo "default-vs-aide.sh: --exclude wants an absolute directory: '$e'" >&2; exit 2 ;; esac
  sed -i "/^  exclude =\$/a\\    ${e%/}/**" "$WORK/etc/plugins.d/file.conf"
done
IFS=$OLDIFS
# As the installed wrapper starts it (debian/syschangemon.sh).
SCM="env MALLOC_ARENA_MAX=2 node --max-semi-space-size=2 $WORK/app/dist/cli.js -c $WORK/etc/syschangemon.conf"

set -- # AIDE arguments
set -- --config=/etc/aide/aide.conf \
  -B "database_in=file:$WORK/aide/aide.db" \
  -B "database_out=file:$WORK/aide/aide.db.new" \
  -B "database_new=file:$WORK/aide/aide.db.new"
OLDIFS=$IFS; IFS='
'
for e in $EXCLUDES; do set -- "$@" -A "!$(printf '%s' "${e%/}" | sed 's/[].[\\*^$()+?{|]/\\&/g')/ 0"; done
IFS=$OLDIFS
printf '%s\n' "$@" > "$WORK/aide/args"

load() { cut -d' ' -f1-3 /proc/loadavg; }

# step NAME COMMAND... : run under GNU time and nice, append "name wall user sys rss load0 load1 rc".
step() {
  name=$1; shift
  l0=$(load)
  echo "$(date -u +%H:%M:%S) $name: $* (load $l0)" >&2
  rc=0
  nice -n 19 /usr/bin/time -o "$WORK/$name.time" -f '%e %U %S %M' "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || rc=$?
  l1=$(load)
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$(tail -n1 "$WORK/$name.time")" "$l0" "$l1" "$rc" >> "$LOG"
  echo "$(date -u +%H:%M:%S) $name: done, exit $rc, $(tail -n1 "$WORK/$name.time") (wall user sys KB), load $l1" >&2
}

[ "$SKIP_AIDE" = 1 ] || step aide-init aide "$@" --init
if [ "$SKIP_AIDE" != 1 ]; then mv "$WORK/aide/aide.db.new" "$WORK/aide/aide.db"; fi
[ "$SKIP_SCM" = 1 ] || step scm-collect $SCM collect
[ "$SKIP_AIDE" = 1 ] || step aide-check aide "$@" --check
[ "$SKIP_SCM" = 1 ] || step scm-run $SCM run

# What each watches.
AIDE_ENTRIES=
if [ "$SKIP_AIDE" != 1 ]; then
  AIDE_ENTRIES=$(sed -n 's/^[[:space:]]*Number of entries:[[:space:]]*\([0-9]*\).*/\1/p' "$WORK/aide-init.out" | head -n1)
  AIDE_BYTES=$(gzip -dc "$WORK/aide/aide.db" 2>/dev/null | wc -c || true)
fi
SCM_ITEMS=
SCM_FILES=
if [ "$SKIP_SCM" != 1 ]; then
  $SCM export --format json > "$WORK/export.json" 2>/dev/null || true
  COUNTS=$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));const n={};for(const i of r.items)n[i.key.slice(0,i.key.indexOf(":"))]=(n[i.key.slice(0,i.key.indexOf(":"))]??0)+1;console.log(r.items.length+" "+Object.entries(n).map(([k,v])=>k+" "+v).join(", "))' "$WORK/export.json" || echo '? ?')
  SCM_ITEMS=${COUNTS%% *}
  SCM_FILES=${COUNTS#* }
  SCM_DB=$(du -b "$WORK/storage" | tail -n1 | cut -f1)
  SCM_CHANGES=$($SCM print-report --format json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s);console.log((r.changes??[]).length)})' || echo '?')
fi

echo "| step | wall s | user s | sys s | max RSS MB | load avg 1/5/15 start → end | exit |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
while IFS='	' read -r name t l0 l1 rc; do
  set -- $t
  printf '| %s | %s | %s | %s | %s | %s → %s | %s |\n' "$name" "$1" "$2" "$3" "$(($4 / 1024))" "$l0" "$l1" "$rc"
done < "$LOG"
echo
[ "$SKIP_AIDE" = 1 ] || echo "AIDE: $AIDE_ENTRIES entries (database $AIDE_BYTES bytes uncompressed); arguments in $WORK/aide/args; check output in $WORK/aide-check.out"
[ "$SKIP_SCM" = 1 ] || echo "syschangemon: $SCM_ITEMS items ($SCM_FILES); storage $SCM_DB bytes; changes in the run's report: $SCM_CHANGES"
