#!/usr/bin/env node
/**
 * Benchmark of the sca collector: the bundled Debian 12 policy, and a CIS-sized policy
 * (200 checks, three quarters of them command rules, as Wazuh's CIS policies are) generated
 * here from this host's own files, packages, units and sysctls. Each is evaluated as the
 * collector does (commands in parallel, each distinct command once) on this host, median of N.
 * Then one `syschangemon collect` with only the sca collector on the CIS-sized policy, as a
 * user runs it.
 *
 *   npm run build && node bench/sca.mjs [--runs 5] [--checks 200]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const { values: opt } = parseArgs({ options: { runs: { type: 'string', default: '5' }, checks: { type: 'string', default: '200' } } });
const runs = Number(opt.runs);
const nChecks = Number(opt.checks);

const { loadPolicy } = await import(path.join(REPO, 'dist/collectors/sca/policy.js'));
const { evaluatePolicy } = await import(path.join(REPO, 'dist/collectors/sca/evaluate.js'));
const { BUNDLED_POLICIES } = await import(path.join(REPO, 'dist/collectors/sca/index.js'));

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-bench-sca-'));
const q = (s) => s.replace(/'/g, "''");

/** A CIS-shaped policy from what this host has: 3/4 command rules, 1/4 file rules. */
function cisPolicy(n) {
  const etc = fs
    .readdirSync('/etc')
    .filter((f) => {
      try {
        return fs.statSync(`/etc/${f}`).isFile();
      } catch {
        return false;
      }
    })
    .sort();
  const sysctls = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (sysctls.length < 400) sysctls.push(p.slice('/proc/sys/'.length).replace(/\//g, '.'));
    }
  };
  try {
    walk('/proc/sys/net/ipv4');
    walk('/proc/sys/kernel');
  } catch {
    // fewer sysctls
  }
  const pkgs = spawnSync('dpkg-query', ['-W', '-f=${Package}\\n'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  const lines = ['policy:', '  id: bench_cis', '  file: bench_cis.yml', '  name: CIS-sized benchmark policy', '  description: generated', 'checks:'];
  for (let i = 0; i < n; i++) {
    let rule;
    switch (i % 8) {
      case 0: rule = `c:stat -L -c "%a %U %G" /etc/${etc[i % etc.length]} -> r:^[0-7]+ root root$`; break;
      case 1: rule = `c:sysctl -n ${sysctls[i % sysctls.length]} -> r:^\\d`; break;
      case 2: rule = `c:dpkg-query -s ${pkgs[i % pkgs.length]} -> r:install ok installed`; break;
      case 3: rule = `c:systemctl is-enabled unit${i}.service -> r:^enabled`; break;
      case 4: rule = `c:grep -Ps "^\\s*[a-z]" /etc/${etc[(i * 7) % etc.length]} -> r:.`; break;
      case 5: rule = 'c:sshd -T -> r:^permitrootlogin\\s+no'; break; // repeated, as CIS policies repeat it
      default: rule = `f:/etc/${etc[(i * 3) % etc.length]} -> !r:^# && r:\\w+`;
    }
    lines.push(`  - id: ${20000 + i}`, `    title: check ${i}`, '    condition: all', '    rules:', `      - '${q(rule)}'`);
  }
  const f = path.join(work, 'bench_cis.yml');
  fs.writeFileSync(f, `${lines.join('\n')}\n`);
  return f;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(file) {
  const p = loadPolicy(file);
  const ms = [];
  let counts;
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    const res = await evaluatePolicy(p, { root: '/', allowCommands: true, timeoutMs: 30000, maxOutput: 1 << 20, parallel: 4 });
    ms.push(performance.now() - t0);
    counts = {};
    for (const o of res.checks.values()) counts[o.result] = (counts[o.result] ?? 0) + 1;
  }
  const cmds = p.checks.flatMap((c) => c.rules).filter((r) => r.type === 'c');
  return { checks: p.checks.length, commands: cmds.length, distinct: new Set(cmds.map((r) => r.targets[0])).size, ms, counts };
}

const bundled = await time(path.join(BUNDLED_POLICIES, 'debian12.yml'));
const cisFile = cisPolicy(nChecks);
const cis = await time(cisFile);

// One collect through the CLI, only sca enabled.
const etcDir = path.join(work, 'etc');
fs.mkdirSync(path.join(etcDir, 'plugins.d'), { recursive: true });
fs.writeFileSync(path.join(etcDir, 'syschangemon.conf'), `[syschangemon]\n[storage]\ndir = ${work}/state\n`);
fs.writeFileSync(path.join(etcDir, 'plugins.d', 'sca.conf'), `[sca]\nenable_plugin = true\npolicies = ${cisFile}\nallow_commands = true\n`);
const t0 = performance.now();
const c = spawnSync(process.execPath, [path.join(REPO, 'dist/cli.js'), '-c', etcDir, '--quiet', 'collect'], { encoding: 'utf8' });
const collectMs = performance.now() - t0;
if (c.status !== 0) throw new Error(c.stderr);

const fmt = (ms) => `${(ms / 1000).toFixed(3)} s`;
const row = (name, r) =>
  `| ${name} | ${r.checks} | ${r.commands} (${r.distinct} distinct) | ${fmt(median(r.ms))} | ${fmt(Math.min(...r.ms))}–${fmt(Math.max(...r.ms))} | ${Object.entries(r.counts).map(([k, v]) => `${v} ${k}`).join(', ')} |`;
console.log(`sca benchmark, ${runs} runs, node ${process.version}, ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}\n`);
console.log('| policy | checks | command rules | median | range | results |');
console.log('| --- | --- | --- | --- | --- | --- |');
console.log(row('bundled debian12', bundled));
console.log(row(`CIS-sized (${nChecks} checks)`, cis));
console.log(`\n\`syschangemon collect\` with only sca on the CIS-sized policy: ${fmt(collectMs)} (process start, config, store and evaluation).`);
fs.rmSync(work, { recursive: true, force: true });
