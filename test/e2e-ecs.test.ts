/**
 * ECS events with the real program: file changes as Auditbeat's file_integrity writes them,
 * compliance results as rule.* with event.outcome, each event checked against the Elastic
 * Common Schema definitions (type and allowed values) of every field it uses; `[output.ecs]
 * file` appended after each report and reopened after a logrotate-style rename.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { sandbox, SHARED } from './helpers.js';

/** The ECS 8.11 definitions of the fields these events use: type, and allowed values where ECS lists them. */
const ECS: Record<string, { type: 'keyword' | 'long' | 'date'; array?: boolean; allowed?: string[] }> = {
  '@timestamp': { type: 'date' },
  'ecs.version': { type: 'keyword' },
  'event.kind': { type: 'keyword', allowed: ['alert', 'asset', 'enrichment', 'event', 'metric', 'state', 'pipeline_error', 'signal'] },
  'event.category': { type: 'keyword', array: true, allowed: ['api', 'authentication', 'configuration', 'database', 'driver', 'email', 'file', 'host', 'iam', 'intrusion_detection', 'library', 'malware', 'network', 'package', 'process', 'registry', 'session', 'threat', 'vulnerability', 'web'] },
  'event.type': { type: 'keyword', array: true, allowed: ['access', 'admin', 'allowed', 'change', 'connection', 'creation', 'deletion', 'denied', 'end', 'error', 'group', 'indicator', 'info', 'installation', 'protocol', 'start', 'user'] },
  'event.outcome': { type: 'keyword', allowed: ['failure', 'success', 'unknown'] },
  'event.action': { type: 'keyword' },
  'event.module': { type: 'keyword' },
  'event.dataset': { type: 'keyword' },
  'file.path': { type: 'keyword' },
  'file.name': { type: 'keyword' },
  'file.directory': { type: 'keyword' },
  'file.target_path': { type: 'keyword' },
  'file.type': { type: 'keyword', allowed: ['file', 'dir', 'symlink'] },
  'file.inode': { type: 'keyword' },
  'file.uid': { type: 'keyword' },
  'file.owner': { type: 'keyword' },
  'file.gid': { type: 'keyword' },
  'file.group': { type: 'keyword' },
  'file.mode': { type: 'keyword' },
  'file.size': { type: 'long' },
  'file.mtime': { type: 'date' },
  'file.ctime': { type: 'date' },
  'file.hash.sha256': { type: 'keyword' },
  'host.name': { type: 'keyword' },
  'host.id': { type: 'keyword' },
  'host.os.family': { type: 'keyword' },
  'host.os.name': { type: 'keyword' },
  'host.os.version': { type: 'keyword' },
  'host.os.full': { type: 'keyword' },
  'host.os.kernel': { type: 'keyword' },
  'host.os.platform': { type: 'keyword' },
  'host.os.type': { type: 'keyword', allowed: ['linux', 'macos', 'unix', 'windows', 'ios', 'android'] },
  'user.name': { type: 'keyword' },
  'related.user': { type: 'keyword', array: true },
  'rule.id': { type: 'keyword' },
  'rule.name': { type: 'keyword' },
  'rule.ruleset': { type: 'keyword' },
  'rule.description': { type: 'keyword' },
};
/** ECS's expected event.type values per event.category (the ones these events use). */
const EXPECTED_TYPES: Record<string, string[]> = {
  file: ['access', 'change', 'creation', 'deletion', 'info'],
  configuration: ['access', 'change', 'creation', 'deletion', 'info'],
  host: ['access', 'change', 'end', 'info', 'start'],
};

function flatten(o: Record<string, unknown>, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  for (const [k, v] of Object.entries(o)) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, name, out);
    else out[name] = v;
  }
  return out;
}

function validate(ev: Record<string, unknown>): void {
  const flat = flatten(ev);
  for (const [name, value] of Object.entries(flat)) {
    if (name.startsWith('syschangemon.')) continue;
    const def = ECS[name];
    assert.ok(def, `${name} is an ECS field`);
    const values = Array.isArray(value) ? value : [value];
    assert.equal(Array.isArray(value), !!def.array, `${name}: array as ECS declares it`);
    for (const v of values) {
      if (def.type === 'keyword') assert.equal(typeof v, 'string', `${name} is a keyword: ${JSON.stringify(v)}`);
      if (def.type === 'long') assert.ok(Number.isInteger(v), `${name} is a long: ${JSON.stringify(v)}`);
      if (def.type === 'date') assert.ok(typeof v === 'string' && !Number.isNaN(Date.parse(v)), `${name} is a date: ${JSON.stringify(v)}`);
      if (def.allowed) assert.ok(def.allowed.includes(v as string), `${name}: ${v} is an allowed value`);
    }
  }
  for (const cat of flat['event.category'] as string[]) {
    for (const t of flat['event.type'] as string[]) assert.ok(!EXPECTED_TYPES[cat] || EXPECTED_TYPES[cat].includes(t), `event.type ${t} is expected for category ${cat}`);
  }
  assert.equal(flat['event.kind'], 'event');
  assert.equal(flat['event.module'], 'syschangemon');
}

