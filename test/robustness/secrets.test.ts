/**
 * Secrets never leave the host's files. One sample of every common format
 * (secret-formats.ts) is watched by the real program over two runs with fresh secret values;
 * the database files (with the WAL), the printed reports, the exports, the mail received by a
 * real SMTP server (raw and decoded), the syslog lines and the runs' own output are searched
 * for every secret byte. Plain files are stored and shown as they are (the search works).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { sandbox } from '../helpers.js';
import { startSmtp } from '../../src/mail/test-smtp.js';
import { everyOutput } from './outputs.js';
import { type Sample, samples } from '../../src/core/testdata/secret-formats.js';

const marker = () => `SECRETMARK${randomBytes(12).toString('hex').toUpperCase()}`;

interface Round {
  samples: Sample[];
  /** Secrets of the files that only the configuration makes secret, and of the command output. */
  extra: string[];
}

test('no secret of any common format reaches the database, the reports, the exports, the mail or syslog', async () => {
  const server = await startSmtp();
  const sb = sandbox(
    undefined,
    `[mail.smtp]\nto_addr = ops@example.com\nhost = 127.0.0.1\nport = ${server.port}\ntimeout = 5\n\n[log.syslog]\nenabled = true\nper_change = true\nmethod = stderr\n`,
  );
  const t = (p: string) => path.join(sb.tree, p);
  sb.writePlugin(
    'conffile',
    `[conffile]\nenable_plugin = true\nexclude =\n  **.secret\nsecret_paths =\n  **/vault/**\nsecret_patterns =\n  ^api_credential\\s*=\\s*(\\S+)$\n  ACME-[0-9A-F]{8}-[0-9A-Z]+\n`,
  );
  sb.writePlugin(
    'command',
    `[command]\nenable_plugin = true\ncommand.mysql = cat ${t('etc/mysql/debian.cnf')}\ncommand.hostkey = cat ${t('home/alice/.ssh/id_ed25519')}\ncommand.custom = cat ${t('etc/app/custom.conf')}\n` +
      `command.plain = cat ${t('etc/ssh/sshd_config')}\nsecret_patterns =\n  ^api_credential\\s*=\\s*(\\S+)$\n  ACME-[0-9A-F]{8}-[0-9A-Z]+\n`,
  );
  const write = (round: number): Round => {
    const list = samples(marker);
    for (const s of list) {
      fs.mkdirSync(path.dirname(t(s.path)), { recursive: true });
      fs.writeFileSync(t(s.path), s.text);
    }
    const extra = [marker(), marker(), marker(), marker()];
    fs.writeFileSync(t('db.secret'), `password=${extra[0]}\n`);
    fs.mkdirSync(t('etc/vault'), { recursive: true });
    fs.writeFileSync(t('etc/vault/unseal'), `${extra[1]}\n`);
    fs.writeFileSync(t('etc/app/custom.conf'), `name = app\napi_credential = ${extra[2]}\nlicense ACME-0123ABCD-${extra[3]} round${round}-PLAINMARK\n`);
    fs.writeFileSync(t('hosts'), `127.0.0.1 localhost round${round}-PLAINMARK\n`);
    return { samples: list, extra };
  };
  try {
    const rounds = [write(1)];
    const first = await sb.runAsync('run', '--quiet');
    assert.equal(first.code, 0, first.stderr);
    rounds.push(write(2));
    const second = await sb.runAsync('run', '--quiet');
    assert.equal(second.code, 0, second.stderr);
    assert.equal(server.received.length, 1, 'the report of the changes was mailed');
    const places = await everyOutput(sb, server);
    const byWhere = (w: string) => places.find(([p]) => p === w)![1];
    places.push(['the runs\' output and syslog lines', first.stdout + first.stderr + second.stdout + second.stderr]);
    // The search finds what is stored: plain texts are in the database, the reports, the mail.
    assert.match(second.stderr, /^<\d>.*conffile:\/\/.*hosts/m, 'per-change syslog lines were written');
    for (const [where, b] of places.filter(([w]) => /database|print-report|decoded/.test(w))) assert.ok(b.includes('round2-PLAINMARK'), `the plain text is in ${where}`);
    for (const [i, r] of rounds.entries()) {
      const secrets = [...r.samples.flatMap((s) => s.secrets.map((v) => [s.path, v])), ...r.extra.map((v) => ['configured', v])];
      for (const [file, secret] of secrets) {
        for (const [where, b] of places) {
          const at = b.indexOf(secret!);
          assert.ok(at < 0, `round ${i + 1}: the secret of ${file} found in ${where}: …${b.subarray?.(Math.max(0, at - 60), at + 40) ?? (b as string).slice(Math.max(0, at - 60), at + 40)}…`);
        }
      }
    }

    // Each file is kept as its format demands; a key file keeps its hash.
    const exportedItems = (JSON.parse(String(byWhere('export json'))) as { items: { key: string; attributes: Record<string, unknown>; contents: Record<string, string> }[] }).items;
    const items = new Map(exportedItems.map((it) => [it.key, it.attributes]));
    const latest = rounds[1]!;
    for (const s of latest.samples) {
      const attrs = items.get(`conffile://${t(s.path)}`);
      assert.ok(attrs, `${s.path} has a conffile item`);
      assert.equal(attrs.stored, s.expect === 'text' ? 'text' : s.expect, s.path);
      assert.equal(attrs.sha256, createHash('sha256').update(s.text).digest('hex'), `${s.path}: the hash of the whole file`);
    }
    for (const [p, want] of [['etc/vault/unseal', 'secret'], ['etc/app/custom.conf', 'redacted']] as const) {
      assert.equal(items.get(`conffile://${t(p)}`)?.stored, want, p);
    }
    // The kept lines of redacted and plain files are shown; only the secret changed, and the
    // report says so instead of a diff.
    const changes = (JSON.parse(String(byWhere('print-report json'))) as { changes: { key: string; note?: string; diff?: string }[] }).changes;
    const change = (p: string) => changes.find((c) => c.key === `conffile://${t(p)}`);
    for (const s of latest.samples.filter((x) => x.expect === 'redacted')) {
      assert.equal(change(s.path)?.note, 'a secret value changed (not shown)', s.path);
      assert.equal(change(s.path)?.diff, undefined, s.path);
    }
    assert.ok(String(byWhere('print-report text')).includes('(a secret value changed (not shown))'));
    assert.ok((server.received[0]!.mail.text ?? '').includes('a secret value changed (not shown)'));
    for (const s of latest.samples.filter((x) => x.expect === 'secret')) assert.match(change(s.path)?.note ?? '', /not stored/, s.path);
    // custom.conf changed outside its secrets too: its diff shows the kept line, not the values.
    assert.match(change('etc/app/custom.conf')?.diff ?? '', /^\+license «redacted» round2-PLAINMARK$/m);
    // Command output is redacted the same way; a key printed whole is one marker line.
    const cmd = changes.find((c) => c.key === 'command://custom');
    assert.match(cmd?.diff ?? '', /^ api_credential = «redacted»$/m);
    assert.match(cmd?.diff ?? '', /^\+license «redacted» round2-PLAINMARK$/m);
    assert.equal(changes.find((c) => c.key === 'command://mysql'), undefined, 'only secret values changed in the output: nothing to report');
    const db = new Database(path.join(sb.storage, 'db.sqlite'), { readonly: true });
    try {
      const output = (name: string) => {
        const hash = exportedItems.find((it) => it.key === `command://${name}`)!.contents.stdout!;
        return String((db.prepare('SELECT data FROM blobs WHERE hash = ?').get(hash) as { data: Buffer }).data);
      };
      assert.equal(output('hostkey'), '«redacted» (the output holds a private key)\n');
      assert.match(output('mysql'), /^user {5}= debian-sys-maint\npassword = «redacted»$/m);
      assert.equal(output('plain'), fs.readFileSync(t('etc/ssh/sshd_config'), 'utf8'));
    } finally {
      db.close();
    }
  } finally {
    await server.close();
    sb.cleanup();
  }
});
