#!/usr/bin/env node
// The reports of bench/idle-runs.sh (DIR/NN.json, with NN.rc and NN.time beside them) as
// Markdown: changes per run, then every changed key, the runs it changed in and how.
// usage: node bench/idle-summary.mjs DIR
import * as fs from 'node:fs';
import * as path from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node bench/idle-summary.mjs DIR');
  process.exit(2);
}
const runs = fs.readdirSync(dir).filter((f) => /^\d+\.json$/.test(f)).sort();
const read = (f) => {
  try {
    return fs.readFileSync(path.join(dir, f), 'utf8').trim();
  } catch {
    return '';
  }
};
const perRun = [];
const byKey = new Map();
for (const f of runs) {
  const n = f.replace('.json', '');
  const [rc = '?', ...load] = read(`${n}.rc`).split(' ');
  const [wall = '?', user = '?', sys = '?', rss = '0'] = read(`${n}.time`).split('\n').at(-1).split(' ');
  let report;
  try {
    report = JSON.parse(read(f));
  } catch {
    perRun.push({ n, rc, load, wall, user, sys, rss, changes: '?', errors: '?', note: 'no JSON report' });
    continue;
  }
  const changes = report.changes ?? [];
  perRun.push({ n, rc, load, wall, user, sys, rss, changes: changes.length, errors: (report.errors ?? []).length, severity: report.summary?.severity ?? '' });
  for (const c of changes) {
    const e = byKey.get(c.key) ?? { key: c.key, runs: [], how: new Set(), severity: new Set(), explained: new Set() };
    e.runs.push(Number(n));
    e.how.add(c.change === 'changed' ? `changed: ${Object.keys(c.attributes ?? {}).join(', ')}${c.diff ? ' (diff)' : ''}` : c.change);
    if (c.severity) e.severity.add(c.severity);
    if (c.explained_by) e.explained.add(c.explained_by);
    byKey.set(c.key, e);
  }
  for (const e of report.errors ?? []) {
    const k = `error: ${e.plugin ?? ''} ${e.key ?? ''} ${e.message ?? JSON.stringify(e)}`.slice(0, 200);
    const x = byKey.get(k) ?? { key: k, runs: [], how: new Set(['error']), severity: new Set(), explained: new Set() };
    x.runs.push(Number(n));
    byKey.set(k, x);
  }
}
const md = (s) => String(s).replace(/\|/g, '\\|').replace(/[\u0000-\u001f\u007f]/g, '?');
console.log('| run | exit | changes | errors | highest severity | wall s | user s | sys s | max RSS MB | load 1/5/15 after |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of perRun) console.log(`| ${r.n} | ${r.rc} | ${r.changes} | ${r.errors} | ${r.severity || '-'} | ${r.wall} | ${r.user} | ${r.sys} | ${Math.round(Number(r.rss) / 1024)} | ${r.load.join(' ')} |`);
const total = perRun.reduce((a, r) => a + (typeof r.changes === 'number' ? r.changes : 0), 0);
const zero = perRun.filter((r) => r.changes === 0).length;
console.log(`\n${perRun.length} runs, ${total} changes in all, ${zero} runs with none.\n`);
if (byKey.size) {
  console.log('| key | runs | how | severity | explained by |');
  console.log('| --- | --- | --- | --- | --- |');
  for (const e of [...byKey.values()].sort((a, b) => a.key.localeCompare(b.key))) {
    console.log(`| \`${md(e.key)}\` | ${e.runs.join(' ')} | ${md([...e.how].join('; '))} | ${[...e.severity].join(', ')} | ${md([...e.explained].join('; '))} |`);
  }
}
