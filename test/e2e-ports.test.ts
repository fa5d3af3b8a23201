/**
 * The ports collector end to end on the real /proc: the test's own listeners on 127.0.0.1 and
 * ::1; one restarted (new pid, same port: no change, since pid is ignored by default), one
 * added (reported with its program); with ignore_attributes emptied, or aimed by a key glob,
 * the restart is reported.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sandbox, type Sandbox } from './helpers.js';
import { type Listener, listen } from '../src/collectors/ports/testdata/listener.js';

describe('ports end to end: restart and a new listener', () => {
  let sb: Sandbox;
  const ls: Record<string, Listener> = {};
  const ours = (report: any) => report.changes.filter((c: any) => c.plugin === 'ports' && Object.values(ls).some((l) => c.key.endsWith(`/${l.port}`)));
  const restart = async (name: string, proto: 'tcp' | 'udp', host: string) => {
    const old = ls[name]!;
    await old.stop();
    ls[name] = await listen(proto, host, old.port, `scm-${name}`);
    assert.notEqual(ls[name]!.child.pid, old.child.pid);
    assert.equal(ls[name]!.port, old.port);
  };
  const runReport = () => {
    const r = sb.run('run');
    assert.equal(r.code, 0, r.stderr);
    return sb.json('print-report', '--format', 'json');
  };

  before(async () => {
    sb = sandbox({});
    sb.writePlugin('ports', '[ports]\nenable_plugin = true\n');
    ls.a = await listen('tcp', '127.0.0.1', 0, 'scm-a');
    ls.b = await listen('tcp', '::1', 0, 'scm-b');
    ls.u = await listen('udp', '::1', 0, 'scm-u');
    const first = sb.run('collect');
    assert.equal(first.code, 0, first.stderr);
  });
  after(async () => {
    for (const l of Object.values(ls)) await l.stop();
    sb.cleanup();
  });

  test('a restart on the same port is quiet; a new listener is reported with its program', async () => {
    await restart('a', 'tcp', '127.0.0.1');
    await restart('b', 'tcp', '::1');
    ls.c = await listen('tcp', '127.0.0.1', 0, 'scm-new');
    const report = runReport();
    const changes = ours(report);
    assert.deepEqual(changes.map((c: any) => [c.key, c.change]), [[`ports://tcp/127.0.0.1/${ls.c.port}`, 'added']]);
    const a = changes[0].attributes;
    assert.equal(a.program.new, 'scm-new');
    assert.equal(a.pid.new, ls.c.child.pid);
    assert.equal(a.address.new, '127.0.0.1');
    const text = sb.run('print-report', '--format', 'text').stdout;
    assert.match(text, new RegExp(`\\+ ports://tcp/127\\.0\\.0\\.1/${ls.c.port}`));
  });

  test('ignore_attributes emptied: the restart is a pid change', async () => {
    sb.writePlugin('ports', '[ports]\nenable_plugin = true\nignore_attributes =\n');
    await restart('a', 'tcp', '127.0.0.1');
    const changes = ours(runReport());
    assert.deepEqual(changes.map((c: any) => [c.key, Object.keys(c.attributes)]), [[`ports://tcp/127.0.0.1/${ls.a.port}`, ['pid']]]);
    assert.equal(changes[0].attributes.pid.new, ls.a.child.pid);
  });

  test('KEY_GLOB:attribute ignores only where the glob matches', async () => {
    sb.writePlugin('ports', '[ports]\nenable_plugin = true\nignore_attributes = ports://udp/**:pid\n');
    await restart('a', 'tcp', '127.0.0.1');
    await restart('u', 'udp', '::1');
    const changes = ours(runReport());
    assert.deepEqual(changes.map((c: any) => c.key), [`ports://tcp/127.0.0.1/${ls.a.port}`]);
  });

  test('a bad entry is a config error naming file and line, before anything is written', () => {
    sb.writePlugin('ports', '[ports]\nenable_plugin = true\nignore_attributes = ports://[:pid\n');
    const r = sb.run('collect');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ports\.conf:3: bad value for 'ignore_attributes' in \[ports\]: bad glob/);
  });
});
