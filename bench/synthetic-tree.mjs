/**
 * A deterministic synthetic tree shaped like /usr/bin + /usr/sbin + /usr/lib on Debian 12:
 * 15% directories, 83% regular files, 2% symlinks; file sizes log-normal around a 3 KiB median
 * (p90 ≈ 30 KiB) plus a few large files (1–64 MiB); a skewed directory fan-out (a few
 * directories with thousands of entries, most with a handful). Same seed, same tree.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** mulberry32: small, fast, seeded PRNG returning floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(rand) {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Plans the tree: directory paths (relative), files with sizes, symlinks with targets. */
export function planTree({ entries, seed = 42, maxBytes = 4 * 2 ** 30 }) {
  const rand = prng(seed);
  const nDirs = Math.max(1, Math.round(entries * 0.15));
  const nLinks = Math.round(entries * 0.02);
  const nFiles = Math.max(0, entries - nDirs - nLinks);
  const dirs = ['d0'];
  for (let i = 1; i < nDirs; i++) {
    // Parents drawn with a bias to early directories: a wide top, a long thin tail.
    const parent = dirs[Math.floor(i * rand() ** 2)];
    dirs.push(`${parent}/d${i}`);
  }
  const sizes = new Array(nFiles);
  let total = 0;
  const mu = Math.log(3064);
  for (let i = 0; i < nFiles; i++) {
    let s;
    if (rand() < 0.002) s = Math.round(2 ** (20 + 6 * rand()));
    else s = Math.round(Math.exp(mu + 1.82 * normal(rand)));
    s = Math.min(s, 64 * 2 ** 20);
    sizes[i] = s;
    total += s;
  }
  const scale = total > maxBytes ? maxBytes / total : 1;
  const files = new Array(nFiles);
  let bytes = 0;
  for (let i = 0; i < nFiles; i++) {
    const dir = dirs[Math.floor(nDirs * rand() ** 2.5)];
    const size = Math.floor(sizes[i] * scale);
    bytes += size;
    files[i] = { rel: `${dir}/f${i}${i % 7 === 0 ? '.so' : ''}`, size };
  }
  const links = [];
  for (let i = 0; i < nLinks; i++) {
    const dir = dirs[Math.floor(nDirs * rand() ** 2.5)];
    const target = files.length ? path.basename(files[Math.floor(rand() * files.length)].rel) : 'nowhere';
    links.push({ rel: `${dir}/l${i}`, target });
  }
  return { dirs, files, links, bytes, scale };
}

const POOL_SIZE = 8 * 2 ** 20;

/** The content pool: 8 MiB of seeded random bytes that file contents are cut from. */
function contentPool(seed) {
  const rand = prng(seed ^ 0x5eed);
  const pool = Buffer.allocUnsafe(POOL_SIZE);
  for (let i = 0; i < POOL_SIZE; i += 4) pool.writeUInt32LE((rand() * 4294967296) >>> 0, i);
  return pool;
}

/** Writes one file: a unique header (its index and round) then bytes from the pool. */
function writeContent(fd, pool, index, round, size) {
  const header = Buffer.from(`${index}:${round}\n`);
  let written = fs.writeSync(fd, header, 0, Math.min(header.length, size));
  let off = (index * 7919 + round * 104729) % POOL_SIZE;
  while (written < size) {
    const n = Math.min(size - written, POOL_SIZE - off);
    written += fs.writeSync(fd, pool, off, n);
    off = 0;
  }
}

/** Creates the planned tree under `root` (which must not exist). Returns counts. */
export function buildTree(root, opts) {
  const plan = planTree(opts);
  const pool = contentPool(opts.seed ?? 42);
  fs.mkdirSync(root, { recursive: true });
  for (const d of plan.dirs) fs.mkdirSync(path.join(root, d));
  plan.files.forEach((f, i) => {
    const fd = fs.openSync(path.join(root, f.rel), 'w', i % 50 === 0 ? 0o755 : 0o644);
    try {
      writeContent(fd, pool, i, 0, f.size);
    } finally {
      fs.closeSync(fd);
    }
  });
  for (const l of plan.links) fs.symlinkSync(l.target, path.join(root, l.rel));
  return { dirs: plan.dirs.length, files: plan.files.length, links: plan.links.length, bytes: plan.bytes, scale: plan.scale };
}
