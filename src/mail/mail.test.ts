/**
 * Mail delivery against a real SMTP server on 127.0.0.1 (smtp-server), with the received
 * messages parsed back by mailparser, and the sendmail handler against a real script.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { simpleParser } from 'mailparser';
import { startSmtp } from './test-smtp.js';
import type { Report } from '../core/report-model.js';
import { SysError } from '../errors.js';
import type { Options } from '../types.js';
import { boundedForMail, buildMessage, cutDiff, type MailChange, type MailSettings, MAX_DIFF_LINES, MAX_LINE_CHARS, MAX_MAIL_DIFF_CHARS, sendReport } from './mail.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/mail/report.json', import.meta.url));
const report = (): Report => JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Report;

const smtpServer = startSmtp;

const settings = (smtp: Options, extra: Partial<MailSettings> = {}): MailSettings => ({
  handler: 'smtp',
  smtp: { to_addr: 'alice@example.com, bob@example.com', cc: 'carol@example.com', bcc: 'audit@example.com', from: 'monitor@example.com', host: '127.0.0.1', timeout: 5, ...smtp },
  maxChanges: 500,
  hostname: 'web-01',
  ...extra,
});

/** The error a promise rejects with. */
async function failure(p: Promise<unknown>): Promise<SysError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof SysError, String(err));
    assert.equal(err.code, 'E_MAIL');
    assert.ok(!err.message.includes('\n'), 'one line');
    return err;
  }
  assert.fail('expected the send to fail');
}

