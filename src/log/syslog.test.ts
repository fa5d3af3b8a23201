import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { test } from 'node:test';
import { changeLine, loggerArgs, oneLine, parseServer, sendSyslog, summaryLine, syslogSettings, type SyslogLine } from './syslog.js';

/** A UDP syslog receiver on loopback that resolves once `count` datagrams arrived. */
function udpListener(count: number): Promise<{ port: number; messages: Promise<string[]>; close(): void }> {
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    const got: string[] = [];
    let done!: (m: string[]) => void;
    const messages = new Promise<string[]>((r) => (done = r));
    sock.on('message', (m) => {
      got.push(m.toString('utf8'));
      if (got.length === count) done(got);
    });
    sock.bind(0, '127.0.0.1', () => resolve({ port: sock.address().port, messages, close: () => sock.close() }));
  });
}

const summary = summaryLine({ sessionUuid: 'aaaa-1111', reportUuid: 'rrrr-2222', added: 3, removed: 1, changed: 2, errors: 0 });

test('summary and change lines', () => {
  assert.deepEqual(summary, { severity: 'notice', text: 'session aaaa-1111: 3 added, 1 removed, 2 changed, 0 errors; report rrrr-2222' });
  assert.equal(summaryLine({ sessionUuid: 's', reportUuid: 'r', added: 0, removed: 0, changed: 0, errors: 0 }).severity, 'info');
  assert.equal(summaryLine({ sessionUuid: 's', reportUuid: 'r', added: 0, removed: 0, changed: 0, errors: 2 }).severity, 'warning');
  assert.equal(summaryLine({ sessionUuid: 's', added: 0, removed: 0, changed: 0, errors: 0, items: 42 }).text, 'session s: baseline, 42 items, 0 errors');
  const c = changeLine({ key: 'file:///etc/hosts', change: 'changed', attributes: { size: { old: 1, new: 2 }, mtime: { old: 'a', new: 'b' } } }, 'r1');
  assert.equal(c.text, 'changed file:///etc/hosts (mtime, size); report r1');
  const hostile = changeLine({ key: 'file:///tmp/a\nFAKE\x1b[2J', change: 'added', attributes: {}, explained_by: 'openssh-server' }, 'r1');
  assert.equal(hostile.text, 'added file:///tmp/a\\nFAKE\\x1b[2J [package openssh-server]; report r1');
  assert.equal(oneLine('a\tb\r\n'), 'a\\tb\\x0d\\n');
});

test('settings: auto picks stderr under systemd unless a server is named', () => {
  assert.equal(syslogSettings({ method: 'auto' }, {}).method, 'logger');
  assert.equal(syslogSettings({ method: 'auto' }, { INVOCATION_ID: 'x' }).method, 'stderr');
  assert.equal(syslogSettings({ method: 'auto' }, { JOURNAL_STREAM: '8:1' }).method, 'stderr');
  assert.equal(syslogSettings({ method: 'auto', server: 'loghost:514' }, { INVOCATION_ID: 'x' }).method, 'logger');
  assert.equal(syslogSettings({ method: 'logger' }, { INVOCATION_ID: 'x' }).method, 'logger');
  assert.deepEqual(parseServer('[2001:db8::1]:6514'), { host: '2001:db8::1', port: 6514 });
  assert.deepEqual(parseServer('loghost'), { host: 'loghost' });
  assert.equal(parseServer('  '), undefined);
  const args = loggerArgs(syslogSettings({ facility: 'local3', tag: 'scm', server: 'h:99', protocol: 'tcp' }, {}));
  assert.deepEqual(args, ['--rfc5424', '-t', 'scm', '-p', 'local3.info', '--prio-prefix', '--size', '8192', '--server', 'h', '--port', '99', '--tcp']);
});

test('the real logger(1) delivers RFC 5424 lines to a UDP listener, one process for many lines', async () => {
  const lines: SyslogLine[] = [summary];
  for (let i = 0; i < 50; i++) lines.push(changeLine({ key: `file:///etc/f${i}`, change: 'added', attributes: {} }, 'rrrr-2222'));
  const l = await udpListener(lines.length);
  try {
    const settings = syslogSettings({ enabled: true, facility: 'local3', tag: 'scm-test', server: `127.0.0.1:${l.port}`, protocol: 'udp' }, {});
    assert.equal(await sendSyslog(settings, lines), undefined);
    const got = await l.messages;
    // local3 = 19: notice → 19*8+5 = 157, info → 158. RFC 5424: "<PRI>1 TIMESTAMP HOST APP-NAME ...".
    assert.match(got[0]!, /^<157>1 \S+ \S+ scm-test - - .*session aaaa-1111: 3 added, 1 removed, 2 changed, 0 errors; report rrrr-2222$/);
    const changes = got.slice(1).filter((m) => /^<158>1 \S+ \S+ scm-test /.test(m));
    assert.equal(changes.length, 50);
    assert.ok(changes.some((m) => m.endsWith('added file:///etc/f49; report rrrr-2222')));
  } finally {
    l.close();
  }
});

test('a logger that cannot deliver or cannot run is a warning, never an exception', async () => {
  // A TCP port that refuses connections: bind one, note it, close it.
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
  const tcp = syslogSettings({ enabled: true, server: `127.0.0.1:${port}`, protocol: 'tcp' }, {});
  assert.match((await sendSyslog(tcp, [summary])) ?? '', /^syslog: logger exited with 1/);
  const missing = await sendSyslog(syslogSettings({ method: 'logger' }, {}), [summary], { loggerPath: '/nonexistent/logger' });
  assert.match(missing ?? '', /^syslog: cannot run \/nonexistent\/logger: .*ENOENT/);
});

test('the stderr method writes sd-daemon <N> prefixes', async () => {
  const out: string[] = [];
  const settings = syslogSettings({ enabled: true, method: 'auto' }, { INVOCATION_ID: 'abc' });
  const warning = await sendSyslog(settings, [summary, changeLine({ key: 'k', change: 'removed', attributes: {} }, 'r')], {
    stderr: { write: (t: string) => out.push(t) },
  });
  assert.equal(warning, undefined);
  assert.deepEqual(out, [`<5>${summary.text}\n`, '<6>removed k; report r\n']);
});
