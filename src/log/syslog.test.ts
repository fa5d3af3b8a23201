import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import {
  changeLine,
  digestLine,
  formatStructuredData,
  lineArgs,
  loggerArgs,
  oneLine,
  parseServer,
  sdIdError,
  sdParamValue,
  sendSyslog,
  summaryLine,
  syslogSender,
  syslogSettings,
  type SyslogLine,
} from './syslog.js';

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
  assert.equal(summary.severity, 'notice');
  assert.equal(summary.text, 'session aaaa-1111: 3 added, 1 removed, 2 changed, 0 errors; report rrrr-2222');
  assert.equal(summary.msgid, 'summary');
  assert.equal(formatStructuredData(summary.sd), '[syschangemon@32473 session="aaaa-1111" report="rrrr-2222" added="3" removed="1" changed="2" errors="0"]');
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
  assert.equal(syslogSettings({}, {}).sdId, 'syschangemon@32473');
  assert.equal(syslogSettings({ sd_id: 'scm@9999' }, {}).sdId, 'scm@9999');
});

test('structured data: RFC 5424 escaping, no control character, names made valid', () => {
  // RFC 5424 6.3.3: inside PARAM-VALUE, '"', '\' and ']' are escaped with a backslash.
  assert.equal(sdParamValue('a"b\\c]d'), 'a\\"b\\\\c\\]d');
  assert.equal(sdParamValue('é ok = [x'), 'é ok = [x');
  // Controls are made visible first, then their backslash is escaped: the receiver unescapes to \x1b.
  assert.equal(sdParamValue('a\nb\x1b[2J\x00\u202e\u2028'), 'a\\\\nb\\\\x1b[2J\\\\x00\\\\u202e\\\\u2028');
  assert.equal(sdParamValue(42), '42');
  assert.equal(sdParamValue(false), 'false');
  const sd = { id: 'x y]"=@1', params: { 'bad name=]"': 'v', ok: 'w', gone: undefined, nul: null } };
  assert.equal(formatStructuredData(sd), '[x_y___@1 bad_name___="v" ok="w"]');
  assert.deepEqual(lineArgs({ msgid: 'change', sd: { params: [['k', 'a]b']] } }, 'scm@1'), ['--msgid', 'change', '--sd-id', 'scm@1', '--sd-param', 'k="a\\]b"']);
  assert.deepEqual(lineArgs({}), []);
  assert.equal(sdIdError('syschangemon@32473'), undefined);
  assert.match(sdIdError('syschangemon') ?? '', /not a private SD-ID/);
  assert.match(sdIdError('a b@1') ?? '', /not an SD-ID/);
  assert.match(sdIdError('a=b@1') ?? '', /not an SD-ID/);
  assert.match(sdIdError('x'.repeat(30) + '@123') ?? '', /not an SD-ID/);
  const d = digestLine({ uuid: 'u', started_at: 't', digest: 'd1', prev_digest: null, signature: 's' });
  assert.equal(formatStructuredData(d.sd), '[syschangemon@32473 session="u" started="t" digest="d1" chain_start="new database" signed="true"]');
  const c = changeLine({ key: 'file:///etc/a]b', plugin: 'file', severity: 'high', change: 'changed', attributes: { size: { old: 1, new: 2 }, mode: { old: 1, new: 2 } } }, 'r');
  assert.equal(formatStructuredData(c.sd), '[syschangemon@32473 key="file:///etc/a\\]b" change="changed" plugin="file" severity="high" attrs="mode,size" report="r"]');
  assert.equal(c.severity, 'warning');
  assert.equal(changeLine({ key: 'k', change: 'added', attributes: {}, severity: 'critical' }, 'r').severity, 'crit');
  assert.equal(changeLine({ key: 'k', change: 'added', attributes: {}, severity: 'medium' }, 'r').severity, 'notice');
  assert.equal(changeLine({ key: 'k', change: 'added', attributes: {}, severity: 'low' }, 'r').severity, 'info');
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
    assert.match(got[0]!, /^<157>1 \S+ \S+ scm-test - summary .*session aaaa-1111: 3 added, 1 removed, 2 changed, 0 errors; report rrrr-2222$/);
    const changes = got.slice(1).filter((m) => /^<158>1 \S+ \S+ scm-test - change /.test(m));
    assert.equal(changes.length, 50);
    assert.ok(changes.some((m) => m.endsWith('added file:///etc/f49; report rrrr-2222')));
  } finally {
    l.close();
  }
});

