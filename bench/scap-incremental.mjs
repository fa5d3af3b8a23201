#!/usr/bin/env node
/**
 * Benchmark of incremental compliance runs (scap collector) on the shared SSG Debian 12
 * datastream with OSCAP_PROBE_ROOT pointed at a small tree in which the sshd rules apply
 * (test/sshd-probe-root.mjs: dpkg status with linux-base and openssh-server, APT_CONFIG): one full evaluation of the
 * profile first, then N `syschangemon collect` runs with no change, N runs each after an
 * sshd_config edit (the first of them reported apart: it cuts the reduced datastream of those
 * rules, cached after), and N runs of the same CLI with the scap
 * collector off (process start, config and store: the base the collector's cost is measured
 * against). Medians of wall time and of user+sys CPU.
 *
 *   npm run build && node bench/scap-incremental.mjs [--runs 5] [--profile anssi_bp28_high]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sshdProbeRoot } from '../test/sshd-probe-root.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const DS = path.join(REPO, '..', 'shared', 'fixtures', 'scap', 'ssg-debian12-ds.xml');
const { values: opt } = parseArgs({ options: { runs: { type: 'string', default: '5' }, profile: { type: 'string', default: 'anssi_bp28_high' } } });
const runs = Number(opt.runs);

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-bench-scapinc-'));
// The sshd probe root (test/sshd-probe-root.mjs): the sshd rules are applicable there, so the
// edit flips sshd_disable_root_login; oscap needs its APT_CONFIG (inherited through syschangemon).
const pr = sshdProbeRoot(path.join(work, 'root'), {
  sshdConfig: 'PermitRootLogin no\nPermitEmptyPasswords no\nClientAliveInterval 300\n',
  extra: (r) => {
    fs.mkdirSync(path.join(r, 'etc/ssh/sshd_config.d'), { recursive: true });
    fs.mkdirSync(path.join(r, 'boot'), { recursive: true });
    for (const f of ['passwd', 'group', 'shadow', 'gshadow', 'login.defs', 'sysctl.conf']) {
      try {
        fs.copyFileSync(`/etc/${f}`, path.join(r, 'etc', f));
      } catch {
        // absent on this host
      }
    }
  },
});
process.env.APT_CONFIG = pr.aptConfig;
const root = pr.root;
const sshd = pr.sshdConfig;

const conf = (dir, scap) => {
  fs.mkdirSync(path.join(dir, 'plugins.d'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'syschangemon.conf'), `[syschangemon]\n[storage]\ndir = ${dir}/state\n`);
  if (scap) fs.writeFileSync(path.join(dir, 'plugins.d', 'scap.conf'), `[scap]\nenable_plugin = true\ndatastream = ${DS}\nprofile = ${opt.profile}\ninterval = 7d\nprobe_root = ${root}\n`);
  return dir;
};
const withScap = conf(path.join(work, 'on'), true);
const without = conf(path.join(work, 'off'), false);

// user+sys CPU of each run (GNU time), beside wall time: on a shared machine it moves less.
const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : '';
const cpu = [];
function collect(dir, cpus) {
  const t0 = performance.now();
  const argv = [process.execPath, path.join(REPO, 'dist/cli.js'), '-c', dir, '--quiet', 'collect'];
  const c = TIME ? spawnSync(TIME, ['-f', 'CPU %U %S', ...argv], { encoding: 'utf8' }) : spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  const ms = performance.now() - t0;
  if (c.status !== 0) throw new Error(c.stderr);
  const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(c.stderr);
  if (cpus && m) cpus.push((Number(m[1]) + Number(m[2])) * 1000);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${(ms / 1000).toFixed(3)} s`;
const sessions = (dir) => {
  const r = spawnSync(process.execPath, [path.join(REPO, 'dist/cli.js'), '-c', dir, 'list-sessions', '--format', 'json'], { encoding: 'utf8' });
  return JSON.parse(r.stdout).length;
};

const load0 = os.loadavg()[0];
const full = collect(withScap);
collect(without);
const base = [];
const noChange = [];
const edited = [];
const cpuOf = { base: [], noChange: [], edited: [] };
let firstEdit;
for (let i = 0; i < runs; i++) {
  base.push(collect(without, cpuOf.base));
  noChange.push(collect(withScap, cpuOf.noChange));
  fs.writeFileSync(sshd, `PermitRootLogin ${i % 2 ? 'no' : 'yes'}\nPermitEmptyPasswords no\nClientAliveInterval 300\n`);
  // The first edit also cuts the reduced copy of these rules (cached after).
  if (i === 0) firstEdit = collect(withScap);
  else edited.push(collect(withScap, cpuOf.edited));
}
// What the last edited run re-evaluated.
const rep = spawnSync(process.execPath, [path.join(REPO, 'dist/cli.js'), '-c', withScap, 'diff'], { encoding: 'utf8' });
const report = spawnSync(process.execPath, [path.join(REPO, 'dist/cli.js'), '-c', withScap, 'print-report', '--format', 'json'], { encoding: 'utf8' });
const last = JSON.parse(report.stdout);
const note = last.notes.find((n) => n.includes('re-evaluated')) ?? '(no partial evaluation note)';
const flips = (last.compliance ?? []).map((t) => `${t.rule} ${t.old} -> ${t.new}`).join(', ') || '(none)';
void rep;
void sessions;

console.log(`scap incremental benchmark, profile ${opt.profile}, ${runs} runs, node ${process.version}, ${os.cpus().length} CPUs, load ${load0.toFixed(1)} → ${os.loadavg()[0].toFixed(1)}\n`);
console.log(`full evaluation (first collect): ${fmt(full)}`);
console.log(`first edit (cuts the reduced copy of these rules from the index the full evaluation built): ${fmt(firstEdit)}`);
console.log('| run | median wall | range | over the collector-off base | median CPU (user+sys) | CPU over the base |');
console.log('| --- | --- | --- | --- | --- | --- |');
const row = (name, xs, ref, c, cref) =>
  console.log(
    `| ${name} | ${fmt(median(xs))} | ${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))} | ${ref === undefined ? '' : fmt(median(xs) - median(ref))} | ${c.length ? fmt(median(c)) : ''} | ${cref?.length && c.length ? fmt(median(c) - median(cref)) : ''} |`,
  );
row('collect, scap off (base)', base, undefined, cpuOf.base);
row('collect, scap on, no change', noChange, base, cpuOf.noChange, cpuOf.base);
row('collect, scap on, after an sshd_config edit', edited, base, cpuOf.edited, cpuOf.base);
console.log(`\nadded cost of the edit over a no-change run: ${fmt(median(edited) - median(noChange))} wall, ${cpuOf.edited.length ? fmt(median(cpuOf.edited) - median(cpuOf.noChange)) : '?'} CPU`);
console.log(`last edited run: ${note}`);
console.log(`its flips: ${flips}`);
pr.remove();
fs.rmSync(work, { recursive: true, force: true });
