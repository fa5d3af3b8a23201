import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Fingerprinter, inputCovers, patternText, watchDirs } from '../common/inputs.js';
import { withRequires } from './index.js';
import { buildRuleMap, expandAlternatives, loadRuleMap, selectedRules, sha256File, tailoringProfiles } from './rulemap.js';

const F = (name: string) => fileURLToPath(new URL(`../../../../shared/fixtures/scap/${name}`, import.meta.url));
const DS = F('ssg-debian12-ds.xml');
const P = 'xccdf_org.ssgproject.content_profile_';
const R = 'xccdf_org.ssgproject.content_rule_';

const map = buildRuleMap(DS);

test('the map of profile standard matches the fixture rule by rule', () => {
  const fixture = JSON.parse(fs.readFileSync(F('ssg-debian12-standard-rule-files.json'), 'utf8')) as Record<string, Record<string, string[]>>;
  const selected = selectedRules(map, `${P}standard`);
  assert.equal(selected.length, 44, 'standard selects 44 rules');
  assert.deepEqual(selected.map((r) => r.slice(R.length)).sort(), Object.keys(fixture).sort());
  for (const id of selected) {
    const f = fixture[id.slice(R.length)]!;
    const r = map.rules[id]!;
    const where = id.slice(R.length);
    assert.deepEqual(r.literal, [...f.literal!].sort(), `${where}: literal`);
    assert.deepEqual(r.implicit, [...f.implicit!].sort(), `${where}: implicit`);
    assert.deepEqual(r.runtime, [...f.runtime!].sort(), `${where}: runtime`);
    assert.deepEqual(r.pattern.map((p) => `${p.dir}/  [name~${p.name}]`).sort(), [...f.pattern!].sort(), `${where}: pattern`);
    assert.deepEqual(r.varpath, [...f.varpath!].sort(), `${where}: computed paths`);
    assert.deepEqual(r.fswide, [...f.fswide!].sort(), `${where}: filesystem-wide`);
  }
  const cls = (s: string) => map.rules[R + s]!.class;
  assert.equal(cls('sshd_disable_root_login'), 'files');
  assert.equal(cls('sysctl_kernel_randomize_va_space'), 'runtime');
  assert.equal(cls('rsyslog_files_ownership'), 'dynamic');
  assert.equal(cls('partition_for_tmp'), 'runtime');
});

test('requires: sshd_set_idle_timeout and sshd_set_keepalive pull each other in; a group requirement counts', () => {
  assert.deepEqual(map.rules[`${R}sshd_set_idle_timeout`]!.requires, [`${R}sshd_set_keepalive`]);
  assert.deepEqual(map.rules[`${R}sshd_set_keepalive`]!.requires, [`${R}sshd_set_idle_timeout`]);
  assert.deepEqual(map.rules[`${R}service_auditd_enabled`]!.requires, [`${R}package_audit_installed`]);
  const selected = new Set(selectedRules(map, `${P}standard`));
  assert.deepEqual(withRequires(map, [`${R}sshd_set_idle_timeout`], selected), [`${R}sshd_set_idle_timeout`, `${R}sshd_set_keepalive`]);
  // A required rule the profile does not select is not named (it would not be evaluated by a full run either).
  assert.deepEqual(withRequires(map, [`${R}sshd_set_idle_timeout`], new Set([`${R}sshd_set_idle_timeout`])), [`${R}sshd_set_idle_timeout`]);
});

test('anssi_bp28_high: 391 rules, every rule classified; the four filesystem walks are fswide', () => {
  const sel = selectedRules(map, `${P}anssi_bp28_high`);
  assert.equal(sel.length, 391, 'the fixture results list 391 evaluated rules');
  const byClass: Record<string, number> = {};
  for (const r of sel) byClass[map.rules[r]!.class] = (byClass[map.rules[r]!.class] ?? 0) + 1;
  assert.ok(byClass.files! > 200, `most rules map to files (${JSON.stringify(byClass)})`);
  for (const walk of ['file_permissions_unauthorized_world_writable', 'no_files_unowned_by_user', 'file_permissions_ungroupowned', 'dir_perms_world_writable_sticky_bits']) {
    assert.notEqual(map.rules[R + walk]!.class, 'files', `${walk} is not re-evaluated by file events`);
  }
  // sudoers checks walk /etc/sudoers and /etc/sudoers.d only, not all of /etc.
  const pty = map.rules[`${R}sudo_add_use_pty`]!;
  assert.equal(pty.class, 'files');
  assert.ok(inputCovers(pty, '/etc/sudoers.d/90-local'));
  assert.ok(inputCovers(pty, '/etc/sudoers'));
  assert.ok(!inputCovers(pty, '/etc/hosts'));
  // a directory regex split into its alternatives
  const cron = map.rules[`${R}aide_periodic_cron_checking`]!;
  assert.deepEqual(cron.pattern.map(patternText), ['/etc/cron.d/  [name~^.*$]', '/etc/cron.daily/  [name~^[^/]*$]', '/etc/cron.weekly/  [name~^[^/]*$]']);
  assert.deepEqual(watchDirs(cron), ['/etc', '/etc/cron.d', '/etc/cron.daily', '/etc/cron.weekly', '/var/lib/dpkg', '/var/spool/cron']);
});

