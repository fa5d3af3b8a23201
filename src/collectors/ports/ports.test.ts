import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { TestContext } from '../common/test-context.js';
import { collectPorts, portsOptions } from './index.js';
import { decodeAddress, isLoopback, parseProcNet, parseServices, socketInode } from './parse.js';
import { type Listener, listen } from './testdata/listener.js';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:0CEA 00000000:0000 0A 00000000:00000000 00:00000000 00000000   110        0 23456 1 0000000000000000 100 0 0 10 0
   1: 0100007F:AA0D 0100007F:8D94 01 00000000:00000000 03:000010D7 00000000     0        0 0 3 0000000000000000
   2: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1234 1 0000000000000000 100 0 0 10 0
`;
const UDP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
  1: 00000000000000000000000001000000:0035 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 777 2 0000000000000000 0
  2: B80D0120000000000000000001000000:1F90 B80D0120000000000000000002000000:0050 01 00000000:00000000 00:00000000 00000000     0        0 778 2 0000000000000000 0
  3: 0000000000000000FFFF00000100007F:0044 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 779 2 0000000000000000 0
`;

test('/proc/net tables: listening TCP, unconnected UDP, addresses in host order', () => {
  assert.deepEqual(parseProcNet(TCP, 'tcp', 'ipv4', true), [
    { proto: 'tcp', family: 'ipv4', address: '127.0.0.1', port: 3306, uid: 110, inode: 23456 },
    { proto: 'tcp', family: 'ipv4', address: '0.0.0.0', port: 22, uid: 0, inode: 1234 },
  ]);
  assert.deepEqual(parseProcNet(UDP6, 'udp', 'ipv6', true).map((s) => [s.address, s.port, s.inode]), [['::1', 53, 777], ['::ffff:127.0.0.1', 68, 779]]);
  assert.equal(decodeAddress('B80D0120000000000000000001000000', true), '2001:db8::1');
  assert.equal(decodeAddress('7F000001', false), '127.0.0.1');
  assert.ok(isLoopback('127.0.0.53') && isLoopback('::1') && isLoopback('::ffff:127.0.0.1'));
  assert.ok(!isLoopback('0.0.0.0') && !isLoopback('::') && !isLoopback('10.0.0.1'));
  assert.equal(socketInode('socket:[98765]'), 98765);
  assert.equal(socketInode('pipe:[98765]'), undefined);
  const svc = parseServices('ssh\t\t22/tcp\t\t\t# SSH\ndomain 53/tcp\ndomain 53/udp\nhttp 80/tcp www\n# x 1/tcp\n');
  assert.equal(svc.get('22/tcp'), 'ssh');
  assert.equal(svc.get('53/udp'), 'domain');
  assert.equal(svc.get('1/tcp'), undefined);
});

describe('ports on the real /proc: listeners of this test', () => {
  const ls: Listener[] = [];
  before(async () => {
    ls.push(await listen('tcp', '127.0.0.1', 0, 'scm-tcp4'));
    ls.push(await listen('tcp', '::1', 0, 'scm-tcp6'));
    ls.push(await listen('udp', '127.0.0.1', 0, 'scm-udp4'));
  });
  after(async () => {
    for (const l of ls) await l.stop();
  });

  test('each listener with its pid, program, executable and user; the key has no pid', () => {
    const ctx = new TestContext('ports');
    collectPorts(ctx, portsOptions({}));
    const me = fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === String(process.getuid!()))!.split(':')[0];
    const cases: [string, Listener, string, string][] = [
      [`ports://tcp/127.0.0.1/${ls[0]!.port}`, ls[0]!, 'scm-tcp4', 'ipv4'],
      [`ports://tcp/::1/${ls[1]!.port}`, ls[1]!, 'scm-tcp6', 'ipv6'],
      [`ports://udp/127.0.0.1/${ls[2]!.port}`, ls[2]!, 'scm-udp4', 'ipv4'],
    ];
    for (const [key, l, program, family] of cases) {
      const a = ctx.item(key)?.attributes;
      assert.ok(a, `${key} in ${ctx.items.map((i) => i.key).join(' ')}`);
      assert.equal(a.pid, l.child.pid);
      assert.equal(a.program, program);
      assert.equal(a.exe, fs.realpathSync(process.execPath));
      assert.equal(a.user, me);
      assert.equal(a.family, family);
      assert.equal(a.local, true);
      assert.equal(a.port, l.port);
    }
  });

  test('include_local = false leaves loopback out; protocols = tcp leaves UDP out', () => {
    const ctx = new TestContext('ports');
    collectPorts(ctx, portsOptions({ include_local: false }));
    assert.ok(ctx.items.every((i) => i.attributes.local === false));
    assert.equal(ctx.item(`ports://tcp/127.0.0.1/${ls[0]!.port}`), undefined);
    const tcp = new TestContext('ports');
    collectPorts(tcp, portsOptions({ protocols: ['tcp'] }));
    assert.ok(tcp.items.length > 0 && tcp.items.every((i) => i.attributes.proto === 'tcp'));
  });
});
