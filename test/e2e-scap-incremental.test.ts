/**
 * The rule → inputs map and incremental compliance runs, end to end: the built CLI, the real
 * scanner on the shared datastream with OSCAP_PROBE_ROOT pointed at a copied tree, a real
 * SQLite store.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { SHARED, sandbox } from './helpers.js';
import { canBuildSshdProbeRoot, sshdProbeRoot } from './sshd-probe-root.mjs';

export const oscap = spawnSync('sh', ['-c', 'command -v oscap'], { encoding: 'utf8' }).stdout.trim();
const DS = path.join(SHARED, 'fixtures', 'scap', 'ssg-debian12-ds.xml');

test('capabilities --rules: the map of the profile and of the sca policy, cached in the storage directory', { skip: !fs.existsSync(DS) && 'needs the shared datastream' }, () => {
  const sb = sandbox({});
  try {
    sb.writePlugin('scap', `[scap]\nenable_plugin = true\ndatastream = ${DS}\nprofile = standard\n`);
    sb.writePlugin('sca', `[sca]\nenable_plugin = true\n`);
    const r = sb.run('capabilities', '--rules', '--format', 'json');
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(r.stdout);
    assert.equal(m.scap.profile, 'standard');
    assert.equal(Object.keys(m.scap.rules).length, 44);
    assert.deepEqual(m.scap.classes, { files: 28, runtime: 13, dynamic: 3, fswide: 0, none: 0 });
    assert.deepEqual(m.scap.rules.sshd_disable_root_login.literal, ['/etc/ssh/sshd_config']);
    assert.deepEqual(m.scap.rules.sshd_set_idle_timeout.requires, ['sshd_set_keepalive']);
    assert.equal(m.scap.cached, false);
    const cache = fs.readdirSync(sb.storage).filter((n) => n.startsWith('scap-rulemap-'));
    assert.equal(cache.length, 1, 'one cached map');
    assert.equal(fs.statSync(path.join(sb.storage, cache[0]!)).mode & 0o777, 0o600);
    const sca = m.sca[0];
    assert.equal(sca.policy, 'syschangemon_debian12');
    const sshd = Object.values(sca.checks as Record<string, { literal: string[]; class: string }>).filter((c) => c.literal.includes('/etc/ssh/sshd_config'));
    assert.ok(sshd.length >= 5, 'the sshd checks map to sshd_config');

    const text = sb.run('capabilities', '--rules', '--profile', 'anssi_bp28_high');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^scap profile anssi_bp28_high: 391 rules; \d+ files/m);
    assert.match(text.stdout, /map cached/);
    assert.match(text.stdout, /^ {2}sshd_disable_root_login {2}\[files\]\n {4}file {5}\/etc\/ssh\/sshd_config$/m);
    assert.ok(!/^sca policy/m.test(text.stdout), 'with --profile only the profile is printed');

    const bad = sb.run('capabilities', '--rules', '--profile', 'nosuch');
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^scap: profile xccdf_org\.ssgproject\.content_profile_nosuch is not in the datastream$/m);
  } finally {
    sb.cleanup();
  }
});



/** A small root the file probes read: the account files, what makes it "Debian 12", the dpkg status. */
function fakeRoot(dir: string): void {
  fs.mkdirSync(path.join(dir, 'etc', 'ssh'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'usr', 'lib'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'var', 'lib', 'dpkg'), { recursive: true });
  for (const f of ['passwd', 'group', 'shadow', 'gshadow', 'os-release', 'debian_version']) fs.copyFileSync(`/etc/${f}`, path.join(dir, 'etc', f));
  fs.chmodSync(path.join(dir, 'etc', 'shadow'), 0o640);
  fs.chmodSync(path.join(dir, 'etc', 'group'), 0o644);
  fs.copyFileSync('/etc/os-release', path.join(dir, 'usr', 'lib', 'os-release'));
  fs.copyFileSync('/var/lib/dpkg/status', path.join(dir, 'var', 'lib', 'dpkg', 'status'));
}

interface Item {
  key: string;
  attributes: Record<string, unknown>;
}

