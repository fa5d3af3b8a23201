/**
 * portscan on 127.0.0.1 only, with listeners the test starts and a port it knows is closed: the
 * nmap path and the built-in connect scan find the same open ports; the pool never runs more
 * connections than `concurrency`; an unresolvable target keeps the last results.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { TestContext } from '../common/test-context.js';
import { type Listener, listen } from '../ports/testdata/listener.js';
import { collectPortscan, portscanOptions } from './index.js';
import { boundedMap, checkTarget, nmapPorts, parseNmapXml, parsePorts } from './parse.js';

const haveNmap = (() => {
  try {
    execFileSync('nmap', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

test('port lists, targets, nmap XML and the bounded pool', async () => {
  assert.deepEqual(parsePorts(['22, 80', '8000-8002']), [22, 80, 8000, 8001, 8002]);
  assert.equal(parsePorts(['0']), "bad port range '0' (ports are 1-65535, low-high)");
  assert.match(String(parsePorts(['22;rm'])), /bad port or range/);
  assert.equal(nmapPorts([22, 80, 8000, 8001, 8002, 9000]), '22,80,8000-8002,9000');
  assert.equal(checkTarget('127.0.0.1'), undefined);
  assert.equal(checkTarget('db1.example.org'), undefined);
  assert.match(String(checkTarget('-oX/tmp/x')), /bad target/);
  assert.match(String(checkTarget('10.0.0.0/24')), /bad target/);
  const hosts = parseNmapXml('<nmaprun><host starttime="1"><status state="up" reason="user-set"/><address addr="127.0.0.1" addrtype="ipv4"/><ports><port protocol="tcp" portid="22"><state state="open" reason="syn-ack"/></port><port protocol="tcp" portid="23"><state state="closed"/></port></ports></host></nmaprun>');
  assert.deepEqual(hosts, [{ address: '127.0.0.1', status: 'up', ports: [{ proto: 'tcp', port: 22, state: 'open' }, { proto: 'tcp', port: 23, state: 'closed' }] }]);
  let running = 0;
  let most = 0;
  const out = await boundedMap([...Array(50).keys()], 7, async (i) => {
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, 1 + (i % 3)));
    running--;
    return i * 2;
  });
  assert.equal(most, 7);
  assert.deepEqual(out, [...Array(50).keys()].map((i) => i * 2));
});

describe('portscan of 127.0.0.1', () => {
  const ls: Listener[] = [];
  let closed: number;
  before(async () => {
    ls.push(await listen('tcp', '127.0.0.1', 0, 'scm-scan-a'), await listen('tcp', '127.0.0.1', 0, 'scm-scan-b'));
    // A port that was just free: closed.
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    closed = (s.address() as net.AddressInfo).port;
    await new Promise((r) => s.close(r));
  });
  after(async () => {
    for (const l of ls) await l.stop();
  });

  const scan = async (scanner: string, extra: Record<string, unknown> = {}) => {
    const ctx = new TestContext('portscan');
    await collectPortscan(ctx, portscanOptions({ targets: ['127.0.0.1'], ports: [String(ls[0]!.port), String(ls[1]!.port), String(closed)], scanner, ...extra }));
    return ctx;
  };

  for (const scanner of ['connect', 'nmap']) {
    test(`the ${scanner} scan finds the listeners and not the closed port`, { skip: scanner === 'nmap' && !haveNmap && 'needs nmap' }, async () => {
      const ctx = await scan(scanner);
      assert.deepEqual(ctx.errors, []);
      assert.deepEqual(ctx.notes, []);
      assert.ok(ctx.debugs.some((d) => d.endsWith(`by ${scanner === 'nmap' ? 'nmap' : 'connect scan'}`)), ctx.debugs.join('\n'));
      const want = [ls[0]!.port, ls[1]!.port].sort((a, b) => a - b);
      assert.deepEqual(ctx.items.map((i) => i.key), want.map((p) => `portscan://127.0.0.1/tcp/${p}`));
      assert.deepEqual(ctx.items[0]!.attributes, { target: '127.0.0.1', address: '127.0.0.1', proto: 'tcp', port: want[0], service: ctx.items[0]!.attributes.service });
    });
  }

  test('the connect scan of a range around a listener, with its own concurrency and timeout', async () => {
    const p = ls[0]!.port;
    const lo = Math.max(1, p - 20);
    const ctx = new TestContext('portscan');
    await collectPortscan(ctx, portscanOptions({ targets: ['127.0.0.1'], ports: [`${lo}-${p + 20}`], scanner: 'connect', concurrency: 4, connect_timeout: 500 }));
    assert.ok(ctx.items.some((i) => i.key === `portscan://127.0.0.1/tcp/${p}`), JSON.stringify([ctx.items.map((i) => i.key), ctx.errors, ctx.debugs, p, ls[0]!.child.exitCode]));
    const item = ctx.items.find((i) => i.key === `portscan://127.0.0.1/tcp/${p}`)!;
    assert.equal(item.attributes.address, '127.0.0.1');
    assert.ok(!ctx.items.some((i) => i.attributes.port === closed));
  });

  test('no targets: nothing, quietly; a target that does not resolve keeps its last results', async () => {
    let ctx = new TestContext('portscan');
    await collectPortscan(ctx, portscanOptions({}));
    assert.deepEqual([ctx.items.length, ctx.errors.length, ctx.notes.length], [0, 0, 0]);
    const prev = new Map([['portscan://nosuch.invalid/tcp/22', { key: 'portscan://nosuch.invalid/tcp/22', plugin: 'portscan', attributes: { target: 'nosuch.invalid', address: '192.0.2.1', proto: 'tcp', port: 22, service: 'ssh' }, contentHashes: {}, error: null }]]);
    ctx = new TestContext('portscan', prev);
    await collectPortscan(ctx, portscanOptions({ targets: ['nosuch.invalid'], ports: ['22'] }));
    assert.match(ctx.errors[0]!.message, /nosuch\.invalid: does not resolve/);
    assert.deepEqual([...ctx.carried], ['portscan://nosuch.invalid/tcp/22']);
  });
});
