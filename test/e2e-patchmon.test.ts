/**
 * PatchMon submission with the real program against a local server that checks each request
 * as PatchMon's `POST /api/v1/compliance/scans` does (credentials, the `scans` array, profile
 * types, result statuses, severities) and answers 401, 400, 429 or 500 on cue; over https with
 * a self-signed certificate made by openssl. Nothing is lost: a payload that could not be
 * delivered stays pending and is sent once, in order, later.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { sandbox, SHARED } from './helpers.js';
import { API_ID, API_KEY, patchmon } from './patchmon-server.js';

const sb = sandbox({});
const plain = patchmon();
let url = '';
const keyFile = path.join(sb.dir, 'patchmon.key');
const bench = path.join(sb.dir, 'docker-bench.json');
const benchLog = JSON.parse(fs.readFileSync(path.join(SHARED, 'fixtures', 'scap', 'docker-bench.json'), 'utf8'));
const writeBench = (start: number) => fs.writeFileSync(bench, JSON.stringify({ ...benchLog, start }));
const main = (server: string, extra = '') =>
  fs.writeFileSync(
    path.join(sb.etc, 'syschangemon.conf'),
    `[syschangemon]\nsession_keep = 5\nreport_keep = 5\n[storage]\ndir = ${sb.storage}\n[patchmon]\nserver = ${server}\napi_id = ${API_ID}\napi_key_file = ${keyFile}\n${extra}`,
  );
const pending = () => {
  try {
    return fs.readdirSync(path.join(sb.storage, 'patchmon', 'pending')).filter((n) => n.endsWith('.json')).sort();
  } catch {
    return [];
  }
};

before(async () => {
  await new Promise<void>((r) => plain.server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(plain.server.address() as AddressInfo).port}`;
  fs.writeFileSync(keyFile, `${API_KEY}\n`, { mode: 0o600 });
  writeBench(1732392000);
  sb.writePlugin('scap', `[scap]\nenable_plugin = true\ndocker_bench_log = ${bench}\ninterval = 0\n`);
  main(url);
});
after(() => {
  plain.server.close();
  sb.cleanup();
});

test('run sends the new results as the PatchMon agent does, with the host credentials', async () => {
  const r = await sb.runAsync('run', '--quiet');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(plain.received.length, 1);
  const { body, headers } = plain.received[0]!;
  assert.equal(headers['x-api-id'], API_ID);
  assert.equal(headers['x-api-key'], API_KEY);
  assert.equal(body.scans.length, 1);
  assert.equal(body.scans[0].profile_type, 'docker-bench');
  assert.equal(body.scans[0].total_rules, body.scans[0].results.length);
  assert.equal(body.os_info.family, 'debian');
  assert.deepEqual(pending(), []);
  // Nothing new: nothing is sent again.
  assert.equal((await sb.runAsync('run', '--quiet')).code, 0);
  assert.equal(plain.received.length, 1);
});

test('a server error keeps the payload; later runs wait, submit retries, and it is sent once, in order', async () => {
  writeBench(1732395600);
  plain.cue.push(500);
  let r = await sb.runAsync('run', '--quiet');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /PatchMon http:\/\/127\.0\.0\.1:\d+ answered 500 Failed to save scan results; 1 payload\(s\) kept for the next run/);
  assert.equal(pending().length, 1);
  // A second new scan queues behind it; the retry delay holds this run back.
  writeBench(1732399200);
  r = await sb.runAsync('run', '--quiet');
  assert.equal(pending().length, 2);
  assert.equal(plain.received.length, 1, 'no request while the retry delay runs');
  const state = JSON.parse(fs.readFileSync(path.join(sb.storage, 'patchmon', 'state.json'), 'utf8'));
  assert.equal(state.retry.attempts, 1);
  r = await sb.runAsync('submit');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /2 payload\(s\) sent/);
  assert.deepEqual(pending(), []);
  const starts = plain.received.slice(1).map((x) => x.body.scans[0].started_at);
  assert.deepEqual(starts, [new Date(1732395600 * 1000).toISOString(), new Date(1732399200 * 1000).toISOString()]);
});

test('429 waits as Retry-After says; 401 names the credentials; 400 keeps the payload aside', async () => {
  writeBench(1732402800);
  plain.cue.push(429);
  let r = await sb.runAsync('run', '--quiet');
  assert.equal(r.code, 1);
  const state = JSON.parse(fs.readFileSync(path.join(sb.storage, 'patchmon', 'state.json'), 'utf8'));
  const wait = Date.parse(state.retry.not_before) - Date.now();
  assert.ok(wait > 60_000 && wait <= 120_000, `retry in ${wait} ms`);

  fs.writeFileSync(keyFile, 'wrong-key\n', { mode: 0o600 });
  r = await sb.runAsync('submit');
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`refused the credentials \\(api_id ${API_ID}, api_key_file ${keyFile.replace(/[.]/g, '\\.')}\\): 401 Invalid API credentials`));
  assert.equal(pending().length, 1);

  fs.writeFileSync(keyFile, `${API_KEY}\n`);
  plain.cue.push(400);
  r = await sb.runAsync('submit');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /refused a payload as malformed; kept in .*rejected\/00000001\.json/);
  assert.equal(pending().length, 0);
  assert.match(fs.readFileSync(path.join(sb.storage, 'patchmon', 'rejected', '00000001.json.answer'), 'utf8'), /400 Invalid payload/);
});

test('an API key file others can read is refused', async () => {
  fs.chmodSync(keyFile, 0o644);
  writeBench(1732406400);
  assert.equal((await sb.runAsync('collect')).code, 0);
  const r = await sb.runAsync('submit');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /api_key_file .* is readable by others \(mode 644\): chmod 600/);
  fs.chmodSync(keyFile, 0o600);
  assert.equal((await sb.runAsync('submit')).code, 0);
});

test('https: the certificate is verified, against ca_file when set', async () => {
  const dir = path.join(sb.dir, 'tls');
  fs.mkdirSync(dir);
  const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { encoding: 'utf8' });
  assert.equal(gen.status, 0, gen.stderr);
  const tls = patchmon({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) });
  await new Promise<void>((r) => tls.server.listen(0, '127.0.0.1', r));
  try {
    const tlsUrl = `https://127.0.0.1:${(tls.server.address() as AddressInfo).port}`;
    main(tlsUrl);
    writeBench(1732410000);
    assert.equal((await sb.runAsync('collect')).code, 0);
    let r = await sb.runAsync('submit');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /self[- ]signed certificate/);
    assert.equal(tls.received.length, 0);
    assert.equal(pending().length, 1);
    main(tlsUrl, `ca_file = ${path.join(dir, 'cert.pem')}\n`);
    r = await sb.runAsync('submit');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(tls.received.length, 1);
    assert.deepEqual(pending(), []);
  } finally {
    tls.server.close();
    main(url);
  }
});

test('submit --dry-run prints the payload; a bad schedule is a config error', () => {
  const r = sb.run('submit', '--dry-run');
  assert.equal(r.code, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(p), ['scans', 'os_info', 'scanner_info', 'hostname', 'machine_id', 'agent_version']);
  main(url, 'schedule = every sunday\n');
  const bad = sb.run('submit');
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /syschangemon\.conf:\d+: .*schedule.*expected a cron expression/);
  main(url, 'schedule = 0 3 * * 0\n');
  assert.equal(sb.run('submit').code, 0);
});

const SCA_POLICY = `policy:
  id: "scm_fleet"
  file: "fleet.yml"
  name: "Fleet test policy"
  description: "Three checks: one passes, one fails, one is not applicable."
requirements:
  title: "An sshd_config"
  description: "sshd is configured here."
  condition: all
  rules:
    - 'f:/etc/ssh/sshd_config'
checks:
  - id: 1
    title: "Root cannot log in over SSH"
    condition: all
    compliance:
      - cis: ["5.1.20"]
      - pci_dss: ["2.2.4"]
    rules:
      - 'f:/etc/ssh/sshd_config -> r:^PermitRootLogin no'
  - id: 2
    title: "No empty passwords over SSH"
    condition: none
    compliance:
      - cis: ["5.1.19"]
    rules:
      - 'f:/etc/ssh/sshd_config -> r:^PermitEmptyPasswords yes'
  - id: 10
    title: "A command check, not run here"
    condition: all
    rules:
      - 'c:echo hello -> r:hello'
`;
const OTHER_OS_POLICY = `policy:
  id: "scm_other_os"
  file: "other.yml"
  name: "For another system"
  description: "Its requirements are not met here."
requirements:
  title: "Red Hat"
  description: "The system is Red Hat."
  condition: all
  rules:
    - 'f:/etc/redhat-release'
checks:
  - id: 1
    title: "Anything"
    condition: all
    rules:
      - 'f:/etc/ssh/sshd_config'
`;

test('SCA policies go to PatchMon as openscap-type scans named by policy id; a policy for another system is not sent', async () => {
  const scaBox = sandbox({});
  const server = patchmon();
  await new Promise<void>((r) => server.server.listen(0, '127.0.0.1', r));
  try {
    const serverUrl = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    const key = path.join(scaBox.dir, 'patchmon.key');
    fs.writeFileSync(key, `${API_KEY}\n`, { mode: 0o600 });
    fs.mkdirSync(path.join(scaBox.tree, 'etc', 'ssh'), { recursive: true });
    fs.writeFileSync(path.join(scaBox.tree, 'etc', 'ssh', 'sshd_config'), 'PermitRootLogin no\nPermitEmptyPasswords yes\n');
    const policies = path.join(scaBox.dir, 'policies');
    fs.mkdirSync(policies, { mode: 0o755 });
    fs.writeFileSync(path.join(policies, 'fleet.yml'), SCA_POLICY, { mode: 0o644 });
    fs.writeFileSync(path.join(policies, 'other.yml'), OTHER_OS_POLICY, { mode: 0o644 });
    scaBox.writePlugin('sca', `[sca]\nenable_plugin = true\npolicies = ${policies}/fleet.yml, ${policies}/other.yml\nroot = ${scaBox.tree}\nallow_commands = false\n`);
    fs.writeFileSync(
      path.join(scaBox.etc, 'syschangemon.conf'),
      `[syschangemon]\n[storage]\ndir = ${scaBox.storage}\n[patchmon]\nserver = ${serverUrl}\napi_id = ${API_ID}\napi_key_file = ${key}\n`,
    );
    const r = await scaBox.runAsync('run', '--quiet');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.received.length, 1, 'the server accepted the payload');
    const { body } = server.received[0]!;
    assert.equal(body.scans.length, 1, 'only the policy whose requirements are met');
    const scan = body.scans[0];
    assert.equal(scan.profile_name, 'scm_fleet');
    assert.equal(scan.profile_type, 'openscap');
    assert.equal(scan.status, 'completed');
    assert.deepEqual(
      scan.results.map((x: any) => ({ rule_ref: x.rule_ref, status: x.status, section: x.section })),
      [
        { rule_ref: '1', status: 'pass', section: '5.1.20' },
        { rule_ref: '2', status: 'fail', section: '5.1.19' },
        { rule_ref: '10', status: 'notapplicable', section: undefined },
      ],
    );
    assert.equal(scan.results[0].title, 'Root cannot log in over SSH');
    assert.match(scan.results[1].finding, /PermitEmptyPasswords yes/);
    assert.match(scan.results[1].expected, /PermitEmptyPasswords/);
    assert.ok(scan.results[2].finding, 'why it is not applicable');
    assert.deepEqual(
      { total: scan.total_rules, passed: scan.passed, failed: scan.failed, na: scan.not_applicable, skipped: scan.skipped, warnings: scan.warnings, score: scan.score },
      { total: 3, passed: 1, failed: 1, na: 1, skipped: 0, warnings: 0, score: 50 },
    );
    assert.ok(Date.parse(scan.completed_at) >= Date.parse(scan.started_at));
    assert.deepEqual(body.scanner_info.available_profiles, ['scm_fleet'], 'a compliance_trigger may name the policy');
    // export --format patchmon is the same payload.
    const exported = scaBox.json('export', '--format', 'patchmon');
    assert.deepEqual(exported.scans, body.scans);
    // Nothing new: not sent again.
    assert.equal((await scaBox.runAsync('run', '--quiet')).code, 0);
    assert.equal(server.received.length, 1);
    // A new evaluation with a changed result is sent.
    fs.writeFileSync(path.join(scaBox.tree, 'etc', 'ssh', 'sshd_config'), 'PermitRootLogin no\n');
    assert.equal((await scaBox.runAsync('run', '--quiet')).code, 0);
    assert.equal(server.received.length, 2);
    assert.equal(server.received[1]!.body.scans[0].passed, 2);
    assert.equal(server.received[1]!.body.scans[0].score, 100);
    // schedule.sca: the unchanged results are sent again once the schedule fired since they
    // were queued (queued two hours ago, hourly schedule).
    const conf = path.join(scaBox.etc, 'syschangemon.conf');
    assert.equal((await scaBox.runAsync('run', '--quiet')).code, 0);
    assert.equal(server.received.length, 2, 'unchanged: not sent');
    fs.appendFileSync(conf, 'schedule.sca = 0 * * * *\n');
    const stateFile = path.join(scaBox.storage, 'patchmon', 'state.json');
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    state.queued.scm_fleet.queued_at = new Date(Date.now() - 2 * 3600 * 1000).toISOString();
    fs.writeFileSync(stateFile, JSON.stringify(state));
    assert.equal((await scaBox.runAsync('run', '--quiet')).code, 0);
    assert.equal(server.received.length, 3, 'due by schedule.sca');
    assert.equal(server.received[2]!.body.scans[0].passed, 2);
  } finally {
    server.server.close();
    scaBox.cleanup();
  }
});
