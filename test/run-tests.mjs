#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ (or the files/folders given) with node:test + tsx.
// Node 20 does not expand globs itself, so the files are listed here.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ['src', 'test'];
const files = [];
const walk = (p) => {
  const st = fs.statSync(p);
  if (st.isDirectory()) {
    if (path.basename(p) === 'node_modules') return;
    for (const name of fs.readdirSync(p).sort()) walk(path.join(p, name));
  } else if (p.endsWith('.test.ts')) files.push(p);
};
for (const r of roots) walk(r);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const res = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit' });
process.exit(res.status ?? 1);
