/**
 * The documentation generated from the collectors' declarations is current: each collector
 * README's item tables and the man page's collector list (`node scripts/gen-docs.mjs` after
 * `npm run build` writes them). A new collector, item kind or attribute leaves them stale, and
 * this fails.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { COLLECTORS } from '../src/collectors/index.js';
import { itemsMarkdown, manCollectors, withManCollectors, withManRoff } from '../src/collectors/common/docs.js';
import { ROOT } from './helpers.js';

const HINT = "run 'npm run build && node scripts/gen-docs.mjs'";

for (const c of COLLECTORS) {
  test(`${c.name}/README.md lists the declared items`, () => {
    const readme = fs.readFileSync(path.join(ROOT, 'src', 'collectors', c.name, 'README.md'), 'utf8');
    assert.ok(readme.includes(itemsMarkdown(c)), `src/collectors/${c.name}/README.md: the item tables differ from the declaration; ${HINT}`);
  });
}

test('the man page lists every collector with its item keys', () => {
  const md = fs.readFileSync(path.join(ROOT, 'docs', 'syschangemon.8.md'), 'utf8');
  assert.equal(md, withManCollectors(md, COLLECTORS), `docs/syschangemon.8.md: the COLLECTORS section is stale; ${HINT}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-docs-'));
  try {
    fs.writeFileSync(path.join(tmp, 'section.md'), `# COLLECTORS\n\n${manCollectors(COLLECTORS)}\n`);
    execFileSync(process.execPath, ['scripts/gen-man.mjs', path.join(tmp, 'section.md'), path.join(tmp, 'section.8')], { cwd: ROOT });
    const roff = fs.readFileSync(path.join(tmp, 'section.8'), 'utf8').split('\n').slice(1).join('\n');
    const man = fs.readFileSync(path.join(ROOT, 'man', 'syschangemon.8'), 'utf8');
    assert.equal(man, withManRoff(man, roff), `man/syschangemon.8: the COLLECTORS section is stale; ${HINT}`);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
