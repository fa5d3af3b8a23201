/**
 * Mail as it goes through on a stock Debian host: a server that offers STARTTLS with a
 * self-signed certificate (smtp-server, and the real exim4 of Debian started here on
 * 127.0.0.1 with its own config, spool and mailbox). `tls = 0` (the Python tool's spelling)
 * must not upgrade; `tls = 1` must upgrade and verify. The sendmail handler hands the message
 * to the real exim4 binary and passes its stderr on. Messages are read back from the mailbox
 * with mailparser.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ParsedMail, simpleParser } from 'mailparser';
import { sandbox, type Sandbox } from './helpers.js';
import { freePort, startSmtp } from '../src/mail/test-smtp.js';

const EXIM = '/usr/sbin/exim4';
const EXIM_USER = 'Debian-exim';
const haveExim = fs.existsSync(EXIM) && process.getuid?.() === 0;

const mailConf = (port: number, extra: string) =>
  `[mail.smtp]\nto_addr = admin@example.org\nfrom = monitor@example.org\nhost = 127.0.0.1\nport = ${port}\ntimeout = 10\n${extra}`;

/** A report to mail: a baseline, then a change. */
async function withReport(sb: Sandbox): Promise<void> {
  fs.writeFileSync(path.join(sb.tree, 'motd'), 'one\n');
  assert.equal((await sb.runAsync('collect', '--quiet')).code, 0);
  fs.writeFileSync(path.join(sb.tree, 'motd'), 'two\n');
  assert.equal((await sb.runAsync('collect', '--quiet')).code, 0);
  assert.equal((await sb.runAsync('diff', '--quiet')).code, 0);
}

const mailState = (sb: Sandbox) => sb.json('list-reports', '--format', 'json')[0].mail;

function selfSigned(dir: string): { key: string; cert: string } {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { key, cert };
}

describe('STARTTLS offered with a self-signed certificate (smtp-server)', () => {
  let dir: string;
  let tls: { key: Buffer; cert: Buffer };
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-tls-'));
    const f = selfSigned(dir);
    tls = { key: fs.readFileSync(f.key), cert: fs.readFileSync(f.cert) };
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const value of ['0', 'false']) {
    test(`tls = ${value}: delivered without upgrading`, async () => {
      const server = await startSmtp({ disabledCommands: ['AUTH'], ...tls });
      const sb = sandbox(undefined, mailConf(server.port, `tls = ${value}\n`));
      try {
        await withReport(sb);
        const r = await sb.runAsync('email-report');
        assert.deepEqual([r.code, r.stderr], [0, '']);
        assert.equal(server.received.length, 1);
        assert.equal(server.received[0]!.secure, false, 'no STARTTLS');
        assert.match(server.received[0]!.mail.subject!, /: 0 added, 0 removed, 2 changed/);
      } finally {
        sb.cleanup();
        await server.close();
      }
    });
  }

  test('tls = 1: STARTTLS required and the certificate verified', async () => {
    const server = await startSmtp({ disabledCommands: ['AUTH'], ...tls });
    const plain = await startSmtp({ disabledCommands: ['AUTH', 'STARTTLS'] });
    const sb = sandbox(undefined, mailConf(server.port, 'tls = 1\n'));
    try {
      await withReport(sb);
      const r = await sb.runAsync('email-report');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^syschangemon: mail: TLS or connection error with 127\.0\.0\.1:\d+: self-signed certificate/);
      assert.equal(r.stderr.split('\n').length, 2);
      assert.equal(server.received.length, 0);
      assert.equal(mailState(sb).state, 'failed');
      // Without STARTTLS on offer nothing is sent in clear.
      fs.writeFileSync(path.join(sb.etc, 'syschangemon.conf'), fs.readFileSync(path.join(sb.etc, 'syschangemon.conf'), 'utf8').replace(`port = ${server.port}`, `port = ${plain.port}`));
      const clear = await sb.runAsync('email-report');
      assert.equal(clear.code, 1);
      assert.match(clear.stderr, /STARTTLS/i);
      assert.equal(plain.received.length, 0);
    } finally {
      sb.cleanup();
      await server.close();
      await plain.close();
    }
  });
});

interface Exim {
  port: number;
  dir: string;
  conf: string;
  mainlog(): string;
  /** The messages delivered to the mailbox so far, parsed. */
  messages(): Promise<ParsedMail[]>;
  waitForMessages(n: number): Promise<ParsedMail[]>;
  stop(): Promise<void>;
}

