/**
 * A report with 200k changes: diffed, printed as JSON, text and HTML, exported and mailed in
 * bounded memory, the mail cut at max_changes. Peak memory is read with GNU time (%M, kilobytes).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { startSmtp } from '../../src/mail/test-smtp.js';
import { SessionWriter } from '../../src/store/session-writer.js';
import { Store } from '../../src/store/store.js';
import { CLI } from '../helpers.js';

const N = 200_000;
const TIME = '/usr/bin/time';

interface Measured {
  code: number | null;
  kb: number;
  stdoutBytes: number;
  /** How often each of the `count` strings occurs in stdout. */
  counts: number[];
  /** The last bytes of stdout. */
  stdoutTail: string;
  stderr: string;
}

/** Run the CLI under GNU time, reading its stdout as it comes without keeping it. */
function measured(config: string, args: string[], count: string[] = []): Promise<Measured> {
  return new Promise((resolve) => {
    const child = spawn(TIME, ['-f', '%M', process.execPath, CLI, '-c', config, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const needles = count.map((n) => Buffer.from(n));
    const keep = Math.max(4096, ...needles.map((n) => n.length));
    const counts = needles.map(() => 0);
    let carry = Buffer.alloc(0);
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      bytes += c.length;
      // Search the chunk with the end of the one before, so matches across chunks count.
      const buf = Buffer.concat([carry, c]);
      needles.forEach((n, i) => {
        for (let at = buf.indexOf(n, Math.max(0, carry.length - n.length + 1)); at !== -1; at = buf.indexOf(n, at + 1)) {
          if (at + n.length > carry.length) counts[i]!++;
        }
      });
      carry = buf.subarray(Math.max(0, buf.length - keep));
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('close', (code) => {
      const lines = stderr.trim().split('\n');
      resolve({ code, kb: Number(lines.pop()), stdoutBytes: bytes, counts, stdoutTail: carry.toString('utf8'), stderr: lines.join('\n') });
    });
  });
}

test(`${N} changes: bounded memory for diff output, JSON, text, HTML, CSV and mail`, { skip: !fs.existsSync(TIME) && 'GNU time is not installed', timeout: 600_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-size-'));
  const server = await startSmtp({ size: 50 * 1024 * 1024 });
  const port = server.port;
  try {
    fs.mkdirSync(path.join(dir, 'etc', 'plugins.d'), { recursive: true });
    const config = path.join(dir, 'etc', 'syschangemon.conf');
    fs.writeFileSync(config, `[syschangemon]\nmax_changes = 100\n[mail.smtp]\nto_addr = ops@example.com\nhost = 127.0.0.1\nport = ${port}\n[storage]\ndir = ${dir}/state\n`);
    const store = Store.open(path.join(dir, 'state', 'db.sqlite'));
    for (const round of [0, 1]) {
      const w = new SessionWriter(store, 'host');
      for (let i = 0; i < N; i++) {
        w.add('file', {
          key: `file:///data/d${i % 100}/file-${i}`,
          attributes: { type: 'file', mode: round ? '0600' : '0644', size: 100 + i, sha256: `${round}-${i}`.padEnd(64, 'a') },
        });
      }
      w.finish();
    }
    store.close();

    const diff = await measured(config, ['diff']);
    assert.equal(diff.code, 0, diff.stderr);
    const json = await measured(config, ['print-report', '--format', 'json']);
    assert.equal(json.code, 0, json.stderr);
    assert.ok(json.stdoutBytes > 50 * 1024 * 1024, 'the whole report is printed');
    // Text and HTML are streamed too: every change is printed, and the end of the report.
    const last = `file:///data/d${(N - 1) % 100}/file-${N - 1}`;
    const text = await measured(config, ['print-report', '--format', 'text'], ['\n~ file:///data/', `\n~ ${last}\n`, `\nFILE (${N})\n`]);
    assert.equal(text.code, 0, text.stderr);
    assert.deepEqual(text.counts, [N, 1, 1], 'the text report holds every change');
    assert.match(text.stdoutTail, /\n-- syschangemon \S+\n$/);
    const html = await measured(config, ['print-report', '--format', 'html'], ['<code>file:///data/', `<code>${last}</code>`]);
    assert.equal(html.code, 0, html.stderr);
    assert.deepEqual(html.counts, [N, 1], 'the HTML report holds every change');
    assert.match(html.stdoutTail, /<\/body>\n<\/html>\n$/);
    const csv = await measured(config, ['export', '--format', 'csv']);
    assert.equal(csv.code, 0, csv.stderr);
    const mail = await measured(config, ['email-report']);
    assert.equal(mail.code, 0, mail.stderr);
    process.stdout.write(
      `# peak RSS (MB): diff ${diff.kb >> 10}, print-report json ${json.kb >> 10}, text ${text.kb >> 10}, html ${html.kb >> 10}, export csv ${csv.kb >> 10}, email-report ${mail.kb >> 10}\n`,
    );
    assert.ok(json.kb < 200 * 1024, `print-report --format json streams (${json.kb} KB)`);
    assert.ok(text.kb < 200 * 1024, `print-report --format text streams (${text.kb} KB)`);
    assert.ok(html.kb < 200 * 1024, `print-report --format html streams (${html.kb} KB)`);
    assert.ok(csv.kb < 200 * 1024, `export streams (${csv.kb} KB)`);
    assert.ok(mail.kb < 250 * 1024, `the mail is built from a bounded part of the report (${mail.kb} KB)`);
    assert.ok(diff.kb < 400 * 1024, `diff streams the changed rows; it holds only the changes (${diff.kb} KB)`);
    assert.equal(server.received.length, 1);
    assert.match(server.received[0]!.mail.text ?? '', /and 199900 more changes not shown here/);
    assert.ok((server.received[0]!.mail.text ?? '').length < 2 * 1024 * 1024, 'the mail is small');
  } finally {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
