/**
 * The bundled templates rendered from a hand-built report holding every section (compliance,
 * packages, explained changes, logins, errors, notes) with hostile values in each: the text
 * report reads well, and the HTML report, loaded in headless Chromium (Debian's `chromium`),
 * shows every hostile value as text and contains no element they tried to inject.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { renderReport } from '../core/render.js';
import type { Report } from '../core/report-model.js';
import { boundedForMail } from './mail.js';

const FIXTURE = fileURLToPath(new URL('../../test/fixtures/mail/report.json', import.meta.url));
const report = (): Report => JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Report;
const HOSTILE = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>'];
const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

describe('text report', () => {
  const text = renderReport(boundedForMail(report(), 500), 'text', { maxChanges: 500 });

  test('summary first, then changes grouped by collector with their signs', () => {
    const lines = text.split('\n');
    assert.equal(lines[0], 'syschangemon report for web-01');
    assert.match(lines.slice(0, 8).join('\n'), /summary +3 added, 1 removed, 4 changed, 2 errors/);
    assert.ok(text.indexOf('FILE (4)') < text.indexOf('CONFFILE (3)'));
    assert.match(text, /^\+ file:\/\/\/srv\/upload\/<script>alert\(1\)<\/script>$/m);
    assert.match(text, /^- file:\/\/\/etc\/cron\.d\/old-job$/m);
    assert.match(text, /^~ file:\/\/\/etc\/shadow\n {6}mode: 0640 -> 0644\n/m);
    assert.match(text, /^ {6}@@ -1,2 \+1,3 @@\n {7}127\.0\.0\.1 localhost\n {6}-10\.0\.0\.1 db\n {6}\+10\.0\.0\.2 db$/m);
    assert.match(text, /^ {6}\.\.\. 253 more diff lines not shown \(syschangemon print-report -r /m);
    assert.match(text, /^ {6}\(content not stored: private key\)$/m);
    assert.match(text, /logged in then: mallory@pts\/3 from 203\.0\.113\.7/);
  });

  test('explained changes collapse under their package; compliance, logins, errors and notes follow', () => {
    assert.ok(!text.includes('/usr/bin/openssl'), 'explained changes are not listed one by one');
    assert.match(text, /^PACKAGES \(1 operation, 2 changes explained\)\n-+\n {2}\(not in dpkg\.log\) {2}upgrade openssl:amd64 3\.0\.11-1 → 3\.0\.13-1 {2}\(2 changes explained\)$/m);
    assert.equal(text.split('\n').filter((l) => /^PACKAGES|^EXPLAINED|^DPKG LOG/.test(l)).length, 1, 'one PACKAGES block');
    assert.match(text, /^COMPLIANCE\n-+\n {2}pass -> fail {2}\[medium\] Disable SSH Root Login\n {6}xccdf_org\.ssgproject\.content_rule_sshd_disable_root_login \(/m);
    assert.match(text, /^LOGINS\n-+\n {2}alice {2}pts\/0 {2}192\.0\.2\.10 /m);
    assert.match(text, /still logged in$/m);
    assert.match(text, /^ERRORS\n-+\n {2}file:\/\/\/root\/<script>alert\(1\)<\/script>: EACCES: permission denied$/m);
    assert.match(text, /^NOTES\n-+\n {2}wtmp: \/var\/log\/wtmp does not exist$/m);
  });

  test('without package data the explained changes are counted per package', () => {
    const r = report();
    delete r.packages;
    const t = renderReport(r, 'text');
    assert.match(t, /^PACKAGES\n-+\n {2}openssl:amd64 3\.0\.11-1 → 3\.0\.13-1: 2 changes explained$/m);
    assert.ok(!t.includes('/usr/bin/openssl'), 'explained changes are counted, not listed');
  });

  test('a report without changes says so', () => {
    const r = { ...report(), changes: [], summary: { added: 0, removed: 0, changed: 0, errors: 0 }, compliance: [], packages: [], logins: [], errors: [], notes: [] };
    assert.match(renderReport(r, 'text'), /^No changes\.$/m);
  });
});

describe('HTML report', () => {
  const html = renderReport(boundedForMail(report(), 500), 'html', { maxChanges: 500 });

  test('every value from the system is escaped', () => {
    assert.ok(!/<script|<img/i.test(html), 'no script or img markup at all');
    for (const h of HOSTILE) assert.ok(html.includes(h.replace(/</g, '&lt;').replace(/>/g, '&gt;')), h);
  });

  test('diff lines are classified: added, removed, hunk, header', () => {
    assert.match(html, /<span class="dk">@@ -1,2 \+1,3 @@<\/span>/);
    assert.match(html, /<span class="dd">-10\.0\.0\.1 db<\/span>/);
    assert.match(html, /<span class="da">\+10\.0\.0\.2 db<\/span>/);
    assert.match(html, /<span class="dh">--- \/etc\/hosts\t/);
    assert.match(html, /<span class="da">\+&lt;script&gt;alert\(1\)&lt;\/script&gt;<\/span>/);
    assert.match(html, /253 more diff lines not shown/);
  });

  test('explained changes are counted in the one Packages table, not listed', () => {
    assert.match(html, /<h2>Packages <span class="sub">\(1 operation, 2 changes explained\)<\/span><\/h2>\s*<table class="list">[\s\S]*?<td>upgrade<\/td><td><code>openssl:amd64<\/code><\/td><td><code>3\.0\.11-1 → 3\.0\.13-1<\/code><\/td><td>2<\/td><\/tr><\/table>/);
    assert.ok(!html.includes('/usr/bin/openssl'), 'explained changes are not listed one by one');
    assert.equal(html.match(/<h2>Packages/g)?.length, 1, 'one Packages section');
  });

  describe('in Chromium', { skip: !chromium && 'chromium is not installed (apt-get install chromium)' }, () => {
    let dir: string;
    let page: string;
    before(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-html-'));
      page = path.join(dir, 'report.html');
      fs.writeFileSync(page, html);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const browse = (args: string[], profile: string) =>
      spawnSync(
        chromium!,
        ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${path.join(dir, profile)}`, ...args, `file://${page}`],
        { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
      );

    test('the DOM holds the hostile values as text and no element they tried to inject', () => {
      const dom = browse(['--dump-dom'], 'dom');
      assert.equal(dom.status, 0, dom.stderr);
      assert.ok(!/<script|<img/i.test(dom.stdout), 'no script or img element');
      assert.match(dom.stdout, /<title>syschangemon report for web-01<\/title>/);
      for (const [where, text] of [
        ['file key', 'file:///srv/upload/&lt;script&gt;alert(1)&lt;/script&gt;'],
        ['command key', 'command://&lt;img src=x onerror=alert(1)&gt;'],
        ['login user', '<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>'],
        ['compliance title', '<td>&lt;img src=x onerror=alert(1)&gt;<div class="rule">'],
        ['error', 'exit 1: &lt;img src=x onerror=alert(1)&gt;'],
        ['note', '<li>note with &lt;script&gt;alert(1)&lt;/script&gt;</li>'],
      ]) {
        assert.ok(dom.stdout.includes(text!), `${where}: ${text}`);
      }
    });

    test('a screenshot of the page', () => {
      const png = path.join(process.env.SCREENSHOT_DIR ?? dir, 'report-fixture.png');
      const shot = browse([`--screenshot=${png}`, '--window-size=1200,1600', '--hide-scrollbars'], 'shot');
      assert.equal(shot.status, 0, shot.stderr);
      assert.deepEqual([...fs.readFileSync(png).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
      assert.ok(fs.statSync(png).size > 50_000, 'the page rendered text and colours');
    });
  });
});
