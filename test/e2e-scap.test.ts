/**
 * Compliance end to end with the real scanner (Debian's openscap-scanner): a copied tree is
 * evaluated through OSCAP_PROBE_ROOT, a rule is broken between two runs, and the pass → fail
 * transition appears in the report.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { SHARED, sandbox } from './helpers.js';

const oscap = spawnSync('sh', ['-c', 'command -v oscap'], { encoding: 'utf8' }).stdout.trim();
const DS = path.join(SHARED, 'fixtures', 'scap', 'ssg-debian12-ds.xml');

/** A small root the file probes read: the files the rules check, and what makes it "Debian 12". */
function fakeRoot(dir: string): void {
  fs.mkdirSync(path.join(dir, 'etc'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'usr', 'lib'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'var', 'lib', 'dpkg'), { recursive: true });
  for (const f of ['passwd', 'group', 'shadow', 'gshadow']) fs.copyFileSync(`/etc/${f}`, path.join(dir, 'etc', f));
  fs.chmodSync(path.join(dir, 'etc', 'shadow'), 0o640);
  fs.chmodSync(path.join(dir, 'etc', 'group'), 0o644);
  fs.copyFileSync('/etc/os-release', path.join(dir, 'etc', 'os-release'));
  fs.copyFileSync('/etc/debian_version', path.join(dir, 'etc', 'debian_version'));
  fs.copyFileSync('/etc/os-release', path.join(dir, 'usr', 'lib', 'os-release'));
  fs.copyFileSync('/var/lib/dpkg/status', path.join(dir, 'var', 'lib', 'dpkg', 'status'));
}

const RULES = 'file_permissions_etc_shadow, file_owner_etc_group, file_permissions_etc_passwd';

test('a rule broken between two runs: pass → fail in the JSON and text reports', { skip: (!oscap || !fs.existsSync(DS)) && 'needs oscap and the shared datastream' }, () => {
  const sb = sandbox();
  try {
    const root = path.join(sb.dir, 'root');
    fakeRoot(root);
    const bench = path.join(SHARED, 'fixtures', 'scap', 'docker-bench.json');
    sb.writePlugin('scap', `[scap]\nenable_plugin = true\ndatastream = ${DS}\nprofile = standard\nrules = ${RULES}\ninterval = 0\nprobe_root = ${root}\ndocker_bench_log = ${bench}\n`);
    const first = sb.run('run', '--quiet');
    assert.equal(first.code, 0, first.stderr);
    const items = sb.json('export', '--format', 'json').items as { key: string; attributes: Record<string, unknown> }[];
    const shadow = items.find((i) => i.key === 'scap://standard/file_permissions_etc_shadow')!;
    assert.equal(shadow.attributes.result, 'pass');
    assert.equal(shadow.attributes.title, 'Verify Permissions on shadow File');
    const summary = items.find((i) => i.key === 'scap://standard/_summary')!;
    assert.equal(summary.attributes.pass, 3);
    assert.equal(summary.attributes.score, 100);

    fs.chmodSync(path.join(root, 'etc', 'shadow'), 0o644);
    const second = sb.run('run', '--quiet');
    assert.equal(second.code, 0, second.stderr);
    const report = sb.json('print-report', '--format', 'json');
    assert.deepEqual(report.compliance, [
      { profile: 'standard', rule: 'file_permissions_etc_shadow', title: 'Verify Permissions on shadow File', severity: 'medium', old: 'pass', new: 'fail' },
    ]);
    const change = report.changes.find((c: { key: string }) => c.key === 'scap://standard/file_permissions_etc_shadow');
    assert.deepEqual(change.attributes.result, { old: 'pass', new: 'fail' });
    // The same results as the PatchMon agent's payload: one scan for the profile, one for Docker Bench.
    const payload = sb.json('export', '--format', 'patchmon') as { scans: { profile_type: string; passed: number; failed: number; results: { rule_ref: string; status: string }[] }[]; os_info: { family: string }; hostname: string };
    const scans = payload.scans;
    assert.deepEqual(scans.map((x) => x.profile_type), ['openscap', 'docker-bench']);
    assert.equal(payload.os_info.family, 'debian');
    assert.equal(scans[0]!.results.find((r) => r.rule_ref === 'xccdf_org.ssgproject.content_rule_file_permissions_etc_shadow')!.status, 'fail');
    assert.deepEqual([scans[0]!.passed, scans[0]!.failed], [2, 1]);
    assert.equal(scans[1]!.results.find((r) => r.rule_ref === '1.1.1')!.status, 'warn', 'a Docker Bench WARN is sent as the agent sends it');
    const text = sb.run('print-report').stdout;
    // The section's layout belongs to the template; what it must say is checked here.
    const section = /^COMPLIANCE\n-+\n([^]*?)\n\n/m.exec(text)?.[1] ?? '';
    for (const part of ['file_permissions_etc_shadow', 'standard', 'pass -> fail', 'medium', 'Verify Permissions on shadow File']) assert.ok(section.includes(part), `${part} in:\n${text}`);
  } finally {
    sb.cleanup();
  }
});

