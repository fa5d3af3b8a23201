/**
 * Secrets never leave the host's files: private keys, shadow-like files and files matching the
 * configured secret patterns keep only their hash. The database files (with the WAL), the
 * printed report, the export and the received mail are searched for the secret bytes.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { sandbox } from '../helpers.js';
import { startSmtp } from '../../src/mail/test-smtp.js';

/** Every file in the storage directory (database, WAL, shared memory), concatenated. */
function storageBytes(dir: string): Buffer {
  return Buffer.concat(fs.readdirSync(dir).map((n) => fs.readFileSync(path.join(dir, n))));
}

test('private keys, shadow files and configured secret patterns reach neither the database, the reports nor the mail', async () => {
  const server = await startSmtp();
  const port = server.port;
  const sb = sandbox(undefined, `[mail.smtp]\nto_addr = ops@example.com\nhost = 127.0.0.1\nport = ${port}\ntimeout = 5\n`);
  try {
    // Markers made of plain letters, so no mail encoding can hide them from the search of the
    // decoded text; a fresh pair per round.
    const marker = () => `SECRETMARK${randomBytes(12).toString('hex').toUpperCase()}`;
    const secretFiles = (round: number) => {
      const m = { key: marker(), shadow: marker(), pattern: marker() };
      fs.mkdirSync(path.join(sb.tree, 'etc'), { recursive: true });
      fs.writeFileSync(path.join(sb.tree, 'id_rsa'), `-----BEGIN OPENSSH PRIVATE KEY-----\n${m.key}\n-----END OPENSSH PRIVATE KEY-----\n`);
      fs.writeFileSync(path.join(sb.tree, 'etc', 'shadow'), `root:${m.shadow}:19000:0:99999:7:::\n`);
      fs.writeFileSync(path.join(sb.tree, 'db.secret'), `password=${m.pattern}\n`);
      fs.writeFileSync(path.join(sb.tree, 'hosts'), `127.0.0.1 localhost round${round}-PLAINMARK\n`);
      return m;
    };
    const first = secretFiles(1);
    assert.equal((await sb.runAsync('run', '--quiet')).code, 0);
    const second = secretFiles(2);
    const r = await sb.runAsync('run', '--quiet');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.received.length, 1, 'the report of the changes was mailed');
    const { bytes, mail } = server.received[0]!;
    const decoded = `${mail.text ?? ''}\n${typeof mail.html === 'string' ? mail.html : ''}`;

    const report = await sb.runAsync('print-report', '--format', 'json');
    const text = await sb.runAsync('print-report', '--format', 'text');
    const html = await sb.runAsync('print-report', '--format', 'html');
    const exported = await sb.runAsync('export', '--format', 'json');
    const csv = await sb.runAsync('export', '--format', 'csv');
    const stored = storageBytes(sb.storage);
    const places: [string, Buffer | string][] = [
      ['the database files', stored],
      ['print-report json', report.stdout],
      ['print-report text', text.stdout],
      ['print-report html', html.stdout],
      ['export json', exported.stdout],
      ['export csv', csv.stdout],
      ['the raw mail', bytes],
      ['the decoded mail', decoded],
    ];
    // The search finds stored text: the plain file's content is in the database and the diff.
    assert.ok(stored.includes('round2-PLAINMARK'), 'a plain text file is stored (the search works)');
    assert.ok(report.stdout.includes('round2-PLAINMARK'));
    assert.ok(decoded.includes('round2-PLAINMARK'), 'the mail shows the plain diff');
    for (const m of [first, second]) {
      for (const secret of [m.key, m.shadow, m.pattern]) {
        for (const [where, bytes] of places) assert.ok(!bytes.includes(secret), `${secret} found in ${where}`);
      }
    }
    // What is kept of a secret file is its hash, and the report says its content is not stored.
    const changes = (JSON.parse(report.stdout) as { changes: { key: string; note?: string; attributes: Record<string, { new: unknown }> }[] }).changes;
    const keyChange = changes.find((c) => c.key === `conffile://${sb.tree}/id_rsa`)!;
    const sha = createHash('sha256').update(fs.readFileSync(path.join(sb.tree, 'id_rsa'))).digest('hex');
    assert.equal(keyChange.attributes.sha256?.new, sha);
    assert.match(keyChange.note ?? '', /not stored/);
  } finally {
    await server.close();
    sb.cleanup();
  }
});