const sb = sandbox();
after(() => sb.cleanup());
const events = path.join(sb.dir, 'events.ndjson');
const root = path.join(sb.dir, 'root');
fs.mkdirSync(path.join(root, 'etc', 'ssh'), { recursive: true });
fs.writeFileSync(path.join(root, 'etc', 'ssh', 'sshd_config'), 'PermitRootLogin no\n');
fs.writeFileSync(path.join(root, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
sb.writePlugin('sca', `[sca]\nenable_plugin = true\npolicies = ${path.join(SHARED, 'fixtures', 'scap', 'wazuh-sca_unix_audit.yml')}\nroot = ${root}\nallow_commands = false\n`);
fs.appendFileSync(path.join(sb.etc, 'syschangemon.conf'), `[output.ecs]\nfile = ${events}\n`);

test('file and compliance changes as ECS events, valid against the schema', () => {
  fs.writeFileSync(path.join(sb.tree, 'hosts'), '127.0.0.1 localhost\n');
  fs.writeFileSync(path.join(sb.tree, 'gone'), 'x\n');
  fs.writeFileSync(path.join(sb.tree, 'mode'), 'm\n');
  assert.equal(sb.run('run', '--quiet').code, 0);
  assert.equal(fs.existsSync(events), false, 'a baseline has no report and no events');
  fs.appendFileSync(path.join(sb.tree, 'hosts'), '10.0.0.66 updates.example.com\n');
  fs.rmSync(path.join(sb.tree, 'gone'));
  fs.chmodSync(path.join(sb.tree, 'mode'), 0o600);
  fs.symlinkSync('hosts', path.join(sb.tree, 'link'));
  fs.writeFileSync(path.join(root, 'etc', 'ssh', 'sshd_config'), 'PermitRootLogin yes\n');
  const r = sb.run('run', '--quiet');
  assert.equal(r.code, 0, r.stderr);
  const printed = sb.run('print-report', '--format', 'ecs');
  assert.equal(printed.code, 0, printed.stderr);
  const lines = printed.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(fs.readFileSync(events, 'utf8'), printed.stdout, 'the file holds the same events as print-report --format ecs');
  const report = sb.json('print-report', '--format', 'json');
  assert.equal(lines.length, report.changes.length);
  for (const ev of lines) validate(ev);
  const byPath = (p: string, plugin = 'file') => lines.find((e) => e.file?.path === path.join(sb.tree, p) && e.event.dataset === `syschangemon.${plugin}`);
  const hosts = byPath('hosts');
  assert.deepEqual([hosts.event.type, hosts.event.action], [['change'], 'updated']);
  assert.match(hosts.file.hash.sha256, /^[0-9a-f]{64}$/);
  assert.equal(hosts.file.size, fs.statSync(path.join(sb.tree, 'hosts')).size);
  assert.equal(hosts.host.name, report.hostname);
  assert.equal(hosts.syschangemon.report.uuid, report.uuid);
  assert.match(byPath('hosts', 'conffile').syschangemon.diff, /\+10\.0\.0\.66 updates\.example\.com/);
  assert.deepEqual([byPath('gone').event.type, byPath('gone').event.action], [['deletion'], 'deleted']);
  assert.deepEqual([byPath('mode').event.action, byPath('mode').file.mode], ['attributes_modified', '0600']);
  const link = byPath('link');
  assert.deepEqual([link.event.type, link.event.action, link.file.type, link.file.target_path], [['creation'], 'created', 'symlink', 'hosts']);
  const rule = lines.find((e) => e.rule?.id === '3002');
  assert.deepEqual([rule.event.category, rule.event.outcome, rule.rule.ruleset, rule.rule.name], [['configuration'], 'failure', 'unix_audit', 'SSH Hardening: Root account should not be able to log in']);
});

test('after a logrotate-style rename the next report starts a new file', () => {
  fs.renameSync(events, `${events}.1`);
  fs.appendFileSync(path.join(sb.tree, 'hosts'), '# more\n');
  assert.equal(sb.run('run', '--quiet').code, 0);
  const lines = fs.readFileSync(events, 'utf8').trim().split('\n');
  assert.ok(lines.length >= 1);
  for (const l of lines) validate(JSON.parse(l));
  assert.ok(fs.readFileSync(`${events}.1`, 'utf8').length > 0, 'the rotated file is left as it was');
});