test('the real logger(1) sends each line\'s MSGID and structured data, escaped, hostile values kept on one line', async () => {
  const hostile = 'file:///tmp/x"y\\z]w\nFAKE <13>1 - - - [evil a="b"]\x1b[2J\u202e';
  const lines: SyslogLine[] = [
    summary,
    changeLine({ key: hostile, plugin: 'file', change: 'added', attributes: {} }, 'rrrr-2222'),
    changeLine({ key: 'file:///etc/hosts', plugin: 'file', change: 'changed', attributes: { sha256: { old: 'a', new: 'b' } } }, 'rrrr-2222'),
    { severity: 'err', text: 'plain line without structured data' },
  ];
  const l = await udpListener(lines.length);
  try {
    const settings = syslogSettings({ enabled: true, facility: 'local3', tag: 'scm-test', server: `127.0.0.1:${l.port}`, sd_id: 'scm@9999' }, {});
    assert.equal(await sendSyslog(settings, lines), undefined);
    const got = await l.messages;
    assert.equal(got.length, 4);
    for (const m of got) assert.doesNotMatch(m, /[\x00-\x1f\x7f\u202e]/, 'no control character on the wire');
    assert.match(got[0]!, /^<157>1 \S+ \S+ scm-test - summary \[timeQuality [^\]]*\]\[scm@9999 session="aaaa-1111" report="rrrr-2222" added="3" removed="1" changed="2" errors="0"\] session aaaa-1111: /);
    const added = got.find((m) => m.includes('added file:///tmp/x'))!;
    const sdPart = added.slice(added.indexOf('[scm@9999'));
    assert.ok(
      sdPart.startsWith(`[scm@9999 key="file:///tmp/x\\"y\\\\z\\]w\\\\nFAKE <13>1 - - - [evil a=\\"b\\"\\]\\\\x1b[2J\\\\u202e" change="added" plugin="file" report="rrrr-2222"] added `),
      sdPart,
    );
    assert.match(got.find((m) => m.includes('/etc/hosts'))!, / change \[timeQuality [^\]]*\]\[scm@9999 key="file:\/\/\/etc\/hosts" change="changed" plugin="file" attrs="sha256" report="rrrr-2222"\] changed file:\/\/\/etc\/hosts \(sha256\); report rrrr-2222$/);
    assert.match(got.find((m) => m.includes('plain line'))!, /^<155>1 \S+ \S+ scm-test - - \[timeQuality [^\]]*\] plain line without structured data$/);
  } finally {
    l.close();
  }
});

test('syslogSender: one call per event, in order, id from the configuration; disabled sends nothing', async () => {
  const l = await udpListener(3);
  try {
    const sender = syslogSender({ enabled: true, tag: 'scm-watch', server: `127.0.0.1:${l.port}` }, {}, {});
    assert.equal(sender.enabled, true);
    const sent = [
      sender.send('warning', 'result changed: r1 pass -> fail', { params: { rule: 'r1', old: 'pass', new: 'fail', severity: 'high', file: '/etc/ssh/sshd_config' } }, 'result'),
      sender.send('info', 'second'),
      sender.send('crit', 'third', [{ params: { a: '1' } }, { id: 'other@1', params: { b: '2' } }]),
    ];
    assert.deepEqual(await Promise.all(sent), [undefined, undefined, undefined]);
    const got = await l.messages;
    const first = got.find((m) => m.includes('result changed'))!;
    assert.match(first, /^<28>1 \S+ \S+ scm-watch - result \[timeQuality [^\]]*\]\[syschangemon@32473 rule="r1" old="pass" new="fail" severity="high" file="\/etc\/ssh\/sshd_config"\] result changed: r1 pass -> fail$/);
    assert.match(got.find((m) => m.includes('third'))!, /^<26>1 .*\[syschangemon@32473 a="1"\]\[other@1 b="2"\] third$/);
  } finally {
    l.close();
  }
  const off = syslogSender({ enabled: false }, { loggerPath: '/nonexistent/logger' }, {});
  assert.equal(off.enabled, false);
  assert.equal(await off.send('err', 'x'), undefined);
});

test('lines with the same MSGID and structured data share one logger process, others get one each', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-syslog-'));
  try {
    const count = path.join(dir, 'calls');
    const wrapper = path.join(dir, 'logger');
    fs.writeFileSync(wrapper, `#!/bin/sh\necho x >> '${count}'\nexec logger "$@"\n`, { mode: 0o755 });
    const lines: SyslogLine[] = [];
    for (let i = 0; i < 30; i++) lines.push({ severity: 'info', text: `plain ${i}` });
    for (let i = 0; i < 5; i++) lines.push(changeLine({ key: `k${i}`, change: 'added', attributes: {} }, 'r'));
    for (let i = 0; i < 20; i++) lines.push({ severity: 'info', text: `tail ${i}`, msgid: 'digest' });
    const l = await udpListener(lines.length);
    try {
      const settings = syslogSettings({ enabled: true, server: `127.0.0.1:${l.port}` }, {});
      assert.equal(await sendSyslog(settings, lines, { loggerPath: wrapper }), undefined);
      const got = await l.messages;
      assert.equal(got.length, 55);
      assert.equal(fs.readFileSync(count, 'utf8').split('\n').filter(Boolean).length, 1 + 5 + 1);
    } finally {
      l.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
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

test('the stderr method writes sd-daemon <N> prefixes and the text alone', async () => {
  const out: string[] = [];
  const settings = syslogSettings({ enabled: true, method: 'auto' }, { INVOCATION_ID: 'abc' });
  const warning = await sendSyslog(settings, [summary, changeLine({ key: 'k', change: 'removed', attributes: {} }, 'r')], {
    stderr: { write: (t: string) => out.push(t) },
  });
  assert.equal(warning, undefined);
  assert.deepEqual(out, [`<5>${summary.text}\n`, '<6>removed k; report r\n']);
});
