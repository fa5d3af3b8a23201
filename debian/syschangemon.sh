#!/bin/sh
# syschangemon: host change monitor (see syschangemon(8)).
exec /usr/bin/node /usr/lib/syschangemon/dist/cli.js "$@"