/** The real exim4 daemon on 127.0.0.1:port, its own config and spool, delivering to one mbox. */
async function startExim(): Promise<Exim> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-exim-'));
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const { key, cert } = selfSigned(dir);
  fs.chmodSync(key, 0o644);
  for (const d of ['spool', 'log', 'mail']) fs.mkdirSync(path.join(dir, d));
  execFileSync('chown', ['-R', `${EXIM_USER}:`, path.join(dir, 'spool'), path.join(dir, 'log'), path.join(dir, 'mail')]);
  const conf = path.join(dir, 'exim.conf');
  const mbox = path.join(dir, 'mail', 'inbox');
  // As Debian's exim4 offers it out of the box: STARTTLS advertised to everyone with a
  // certificate nobody signed.
  fs.writeFileSync(
    conf,
    `primary_hostname = mx.example.org
spool_directory = ${dir}/spool
log_file_path = ${dir}/log/%slog
pid_file_path = ${dir}/exim.pid
daemon_smtp_ports = ${port}
local_interfaces = 127.0.0.1
tls_certificate = ${cert}
tls_privatekey = ${key}
tls_advertise_hosts = *
domainlist local_domains = example.org
acl_smtp_rcpt = acl_rcpt
keep_environment =
begin acl
acl_rcpt:
  accept domains = +local_domains
  deny message = relay not permitted
begin routers
mailbox:
  driver = accept
  domains = +local_domains
  transport = mbox
begin transports
mbox:
  driver = appendfile
  file = ${mbox}
  user = ${EXIM_USER}
  envelope_to_add
  return_path_add
`,
  );
  const child: ChildProcess = spawn(EXIM, ['-C', conf, '-bdf', '-q1h'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`exim4 did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const messages = async () => {
    let text: string;
    try {
      text = fs.readFileSync(mbox, 'utf8');
    } catch {
      return [];
    }
    // mbox: each message starts with a "From " line (exim escapes such lines in bodies).
    const parts = text.split(/^From \S+ .*\n/m).filter((p) => p.trim() !== '');
    return Promise.all(parts.map((p) => simpleParser(p)));
  };
  return {
    port,
    dir,
    conf,
    mainlog: () => {
      try {
        return fs.readFileSync(path.join(dir, 'log', 'mainlog'), 'utf8');
      } catch {
        return '';
      }
    },
    messages,
    async waitForMessages(n: number) {
      const until = Date.now() + 20_000;
      for (;;) {
        const got = await messages();
        if (got.length >= n || Date.now() > until) return got;
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('the real exim4 of Debian', { skip: haveExim ? false : 'needs root and exim4-daemon-light' }, () => {
  let exim: Exim;
  before(async () => {
    exim = await startExim();
  });
  after(async () => {
    await exim?.stop();
  });

  test('tls = 0: the report arrives in the mailbox, sent without STARTTLS', async () => {
    const sb = sandbox(undefined, mailConf(exim.port, 'tls = 0\n'));
    try {
      await withReport(sb);
      const r = await sb.runAsync('email-report');
      assert.deepEqual([r.code, r.stderr], [0, '']);
      const [mail] = await exim.waitForMessages(1);
      assert.ok(mail, exim.mainlog());
      assert.match(mail.subject!, /: 0 added, 0 removed, 2 changed/);
      assert.equal(mail.headers.get('envelope-to'), 'admin@example.org');
      assert.match(mail.text!, /motd/);
      assert.match(String(mail.html), /motd/);
      const received = exim.mainlog().split('\n').find((l) => / <= monitor@example\.org /.test(l));
      assert.ok(received, exim.mainlog());
      assert.doesNotMatch(received, / X=TLS/, 'exim logs the cipher of a TLS session: there was none');
      assert.equal(mailState(sb).state, 'sent');
    } finally {
      sb.cleanup();
    }
  });

  test("tls = 1: exim's self-signed certificate is refused; with tls_verify = false it goes over TLS", async () => {
    const before = (await exim.messages()).length;
    const sb = sandbox(undefined, mailConf(exim.port, 'tls = 1\n'));
    try {
      await withReport(sb);
      const r = await sb.runAsync('email-report');
      assert.equal(r.code, 1);
      assert.match(r.stderr, /self-signed certificate/);
      assert.equal(mailState(sb).state, 'failed');
      const conf = path.join(sb.etc, 'syschangemon.conf');
      fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8').replace('tls = 1\n', 'tls = 1\ntls_verify = false\n'));
      const ok = await sb.runAsync('email-report');
      assert.deepEqual([ok.code, ok.stderr], [0, '']);
      const got = await exim.waitForMessages(before + 1);
      assert.equal(got.length, before + 1);
      const lines = exim.mainlog().split('\n').filter((l) => / <= monitor@example\.org /.test(l));
      assert.match(lines[lines.length - 1]!, / X=TLS/);
    } finally {
      sb.cleanup();
    }
  });

  test("mail_handler = sendmail: exim4's own sendmail delivers; its stderr is passed on when it fails", async () => {
    const before = (await exim.messages()).length;
    const wrapper = path.join(exim.dir, 'sendmail');
    fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${EXIM} -C ${exim.conf} "$@"\n`, { mode: 0o755 });
    const sb = sandbox(undefined, `mail_handler = sendmail\n[mail.smtp]\nto_addr = admin@example.org\nfrom = Monitor <monitor@example.org>\nsendmail_path = ${wrapper}\n`);
    try {
      await withReport(sb);
      const r = await sb.runAsync('email-report');
      assert.deepEqual([r.code, r.stderr], [0, '']);
      const got = await exim.waitForMessages(before + 1);
      assert.equal(got.length, before + 1, exim.mainlog());
      const mail = got[got.length - 1]!;
      assert.equal(mail.headers.get('envelope-to'), 'admin@example.org');
      assert.equal((mail.headers.get('return-path') as { text: string }).text, 'monitor@example.org');
      // A config exim cannot read: exim says why on stderr, and the error line says it too.
      fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${EXIM} -C ${exim.dir}/missing.conf "$@"\n`, { mode: 0o755 });
      fs.writeFileSync(path.join(sb.tree, 'motd'), 'three\n');
      assert.equal((await sb.runAsync('collect', '--quiet')).code, 0);
      assert.equal((await sb.runAsync('diff', '--quiet')).code, 0);
      const bad = await sb.runAsync('email-report');
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /^syschangemon: mail: sendmail exited with code \d+: .*missing\.conf.* \(.*sendmail\)\n$/);
    } finally {
      sb.cleanup();
    }
  });
});
