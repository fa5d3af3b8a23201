#!/usr/bin/env node
/**
 * Benchmark of glob matching (issue 13.6): on a synthetic tree of N entries (default 10,000),
 * each glob case against a plain `<root>/**` include. Two measurements per case:
 *
 * - match: every path of the tree tested against the case's include and exclude sets in this
 *   process (compiled once, as the walk does): CPU time, median and minimum of --runs passes
 *   after three warm-up passes;
 * - collect: `syschangemon collect` with only the file collector, a no-change run on a
 *   database the first run made (the walk and the globs, no hashing): wall and user+sys CPU
 *   (GNU time), median of --runs.
 *
 * Target: every case at most 2× the plain `**` include.
 *
 *   npm run build && node bench/globs.mjs [--entries 10000] [--runs 5]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildTree } from './synthetic-tree.mjs';
import { median, summarize, timed } from './measure.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const { values: opt } = parseArgs({
  options: { entries: { type: 'string', default: '10000' }, runs: { type: 'string', default: '5' }, keep: { type: 'boolean', default: false } },
});
const runs = Number(opt.runs);
const { GlobSet } = await import(path.join(REPO, 'dist/core/glob.js'));

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-bench-globs-'));
const root = path.join(work, 'tree');
const counts = buildTree(root, { entries: Number(opt.entries), seed: 42, maxBytes: 64 * 2 ** 20 });
const paths = [];
(function list(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    paths.push(p);
    if (e.isDirectory()) list(p);
  }
})(root);

const STARS = '*'.repeat(24);
const DEFAULT_EXCLUDES = ['/etc/mtab', '/etc/ld.so.cache', '/etc/adjtime', '/etc/.pwd.lock', '**.bak', '**~', '**.swp', '**.swx', '**.dpkg-old', '**.dpkg-dist', '**.dpkg-tmp'];
/** [name, include globs, exclude globs] */
const CASES = [
  ['plain ** include (baseline)', [`${root}/**`], []],
  ['exclude **/cache/**/tmp/**.bak', [`${root}/**`], ['**/cache/**/tmp/**.bak']],
  ['include 24 stars in one name', [`${root}/**`, `${root}/${STARS}x`], []],
  ['exclude 24 stars', [`${root}/**`], [`**/${STARS}.tmp`]],
  ['the sample\'s regex {\\\\D{2,4\\}}', [`${root}/**`], ['**/foo-{\\\\D{2,4\\}}.txt']],
  ['regex alternation and repeats', [`${root}/**`], ['**/{(cache|spool|log)}/**', '**{(\\\\.[0-9]+)+}', '**/{([a-z]+_)*[0-9]{2,\\}}']],
  ['nested repeat {(a*)*b}', [`${root}/**`], ['**/{(a*)*b}']],
  ['the default 11 excludes', [`${root}/**`], DEFAULT_EXCLUDES],
  ['64 excludes', [`${root}/**`], Array.from({ length: 64 }, (_, i) => `**/*.x${i}`)],
];

function matchPass(include, exclude) {
  let kept = 0;
  for (const p of paths) if (!exclude.test(p) && include.test(p)) kept++;
  return kept;
}

const cli = path.join(REPO, 'dist', 'cli.js');
const rows = [];
let base;
for (const [name, include, exclude] of CASES) {
  const inc = new GlobSet(include);
  const exc = new GlobSet(exclude);
  for (let w = 0; w < 3; w++) matchPass(inc, exc);
  const times = [];
  let kept = 0;
  for (let r = 0; r < runs; r++) {
    // CPU time of the pass (the host may be loaded: wall time would mostly measure waiting).
    const t = process.cpuUsage();
    kept = matchPass(inc, exc);
    const d = process.cpuUsage(t);
    times.push((d.user + d.system) / 1000);
  }
  const etc = path.join(work, `etc-${rows.length}`);
  fs.mkdirSync(path.join(etc, 'plugins.d'), { recursive: true });
  const storage = path.join(work, `state-${rows.length}`);
  fs.writeFileSync(path.join(etc, 'syschangemon.conf'), `[syschangemon]\nsession_keep = 2\n[storage]\ndir = ${storage}\n`, { mode: 0o600 });
  const list = (xs) => xs.map((x) => `\n  ${x}`).join('');
  fs.writeFileSync(
    path.join(etc, 'plugins.d', 'file.conf'),
    `[file]\nenable_plugin = true\ninclude =${list(include)}\nexclude =${list(exclude)}\nassume_nochange = mtime, ctime, size, inode\n`,
    { mode: 0o600 },
  );
  const argv = [process.execPath, cli, '-c', etc, 'collect', '--quiet'];
  timed(argv);
  const samples = [];
  for (let r = 0; r < runs; r++) samples.push(timed(argv));
  const s = summarize(samples);
  const row = { name, kept, match: median(times), matchMin: Math.min(...times), collect: s.wall, collectMin: s.wallMin, collectMax: s.wallMax, cpu: s.user + s.sys };
  base ??= row;
  rows.push(row);
}

const f = (x, d = 1) => x.toFixed(d);
console.log(`Synthetic tree: ${counts.dirs + counts.files + counts.links} entries (${counts.dirs} dirs, ${counts.files} files, ${counts.links} symlinks), ${paths.length} paths below the root; ${runs} runs; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}.\n`);
console.log('| case | paths kept | match all paths, CPU: median (min) | × baseline (min) | no-change collect, wall: median (range) | collect CPU (user+sys) | CPU × baseline |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  console.log(`| ${r.name} | ${r.kept} | ${f(r.match)} ms (${f(r.matchMin)} ms) | ${f(r.match / base.match, 2)} (${f(r.matchMin / base.matchMin, 2)}) | ${f(r.collect, 2)} s (${f(r.collectMin, 2)}–${f(r.collectMax, 2)}) | ${f(r.cpu, 2)} s | ${f(r.cpu / base.cpu, 2)} |`);
}
if (!opt.keep) fs.rmSync(work, { recursive: true, force: true });
else console.log(`\nwork directory kept: ${work}`);