test('incremental: only the rules whose files changed are re-evaluated, with the file change that caused the flip; a dpkg change re-evaluates all', { skip: (!oscap || !fs.existsSync(DS)) && 'needs oscap and the shared datastream' }, () => {
  const sb = sandbox({});
  try {
    const root = path.join(sb.dir, 'root');
    fakeRoot(root);
    sb.writePlugin('scap', `[scap]\nenable_plugin = true\ndatastream = ${DS}\nprofile = standard\ninterval = 1d\nprobe_root = ${root}\n`);
    sb.writePlugin('file', `[file]\nenable_plugin = true\ninclude =\n  ${root}/etc/**\n`);
    const items = () => new Map((sb.json('export', '--format', 'json').items as Item[]).map((i) => [i.key, i.attributes]));
    const report = () => sb.json('print-report', '--format', 'json');

    assert.equal(sb.run('run', '--quiet').code, 0);
    const first = items();
    const sum1 = first.get('scap://standard/_summary')!;
    assert.equal(sum1.total, 44);
    assert.equal(typeof sum1.dpkg_status, 'string');
    assert.equal(first.get('scap://standard/file_permissions_etc_shadow')!.result, 'pass');
    assert.match(String(first.get('scap://standard/file_permissions_etc_shadow')!.inputs), /^[0-9a-f]{32}$/);
    assert.equal(first.get('scap://standard/partition_for_tmp')!.inputs, undefined, 'a runtime-only rule has no file fingerprint');
    // The full evaluation built the index the reduced datastreams are cut from.
    assert.deepEqual(fs.readdirSync(path.join(sb.storage, 'scap-reduced')).filter((n) => n.startsWith('index-')).length, 1);

    // No change: nothing evaluated, nothing reported.
    const quiet = sb.run('run', '--quiet');
    assert.equal(quiet.code, 0, quiet.stderr);
    const r2 = report();
    assert.ok(r2.notes.some((n: string) => /^scap: standard: no mapped input changed since the last evaluation/.test(n)), r2.notes.join('\n'));
    assert.equal(r2.changes.filter((c: { plugin: string }) => c.plugin === 'scap').length, 0);
    assert.equal(items().get('scap://standard/_summary')!.evaluated_at, sum1.evaluated_at);

    // chmod /etc/shadow: the three shadow rules are re-evaluated, the flip names the file change.
    fs.chmodSync(path.join(root, 'etc', 'shadow'), 0o644);
    assert.equal(sb.run('run', '--quiet').code, 0);
    const r3 = report();
    const note = r3.notes.find((n: string) => n.startsWith('scap: standard: 3 rules whose inputs changed re-evaluated'));
    assert.ok(note, r3.notes.join('\n'));
    for (const r of ['file_groupowner_etc_shadow', 'file_owner_etc_shadow', 'file_permissions_etc_shadow']) assert.ok(note.includes(r), `${r} in ${note}`);
    // oscap read a reduced datastream of these rules, kept privately in the storage directory.
    assert.ok(!r3.notes.some((n: string) => n.includes('no reduced datastream')), r3.notes.join('\n'));
    const reduced = fs.readdirSync(path.join(sb.storage, 'scap-reduced')).filter((n) => n.endsWith('.xml'));
    assert.equal(reduced.length, 1, reduced.join(' '));
    const copy = path.join(sb.storage, 'scap-reduced', reduced[0]!);
    assert.equal(fs.statSync(copy).mode & 0o777, 0o600);
    assert.deepEqual([...fs.readFileSync(copy, 'utf8').matchAll(/<xccdf-1\.2:Rule [^>]*id="xccdf_org\.ssgproject\.content_rule_([^"]+)"/g)].map((m) => m[1]).sort(), ['file_groupowner_etc_shadow', 'file_owner_etc_shadow', 'file_permissions_etc_shadow']);
    assert.equal(r3.compliance.length, 1);
    const t = r3.compliance[0];
    assert.deepEqual([t.rule, t.old, t.new], ['file_permissions_etc_shadow', 'pass', 'fail']);
    assert.deepEqual(t.inputs, ['/etc/shadow']);
    assert.deepEqual(t.caused_by, [{ key: `file://${root}/etc/shadow`, plugin: 'file', change: 'changed' }]);
    const third = items();
    const sum3 = third.get('scap://standard/_summary')!;
    assert.equal(sum3.evaluated_at, sum1.evaluated_at, 'still the full evaluation of the first run');
    assert.equal(sum3.partial_rules, 3);
    assert.equal(sum3.fail, Number(sum1.fail) + 1, 'one more failure, counted with the carried ones');
    assert.equal(sum3.total, 44, 'the summary counts carried and re-evaluated rules');
    assert.notEqual(third.get('scap://standard/file_permissions_etc_shadow')!.inputs, first.get('scap://standard/file_permissions_etc_shadow')!.inputs);
    const text = sb.run('print-report').stdout;
    assert.match(text, /file_permissions_etc_shadow \(standard\)\n {6}caused by: file:\/\/.*\/etc\/shadow \(changed\)/);
    // Only a fingerprint changed (the group owner rule still passes): no change in the report.
    assert.ok(!r3.changes.some((c: { key: string }) => c.key === 'scap://standard/file_owner_etc_shadow'));

    // A package operation (the dpkg status rewritten): everything is evaluated afresh.
    // dpkg writes status-new and renames it over status; the content may stay the same.
    const status = path.join(root, 'var', 'lib', 'dpkg', 'status');
    fs.copyFileSync(status, `${status}-new`);
    fs.renameSync(`${status}-new`, status);
    assert.equal(sb.run('run', '--quiet').code, 0);
    const sum4 = items().get('scap://standard/_summary')!;
    assert.notEqual(sum4.evaluated_at, sum1.evaluated_at);
    assert.equal(sum4.partial_at, undefined);
    assert.equal(sum4.fail, sum3.fail, 'the full evaluation agrees with the partial one');
  } finally {
    sb.cleanup();
  }
});

/** Results of `oscap xccdf eval --rule …` on the whole datastream (its stdout), by rule. */
function wholeEval(root: string, env: Record<string, string>, profile: string, rules: string[]): Map<string, string> {
  const args = ['xccdf', 'eval', '--skip-valid', '--profile', profile];
  for (const r of rules) args.push('--rule', `xccdf_org.ssgproject.content_rule_${r}`);
  const c = spawnSync(oscap, [...args, DS], { encoding: 'utf8', env: { ...process.env, ...env, OSCAP_PROBE_ROOT: root, LC_ALL: 'C' } });
  assert.ok(c.status === 0 || c.status === 2, c.stderr);
  const out = new Map<string, string>();
  let rule = '';
  for (const l of c.stdout.split('\n')) {
    const m = /^Rule\s+xccdf_org\.ssgproject\.content_rule_(\S+)/.exec(l);
    if (m) rule = m[1]!;
    const r = /^Result\s+(\S+)/.exec(l);
    if (r && rule) out.set(rule, r[1]!);
  }
  return out;
}

test('incremental, sshd under a probe root: after an hourly run of anssi_bp28_high, a PermitRootLogin yes edit re-evaluates only the sshd_config rules; the flip pass -> fail and the file diff are one entry; the results equal a whole evaluation of those rules', { skip: (!oscap || !fs.existsSync(DS) || !canBuildSshdProbeRoot()) && 'needs oscap, the shared datastream and dpkg\'s tables' }, () => {
  const sb = sandbox({});
  const pr = sshdProbeRoot(path.join(sb.dir, 'root'), {
    sshdConfig: 'PermitRootLogin no\nPermitEmptyPasswords no\n',
    extra: (root) => {
      for (const f of ['passwd', 'group', 'shadow', 'gshadow']) fs.copyFileSync(`/etc/${f}`, path.join(root, 'etc', f));
      fs.chmodSync(path.join(root, 'etc', 'shadow'), 0o640);
    },
  });
  const savedApt = process.env.APT_CONFIG;
  process.env.APT_CONFIG = pr.aptConfig;
  try {
    const root = pr.root;
    sb.writePlugin('scap', `[scap]\nenable_plugin = true\ndatastream = ${DS}\nprofile = anssi_bp28_high\ninterval = 1d\nprobe_root = ${root}\n`);
    sb.writePlugin('file', `[file]\nenable_plugin = true\ninclude =\n  ${root}/etc/**\n`);
    sb.writePlugin('conffile', `[conffile]\nenable_plugin = true\n`);
    const items = () => new Map((sb.json('export', '--format', 'json').items as Item[]).map((i) => [i.key, i.attributes]));
    const first = sb.run('run', '--quiet');
    assert.equal(first.code, 0, first.stderr);
    const before = items();
    const sum1 = before.get('scap://anssi_bp28_high/_summary')!;
    assert.equal(sum1.total, 391);
    const SSHD = ['file_groupowner_sshd_config', 'file_owner_sshd_config', 'file_permissions_sshd_config', 'sshd_disable_root_login'];
    for (const r of SSHD) assert.equal(before.get(`scap://anssi_bp28_high/${r}`)?.result, 'pass', `${r} evaluated (not notapplicable) under the probe root`);

    fs.writeFileSync(pr.sshdConfig, 'PermitRootLogin yes\nPermitEmptyPasswords no\n');
    const second = sb.run('run', '--quiet');
    assert.equal(second.code, 0, second.stderr);
    const r = sb.json('print-report', '--format', 'json');
    const note = r.notes.find((n: string) => /^scap: anssi_bp28_high: \d+ rules? whose inputs changed re-evaluated/.test(n));
    assert.ok(note, r.notes.join('\n'));
    assert.match(note, new RegExp(`^scap: anssi_bp28_high: ${SSHD.length} rules whose inputs changed re-evaluated`), 'only the sshd_config rules, not the profile');
    for (const x of SSHD) assert.ok(note.includes(x), `${x} in ${note}`);
    const after = items();
    const sum2 = after.get('scap://anssi_bp28_high/_summary')!;
    assert.equal(sum2.evaluated_at, sum1.evaluated_at, 'no full evaluation');
    assert.equal(sum2.partial_rules, SSHD.length);
    assert.equal(sum2.total, 391);
    assert.equal(sum2.fail, Number(sum1.fail) + 1);

    // One entry: the flip, the file it reads and the diff of that file's change.
    assert.equal(r.compliance.length, 1, JSON.stringify(r.compliance));
    const t = r.compliance[0];
    assert.deepEqual([t.rule, t.old, t.new, t.severity], ['sshd_disable_root_login', 'pass', 'fail', 'medium']);
    assert.deepEqual(t.inputs, ['/etc/ssh/sshd_config', '/var/lib/dpkg/status'], 'the file and the implicit input (its platform is a package)');
    const cause = t.caused_by.find((c: { plugin: string }) => c.plugin === 'conffile');
    assert.ok(cause, JSON.stringify(t.caused_by));
    assert.match(cause.diff, /^-PermitRootLogin no$/m);
    assert.match(cause.diff, /^\+PermitRootLogin yes$/m);
    assert.ok(t.caused_by.some((c: { key: string; plugin: string }) => c.plugin === 'file' && c.key === `file://${root}/etc/ssh/sshd_config`), JSON.stringify(t.caused_by));
    const text = sb.run('print-report').stdout;
    assert.match(text, /sshd_disable_root_login \(anssi_bp28_high\)\n {6}caused by: \S+\/etc\/ssh\/sshd_config/);

    // The same rules evaluated by oscap on the whole datastream: the same results.
    const whole = wholeEval(root, pr.env, 'xccdf_org.ssgproject.content_profile_anssi_bp28_high', SSHD);
    assert.deepEqual(Object.fromEntries(SSHD.map((x) => [x, after.get(`scap://anssi_bp28_high/${x}`)?.result])), Object.fromEntries(SSHD.map((x) => [x, whole.get(x)])));
    assert.equal(whole.get('sshd_disable_root_login'), 'fail');
  } finally {
    if (savedApt === undefined) delete process.env.APT_CONFIG;
    else process.env.APT_CONFIG = savedApt;
    pr.remove();
    sb.cleanup();
  }
});

test('incremental = false: results carried until interval, as before', { skip: (!oscap || !fs.existsSync(DS)) && 'needs oscap and the shared datastream' }, () => {
  const sb = sandbox({});
  try {
    const root = path.join(sb.dir, 'root');
    fakeRoot(root);
    sb.writePlugin('scap', `[scap]\nenable_plugin = true\ndatastream = ${DS}\nprofile = standard\nrules = file_permissions_etc_shadow\ninterval = 1d\nincremental = false\nprobe_root = ${root}\n`);
    assert.equal(sb.run('run', '--quiet').code, 0);
    fs.chmodSync(path.join(root, 'etc', 'shadow'), 0o644);
    assert.equal(sb.run('run', '--quiet').code, 0);
    const r = sb.json('print-report', '--format', 'json');
    assert.ok(r.notes.some((n: string) => /^scap: standard: results of the evaluation at .* carried \(interval 86400 s\)$/.test(n)), r.notes.join('\n'));
    assert.equal(r.compliance, undefined);
  } finally {
    sb.cleanup();
  }
});

test('watch: a chmod of /etc/shadow is one RFC 5424 regression line with structured data; the next hourly run takes the result without evaluating it again', { skip: (!oscap || !fs.existsSync(DS)) && 'needs oscap and the shared datastream' }, async () => {
  const dgram = await import('node:dgram');
  const { spawn } = await import('node:child_process');
  const sock = dgram.createSocket('udp4');
  const lines: string[] = [];
  sock.on('message', (m) => lines.push(m.toString()));
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = (sock.address() as { port: number }).port;
  const sb = sandbox({}, `[log.syslog]\nenabled = true\nmethod = logger\nserver = 127.0.0.1:${port}\nprotocol = udp\n`);
  let watch: import('node:child_process').ChildProcess | undefined;
  try {
    const root = path.join(sb.dir, 'root');
    fakeRoot(root);
    sb.writePlugin('scap', `[scap]\nenable_plugin = true\ndatastream = ${DS}\nprofile = standard\nrules = file_permissions_etc_shadow, file_owner_etc_group\ninterval = 1d\nprobe_root = ${root}\n`);
    const first = sb.run('run', '--quiet');
    assert.equal(first.code, 0, first.stderr);
    watch = spawn(process.execPath, [path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'dist', 'cli.js'), '-c', path.join(sb.etc, 'syschangemon.conf'), 'watch', '--change-only'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    watch.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const until = async (what: () => boolean, ms: number, label: string) => {
      const t0 = Date.now();
      while (!what()) {
        if (Date.now() - t0 > ms) assert.fail(`${label} not within ${ms / 1000} s; watch said:\n${stderr}\nsyslog:\n${lines.join('\n')}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      return Date.now() - t0;
    };
    await until(() => /watching \d+ directories for 2 rules of profile standard \(changes only\)/.test(stderr), 120_000, 'watch start');
    fs.chmodSync(path.join(root, 'etc', 'shadow'), 0o644);
    // The bound is 5 s; on a loaded machine oscap alone takes longer, so the wait is wider (the time is printed).
    const ms = await until(() => lines.some((l) => l.includes('file_permissions_etc_shadow')), 60_000, 'the regression line');
    console.log(`# regression line ${ms} ms after the chmod`);
    const line = lines.find((l) => l.includes('file_permissions_etc_shadow'))!;
    assert.match(line, /^<28>1 \S+ \S+ syschangemon \S+ compliance (\[[^\]]*\])*\[syschangemon@32473 /, `RFC 5424, daemon.warning, MSGID compliance: ${line}`);
    for (const p of ['rule="file_permissions_etc_shadow"', 'old="pass"', 'new="fail"', 'severity="medium"', 'file="/etc/shadow"', 'profile="standard"']) assert.ok(line.includes(p), `${p} in ${line}`);
    assert.match(line, /compliance regression: file_permissions_etc_shadow pass -> fail \(standard, severity medium\) after a change of \/etc\/shadow/);
    assert.equal(lines.filter((l) => l.includes('file_owner_etc_group')).length, 0, '--change-only: no line for an unchanged rule');
    // The hourly run: the flip is in its report, the result taken from watch.
    const hourly = sb.run('run', '--quiet');
    assert.equal(hourly.code, 0, hourly.stderr);
    const r = sb.json('print-report', '--format', 'json');
    assert.ok(r.notes.some((n: string) => n.startsWith('scap: standard: 1 rule result taken from syschangemon watch (file_permissions_etc_shadow)')), r.notes.join('\n'));
    assert.deepEqual(r.compliance.map((t: { rule: string; old: string; new: string }) => `${t.rule}:${t.old}->${t.new}`), ['file_permissions_etc_shadow:pass->fail']);
    watch.kill('SIGTERM');
    const code = await new Promise<number | null>((res) => watch!.on('close', (c) => res(c)));
    assert.equal(code, 0, stderr);
    watch = undefined;
  } finally {
    watch?.kill('SIGKILL');
    sock.close();
    sb.cleanup();
  }
});
