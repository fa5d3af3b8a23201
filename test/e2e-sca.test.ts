/**
 * The sca collector end to end with the real program: Wazuh's unix_audit policy against a
 * temporary root, a check that flips between runs (a compliance transition, regression first),
 * the scan summary and results checksum in every report, a changed policy file re-baselined in
 * one note, and a broken policy refused with its file, check and line.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { sandbox, SHARED } from './helpers.js';

const FIXTURE = path.join(SHARED, 'fixtures', 'scap', 'wazuh-sca_unix_audit.yml');

const sb = sandbox({});
after(() => sb.cleanup());

const root = path.join(sb.dir, 'root');
const policy = path.join(sb.dir, 'policies', 'unix_audit.yml');
fs.mkdirSync(path.dirname(policy), { recursive: true });
fs.copyFileSync(FIXTURE, policy);
const write = (p: string, text: string) => {
  fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
  fs.writeFileSync(path.join(root, p), text);
};
write('etc/ssh/sshd_config', 'Port 2200\nPermitRootLogin no\nMaxAuthTries 3\n');
write('etc/passwd', 'root:x:0:0:root:/root:/bin/bash\n');
write('etc/shadow', 'root:$6$salt$sha512hashvalue:19000:0:99999:7:::\n');
sb.writePlugin('sca', `[sca]\nenable_plugin = true\npolicies = ${policy}\nroot = ${root}\nallow_commands = false\n`);

test('a check that flips is a compliance transition; the summary and checksum are in the report', () => {
  assert.equal(sb.run('collect').code, 0);
  let r = sb.run('collect');
  assert.equal(r.code, 0, r.stderr);
  r = sb.run('diff');
  assert.equal(r.code, 0, r.stderr);
  let report = sb.json('print-report', '--format', 'json');
  assert.equal(report.changes.length, 0, JSON.stringify(report.changes));
  assert.equal(report.sca.length, 1);
  const s0 = report.sca[0];
  assert.equal(s0.policy_id, 'unix_audit');
  assert.equal(s0.total, 23);
  assert.match(s0.checksum, /^[0-9a-f]{64}$/);

  // An administrator re-enables root logins and raises MaxAuthTries.
  write('etc/ssh/sshd_config', 'Port 2200\nPermitRootLogin yes\nMaxAuthTries 6\n');
  assert.equal(sb.run('collect').code, 0);
  assert.equal(sb.run('diff').code, 0);
  report = sb.json('print-report', '--format', 'json');
  const keys = report.changes.map((c: { key: string }) => c.key).sort();
  assert.deepEqual(keys, ['sca://unix_audit/3002', 'sca://unix_audit/3008', 'sca://unix_audit/_summary']);
  const c3002 = report.changes.find((c: { key: string }) => c.key === 'sca://unix_audit/3002');
  assert.deepEqual(c3002.attributes.result, { old: 'passed', new: 'failed' });
  assert.match(c3002.attributes.rule.new, /PermitRootLogin/);
  assert.deepEqual(report.compliance.map((t: { rule: string; old: string; new: string }) => [t.rule, t.old, t.new]), [
    ['3002', 'passed', 'failed'],
    ['3008', 'passed', 'failed'],
  ]);
  assert.notEqual(report.sca[0].checksum, s0.checksum);
  assert.equal(report.sca[0].failed, s0.failed + 2);
  const text = sb.run('print-report');
  assert.match(text.stdout, /COMPLIANCE[\s\S]*passed -> failed  SSH Hardening: Root account should not be able to log in/);
  assert.match(text.stdout, /unix_audit: \d+ passed, \d+ failed, \d+ not applicable, score \d+%/);
  // The password hash in the probed shadow file is stored nowhere.
  const db = fs.readFileSync(path.join(sb.storage, 'db.sqlite'));
  assert.equal(db.includes('sha512hashvalue'), false);
});

test('a changed policy file re-baselines its results in one note', () => {
  const text = fs.readFileSync(policy, 'utf8').replace('title: "SSH Hardening: Root account should not be able to log in"', 'title: "Root cannot log in over SSH"');
  fs.writeFileSync(policy, text.replace("'f:$sshd_file -> r:^\\s*PermitRootLogin\\s*\\t*no'", "'f:$sshd_file -> r:^\\s*PermitRootLogin\\s*\\t*yes'"));
  assert.equal(sb.run('collect').code, 0);
  assert.equal(sb.run('diff').code, 0);
  const report = sb.json('print-report', '--format', 'json');
  assert.deepEqual(report.changes.map((c: { key: string }) => c.key), ['sca://unix_audit/_summary']);
  assert.ok(report.notes.some((n: string) => /sca: policy unix_audit changed \(.*unix_audit\.yml\): results re-baselined \(1 check result changed, 0 now failed/.test(n)), report.notes.join('\n'));
  assert.equal(report.sca[0].rebaselined, true);
  assert.equal(report.compliance, undefined);
});

test('an unparsable policy is a config error naming file, check and line', () => {
  const broken = path.join(sb.dir, 'policies', 'broken.yml');
  fs.writeFileSync(broken, 'policy: {id: b, file: b.yml, name: b, description: b}\nchecks:\n  - id: 1\n    title: t\n    condition: all\n    rules:\n      - "q:/nothing"\n');
  sb.writePlugin('sca', `[sca]\nenable_plugin = true\npolicies = ${broken}\nroot = ${root}\n`);
  const r = sb.run('collect');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /broken\.yml:7: check 1: rule "q:\/nothing" does not start with f:/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('with an interval, results are carried between evaluations; a changed policy is evaluated at once', () => {
  const sb2 = sandbox({});
  try {
    const root2 = path.join(sb2.dir, 'root');
    const pol = path.join(sb2.dir, 'p.yml');
    fs.mkdirSync(path.join(root2, 'etc'), { recursive: true });
    fs.writeFileSync(path.join(root2, 'etc', 'x.conf'), 'secure on\n');
    const policyText = (title: string) => `policy: {id: carry, file: p.yml, name: carry, description: d}\nchecks:\n  - {id: 1, title: ${title}, condition: all, rules: ['f:/etc/x.conf -> secure on']}\n`;
    fs.writeFileSync(pol, policyText('secure'));
    sb2.writePlugin('sca', `[sca]\nenable_plugin = true\npolicies = ${pol}\nroot = ${root2}\ninterval = 1h\n`);
    assert.equal(sb2.run('collect').code, 0);
    fs.writeFileSync(path.join(root2, 'etc', 'x.conf'), 'secure off\n');
    assert.equal(sb2.run('collect').code, 0);
    assert.equal(sb2.run('diff').code, 0);
    let report = sb2.json('print-report', '--format', 'json');
    assert.equal(report.changes.length, 0, 'carried within the interval');
    assert.equal(report.sca[0].passed, 1);
    fs.writeFileSync(pol, policyText('secure mode'));
    assert.equal(sb2.run('collect').code, 0);
    assert.equal(sb2.run('diff').code, 0);
    report = sb2.json('print-report', '--format', 'json');
    assert.equal(report.sca[0].failed, 1, 'a changed policy file is evaluated although the interval has not passed');
  } finally {
    sb2.cleanup();
  }
});
