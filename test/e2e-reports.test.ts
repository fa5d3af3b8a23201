/**
 * Reports that lead with what matters (issue 15), through the built CLI on real files, a real
 * SQLite store and the real test SMTP server: NEEDS ATTENTION first in text and HTML (printed
 * streaming and mailed), a file and its conffile item one entry, long added texts bounded,
 * --min-severity, --exit-status with AIDE's bits, and the mail's subject and headers.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { sandbox, type Sandbox } from './helpers.js';
import { freePort, startSmtp } from '../src/mail/test-smtp.js';
import { ehloName } from '../src/mail/mail.js';

/** A tree with a baseline, then a setuid copy, a changed text and a new long config file. */
function scenario(sb: Sandbox): void {
  fs.writeFileSync(path.join(sb.tree, 'app.conf'), 'port = 80\n');
  fs.writeFileSync(path.join(sb.tree, 'gone.txt'), 'x\n');
  assert.equal(sb.run('run', '--quiet').code, 0);
  fs.copyFileSync('/bin/true', path.join(sb.tree, 'zz-rootshell'));
  fs.chmodSync(path.join(sb.tree, 'zz-rootshell'), 0o4755);
  fs.writeFileSync(path.join(sb.tree, 'app.conf'), 'port = 8080\n');
  fs.writeFileSync(path.join(sb.tree, 'big.conf'), Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
  fs.rmSync(path.join(sb.tree, 'gone.txt'));
}

test('NEEDS ATTENTION comes first in text and HTML; a file and its conffile are one entry; long texts are cut', () => {
  const sb = sandbox();
  try {
    scenario(sb);
    const r = sb.run('run');
    assert.equal(r.code, 0, r.stderr);
    const text = sb.run('print-report').stdout;
    assert.equal(r.stdout, text, 'run prints what print-report prints');
    const attention = text.indexOf('NEEDS ATTENTION (1: 1 critical)');
    assert.ok(attention > 0, text);
    const firstGroup = text.search(/^(FILE|CONFFILE) \(/m);
    assert.ok(firstGroup > attention, 'the groups come after NEEDS ATTENTION');
    assert.match(text.slice(attention, firstGroup), new RegExp(`^\\+ file://${sb.tree}/zz-rootshell  \\[CRITICAL: new setuid file\\]\\n      type file  mode 4755 \\(setuid\\)`, 'm'));
    assert.equal(text.split(`zz-rootshell`).length - 1, 1, 'said once');
    assert.match(text, /^  severity  1 critical, \d+ medium$/m);
    // app.conf: its file change shows the conffile's diff, and there is no second entry.
    assert.equal(text.split(`${sb.tree}/app.conf\n`).length - 1, 1, text);
    assert.match(text, new RegExp(`^~ file://${sb.tree}/app.conf\\n(?:      .*\\n)*      -port = 80\\n      \\+port = 8080\\n`, 'm'));
    assert.doesNotMatch(text, /^CONFFILE/m, 'every conffile change went with its file');
    // big.conf: the first 40 lines of the new text and the count of the rest.
    assert.match(text, /^      \+line 40\n      \.\.\. 60 more lines \(syschangemon print-report -r [0-9a-f-]+ --format json shows the whole text\)$/m);
    assert.doesNotMatch(text, /\+line 41/);
    // Times: the host's zone with its offset, to the second.
    assert.match(text, /^  new       \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d  digest/m);
    const json = sb.json('print-report', '--format', 'json');
    assert.ok(json.changes.some((c: { key: string }) => c.key === `conffile://${sb.tree}/app.conf`), 'the JSON keeps both items');
    assert.match(json.new_session.started_at, /\.\d{3}Z$/, 'the JSON keeps full precision');
    const big = json.changes.find((c: { key: string }) => c.key === `conffile://${sb.tree}/big.conf`);
    assert.match(big.diff, /\+line 100\n$/, 'the JSON keeps the whole text');

    const html = sb.run('print-report', '--format', 'html').stdout;
    const h2 = [...html.matchAll(/<h2[^>]*>([^<]*)/g)].map((m) => m[1]!.trim());
    assert.equal(h2[0], 'Needs attention');
    assert.ok(html.indexOf('zz-rootshell') > html.indexOf('Needs attention') && html.indexOf('zz-rootshell') < html.indexOf(`<h2>file`), 'the setuid file is under Needs attention');
    assert.match(html, /<span class="sev critical">critical<\/span> <code>file:\/\/[^<]*zz-rootshell<\/code><\/div><div class="reason">new setuid file<\/div>/);
    assert.match(html, /<details><summary>text: 43 lines shown of 103<\/summary>/, 'a long text is folded');
    assert.equal(html.split('app.conf</code>').length - 1, 1, 'app.conf is one entry in HTML too');
  } finally {
    sb.cleanup();
  }
});

test('--min-severity on print-report (text, html, json) counts what it leaves out', () => {
  const sb = sandbox();
  try {
    scenario(sb);
    assert.equal(sb.run('run', '--quiet').code, 0);
    const text = sb.run('print-report', '--min-severity', 'high').stdout;
    assert.match(text, /zz-rootshell/);
    assert.doesNotMatch(text, /app\.conf|big\.conf|gone\.txt/);
    assert.match(text, /^  shown     high and above \(--min-severity\); \d+ changes below not shown$/m);
    const html = sb.run('print-report', '--min-severity', 'critical', '--format', 'html').stdout;
    assert.match(html, /zz-rootshell/);
    assert.doesNotMatch(html, /app\.conf/);
    const json = sb.json('print-report', '--min-severity', 'high', '--format', 'json');
    assert.deepEqual(json.changes.map((c: { key: string }) => path.basename(c.key)), ['zz-rootshell']);
    assert.equal(json.min_severity, 'high');
    assert.ok(json.below_min_severity >= 4);
    const bad = sb.run('print-report', '--min-severity', 'severe');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /min-severity/);
  } finally {
    sb.cleanup();
  }
});

test("--exit-status: run and diff exit with AIDE's bits; failures move to 17 and 18", () => {
  const sb = sandbox();
  try {
    const f = (n: string) => path.join(sb.tree, n);
    assert.equal(sb.run('run', '--quiet', '--exit-status').code, 0, 'a baseline: nothing changed');
    assert.equal(sb.run('run', '--quiet', '--exit-status').code, 0, 'nothing changed');
    fs.writeFileSync(f('a'), 'a\n');
    assert.equal(sb.run('run', '--quiet', '--exit-status').code, 1, 'added');
    fs.rmSync(f('a'));
    assert.equal(sb.run('run', '--quiet', '--exit-status').code, 2, 'removed');
    fs.writeFileSync(f('b'), 'b\n');
    assert.equal(sb.run('run', '--quiet').code, 0, 'without the option: 0');
    fs.writeFileSync(f('b'), 'bb\n');
    assert.equal(sb.run('run', '--quiet', '--exit-status').code, 4, 'changed');
    fs.writeFileSync(f('b'), 'bbb\n');
    fs.writeFileSync(f('c'), 'c\n');
    assert.equal(sb.run('collect', '--quiet').code, 0);
    assert.equal(sb.run('diff', '--quiet', '--exit-status').code, 5, 'added and changed');
    fs.rmSync(f('b'));
    fs.rmSync(f('c'));
    fs.writeFileSync(f('d'), 'd\n');
    assert.equal(sb.run('run', '--exit-status', '--quiet').code, 3, 'added and removed');
    assert.equal(sb.run('diff', '--quiet').code, 0);
    // Failures are out of the bits' way.
    assert.equal(sb.run('run', '--exit-status', '--bogus').code, 17);
    const conf = path.join(sb.etc, 'syschangemon.conf');
    fs.appendFileSync(conf, '\n[severity]\nrule.x = severe file:///x\n');
    assert.equal(sb.run('run', '--exit-status').code, 17, 'a configuration error');
    assert.equal(sb.run('run').code, 2);
  } finally {
    sb.cleanup();
  }
});

test('mail: the subject names the highest severity; Auto-Submitted, List-Id and EHLO with the FQDN; --min-severity', async () => {
  const server = await startSmtp();
  const sb = sandbox(undefined, `hostname = web1.example.org\n[mail.smtp]\nto_addr = root@example.org\nhost = 127.0.0.1\nport = ${server.port}\ntimeout = 5\n`);
  try {
    scenario(sb);
    const r = await sb.runAsync('run', '--quiet');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(server.received.length, 1);
    const m = server.received[0]!;
    assert.match(m.mail.subject!, /^\[CRITICAL 1\] web1\.example\.org: 4 added, 2 removed, 2 changed$/);
    assert.equal(m.mail.headers.get('auto-submitted'), 'auto-generated');
    // The header may be folded: unfold it as a reader does.
    const unfolded = m.raw.replace(/\r?\n[ \t]+/g, ' ');
    assert.match(unfolded, /^List-ID: syschangemon reports of web1\.example\.org <web1\.example\.org\.syschangemon\.localhost>\r?$/im);
    assert.match(m.raw, /^X-Syschangemon-Severity: critical\r?$/m);
    assert.equal(m.helo, 'web1.example.org', 'EHLO with the configured fully qualified name');
    assert.ok((m.mail.text ?? '').indexOf('NEEDS ATTENTION') < (m.mail.text ?? '').search(/^FILE \(/m));
    // email-report --min-severity: only what reaches it; nothing reaching it is no mail.
    const crit = await sb.runAsync('email-report', '--min-severity', 'critical');
    assert.equal(crit.code, 0, crit.stderr);
    assert.equal(server.received.length, 2);
    assert.match(server.received[1]!.mail.text!, /zz-rootshell/);
    assert.doesNotMatch(server.received[1]!.mail.text!, /app\.conf/);
    fs.writeFileSync(path.join(sb.tree, 'app.conf'), 'port = 9090\n');
    assert.equal((await sb.runAsync('collect', '--quiet')).code, 0);
    assert.equal((await sb.runAsync('diff', '--quiet')).code, 0);
    const none = await sb.runAsync('email-report', '--min-severity', 'high');
    assert.equal(none.code, 0, none.stderr);
    assert.equal(server.received.length, 2, 'no change of high severity: no mail');
    assert.equal(sb.json('list-reports', '--format', 'json')[0].mail.state, 'skipped');
  } finally {
    sb.cleanup();
    await server.close();
  }
});

test('EHLO name: a configured FQDN, else the system name or hostname --fqdn', () => {
  assert.equal(ehloName('mail.example.net'), 'mail.example.net');
  const own = ehloName(undefined);
  assert.match(own, /^[A-Za-z0-9.-]+$/);
  assert.ok(own === os.hostname() || own.startsWith(`${os.hostname()}.`) || own.includes('.'), own);
  assert.equal(ehloName('bad name; rm'), ehloName(undefined), 'a configured name that is not a host name is not sent');
});
