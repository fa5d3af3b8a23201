#!/usr/bin/env node
/**
 * Benchmark of `syschangemon watch`: how long from a file change to the compliance line. The
 * shared SSG Debian 12 datastream, OSCAP_PROBE_ROOT pointed at a small copied tree, the profile
 * in which the sshd rules apply (test/sshd-probe-root.mjs: dpkg status with linux-base and
 * openssh-server, APT_CONFIG), the profile (default anssi_bp28_high, all its file-mapped rules
 * watched); then N times sshd_config saved with `PermitRootLogin yes`, then `no` (a new file
 * renamed over it, as editors do) and the time until watch prints the line of
 * sshd_disable_root_login's new result. `--change shadow`: a chmod of etc/shadow (0644, back to
 * 0640) and file_permissions_etc_shadow's line instead. The bound is 5 s (1 s of it
 * the debounce).
 *
 *   npm run build && node bench/scap-watch.mjs [--runs 6] [--profile anssi_bp28_high] [--change sshd|shadow]
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sshdProbeRoot } from '../test/sshd-probe-root.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const DS = path.join(REPO, '..', 'shared', 'fixtures', 'scap', 'ssg-debian12-ds.xml');
const { values: opt } = parseArgs({ options: { runs: { type: 'string', default: '6' }, profile: { type: 'string', default: 'anssi_bp28_high' }, change: { type: 'string', default: 'sshd' } } });
if (!['sshd', 'shadow'].includes(opt.change)) throw new Error('--change sshd or shadow');
const runs = Number(opt.runs);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-bench-watch-'));
const pr = sshdProbeRoot(path.join(work, 'root'), {
  extra: (r) => {
    fs.mkdirSync(path.join(r, 'etc/sudoers.d'), { recursive: true });
    for (const f of ['passwd', 'group', 'shadow', 'gshadow', 'login.defs']) {
      try {
        fs.copyFileSync(`/etc/${f}`, path.join(r, 'etc', f));
      } catch {
        // absent on this host
      }
    }
    fs.chmodSync(path.join(r, 'etc/shadow'), 0o640);
  },
});
// oscap inherits syschangemon's environment.
process.env.APT_CONFIG = pr.aptConfig;
const root = pr.root;
const conf = path.join(work, 'conf');
fs.mkdirSync(path.join(conf, 'plugins.d'), { recursive: true });
fs.writeFileSync(path.join(conf, 'syschangemon.conf'), `[syschangemon]\n[storage]\ndir = ${work}/state\n`);
fs.writeFileSync(path.join(conf, 'plugins.d', 'scap.conf'), `[scap]\nenable_plugin = true\ndatastream = ${DS}\nprofile = ${opt.profile}\ninterval = 7d\nprobe_root = ${root}\n`);

const load0 = os.loadavg()[0];
const t0 = performance.now();
const child = spawn(process.execPath, [path.join(REPO, 'dist/cli.js'), '-c', conf, 'watch', '--change-only'], { stdio: ['ignore', 'pipe', 'pipe'] });
let out = '';
let err = '';
child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
const until = async (what, ms) => {
  const t = performance.now();
  while (!what()) {
    if (performance.now() - t > ms) throw new Error(`not within ${ms} ms:\n${err}\n${out}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};
await until(() => /watching \d+ directories/.test(err), 600_000);
const start = performance.now() - t0;
// The check after the start (changes between baseline and watches) settles first.
await new Promise((r) => setTimeout(r, 3000));
const rule = opt.change === 'shadow' ? 'file_permissions_etc_shadow' : 'sshd_disable_root_login';
const times = [];
for (let i = 0; i < runs; i++) {
  const lines = out.split('\n').filter((l) => l.includes(rule)).length;
  const t = performance.now();
  if (opt.change === 'shadow') fs.chmodSync(path.join(root, 'etc/shadow'), i % 2 ? 0o640 : 0o644);
  else {
    fs.writeFileSync(`${pr.sshdConfig}.new`, `PermitRootLogin ${i % 2 ? 'no' : 'yes'}\n`, { mode: 0o600 });
    fs.renameSync(`${pr.sshdConfig}.new`, pr.sshdConfig);
  }
  await until(() => out.split('\n').filter((l) => l.includes(rule)).length > lines, 120_000);
  times.push(performance.now() - t);
  await new Promise((r) => setTimeout(r, 500));
}
child.kill('SIGTERM');
await new Promise((r) => child.on('close', r));
const sorted = [...times].sort((a, b) => a - b);
console.log(`scap watch benchmark, profile ${opt.profile}, ${runs} changes, node ${process.version}, ${os.cpus().length} CPUs, load ${load0.toFixed(1)} → ${os.loadavg()[0].toFixed(1)}`);
console.log(`${err.split('\n').find((l) => l.includes('watching'))} (start with the baseline evaluation: ${(start / 1000).toFixed(2)} s)`);
console.log(`${opt.change === 'shadow' ? 'chmod etc/shadow' : 'sshd_config saved (PermitRootLogin yes/no)'} → ${rule} line: median ${(sorted[Math.floor(runs / 2)] / 1000).toFixed(2)} s, range ${(sorted[0] / 1000).toFixed(2)}–${(sorted[runs - 1] / 1000).toFixed(2)} s (bound 5 s; 1 s of it is the debounce)`);
console.log(times.map((t) => (t / 1000).toFixed(2)).join(' '));
console.log(out.split('\n').filter((l) => l.includes(rule)).slice(0, 2).join('\n'));
pr.remove();
fs.rmSync(work, { recursive: true, force: true });
