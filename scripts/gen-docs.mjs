#!/usr/bin/env node
// Writes the documentation generated from the collectors' declarations (run `npm run build`
// first): the item tables of src/collectors/<name>/README.md, and the COLLECTORS section of
// docs/syschangemon.8.md and of man/syschangemon.8 (converted by scripts/gen-man.mjs; the rest
// of the man page is left as it is). test/docs.test.ts checks the result.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { COLLECTORS } from '../dist/collectors/index.js';
import { manCollectors, withItems, withManCollectors, withManRoff } from '../dist/collectors/common/docs.js';

for (const c of COLLECTORS) {
  const file = path.join('src', 'collectors', c.name, 'README.md');
  const text = fs.readFileSync(file, 'utf8');
  const next = withItems(text, c);
  if (next !== text) fs.writeFileSync(file, next);
}
const mdFile = 'docs/syschangemon.8.md';
fs.writeFileSync(mdFile, withManCollectors(fs.readFileSync(mdFile, 'utf8'), COLLECTORS));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-docs-'));
try {
  fs.writeFileSync(path.join(tmp, 'section.md'), `# COLLECTORS\n\n${manCollectors(COLLECTORS)}\n`);
  execFileSync(process.execPath, ['scripts/gen-man.mjs', path.join(tmp, 'section.md'), path.join(tmp, 'section.8')]);
  const roff = fs.readFileSync(path.join(tmp, 'section.8'), 'utf8').split('\n').slice(1).join('\n');
  const manFile = 'man/syschangemon.8';
  fs.writeFileSync(manFile, withManRoff(fs.readFileSync(manFile, 'utf8'), roff));
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
