/**
 * Mail end to end: the built CLI sends to a real SMTP server on 127.0.0.1 (smtp-server), and
 * the received messages are parsed back with mailparser. Transport details (implicit TLS,
 * timeouts, sendmail, certificate checks) are tested without the CLI in src/mail/mail.test.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SMTPServerOptions } from 'smtp-server';
import { sandbox } from './helpers.js';
import { freePort, startSmtp } from '../src/mail/test-smtp.js';

const startServer = (port: number, extra: Partial<SMTPServerOptions> = {}) => startSmtp(extra, port);

const smtpConf = (port: number, extra = '') =>
  `[mail.smtp]\nto_addr = alice@example.com, bob@example.com\ncc = carol@example.com\nbcc = audit@example.com\nfrom = monitor@example.com\nsubject_prefix = [scm]\nhost = 127.0.0.1\nport = ${port}\ntimeout = 5\n${extra}`;

describe('mail', () => {
  let certDir: string;
  before(() => {
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-cert-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', path.join(certDir, 'key.pem'), '-out', path.join(certDir, 'cert.pem')], { stdio: 'ignore' });
  });
  after(() => fs.rmSync(certDir, { recursive: true, force: true }));

  test('run mails text and HTML to to/cc, bcc only in the envelope, with the subject prefix', async () => {
    const port = await freePort();
    const server = await startServer(port);
    const sb = sandbox(undefined, smtpConf(port));
    try {
      fs.writeFileSync(path.join(sb.tree, 'hosts'), 'a\n');
      assert.equal((await sb.runAsync('run', '--quiet')).code, 0);
      assert.equal(server.received.length, 0, 'a baseline has no report to mail');
      fs.writeFileSync(path.join(sb.tree, 'hosts'), 'b\n');
      fs.writeFileSync(path.join(sb.tree, '<script>alert(1)'), 'x\n');
      fs.writeFileSync(path.join(sb.tree, '<img src=x onerror=alert(2)>'), 'x\n');
      const r = await sb.runAsync('run', '--quiet');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.equal(server.received.length, 1);
      const { from, to, mail } = server.received[0]!;
      assert.deepEqual(to, ['alice@example.com', 'audit@example.com', 'bob@example.com', 'carol@example.com']);
      assert.equal(from, 'monitor@example.com');
      assert.match(mail.subject!, /^\[scm\] .*: 4 added, 0 removed, 2 changed/);
      assert.ok(!(mail.headers.get('bcc')), 'no Bcc header');
      assert.equal((mail.cc as { text: string }).text, 'carol@example.com');
      assert.match(mail.text!, /^ +\+b$/m);
      assert.match(mail.html as string, /&lt;script&gt;alert\(1\)/);
      assert.match(mail.html as string, /&lt;img src=x onerror=alert\(2\)&gt;/);
      assert.ok(!/<script>alert|<img src=x/.test(mail.html as string), 'hostile names are escaped');
      const reports = sb.json('list-reports', '--format', 'json');
      assert.equal(reports[0].mail.state, 'sent');
      assert.ok(reports[0].mail.mailed_at);
    } finally {
      sb.cleanup();
      await server.close();
    }
  });

  test('--skip-empty-mail stays silent without changes and mails with them', async () => {
    const port = await freePort();
    const server = await startServer(port);
    const sb = sandbox(undefined, smtpConf(port));
    try {
      fs.writeFileSync(path.join(sb.tree, 'a'), 'a\n');
      assert.equal((await sb.runAsync('run', '-s', '--quiet')).code, 0);
      assert.equal((await sb.runAsync('run', '-s', '--quiet')).code, 0);
      assert.equal(server.received.length, 0);
      assert.equal(sb.json('list-reports', '--format', 'json')[0].mail.state, 'skipped');
      fs.writeFileSync(path.join(sb.tree, 'a'), 'changed\n');
      assert.equal((await sb.runAsync('run', '--skip-empty-mail', '--quiet')).code, 0);
      assert.equal(server.received.length, 1);
      assert.equal((await sb.runAsync('run', '--quiet', '-t')).code, 0, 'without -s an empty report is mailed');
      assert.equal(server.received.length, 2);
      const [plain, html] = server.received.map((m) => m.raw);
      assert.ok(plain!.indexOf('Content-Type: text/plain') > plain!.indexOf('Content-Type: text/html'), 'the text part is last (preferred)');
      assert.ok(html!.indexOf('Content-Type: text/html') > html!.indexOf('Content-Type: text/plain'), '-t: the HTML part is last');
      assert.match(server.received[1]!.mail.text!, /^No changes\.$/m);
    } finally {
      sb.cleanup();
      await server.close();
    }
  });

  test('server down: one line, exit 1, report pending; server up: delivered once on the next run', async () => {
    const port = await freePort();
    const sb = sandbox(undefined, smtpConf(port));
    try {
      fs.writeFileSync(path.join(sb.tree, 'a'), 'a\n');
      assert.equal((await sb.runAsync('run', '--quiet')).code, 0);
      fs.writeFileSync(path.join(sb.tree, 'a'), 'b\n');
      const down = await sb.runAsync('run', '--quiet');
      assert.equal(down.code, 1);
      assert.equal(down.stderr.trim().split('\n').length, 1, down.stderr);
      assert.match(down.stderr, /connection refused by 127\.0\.0\.1/);
      const pending = sb.json('list-reports', '--format', 'json')[0];
      assert.equal(pending.mail.state, 'failed');
      const server = await startServer(port);
      try {
        assert.equal((await sb.runAsync('run', '-s', '--quiet')).code, 0);
        assert.equal(server.received.length, 1, 'the pending report, once; the new empty one is skipped');
        assert.equal(server.received[0]!.mail.headers.get('x-syschangemon-report'), pending.uuid);
        assert.equal((await sb.runAsync('run', '-s', '--quiet')).code, 0);
        assert.equal(server.received.length, 1, 'not sent again');
      } finally {
        await server.close();
      }
    } finally {
      sb.cleanup();
    }
  });

  test('STARTTLS with a self-signed certificate and AUTH', async () => {
    const port = await freePort();
    const server = await startServer(port, {
      disabledCommands: [],
      key: fs.readFileSync(path.join(certDir, 'key.pem')),
      cert: fs.readFileSync(path.join(certDir, 'cert.pem')),
      authMethods: ['PLAIN', 'LOGIN'],
      onAuth(auth, _session, cb) {
        if (auth.username === 'mon' && auth.password === 's3cret') cb(null, { user: 'mon' });
        else cb(new Error('535 authentication failed'));
      },
    });
    const sb = sandbox(undefined, smtpConf(port, 'tls = true\ntls_verify = false\nauth = true\nusername = mon\npassword = s3cret\n'));
    try {
      fs.chmodSync(path.join(sb.etc, 'syschangemon.conf'), 0o600);
      fs.writeFileSync(path.join(sb.tree, 'a'), 'a\n');
      assert.equal((await sb.runAsync('run', '--quiet')).code, 0);
      fs.writeFileSync(path.join(sb.tree, 'a'), 'b\n');
      const r = await sb.runAsync('run', '--quiet');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(server.received.length, 1);
      assert.equal(server.received[0]!.user, 'mon');
      // A wrong password: one line naming the failure.
      fs.writeFileSync(path.join(sb.etc, 'syschangemon.conf'), fs.readFileSync(path.join(sb.etc, 'syschangemon.conf'), 'utf8').replace('s3cret', 'wrong'));
      fs.chmodSync(path.join(sb.etc, 'syschangemon.conf'), 0o644);
      const bad = await sb.runAsync('email-report');
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /readable by other users/);
      assert.match(bad.stderr, /authentication failed/);
    } finally {
      sb.cleanup();
      await server.close();
    }
  });

  test('an address list that names nobody (to_addr = ,) leaves no report waiting for mail', async () => {
    const sb = sandbox(undefined, '[mail.smtp]\nto_addr = ,\ncc = \n');
    try {
      assert.equal((await sb.runAsync('run', '--quiet')).code, 0);
      fs.writeFileSync(path.join(sb.tree, 'new'), 'x\n');
      const r = await sb.runAsync('run', '--quiet');
      assert.equal(r.code, 0, r.stderr);
      const reports = sb.json('list-reports', '--format', 'json');
      assert.equal(reports.length, 1);
      // Not "pending": nothing would ever mail it, and a pending report is never cleaned up.
      assert.equal(reports[0].mail.state, 'none');
      const e = sb.run('email-report');
      assert.notEqual(e.code, 0);
      assert.match(e.stderr, /no recipients configured/);
    } finally {
      sb.cleanup();
    }
  });

  test('a large report is cut at max_changes with the command that shows the rest', async () => {
    const port = await freePort();
    const server = await startServer(port);
    const sb = sandbox(undefined, `max_changes = 10\n${smtpConf(port)}`);
    try {
      assert.equal((await sb.runAsync('run', '--quiet')).code, 0);
      for (let i = 0; i < 40; i++) fs.writeFileSync(path.join(sb.tree, `f${i}`), `${i}\n`);
      assert.equal((await sb.runAsync('run', '--quiet')).code, 0);
      const mail = server.received[0]!.mail;
      assert.match(mail.text!, /and \d+ more changes not shown here/);
      assert.match(mail.text!, /syschangemon print-report -r [0-9a-f-]{36}/);
      assert.ok((mail.text!.match(/^\+ file:/gm) ?? []).length <= 10);
    } finally {
      sb.cleanup();
      await server.close();
    }
  });
});
