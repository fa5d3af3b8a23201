#!/bin/sh
# syschangemon: host change monitor (see syschangemon(8)).
# Memory: a smaller young generation (measured 257 MB -> 214 MB peak for a 100k-file collect)
# and two malloc arenas instead of one per thread (about 10 MB less with the hash workers).
# bench/run.mjs reads these two lines to run the program the way it is installed.
export MALLOC_ARENA_MAX=2
exec /usr/bin/node --max-semi-space-size=2 /usr/lib/syschangemon/dist/cli.js "$@"
