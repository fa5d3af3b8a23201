/**
 * The HTML report renders in headless Chromium (Debian's chromium) without horizontal
 * scrolling in an 800 px window, and a full sha256 does not wrap mid-word: a real report of
 * the built CLI with long paths, changed hashes, a long diff line and a setuid file, measured
 * in the browser (a copy of the page with a measuring script; the report itself has none).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { sandbox } from './helpers.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

const MEASURE = `<script>
(() => {
  const doc = document.documentElement;
  const hashes = [...document.querySelectorAll('span.v')].filter((e) => /^[0-9a-f]{64}$/.test(e.textContent));
  const wrapped = hashes.filter((e) => e.getBoundingClientRect().height > 1.6 * parseFloat(getComputedStyle(e).fontSize));
  const wide = [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > doc.clientWidth + 0.5).map((e) => e.tagName + '.' + e.className);
  document.body.setAttribute('data-measure', JSON.stringify({ width: innerWidth, clientWidth: doc.clientWidth, scrollWidth: doc.scrollWidth, hashes: hashes.length, wrapped: wrapped.length, wide: wide.slice(0, 5) }));
})();
</script>`;

function measure(html: string, dir: string, width: number): { width: number; clientWidth: number; scrollWidth: number; hashes: number; wrapped: number; wide: string[] } {
  const file = path.join(dir, `page-${width}.html`);
  fs.writeFileSync(file, html.replace('</body>', `${MEASURE}</body>`));
  const r = spawnSync(CHROMIUM!, ['--headless', '--no-sandbox', '--disable-gpu', `--user-data-dir=${path.join(dir, 'chromium')}`, `--window-size=${width},1200`, '--dump-dom', `file://${file}`], { encoding: 'utf8', timeout: 120_000 });
  const m = /data-measure="([^"]*)"/.exec(r.stdout);
  assert.ok(m, `chromium printed no measurement (exit ${r.status}): ${r.stderr.slice(0, 500)}`);
  return JSON.parse(m[1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
}

test('the HTML report fits 800 px in Chromium, hashes unbroken', { skip: CHROMIUM ? false : 'chromium is not installed (apt-get install chromium)' }, () => {
  const sb = sandbox();
  try {
    const deep = path.join(sb.tree, 'a-rather-long-directory-name-for-an-application', 'with-another-level-of-nesting-below-it', 'and-one-more');
    fs.mkdirSync(deep, { recursive: true });
    const conf = path.join(deep, 'configuration-file-with-a-long-name.conf');
    fs.writeFileSync(conf, 'short = 1\n');
    fs.writeFileSync(path.join(sb.tree, 'hosts'), '127.0.0.1 localhost\n');
    assert.equal(sb.run('run', '--quiet').code, 0);
    fs.writeFileSync(conf, `short = 2\nlong = ${'x'.repeat(400)}\n${'averyveryverylongwordwithoutanyspaceinitatall'.repeat(8)}\n`);
    fs.writeFileSync(path.join(sb.tree, 'hosts'), '127.0.0.1 localhost\n10.0.0.66 updates.example.com\n');
    fs.copyFileSync('/bin/true', path.join(deep, 'setuid-helper-binary-with-a-long-name'));
    fs.chmodSync(path.join(deep, 'setuid-helper-binary-with-a-long-name'), 0o4755);
    fs.writeFileSync(path.join(sb.tree, 'new.conf'), Array.from({ length: 80 }, (_, i) => `option_${i} = ${'value '.repeat(30)}`).join('\n') + '\n');
    assert.equal(sb.run('run', '--quiet').code, 0);
    const html = sb.run('print-report', '--format', 'html').stdout;
    assert.doesNotMatch(html, /<script/i, 'the report itself carries no script');
    const m = measure(html, sb.dir, 800);
    assert.equal(m.width, 800);
    assert.ok(m.hashes >= 2, `full sha256 values shown: ${m.hashes}`);
    assert.equal(m.wrapped, 0, 'no full sha256 wraps');
    // The page is as wide as the window's content area (a vertical scrollbar takes its part).
    assert.ok(m.clientWidth > 700, `content area ${m.clientWidth}`);
    assert.equal(m.scrollWidth, m.clientWidth, `no horizontal scrolling at 800 px; too wide: ${m.wide.join(', ')}`);
    // A phone-sized window scrolls no more than the page: long words break instead.
    const narrow = measure(html, sb.dir, 420);
    assert.equal(narrow.scrollWidth, narrow.clientWidth, `too wide at 420 px: ${narrow.wide.join(', ')}`);
  } finally {
    sb.cleanup();
  }
});
