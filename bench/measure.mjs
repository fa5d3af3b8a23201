/**
 * Runs one command as its own process under GNU time (`/usr/bin/time -f '%e %U %S %M'`), which
 * reads wall time and the kernel's rusage of the child and everything it waited for: user and
 * system CPU seconds and the peak resident set (ru_maxrss, exact, in KiB).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const TIME = '/usr/bin/time';

/** @typedef {{ wall: number, user: number, sys: number, rssKiB: number, code: number }} Sample */

/**
 * Runs `argv` once. stdout goes to /dev/null unless `stdoutFile` is given; stderr is kept and
 * shown when the exit code is not in `okCodes`.
 * @returns {Sample}
 */
export function timed(argv, { okCodes = [0], stdoutFile, env, cwd } = {}) {
  if (!fs.existsSync(TIME)) throw new Error(`${TIME} not found: apt-get install -y time`);
  const tfile = path.join(os.tmpdir(), `scm-bench-time-${process.pid}`);
  const out = fs.openSync(stdoutFile ?? '/dev/null', 'w');
  try {
    const res = spawnSync(TIME, ['-f', '%e %U %S %M', '-o', tfile, ...argv], {
      stdio: ['ignore', out, 'pipe'],
      env: env ?? process.env,
      cwd,
      maxBuffer: 64 * 2 ** 20,
    });
    const code = res.status ?? -1;
    if (!okCodes.includes(code)) {
      throw new Error(`${argv.join(' ')} exited ${code}: ${String(res.stderr).slice(-2000)}`);
    }
    const fields = fs.readFileSync(tfile, 'utf8').trim().split('\n').pop().split(/\s+/).map(Number);
    const [wall, user, sys, rssKiB] = fields;
    return { wall, user, sys, rssKiB, code };
  } finally {
    fs.closeSync(out);
    fs.rmSync(tfile, { force: true });
  }
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Summarizes samples: the median wall, user, sys, and the largest peak RSS.
 * @param {Sample[]} samples
 */
export function summarize(samples) {
  return {
    n: samples.length,
    wall: median(samples.map((s) => s.wall)),
    wallMin: Math.min(...samples.map((s) => s.wall)),
    wallMax: Math.max(...samples.map((s) => s.wall)),
    user: median(samples.map((s) => s.user)),
    sys: median(samples.map((s) => s.sys)),
    rssKiB: Math.max(...samples.map((s) => s.rssKiB)),
  };
}

/** Sum of several steps run one after another (e.g. diff, then render): walls and CPU add, RSS is the max. */
export function sumSteps(list) {
  return {
    n: Math.min(...list.map((s) => s.n)),
    wall: list.reduce((a, s) => a + s.wall, 0),
    wallMin: list.reduce((a, s) => a + s.wallMin, 0),
    wallMax: list.reduce((a, s) => a + s.wallMax, 0),
    user: list.reduce((a, s) => a + s.user, 0),
    sys: list.reduce((a, s) => a + s.sys, 0),
    rssKiB: Math.max(...list.map((s) => s.rssKiB)),
  };
}

/** Size of a SQLite database with its WAL: { main, wal } in bytes. */
export function dbSize(dbPath) {
  const size = (p) => (fs.existsSync(p) ? fs.statSync(p).size : 0);
  return { main: size(dbPath), wal: size(`${dbPath}-wal`) };
}
