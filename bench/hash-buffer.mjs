#!/usr/bin/env node
/**
 * Micro-benchmark: sha256 of every regular file under the given directories in one thread,
 * the way the file collector's hash worker reads them (synchronous reads into one reused
 * buffer), for several buffer sizes. Shows how much the read size matters (the copy out of the
 * page cache and the hashing both want the buffer to stay in the CPU cache).
 *
 *   node bench/hash-buffer.mjs /usr/lib/x86_64-linux-gnu [more dirs]
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';

const dirs = process.argv.slice(2);
if (!dirs.length) {
  console.error('usage: node bench/hash-buffer.mjs DIR...');
  process.exit(2);
}
const out = spawnSync('find', [...dirs, '-xdev', '-type', 'f', '-print0'], { maxBuffer: 1 << 30 }).stdout;
const files = [];
for (let s = 0, i = 0; i < out.length; i++) if (out[i] === 0) (files.push(out.subarray(s, i)), (s = i + 1));

function run(size) {
  const buf = Buffer.allocUnsafe(size);
  let bytes = 0;
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (const f of files) {
    let fd;
    try {
      fd = openSync(f, 'r');
    } catch {
      continue;
    }
    const h = createHash('sha256');
    for (;;) {
      const n = readSync(fd, buf, 0, size, null);
      if (n === 0) break;
      bytes += n;
      h.update(n === size ? buf : buf.subarray(0, n));
    }
    h.digest('hex');
    closeSync(fd);
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { wall, user: c.user / 1e6, sys: c.system / 1e6, bytes };
}

run(1 << 20); // warm the page cache
console.log(`| buffer | wall s | user s | sys s | GiB/s |`);
console.log(`| ---: | ---: | ---: | ---: | ---: |`);
for (const size of [16 << 10, 64 << 10, 128 << 10, 256 << 10, 1 << 20, 4 << 20]) {
  const r = run(size);
  console.log(`| ${size >> 10} KiB | ${r.wall.toFixed(2)} | ${r.user.toFixed(2)} | ${r.sys.toFixed(2)} | ${(r.bytes / r.wall / 2 ** 30).toFixed(2)} |`);
}
console.log(`\n${files.length} files, one thread.`);
