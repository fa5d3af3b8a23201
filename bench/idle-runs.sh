#!/bin/sh
# N runs of the bundled default configuration in a row on a machine nobody touches, and every
# change they report: an idle server's report should stay empty (issue 15, part 5).
#
# usage: sh bench/idle-runs.sh [--work DIR] [--runs N] [--interval SECONDS] [default-vs-aide.sh options]
#   --work DIR        a work directory of bench/default-vs-aide.sh (its CLI snapshot, configuration
#                     and database are reused; default /tmp/scm-default-bench). When it has none,
#                     one is made first: sh bench/default-vs-aide.sh --work DIR --skip-aide (the
#                     baseline collect and one run, timed), with the remaining options.
#   --runs N          runs (default 24)
#   --interval S      seconds between the start of one run and the next (default 0; cron's
#                     hourly run is 3600)
# Each run is `nice -n 19 syschangemon run --quiet`, its report kept as DIR/idle/NN.json.
# Prints per run the number of changes (and errors), then every changed key with its runs,
# change and attributes (bench/idle-summary.mjs), as Markdown on stdout.
set -eu
REPO=$(cd "$(dirname "$0")/.." && pwd)
WORK=/tmp/scm-default-bench
RUNS=24
INTERVAL=0
while [ $# -gt 0 ]; do
  case "$1" in
    --work) WORK=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --interval) INTERVAL=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
case "$RUNS$INTERVAL" in *[!0-9]*) echo "idle-runs.sh: --runs and --interval want whole numbers" >&2; exit 2 ;; esac

if [ ! -f "$WORK/etc/syschangemon.conf" ] || [ ! -d "$WORK/app/dist" ]; then
  echo "idle-runs.sh: no default-vs-aide.sh work directory in $WORK: making one (baseline collect)" >&2
  sh "$REPO/bench/default-vs-aide.sh" --work "$WORK" --skip-aide "$@" >&2
fi
SCM="env MALLOC_ARENA_MAX=2 node --max-semi-space-size=2 $WORK/app/dist/cli.js -c $WORK/etc/syschangemon.conf"
umask 077
rm -rf "$WORK/idle"
mkdir -p "$WORK/idle"

i=1
while [ "$i" -le "$RUNS" ]; do
  start=$(date +%s)
  n=$(printf '%02d' "$i")
  rc=0
  nice -n 19 /usr/bin/time -o "$WORK/idle/$n.time" -f '%e %U %S %M' $SCM run --quiet > "$WORK/idle/$n.out" 2> "$WORK/idle/$n.err" || rc=$?
  $SCM print-report --format json > "$WORK/idle/$n.json" 2>> "$WORK/idle/$n.err" || true
  echo "$rc $(cut -d' ' -f1-3 /proc/loadavg)" > "$WORK/idle/$n.rc"
  echo "$(date -u +%H:%M:%S) run $n: exit $rc, $(tail -n1 "$WORK/idle/$n.time") (wall user sys KB), load $(cut -d' ' -f1 /proc/loadavg)" >&2
  i=$((i + 1))
  if [ "$i" -le "$RUNS" ] && [ "$INTERVAL" -gt 0 ]; then
    left=$((start + INTERVAL - $(date +%s)))
    [ "$left" -le 0 ] || sleep "$left"
  fi
done
node "$REPO/bench/idle-summary.mjs" "$WORK/idle"
