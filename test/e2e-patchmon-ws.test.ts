/**
 * PatchMon on demand: the agent WebSocket (src/patchmon/agent-ws.ts, started by
 * startPatchmonAgent, the function a long-running syschangemon calls) against a local server that checks the credentials
 * at the upgrade as PatchMon does. `compliance_trigger` runs the built CLI (`collect`, then
 * `submit --force --profile`) on a real database and the scan reaches the local compliance
 * route, which validates it; `report_now` submits at once; the client pings, drops a silent
 * connection and reconnects after a refused one, a dropped one and a server restart; over wss
 * the certificate is verified (refused when self-signed, accepted with the CA given).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { COLLECTORS } from '../src/collectors/index.js';
import { App } from '../src/core/app.js';
import { agentWsUrl, connectAgent, parseAgentMessage, type AgentLog } from '../src/patchmon/agent-ws.js';
import { startPatchmonAgent } from '../src/patchmon/on-demand.js';
import { CLI, SHARED, sandbox } from './helpers.js';
import { API_ID, API_KEY, patchmon } from './patchmon-server.js';

const POLICY = `policy:
  id: "scm_ondemand"
  file: "ondemand.yml"
  name: "On-demand test policy"
  description: "One check on the test tree."
checks:
  - id: 1
    title: "Root cannot log in over SSH"
    condition: all
    rules:
      - 'f:/etc/ssh/sshd_config -> r:^PermitRootLogin no'
`;

async function until(pred: () => boolean, what: string, ms = 30000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function memoryLog(): AgentLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), debug: (m) => lines.push(`debug ${m}`) };
}

const sb = sandbox({});
const server = patchmon();
let url = '';
const keyFile = path.join(sb.dir, 'patchmon.key');
const conf = path.join(sb.etc, 'syschangemon.conf');

before(async () => {
  await new Promise<void>((r) => server.server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  fs.writeFileSync(keyFile, `${API_KEY}\n`, { mode: 0o600 });
  fs.mkdirSync(path.join(sb.tree, 'etc', 'ssh'), { recursive: true });
  fs.writeFileSync(path.join(sb.tree, 'etc', 'ssh', 'sshd_config'), 'PermitRootLogin yes\n');
  fs.writeFileSync(path.join(sb.dir, 'ondemand.yml'), POLICY, { mode: 0o644 });
  sb.writePlugin('sca', `[sca]\nenable_plugin = true\npolicies = ${sb.dir}/ondemand.yml\nroot = ${sb.tree}\nallow_commands = false\n`);
  fs.writeFileSync(conf, `[syschangemon]\n[storage]\ndir = ${sb.storage}\n[patchmon]\nserver = ${url}\napi_id = ${API_ID}\napi_key_file = ${keyFile}\n`);
});
after(() => {
  server.wss.close();
  server.server.close();
  sb.cleanup();
});

test('the WebSocket URL and messages as the agent has them', () => {
  assert.equal(agentWsUrl('https://patchmon.example.org/'), 'wss://patchmon.example.org/api/v1/agents/ws');
  assert.equal(agentWsUrl('http://10.0.0.5:3001'), 'ws://10.0.0.5:3001/api/v1/agents/ws');
  assert.deepEqual(parseAgentMessage('{"type":"compliance_trigger","profile":"cis_debian12","request_id":"r-1"}'), { type: 'compliance_trigger', profile: 'cis_debian12', requestId: 'r-1' });
  assert.deepEqual(parseAgentMessage('{"type":"report_now"}'), { type: 'report_now' });
  assert.equal(parseAgentMessage('{"type":"compliance_trigger"}'), undefined, 'no profile');
  assert.equal(parseAgentMessage('{"type":"update_agent"}'), undefined, 'not ours: ignored');
  assert.equal(parseAgentMessage('not json'), undefined);
});

test('compliance_trigger runs the named scan and submits it; report_now submits at once', async () => {
  const app = new App({ config: conf, quiet: true }, { collectors: COLLECTORS });
  const conn = startPatchmonAgent(app, { cli: [process.execPath, CLI], pingMs: 100 });
  assert.ok(conn);
  try {
    await until(() => server.sockets.length === 1 && conn.connected, 'the connection');
    const h = server.upgrades[0]!;
    assert.equal(h['x-api-id'], API_ID);
    assert.equal(h['x-api-key'], API_KEY);
    await until(() => server.pings[0]! >= 2, 'pings');

    // No session yet: the trigger's collect makes one, and the scan is submitted.
    server.sockets[0]!.send(JSON.stringify({ type: 'compliance_trigger', profile: 'scm_ondemand', request_id: 'req-1' }));
    await until(() => server.received.length === 1, 'the triggered scan');
    let body = server.received[0]!.body;
    assert.equal(body.scans.length, 1);
    assert.equal(body.scans[0].profile_name, 'scm_ondemand');
    assert.equal(body.scans[0].results[0].status, 'fail');
    const sessions = () => JSON.parse(sb.run('list-sessions', '--format', 'json').stdout).length;
    assert.equal(sessions(), 1);

    // The host is fixed; the next trigger evaluates again and sends the new result.
    fs.writeFileSync(path.join(sb.tree, 'etc', 'ssh', 'sshd_config'), 'PermitRootLogin no\n');
    server.sockets[0]!.send(JSON.stringify({ type: 'compliance_trigger', profile: 'scm_ondemand', request_id: 'req-2' }));
    await until(() => server.received.length === 2, 'the second triggered scan');
    body = server.received[1]!.body;
    assert.equal(body.scans[0].results[0].status, 'pass');
    assert.equal(sessions(), 2);

    // report_now: the latest results at once, without a new session.
    server.sockets[0]!.send(JSON.stringify({ type: 'report_now' }));
    await until(() => server.received.length === 3, 'report_now');
    assert.equal(server.received[2]!.body.scans[0].results[0].status, 'pass');
    assert.equal(sessions(), 2);

    // An unknown profile: nothing sent, the connection stays.
    server.sockets[0]!.send(JSON.stringify({ type: 'compliance_trigger', profile: 'no_such_policy' }));
    server.sockets[0]!.send(JSON.stringify({ type: 'report_now' }));
    await until(() => server.received.length === 4, 'the report_now after the unknown profile');
    assert.equal(server.received.length, 4);
    assert.equal(conn.connected, true);
  } finally {
    await conn.close();
    app.close();
  }
});

test('reconnects: refused credentials, a dropped connection, a silent server, a server restart', async () => {
  const log = memoryLog();
  const handlers = { complianceTrigger: () => {}, reportNow: () => {} };
  const opts = { apiId: API_ID, handlers, log, pingMs: 100, deadMs: 600, firstBackoffMs: 50, maxBackoffMs: 200 };

  // Wrong key: the server answers 401 at the upgrade; it is named, and retried.
  const bad = connectAgent({ ...opts, server: url, apiKey: 'wrong' });
  try {
    await until(() => log.lines.filter((l) => /answered 401 \(check api_id patchmon_host_1/.test(l)).length >= 2, 'two refused attempts');
    assert.equal(bad.connects, 0);
  } finally {
    await bad.close();
  }

  const before = server.sockets.length;
  const conn = connectAgent({ ...opts, server: url, apiKey: API_KEY });
  try {
    await until(() => server.sockets.length === before + 1 && conn.connected, 'connected');
    // The server drops it: a new connection follows.
    server.sockets[before]!.terminate();
    await until(() => server.sockets.length === before + 2 && conn.connected, 'reconnected after a drop');
    // A server that no longer answers (its end of the socket stops reading): after deadMs the
    // client gives up on it and connects again.
    const silent = server.sockets[before + 1]!;
    (silent as unknown as { _socket: { pause(): void } })._socket.pause();
    await until(() => server.sockets.length === before + 3 && conn.connected, 'reconnected after silence');
    assert.ok(log.lines.some((l) => /no answer for 0\.6 s; reconnecting/.test(l)));
    silent.terminate();
    // The server goes away and comes back on the same port.
    const port = (server.server.address() as AddressInfo).port;
    for (const s of server.sockets) s.terminate();
    await new Promise<void>((r) => server.server.close(() => r()));
    await until(() => !conn.connected, 'disconnected');
    await until(() => log.lines.filter((l) => /ECONNREFUSED/.test(l)).length >= 2, 'refused while down');
    await new Promise<void>((r) => server.server.listen(port, '127.0.0.1', r));
    await until(() => conn.connected, 'reconnected after the restart');
  } finally {
    await conn.close();
  }
  assert.equal(conn.connected, false);
});

test('wss: the certificate is verified, against ca_file when given', async () => {
  const dir = path.join(sb.dir, 'wss');
  fs.mkdirSync(dir);
  const gen = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { encoding: 'utf8' });
  assert.equal(gen.status, 0, gen.stderr);
  const tls = patchmon({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) });
  await new Promise<void>((r) => tls.server.listen(0, '127.0.0.1', r));
  const tlsUrl = `https://127.0.0.1:${(tls.server.address() as AddressInfo).port}`;
  const handlers = { complianceTrigger: () => {}, reportNow: () => {} };
  const log = memoryLog();
  const untrusted = connectAgent({ server: tlsUrl, apiId: API_ID, apiKey: API_KEY, handlers, log, firstBackoffMs: 50, maxBackoffMs: 100 });
  try {
    await until(() => log.lines.some((l) => /wss:\/\/127\.0\.0\.1:\d+\/api\/v1\/agents\/ws: self[- ]signed certificate/.test(l)), 'the refused certificate');
    assert.equal(untrusted.connects, 0);
    assert.equal(tls.sockets.length, 0);
  } finally {
    await untrusted.close();
  }
  const trusted = connectAgent({ server: tlsUrl, apiId: API_ID, apiKey: API_KEY, ca: fs.readFileSync(path.join(dir, 'cert.pem')), handlers, log, firstBackoffMs: 50 });
  try {
    await until(() => trusted.connected && tls.sockets.length === 1, 'connected over wss with ca_file');
    assert.equal(tls.upgrades[0]!['x-api-key'], API_KEY);
  } finally {
    await trusted.close();
    tls.wss.close();
    tls.server.close();
  }
});

const DS = path.join(SHARED, 'fixtures', 'scap', 'ssg-debian12-ds.xml');
const haveOscap = spawnSync('sh', ['-c', 'command -v oscap'], { encoding: 'utf8' }).stdout.trim() !== '';

test('watch keeps the agent WebSocket: report_now sends the scap scan; SIGTERM closes it', { skip: (!haveOscap || !fs.existsSync(DS)) && 'needs oscap and the shared datastream' }, async () => {
  const { spawn } = await import('node:child_process');
  const box = sandbox({});
  const srv = patchmon();
  await new Promise<void>((r) => srv.server.listen(0, '127.0.0.1', r));
  let watch: import('node:child_process').ChildProcess | undefined;
  try {
    const root = path.join(box.dir, 'root');
    fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
    fs.mkdirSync(path.join(root, 'usr', 'lib'), { recursive: true });
    fs.mkdirSync(path.join(root, 'var', 'lib', 'dpkg'), { recursive: true });
    for (const f of ['passwd', 'group', 'shadow', 'gshadow', 'os-release', 'debian_version']) fs.copyFileSync(`/etc/${f}`, path.join(root, 'etc', f));
    fs.chmodSync(path.join(root, 'etc', 'shadow'), 0o640);
    fs.copyFileSync('/etc/os-release', path.join(root, 'usr', 'lib', 'os-release'));
    fs.copyFileSync('/var/lib/dpkg/status', path.join(root, 'var', 'lib', 'dpkg', 'status'));
    box.writePlugin('scap', `[scap]\nenable_plugin = true\ndatastream = ${DS}\nprofile = standard\nrules = file_permissions_etc_shadow\ninterval = 1d\nprobe_root = ${root}\n`);
    const key = path.join(box.dir, 'patchmon.key');
    fs.writeFileSync(key, `${API_KEY}\n`, { mode: 0o600 });
    const c = path.join(box.etc, 'syschangemon.conf');
    fs.writeFileSync(c, `[syschangemon]\n[storage]\ndir = ${box.storage}\n[patchmon]\nserver = http://127.0.0.1:${(srv.server.address() as AddressInfo).port}\napi_id = ${API_ID}\napi_key_file = ${key}\n`);
    const first = await box.runAsync('run', '--quiet');
    assert.equal(first.code, 0, first.stderr);
    assert.equal(srv.received.length, 1, 'the run sent the new scan');
    watch = spawn(process.execPath, [CLI, '-c', c, 'watch', '--change-only'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    watch.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await until(() => srv.sockets.length === 1, `the WebSocket from watch (${stderr})`, 120_000);
    assert.equal(srv.upgrades[0]!['x-api-id'], API_ID);
    srv.sockets[0]!.send(JSON.stringify({ type: 'report_now' }));
    await until(() => srv.received.length === 2, `report_now's submission (${stderr})`, 60_000);
    assert.equal(srv.received[1]!.body.scans[0].profile_type, 'openscap');
    assert.match(srv.received[1]!.body.scans[0].profile_name, /standard$/);
    const closed = new Promise<void>((r) => srv.sockets[0]!.once('close', () => r()));
    watch.kill('SIGTERM');
    const code = await new Promise<number | null>((res) => watch!.on('close', (x) => res(x)));
    assert.equal(code, 0, stderr);
    watch = undefined;
    await closed;
  } finally {
    watch?.kill('SIGKILL');
    srv.wss.close();
    srv.server.close();
    box.cleanup();
  }
});