describe('bounded mail', () => {
  test('a long diff keeps its first MAX_DIFF_LINES lines and counts the rest', () => {
    const bounded = boundedForMail(report(), 500);
    const big = bounded.changes.find((c) => c.key === 'conffile:///etc/big.conf') as MailChange;
    assert.equal(big.diff!.split('\n').length - 1, MAX_DIFF_LINES);
    assert.equal(big.diff_omitted, 453 - MAX_DIFF_LINES);
    const small = bounded.changes.find((c) => c.key === 'conffile:///etc/hosts') as MailChange;
    assert.equal(small.diff_omitted, undefined, 'a short diff is untouched');
  });

  test('a huge line is shortened, and all diffs of a mail share one budget', () => {
    const cut = cutDiff(`@@ -1 +1 @@\n+${'x'.repeat(MAX_LINE_CHARS * 3)}\n`);
    assert.equal(cut.omitted, 0);
    assert.match(cut.diff, new RegExp(`… \\(${MAX_LINE_CHARS * 2 + 1} more characters\\)\\n$`));
    const r = report();
    const diff = `${Array.from({ length: 150 }, (_, i) => `+${String(i).padEnd(MAX_LINE_CHARS, 'y')}`).join('\n')}\n`;
    r.changes = Array.from({ length: 20 }, (_, i) => ({ key: `conffile:///f${i}`, plugin: 'conffile', change: 'changed' as const, attributes: {}, diff }));
    const bounded = boundedForMail(r, 500);
    const total = bounded.changes.reduce((n, c) => n + (c.diff?.length ?? 0), 0);
    assert.ok(total <= MAX_MAIL_DIFF_CHARS, `${total} characters of diffs`);
    const last = bounded.changes.at(-1) as MailChange;
    assert.equal(last.diff, undefined);
    assert.equal(last.diff_omitted, 150);
    const text = buildMessage(bounded, settings({})).text;
    assert.match(text, /\.\.\. 150 more diff lines not shown \(syschangemon print-report -r 5b0c6a44-/);
  });

  test('past max_changes the mail counts the rest and names the command that shows them', () => {
    const msg = buildMessage(report(), settings({}, { maxChanges: 3 }));
    assert.match(msg.text, /\.\.\. and 5 more changes not shown here; see them all with:\n {4}syschangemon print-report -r 5b0c6a44-2f7e-4c1e-9a55-0d6d7c1e9f01\n/);
    assert.match(msg.html, /and 5 more changes not shown here; see them all with <code>syschangemon print-report -r 5b0c6a44-2f7e-4c1e-9a55-0d6d7c1e9f01<\/code>/);
  });
});

describe('subject', () => {
  test('the subject template, with the prefix before it', () => {
    assert.equal(buildMessage(report(), settings({})).subject, 'web-01: 3 added, 1 removed, 4 changed, 2 errors');
    assert.equal(buildMessage(report(), settings({ subject_prefix: '[scm]' })).subject, '[scm] web-01: 3 added, 1 removed, 4 changed, 2 errors');
  });

  test('the [mail.smtp] subject option is a template with hostname and report fields, and wins', () => {
    const msg = buildMessage(report(), settings({ subject: 'changes on {{ hostname }}: {{ summary.changed }} ({{ uuid }})', subject_prefix: 'ALERT: ' }));
    assert.equal(msg.subject, 'ALERT: changes on web-01: 4 (5b0c6a44-2f7e-4c1e-9a55-0d6d7c1e9f01)');
  });

  test('template_dir overrides a template by name; the others stay bundled', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-tpl-'));
    try {
      fs.writeFileSync(path.join(dir, 'subject.txt.njk'), 'custom {{ report.hostname }} {{ report.summary.added }}+\n');
      fs.writeFileSync(path.join(dir, 'report.txt.njk'), 'only {{ report.changes.length }} changes\n');
      const msg = buildMessage(report(), settings({}, { templateDir: dir }));
      assert.equal(msg.subject, 'custom web-01 3+');
      assert.equal(msg.text, 'only 10 changes\n');
      assert.match(msg.html, /<h1>syschangemon report for web-01<\/h1>/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('smtp delivery', () => {
  let certDir: string;
  let tls: { key: Buffer; cert: Buffer };
  before(() => {
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-cert-'));
    const [key, cert] = [path.join(certDir, 'key.pem'), path.join(certDir, 'cert.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    tls = { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
  });
  after(() => fs.rmSync(certDir, { recursive: true, force: true }));

  test('to and cc in the headers, bcc only in the envelope, both parts, text preferred', async () => {
    const server = await smtpServer();
    try {
      await sendReport(report(), settings({ port: server.port, subject_prefix: '[scm]' }));
      assert.equal(server.received.length, 1);
      const { from, to, mail, raw } = server.received[0]!;
      assert.equal(from, 'monitor@example.com');
      assert.deepEqual(to, ['alice@example.com', 'audit@example.com', 'bob@example.com', 'carol@example.com']);
      assert.equal((mail.to as { text: string }).text, 'alice@example.com, bob@example.com');
      assert.equal((mail.cc as { text: string }).text, 'carol@example.com');
      assert.equal(mail.headers.get('bcc'), undefined);
      assert.ok(!/audit@example\.com/.test(raw.split(/\r?\n\r?\n/)[0]!), 'no bcc address in the headers');
      assert.equal(mail.subject, '[scm] web-01: 3 added, 1 removed, 4 changed, 2 errors');
      assert.equal(mail.headers.get('x-syschangemon-report'), '5b0c6a44-2f7e-4c1e-9a55-0d6d7c1e9f01');
      assert.match(raw, /Content-Type: multipart\/alternative/);
      assert.match(mail.text!, /^~ conffile:\/\/\/etc\/hosts$/m);
      assert.match(mail.html as string, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
      assert.ok(!/<script|<img/i.test(mail.html as string), 'nothing from the system is markup');
      assert.ok(raw.indexOf('Content-Type: text/html') < raw.indexOf('Content-Type: text/plain'), 'the text part is last: preferred');
    } finally {
      await server.close();
    }
  });

  test('-t/--html puts the HTML part last', async () => {
    const server = await smtpServer();
    try {
      await sendReport(report(), settings({ port: server.port }, { preferHtml: true }));
      const { raw, mail } = server.received[0]!;
      assert.ok(raw.indexOf('Content-Type: text/plain') < raw.indexOf('Content-Type: text/html'));
      assert.ok(mail.text && mail.html);
    } finally {
      await server.close();
    }
  });

  test('STARTTLS with a self-signed certificate, then AUTH PLAIN and LOGIN checked by the server', async () => {
    for (const method of ['PLAIN', 'LOGIN']) {
      const server = await smtpServer({
        disabledCommands: [],
        ...tls,
        authMethods: [method],
        onAuth(auth, session, cb) {
          if (!session.secure) return cb(new Error('530 STARTTLS first'));
          if (auth.method === method && auth.username === 'mon' && auth.password === 's3cret') cb(null, { user: 'mon' });
          else cb(new Error('535 authentication failed'));
        },
      });
      try {
        await sendReport(report(), settings({ port: server.port, tls: true, tls_verify: false, auth: true, username: 'mon', password: 's3cret' }));
        assert.equal(server.received.length, 1, method);
        assert.equal(server.received[0]!.user, 'mon');
        assert.equal(server.received[0]!.secure, true, 'upgraded to TLS');
        const err = await failure(sendReport(report(), settings({ port: server.port, tls: true, tls_verify: false, auth: true, username: 'mon', password: 'wrong' })));
        assert.match(err.message, new RegExp(`^mail: authentication failed at 127\\.0\\.0\\.1:${server.port}: .*535`));
        assert.equal(server.received.length, 1);
      } finally {
        await server.close();
      }
    }
  });

  test('the certificate is verified unless tls_verify = false', async () => {
    const server = await smtpServer({ disabledCommands: ['AUTH'], ...tls });
    try {
      const err = await failure(sendReport(report(), settings({ port: server.port, tls: true })));
      assert.match(err.message, /^mail: TLS or connection error with 127\.0\.0\.1:\d+: .*self[- ]signed/i);
      assert.equal(server.received.length, 0);
    } finally {
      await server.close();
    }
  });

  test('tls = true refuses a server that does not offer STARTTLS', async () => {
    const server = await smtpServer();
    try {
      const err = await failure(sendReport(report(), settings({ port: server.port, tls: true, tls_verify: false })));
      assert.match(err.message, /^mail: .*STARTTLS/i);
      assert.equal(server.received.length, 0, 'nothing sent in clear text');
    } finally {
      await server.close();
    }
  });

  test('implicit TLS (ssl = true)', async () => {
    const server = await smtpServer({ secure: true, ...tls });
    try {
      await sendReport(report(), settings({ port: server.port, ssl: true, tls_verify: false }));
      assert.equal(server.received.length, 1);
      assert.equal(server.received[0]!.secure, true);
    } finally {
      await server.close();
    }
  });

  test('connection refused: one line naming the server', async () => {
    const server = await smtpServer();
    const port = server.port;
    await server.close();
    const err = await failure(sendReport(report(), settings({ port })));
    assert.equal(err.message, `mail: connection refused by 127.0.0.1:${port}`);
  });

  test('a server that never answers: the configured timeout, one line', async () => {
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    const port = await new Promise<number>((resolve) => silent.listen(0, '127.0.0.1', () => resolve((silent.address() as net.AddressInfo).port)));
    try {
      const err = await failure(sendReport(report(), settings({ port, timeout: 1 })));
      assert.equal(err.message, `mail: timeout after 1 s talking to 127.0.0.1:${port}`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  test('no recipients: an error, nothing sent', async () => {
    const err = await failure(sendReport(report(), settings({ to_addr: '', cc: ' ', bcc: '' })));
    assert.match(err.message, /no recipients/);
  });
});

describe('sendmail handler', () => {
  test('the configured sendmail binary gets the recipients as arguments and the message on stdin', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-sendmail-'));
    try {
      const script = path.join(dir, 'fake sendmail');
      fs.writeFileSync(script, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\ncat > "${dir}/message"\n`, { mode: 0o755 });
      await sendReport(report(), settings({ sendmail_path: script, subject_prefix: '[scm]' }, { handler: 'sendmail' }));
      const args = fs.readFileSync(path.join(dir, 'args'), 'utf8').trim().split('\n');
      for (const a of ['alice@example.com', 'bob@example.com', 'carol@example.com', 'audit@example.com']) assert.ok(args.includes(a), `${a} in ${args.join(' ')}`);
      const mail = await simpleParser(fs.readFileSync(path.join(dir, 'message')));
      assert.equal(mail.subject, '[scm] web-01: 3 added, 1 removed, 4 changed, 2 errors');
      assert.equal(mail.headers.get('bcc'), undefined);
      assert.ok(mail.text && mail.html);

      fs.writeFileSync(script, '#!/bin/sh\ncat >/dev/null\necho "sendmail: queue full" >&2\nexit 75\n', { mode: 0o755 });
      const err = await failure(sendReport(report(), settings({ sendmail_path: script }, { handler: 'sendmail' })));
      assert.match(err.message, /^mail: sendmail exited with code 75: sendmail: queue full \(.*fake sendmail\)$/);
      const missing = await failure(sendReport(report(), settings({ sendmail_path: path.join(dir, 'nope') }, { handler: 'sendmail' })));
      assert.match(missing.message, /^mail: .*ENOENT.*nope/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
