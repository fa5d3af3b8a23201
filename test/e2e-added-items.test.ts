/**
 * Reports say what an added or removed item is, from its collector's declaration (the
 * attributes it marks `summary`): a new setuid file shows its type, mode, owner, size and
 * short sha256 in the text and HTML reports, in print-report and in the mail alike; the JSON
 * report is unchanged by it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { sandbox } from './helpers.js';

test('an added setuid file and a removed file show what they are', () => {
  const sb = sandbox();
  try {
    fs.writeFileSync(path.join(sb.tree, 'old.txt'), 'gone soon\n');
    assert.equal(sb.run('run', '--quiet').code, 0);
    const body = '#!/bin/sh\nexec /bin/sh -p\n';
    const suid = path.join(sb.tree, 'rootshell');
    fs.writeFileSync(suid, body);
    fs.chmodSync(suid, 0o4755);
    fs.rmSync(path.join(sb.tree, 'old.txt'));
    const r = sb.run('run', '--quiet');
    assert.equal(r.code, 0, r.stderr);
    const sha = createHash('sha256').update(body).digest('hex').slice(0, 12);
    const user = (n: number) => fs.readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === String(n))?.split(':')[0] ?? String(n);
    const owner = user(process.getuid!());
    const text = sb.run('print-report').stdout;
    // One entry for the file and its conffile item, which adds what was kept of it.
    assert.match(text, new RegExp(`^\\+ file://${sb.tree}/rootshell  \\[CRITICAL: new setuid file\\]\\n      type file  mode 4755 \\(setuid\\)  user ${owner}  group \\S+  size ${body.length}  sha256 ${sha}  stored text\\n`, 'm'));
    assert.doesNotMatch(text, /conffile:\/\//);
    assert.match(text, new RegExp(`^- file://${sb.tree}/old.txt\\n      type file  mode 0644  user ${owner}  group \\S+  size 10  sha256 [0-9a-f]{12}  stored text\\n`, 'm'));
    const html = sb.run('print-report', '--format', 'html').stdout;
    assert.match(html, /<tr><th>mode<\/th><td><span class="v new">4755 \(setuid\)<\/span><\/td><\/tr>/);
    assert.match(html, new RegExp(`<tr><th>sha256</th><td><span class="v new">${sha}</span></td></tr>`));
    assert.match(html, /<tr><th>size<\/th><td><span class="v old">10<\/span><\/td><\/tr>/);
    const json = sb.json('print-report', '--format', 'json');
    const added = json.changes.find((c: { key: string }) => c.key === `file://${sb.tree}/rootshell`);
    assert.equal(added.attributes.mode.new, '4755');
    assert.ok(!('summary_attributes' in added), 'the JSON report keeps its fields');
    assert.ok(json.changes.some((c: { key: string }) => c.key === `conffile://${sb.tree}/rootshell`), 'the JSON keeps the conffile item');
  } finally {
    sb.cleanup();
  }
});
