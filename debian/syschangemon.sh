#!/bin/sh
# syschangemon: host change monitor (see syschangemon(8)).
# Memory: the program sets its V8 generation growth and malloc arenas itself at start
# (src/memory.ts), however it is started; these two lines only repeat the part of it that can
# be given from outside. bench/run.mjs reads them to run the program the way it is installed.
export MALLOC_ARENA_MAX=2
exec /usr/bin/node --max-semi-space-size=2 /usr/lib/syschangemon/dist/cli.js "$@"
