/**
 * portscan end to end: the built CLI scans 127.0.0.1 (only) for the ports of listeners the
 * test starts; a new listener is reported as a newly open port (high), a stopped one as closed.
 */
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { sandbox, type Sandbox } from './helpers.js';
import { type Listener, listen } from '../src/collectors/ports/testdata/listener.js';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

for (const scanner of ['nmap', 'connect']) {
  describe(`portscan end to end (${scanner})`, () => {
    let sb: Sandbox;
    const ls: Listener[] = [];
    let later: number;
    before(async () => {
      sb = sandbox({});
      ls.push(await listen('tcp', '127.0.0.1', 0, 'scm-ps-a'));
      later = await freePort();
      sb.writePlugin('portscan', `[portscan]\nenable_plugin = true\nscanner = ${scanner}\ntargets = 127.0.0.1\nports = ${ls[0]!.port}, ${later}\n`);
      const r = sb.run('collect');
      assert.equal(r.code, 0, r.stderr);
    });
    after(async () => {
      for (const l of ls) await l.stop();
      sb.cleanup();
    });

    test('a newly open port is reported, a closed one too', async () => {
      ls.push(await listen('tcp', '127.0.0.1', later, 'scm-ps-b'));
      await ls[0]!.stop();
      const r = await sb.runAsync('run');
      assert.equal(r.code, 0, r.stderr);
      const report = sb.json('print-report', '--format', 'json');
      const ours = report.changes.filter((c: any) => c.plugin === 'portscan');
      assert.deepEqual(ours.map((c: any) => [c.key, c.change, c.severity]).sort(), [
        [`portscan://127.0.0.1/tcp/${later}`, 'added', 'high'],
        [`portscan://127.0.0.1/tcp/${ls[0]!.port}`, 'removed', 'info'],
      ].sort());
      assert.match(sb.run('print-report', '--format', 'text').stdout, new RegExp(`\\+ portscan://127\\.0\\.0\\.1/tcp/${later}`));
    });
  });
}
