#!/usr/bin/env node
/**
 * Builds native/fsnative.node with node-gyp against the headers of the Node.js running this
 * script (`<prefix>/include/node`, shipped with Node), so no download is needed. Run by
 * `npm ci` (install script) and `npm run build`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const prefix = resolve(dirname(process.execPath), '..');
// Incremental once configured (N-API is ABI stable across Node versions).
const configured = existsSync(join(here, 'build', 'Makefile'));
const args = [configured ? 'build' : 'rebuild', '--directory', here, '--loglevel=warn'];
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
const gyp = process.env.npm_config_node_gyp;
const cmd = gyp ? process.execPath : 'node-gyp';
const r = spawnSync(cmd, gyp ? [gyp, ...args] : args, { stdio: ['ignore', 'ignore', 'inherit'] });
if (r.error) {
  process.stderr.write(`native/build.mjs: cannot run node-gyp: ${r.error.message}\n`);
  process.exit(1);
}
if (r.status !== 0) process.exit(r.status ?? 1);
