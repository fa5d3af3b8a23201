/**
 * The HTML report as a browser renders it: headless Chromium (Debian's `chromium`) loads the
 * page printed by `print-report --format html`; the DOM must hold the hostile file names as
 * text and no element they tried to inject; a screenshot is taken for people to look at.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { sandbox } from './helpers.js';

const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => fs.existsSync(p));

function browse(args: string[], userDir: string) {
  return spawnSync(
    chromium!,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${userDir}`,
      ...args,
    ],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
}

test('hostile names render as text in Chromium', { skip: !chromium && 'chromium is not installed' }, () => {
  const sb = sandbox();
  try {
    fs.writeFileSync(path.join(sb.tree, 'hosts'), 'a\n');
    assert.equal(sb.run('collect').code, 0);
    const hostile = ['<script>document.title="pwned"</script>', '<img src=x onerror=alert(1)>', '"><b>bold</b>'];
    for (const name of hostile) fs.writeFileSync(path.join(sb.tree, name.replace(/\//g, '\\')), `${name}\n`);
    fs.writeFileSync(path.join(sb.tree, 'hosts'), 'a\n<script>alert("content")</script>\n');
    assert.equal(sb.run('run', '--quiet').code, 0);
    const html = sb.run('print-report', '--format', 'html');
    assert.equal(html.code, 0, html.stderr);
    const page = path.join(sb.dir, 'report.html');
    fs.writeFileSync(page, html.stdout);

    const dom = browse(['--dump-dom', `file://${page}`], path.join(sb.dir, 'chrome1'));
    assert.equal(dom.status, 0, dom.stderr);
    assert.ok(dom.stdout.includes('&lt;script&gt;document.title="pwned"&lt;\\script&gt;'), 'the script is shown as text');
    assert.match(dom.stdout, /<title>syschangemon report for /, 'no script changed the title');
    assert.ok(!/<script/i.test(dom.stdout), 'no script element in the DOM');
    assert.ok(!/<img/i.test(dom.stdout), 'no img element in the DOM');
    assert.ok(!/<b>bold<\/b>/.test(dom.stdout), 'no injected markup');
    assert.ok(dom.stdout.includes('&lt;img src=x onerror=alert(1)&gt;'), 'the name is text');
    assert.ok(dom.stdout.includes('&lt;script&gt;alert("content")&lt;\\/script&gt;') || dom.stdout.includes('&lt;script&gt;alert("content")&lt;/script&gt;'), 'file content is text');

    const png = path.join(process.env.SCREENSHOT_DIR ?? sb.dir, 'report.png');
    const shot = browse([`--screenshot=${png}`, '--window-size=1100,1400', '--hide-scrollbars', `file://${page}`], path.join(sb.dir, 'chrome2'));
    assert.equal(shot.status, 0, shot.stderr);
    const head = fs.readFileSync(png).subarray(0, 8);
    assert.deepEqual([...head], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
    assert.ok(fs.statSync(png).size > 20_000, 'the page rendered something');
  } finally {
    sb.cleanup();
  }
});
