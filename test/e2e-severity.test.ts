/**
 * Severity (issue 15): every change of the JSON report carries a level, the highest is in
 * summary.severity; the built-in rules (a setuid copy is critical, a new executable in a PATH
 * directory no package owns is high, sudoers.d and cron.d changes are high), the collectors'
 * own (a second uid 0 account), and configured [severity] rules, whose errors name file:line.
 * All through the built CLI on real files and a real SQLite store.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { sandbox } from './helpers.js';

type Change = { key: string; change: string; severity: string; severity_reason?: string };

test('a chmod 4755 copy of a binary is critical; summary.severity is the highest', () => {
  const sb = sandbox();
  try {
    fs.writeFileSync(path.join(sb.tree, 'plain.txt'), 'a\n');
    assert.equal(sb.run('run', '--quiet').code, 0);
    const copy = path.join(sb.tree, 'rootshell');
    fs.copyFileSync('/bin/true', copy);
    fs.chmodSync(copy, 0o4755);
    fs.writeFileSync(path.join(sb.tree, 'plain.txt'), 'b\n');
    const r = sb.run('run', '--quiet');
    assert.equal(r.code, 0, r.stderr);
    const json = sb.json('print-report', '--format', 'json');
    assert.equal(json.summary.severity, 'critical');
    const byKey = new Map<string, Change>(json.changes.map((c: Change) => [c.key, c]));
    const suid = byKey.get(`file://${copy}`)!;
    assert.equal(suid.severity, 'critical');
    assert.equal(suid.severity_reason, 'new setuid file');
    assert.equal(byKey.get(`file://${sb.tree}/plain.txt`)!.severity, 'medium');
    for (const c of json.changes as Change[]) assert.ok(['critical', 'high', 'medium', 'low', 'info'].includes(c.severity), `${c.key}: ${c.severity}`);
    // setuid gained by a file that was there before; setgid on a directory is no privilege.
    fs.chmodSync(path.join(sb.tree, 'plain.txt'), 0o2755);
    fs.mkdirSync(path.join(sb.tree, 'shared'));
    assert.equal(sb.run('run', '--quiet').code, 0);
    fs.chmodSync(path.join(sb.tree, 'shared'), 0o2775);
    fs.utimesSync(path.join(sb.tree, 'rootshell'), new Date(), new Date(Date.now() - 3600_000));
    assert.equal(sb.run('run', '--quiet').code, 0);
    const later = new Map<string, Change>(sb.json('print-report', '--format', 'json').changes.map((c: Change) => [c.key, c]));
    assert.equal(later.get(`file://${sb.tree}/shared`)!.severity, 'medium');
    assert.equal(later.get(`file://${sb.tree}/rootshell`)!.severity, 'low', 'only its mtime changed');
  } finally {
    sb.cleanup();
  }
});

test('setgid gained and caps added are critical', () => {
  const sb = sandbox();
  try {
    const f = path.join(sb.tree, 'tool');
    fs.copyFileSync('/bin/true', f);
    const g = path.join(sb.tree, 'pinger');
    fs.copyFileSync('/bin/true', g);
    assert.equal(sb.run('run', '--quiet').code, 0);
    fs.chmodSync(f, 0o2755);
    const setcap = ['/usr/sbin/setcap', '/sbin/setcap'].find((p) => fs.existsSync(p));
    if (setcap) {
      assert.equal(spawnSync(setcap, ['cap_net_raw=ep', g]).status, 0);
    }
    assert.equal(sb.run('run', '--quiet').code, 0);
    const byKey = new Map<string, Change>(sb.json('print-report', '--format', 'json').changes.map((c: Change) => [c.key, c]));
    assert.equal(byKey.get(`file://${f}`)!.severity, 'critical');
    assert.equal(byKey.get(`file://${f}`)!.severity_reason, 'setgid gained');
    if (setcap) {
      assert.equal(byKey.get(`file://${g}`)!.severity, 'critical');
      assert.match(byKey.get(`file://${g}`)!.severity_reason!, /capability added: cap_net_raw/);
    }
  } finally {
    sb.cleanup();
  }
});

test('[severity] rules: the first match in file order wins; a bad rule names file:line', () => {
  const sb = sandbox(undefined, '');
  try {
    const conf = path.join(sb.etc, 'syschangemon.conf');
    const base = fs.readFileSync(conf, 'utf8');
    fs.writeFileSync(conf, `${base}\n[severity]\nrule.notes = info file://${sb.tree}/notes/** change=added\nrule.web = high file://${sb.tree}/** mode=*7\nrule.tmp = critical file://${sb.tree}/**.sh\n`);
    fs.mkdirSync(path.join(sb.tree, 'notes'));
    assert.equal(sb.run('run', '--quiet').code, 0);
    fs.writeFileSync(path.join(sb.tree, 'notes', 'x.sh'), 'echo\n');
    fs.writeFileSync(path.join(sb.tree, 'open'), 'x\n');
    fs.chmodSync(path.join(sb.tree, 'open'), 0o777);
    fs.writeFileSync(path.join(sb.tree, 'run.sh'), 'echo\n');
    assert.equal(sb.run('run', '--quiet').code, 0);
    const byKey = new Map<string, Change>(sb.json('print-report', '--format', 'json').changes.map((c: Change) => [c.key, c]));
    assert.deepEqual([byKey.get(`file://${sb.tree}/notes/x.sh`)!.severity, byKey.get(`file://${sb.tree}/notes/x.sh`)!.severity_reason], ['info', 'rule notes']);
    assert.equal(byKey.get(`file://${sb.tree}/open`)!.severity, 'high');
    assert.equal(byKey.get(`file://${sb.tree}/run.sh`)!.severity, 'critical');
    const lines = fs.readFileSync(conf, 'utf8').split('\n');
    fs.writeFileSync(conf, `${lines.join('\n')}rule.bad = severe file:///x\n`);
    const bad = sb.run('print-report');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, new RegExp(`syschangemon\\.conf:${lines.length}: bad value for 'rule\\.bad' in \\[severity\\]: expected LEVEL KEY_GLOB`));
    fs.writeFileSync(conf, `${lines.join('\n')}rule.bad = high file:///x size>3\n`);
    assert.match(sb.run('print-report').stderr, /bad condition 'size>3'/);
  } finally {
    sb.cleanup();
  }
});

test('a file dropped into /etc/sudoers.d or /etc/cron.d is high (names sudo and cron skip)', () => {
  // sudo skips names with a dot in sudoers.d, cron skips them in cron.d: these files are inert.
  const stamp = `scm-test.${process.pid}`;
  const sudoers = `/etc/sudoers.d/${stamp}`;
  const cron = `/etc/cron.d/${stamp}`;
  const dirs = ['/etc/sudoers.d', '/etc/cron.d'].filter((d) => fs.existsSync(d));
  const sb = sandbox({});
  try {
    sb.writePlugin('file', `[file]\nenable_plugin = true\ninclude =\n${dirs.map((d) => `  ${d}/scm-test.*`).join('\n')}\n  ${sb.tree}/**\n`);
    assert.equal(sb.run('run', '--quiet').code, 0);
    if (dirs.includes('/etc/sudoers.d')) fs.writeFileSync(sudoers, '# test file, skipped by sudo\n', { mode: 0o440 });
    if (dirs.includes('/etc/cron.d')) fs.writeFileSync(cron, '# test file, skipped by cron\n');
    fs.writeFileSync(path.join(sb.tree, 'plain'), 'x\n');
    assert.equal(sb.run('run', '--quiet').code, 0);
    const byKey = new Map<string, Change>(sb.json('print-report', '--format', 'json').changes.map((c: Change) => [c.key, c]));
    if (dirs.includes('/etc/sudoers.d')) assert.deepEqual([byKey.get(`file://${sudoers}`)?.severity, byKey.get(`file://${sudoers}`)?.severity_reason], ['high', 'sudo configuration added']);
    if (dirs.includes('/etc/cron.d')) assert.deepEqual([byKey.get(`file://${cron}`)?.severity, byKey.get(`file://${cron}`)?.severity_reason], ['high', 'cron added']);
    assert.equal(byKey.get(`file://${sb.tree}/plain`)?.severity, 'medium');
    const text = sb.run('print-report').stdout;
    const attention = text.indexOf('NEEDS ATTENTION');
    assert.ok(attention >= 0 && text.indexOf(stamp) > attention && text.indexOf(stamp) < text.indexOf('\nFILE ('), text);
  } finally {
    fs.rmSync(sudoers, { force: true });
    fs.rmSync(cron, { force: true });
    sb.cleanup();
  }
});

test('a new executable in /usr/local/bin: high when no package owns it, medium "owner unknown" without the packages collector', () => {
  // A real file in the real /usr/local/bin (a PATH directory), removed after.
  const name = `scm-sevtest-${process.pid}`;
  const bin = `/usr/local/bin/${name}`;
  const fileConf = `[file]\nenable_plugin = true\ninclude =\n  /usr/local/bin/${name}*\nassume_nochange = mtime, ctime, size\n`;
  const off = sandbox({ file: fileConf });
  const on = sandbox({ file: fileConf, packages: '[packages]\nenable_plugin = true\n' });
  try {
    fs.rmSync(bin, { force: true });
    assert.equal(off.run('run', '--quiet').code, 0);
    for (let i = 0; i < 2; i++) assert.equal(on.run('run', '--quiet').code, 0, 'a packages baseline, then a session with lists');
    fs.copyFileSync('/bin/true', bin);
    fs.chmodSync(bin, 0o755);
    const verdict = (sb: typeof off) => {
      const r = sb.run('run', '--quiet');
      assert.equal(r.code, 0, r.stderr);
      const json = sb.json('print-report', '--format', 'json');
      return { change: json.changes.find((c: Change) => c.key === `file://${bin}`) as Change & { owner_package?: string | null }, json };
    };
    const unknown = verdict(off);
    assert.ok(unknown.change, 'the new file is reported');
    assert.equal(unknown.change.owner_package, undefined, 'no packages collector, no owner field');
    assert.equal(unknown.change.severity, 'medium');
    assert.equal(unknown.change.severity_reason, 'new executable in /usr/local/bin, owner unknown (packages collector disabled)');
    const text = off.run('print-report', '--format', 'text').stdout;
    assert.doesNotMatch(text, /NEEDS ATTENTION/, 'nothing raised without knowing the owner');
    const unowned = verdict(on);
    assert.equal(unowned.change.owner_package, null);
    assert.equal(unowned.change.severity, 'high');
    assert.equal(unowned.change.severity_reason, 'new executable in /usr/local/bin that no package owns');
  } finally {
    fs.rmSync(bin, { force: true });
    off.cleanup();
    on.cleanup();
  }
});