test('between evaluations the results are carried; changed content forces a new evaluation', { skip: (!oscap || !fs.existsSync(DS)) && 'needs oscap' }, () => {
  const sb = sandbox();
  try {
    const root = path.join(sb.dir, 'root');
    fakeRoot(root);
    // Interval carrying as such: incremental runs (which would re-evaluate the chmodded rule) are tested in e2e-scap-incremental.
    const conf = (rules: string) => `[scap]\nenable_plugin = true\ndatastream = ${DS}\nprofile = standard\nrules = ${rules}\ninterval = 1d\nincremental = false\nprobe_root = ${root}\n`;
    sb.writePlugin('scap', conf(RULES));
    assert.equal(sb.run('run', '--quiet').code, 0);
    fs.chmodSync(path.join(root, 'etc', 'shadow'), 0o644);
    assert.equal(sb.run('run', '--quiet').code, 0);
    const carried = sb.json('print-report', '--format', 'json');
    assert.equal(carried.changes.filter((c: { plugin: string }) => c.plugin === 'scap').length, 0, 'nothing removed, nothing re-evaluated');
    assert.ok(carried.notes.some((n: string) => /results of the evaluation at .* carried/.test(n)));
    // run --rescan (PatchMon's compliance_trigger) evaluates now, inside the interval.
    assert.equal(sb.run('run', '--quiet', '--rescan').code, 0);
    const rescanned = sb.json('print-report', '--format', 'json');
    assert.deepEqual(rescanned.compliance.map((t: { rule: string; old: string; new: string }) => `${t.rule}:${t.old}->${t.new}`), ['file_permissions_etc_shadow:pass->fail']);
    fs.chmodSync(path.join(root, 'etc', 'shadow'), 0o640);
    sb.writePlugin('scap', conf('file_permissions_etc_shadow'));
    assert.equal(sb.run('run', '--quiet').code, 0);
    const fresh = sb.json('print-report', '--format', 'json');
    // The narrowed selection evaluates anew; the rules left out are listed too (they no longer guard anything).
    assert.deepEqual(fresh.compliance.map((t: { rule: string; old: string; new: string }) => `${t.rule}:${t.old}->${t.new}`), [
      'file_permissions_etc_shadow:fail->pass',
      'file_owner_etc_group:pass->null',
      'file_permissions_etc_passwd:pass->null',
    ]);
  } finally {
    sb.cleanup();
  }
});

test('no oscap on PATH: a note, the run goes on; unknown profile: exit 2 listing profiles', { skip: !fs.existsSync(DS) && 'needs the shared datastream' }, () => {
  const sb = sandbox();
  try {
    sb.writePlugin('scap', `[scap]\nenable_plugin = true\ndatastream = ${DS}\nprofile = no_such_profile\n`);
    const bad = sb.run('collect');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /scap\.conf:\d+: \[scap\] profile 'no_such_profile' is not in .*available: .*standard/);
    sb.writePlugin('scap', `[scap]\nenable_plugin = true\ndatastream = ${DS}\nprofile = standard\n`);
    // A PATH with node but without oscap.
    const bin = path.join(sb.dir, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const r = spawnSync(path.join(bin, 'node'), [path.join(import.meta.dirname, '..', 'dist', 'cli.js'), '-c', path.join(sb.etc, 'syschangemon.conf'), 'collect'], {
      encoding: 'utf8',
      env: { PATH: bin },
    });
    assert.equal(r.status, 0, r.stderr);
    const sessions = sb.json('list-sessions', '--format', 'json');
    assert.equal(sessions.length, 1);
    const caps = sb.json('capabilities', '--format', 'json');
    assert.equal(caps.openscap.installed, Boolean(oscap));
    if (oscap) assert.match(caps.openscap.version, /^\d+\.\d+\.\d+$/);
    const std = caps.openscap.available_profiles.find((p: { id: string; file_path: string }) => p.id === 'xccdf_org.ssgproject.content_profile_standard' && p.file_path === DS);
    assert.equal(std.title, 'Standard System Security Profile for Debian 12');
    assert.equal(typeof caps.docker_bench.docker_installed, 'boolean');
    assert.match(sb.run('capabilities').stdout, /^OpenSCAP: .*\n(.*\n)*    standard  Standard System Security Profile for Debian 12\n/);
  } finally {
    sb.cleanup();
  }
});