test('expandAlternatives: literal text and (a|b) groups only', () => {
  assert.deepEqual(expandAlternatives('/etc/(ssh|ssh/sshd_config.d)', true), ['/etc/ssh', '/etc/ssh/sshd_config.d']);
  assert.deepEqual(expandAlternatives('^/etc/(?:a|b)/x$'), ['/etc/a/x', '/etc/b/x']);
  assert.equal(expandAlternatives('/etc/pam.d'), undefined, 'a bare dot is a wildcard unless read literally');
  assert.deepEqual(expandAlternatives('/etc/pam\\.d'), ['/etc/pam.d']);
  assert.equal(expandAlternatives('^/etc/s?bin$'), undefined);
  assert.equal(expandAlternatives('^/etc/.*$'), undefined);
});

test('the map is cached per datastream sha256; a damaged cache is rebuilt; a tailoring profile narrows the selection', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-rulemap-'));
  try {
    const first = loadRuleMap(DS, dir);
    assert.equal(first.cached, false);
    const file = path.join(dir, `scap-rulemap-${sha256File(DS)}.json`);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const second = loadRuleMap(DS, dir);
    assert.equal(second.cached, true);
    assert.deepEqual(second.map, first.map);
    fs.writeFileSync(file, '{"version": 1, "datastream');
    const third = loadRuleMap(DS, dir);
    assert.equal(third.cached, false, 'a truncated cache is rebuilt');
    assert.deepEqual(third.map, first.map);

    const tailoring = path.join(dir, 'tailoring.xml');
    fs.writeFileSync(
      tailoring,
      `<?xml version="1.0"?>
<xccdf-1.2:Tailoring xmlns:xccdf-1.2="http://checklists.nist.gov/xccdf/1.2" id="xccdf_x_tailoring_t">
  <xccdf-1.2:benchmark href="${DS}"/>
  <xccdf-1.2:version time="2026-01-01T00:00:00">1</xccdf-1.2:version>
  <xccdf-1.2:Profile id="xccdf_x_profile_std_nossh" extends="${P}standard">
    <xccdf-1.2:title>standard without sshd rules</xccdf-1.2:title>
    <xccdf-1.2:select idref="${R}sshd_disable_root_login" selected="false"/>
    <xccdf-1.2:select idref="${R}sshd_set_keepalive" selected="false"/>
  </xccdf-1.2:Profile>
</xccdf-1.2:Tailoring>
`,
    );
    const t = tailoringProfiles(tailoring);
    const sel = selectedRules(first.map, 'xccdf_x_profile_std_nossh', { tailoring: t });
    assert.equal(sel.length, 42);
    assert.ok(!sel.includes(`${R}sshd_disable_root_login`));
    assert.equal(selectedRules(first.map, `${P}standard`, { skip: [`${R}sshd_set_keepalive`] }).length, 43);
    assert.deepEqual(selectedRules(first.map, `${P}standard`, { only: [`${R}sshd_set_keepalive`] }), [`${R}sshd_set_keepalive`]);
    assert.throws(() => selectedRules(first.map, `${P}nosuch`), /not in the datastream/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('fingerprints change with a write, a chmod, a rename over the file, and with a new matching entry only', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-fp-'));
  try {
    fs.mkdirSync(path.join(root, 'etc/sysctl.d'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/sysctl.conf'), 'a = 1\n');
    const inputs = map.rules[`${R}sysctl_kernel_randomize_va_space`]!;
    const fp = () => new Fingerprinter(root).inputs(inputs);
    const base = fp();
    assert.equal(fp(), base, 'stable without a change');
    fs.writeFileSync(path.join(root, 'etc/sysctl.d/other.txt'), 'x');
    assert.equal(fp(), base, 'an entry the name pattern does not match does not count');
    fs.writeFileSync(path.join(root, 'etc/sysctl.d/10-x.conf'), 'kernel.randomize_va_space = 0\n');
    const added = fp();
    assert.notEqual(added, base, 'a new .conf counts');
    fs.chmodSync(path.join(root, 'etc/sysctl.conf'), 0o666);
    const chmodded = fp();
    assert.notEqual(chmodded, added);
    fs.writeFileSync(path.join(root, 'etc/sysctl.conf.new'), 'a = 1\n');
    fs.renameSync(path.join(root, 'etc/sysctl.conf.new'), path.join(root, 'etc/sysctl.conf'));
    assert.notEqual(fp(), chmodded, 'replaced by rename (same content)');
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
