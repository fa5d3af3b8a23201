#!/usr/bin/env node
/**
 * Benchmark harness (issue 9): syschangemon's file collector against AIDE, `openssl dgst -sha256`
 * and `find` on the same tree, each step its own process under GNU time, warm page cache,
 * median of N runs. Prints Markdown tables with ratios against the issue's targets.
 *
 *   npm run bench -- --entries 100000
 *   npm run bench -- --entries 0 --tree /usr/bin --tree /usr/sbin --tree /usr/lib
 *
 * Options:
 *   --entries N      synthetic tree of N entries (default 100000 when no --tree; 0 = none)
 *   --one-dir N      a tree of N small files in one directory (issue 22: 300000); kept
 *                    between runs in the work directory like the synthetic tree
 *   --aide-subset M  with --one-dir: run AIDE on a directory of only the first M of those
 *                    files. AIDE's time grows faster than linearly with the size of one
 *                    directory (≈ 4–6× per doubling at 10k–40k files), so on 300k files it
 *                    does not finish in hours; its time on M files is a lower bound of its
 *                    time on all N, and the ratios against it are upper bounds
 *   --tree DIR       a real tree (repeatable); read only unless --copy
 *   --copy           copy the real trees (cp -a) into the work directory first, so the
 *                    "1% changed" step can modify them
 *   --runs N         runs per step, median reported (default 3)
 *   --seed N         synthetic tree seed (default 42)
 *   --max-bytes N    byte budget of the synthetic tree; sizes scale down to fit (default 4 GiB)
 *   --aide-workers L AIDE num_workers values, comma list (default 2; "1,2" for both)
 *   --no-aide        skip AIDE
 *   --profile        one more run of each syschangemon step under node --cpu-prof, summarized
 *   --workdir DIR    where trees, configs and databases go (default: a new dir in $TMPDIR)
 *   --keep           keep the work directory
 *   --cli FILE       the built CLI to measure (default: a snapshot of this repo's dist/)
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildTree, prng } from './synthetic-tree.mjs';
import { dbSize, summarize, sumSteps, timed } from './measure.mjs';
import { summarizeProfiles } from './profile.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const MB = 2 ** 20;

/** The node flags and environment the installed wrapper (debian/syschangemon.sh) runs with. */
const wrapper = fs.readFileSync(path.join(REPO, 'debian', 'syschangemon.sh'), 'utf8');
const INSTALLED_NODE_FLAGS = (/^exec \S*node (.*?) ?\S*cli\.js/m.exec(wrapper)?.[1] ?? '').split(' ').filter(Boolean);
const INSTALLED_ENV = Object.fromEntries([...wrapper.matchAll(/^export (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));

const { values: opt } = parseArgs({
  options: {
    entries: { type: 'string' },
    'one-dir': { type: 'string' },
    'aide-subset': { type: 'string' },
    tree: { type: 'string', multiple: true, default: [] },
    copy: { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
    seed: { type: 'string', default: '42' },
    'max-bytes': { type: 'string', default: String(4 * 2 ** 30) },
    'aide-workers': { type: 'string', default: '2' },
    'no-aide': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    workdir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    cli: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (opt.help) {
  const src = fs.readFileSync(fileURLToPath(import.meta.url), 'utf8');
  console.log(src.slice(src.indexOf('/**') + 4, src.indexOf('*/')).replace(/^ \* ?/gm, ''));
  process.exit(0);
}

const RUNS = Math.max(1, Number(opt.runs));
const oneDir = opt['one-dir'] !== undefined ? Number(opt['one-dir']) : 0;
const aideSubset = opt['aide-subset'] !== undefined ? Number(opt['aide-subset']) : 0;
if (aideSubset && (!oneDir || !(aideSubset > 0 && aideSubset < oneDir))) {
  process.stderr.write('bench: --aide-subset M needs --one-dir N with 0 < M < N\n');
  process.exit(2);
}
const entries = opt.entries !== undefined ? Number(opt.entries) : opt.tree.length || oneDir ? 0 : 100000;
const seed = Number(opt.seed);
const maxBytes = Number(opt['max-bytes']);
const aideWorkers = opt['no-aide'] ? [] : opt['aide-workers'].split(',').map(Number);
/** Whether a program is on PATH (checked before a long run rather than failing in it). */
const onPath = (name) => (process.env.PATH ?? '').split(':').some((d) => d && fs.existsSync(path.join(d, name)));
for (const [name, needed, hint] of [
  ['time', fs.existsSync('/usr/bin/time'), 'apt-get install time'],
  ['aide', aideWorkers.length === 0 || onPath('aide'), 'apt-get install aide, or pass --no-aide'],
  ['openssl', onPath('openssl'), 'apt-get install openssl'],
]) {
  if (!needed) {
    process.stderr.write(`bench: ${name} is not installed (${hint})\n`);
    process.exit(2);
  }
}
const work = opt.workdir ? path.resolve(opt.workdir) : fs.mkdtempSync(path.join(os.tmpdir(), 'scm-bench-'));
fs.mkdirSync(work, { recursive: true });

const log = (msg) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const load = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** A copy of dist/ (plus what it reads beside it) so a rebuild during the run changes nothing. */
function snapshotApp() {
  if (opt.cli) return path.resolve(opt.cli);
  const app = path.join(work, 'app');
  fs.rmSync(app, { recursive: true, force: true });
  fs.mkdirSync(app);
  for (const p of ['dist', 'templates', 'etc', 'package.json', 'native/build/Release/fsnative.node']) {
    if (!fs.existsSync(path.join(REPO, p))) continue;
    fs.mkdirSync(path.dirname(path.join(app, p)), { recursive: true });
    fs.cpSync(path.join(REPO, p), path.join(app, p), { recursive: true });
  }
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(app, 'node_modules'));
  const cli = path.join(app, 'dist', 'cli.js');
  if (!fs.existsSync(cli)) throw new Error(`${cli} missing: run npm run build first`);
  return cli;
}

function gitDescribe() {
  const r = spawnSync('git', ['-C', REPO, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

/** Entry counts and bytes of the trees, as find sees them (-xdev, no symlink following). */
function treeStats(roots) {
  const r = spawnSync('find', [...roots, '-xdev', '-printf', '%y %s\\n'], { encoding: 'utf8', maxBuffer: 1024 * MB });
  const s = { entries: 0, dirs: 0, files: 0, links: 0, other: 0, bytes: 0 };
  for (const line of r.stdout.split('\n')) {
    if (!line) continue;
    s.entries++;
    const [t, size] = line.split(' ');
    if (t === 'd') s.dirs++;
    else if (t === 'f') {
      s.files++;
      s.bytes += Number(size);
    } else if (t === 'l') s.links++;
    else s.other++;
  }
  return s;
}

/** The regular files of the trees in byte order, NUL separated (exact names). */
function regularFiles(roots) {
  const r = spawnSync('find', [...roots, '-xdev', '-type', 'f', '-print0'], { maxBuffer: 4096 * MB });
  const names = [];
  let start = 0;
  for (let i = 0; i < r.stdout.length; i++) {
    if (r.stdout[i] === 0) {
      names.push(r.stdout.subarray(start, i));
      start = i + 1;
    }
  }
  return names.sort(Buffer.compare);
}

/** Appends a line to 1% of the regular files (seeded choice per round): size, mtime, ctime and sha256 change. */
function mutate(files, round) {
  const rand = prng(seed * 7 + round);
  const n = Math.max(1, Math.round(files.length * 0.01));
  const picked = new Set();
  while (picked.size < Math.min(n, files.length)) picked.add(Math.floor(rand() * files.length));
  let bytes = 0;
  for (const i of picked) {
    fs.appendFileSync(files[i], `bench round ${round}\n`);
    bytes += fs.statSync(files[i]).size;
  }
  return { files: picked.size, bytes };
}

/** Writes the syschangemon config dir for `roots`: only the file collector, storage in `storage`. */
function scmConfig(dir, roots, storage) {
  fs.mkdirSync(path.join(dir, 'plugins.d'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'syschangemon.conf'),
    `[syschangemon]\nsession_keep = 10000\nreport_keep = 10000\n\n[storage]\ndir = ${storage}\n`,
  );
  const include = roots.flatMap((r) => [r, `${r}/**`]).map((g) => `  ${g}`).join('\n');
  fs.writeFileSync(
    path.join(dir, 'plugins.d', 'file.conf'),
    `[file]\nenable_plugin = true\ninclude =\n${include}\nassume_nochange = mtime, ctime, size, inode\nhash_workers = 2\n`,
  );
  return path.join(dir, 'syschangemon.conf');
}

/** Writes aide.conf: the same attributes as the file collector records (with ACLs, xattrs, caps, inode flags), sha256 as the hash. */
function aideConfig(dir, roots, workers) {
  fs.mkdirSync(dir, { recursive: true });
  const conf = path.join(dir, `aide-${workers}.conf`);
  const lines = [
    `database_in=file:${dir}/aide.db`,
    `database_out=file:${dir}/aide.db.new`,
    'gzip_dbout=no',
    `num_workers=${workers}`,
    'report_url=stdout',
    // The attributes the file collector records, extended ones included (issue 14, part 2).
    'Bench = p+u+g+s+m+c+i+sha256+acl+xattrs+caps+e2fsattrs',
    ...roots.map((r) => `${r.replace(/[.^$*+?()[\]{}|\\]/g, '\\$&')} Bench`),
  ];
  fs.writeFileSync(conf, `${lines.join('\n')}\n`);
  return conf;
}

function repeat(label, fn) {
  const samples = [];
  const loads = [];
  for (let i = 0; i < RUNS; i++) {
    const l = load();
    log(`${label} ${i + 1}/${RUNS} (load ${l})`);
    loads.push(Number(l.split(' ')[0]));
    samples.push(fn(i));
  }
  // The 1-minute load average before each run: the host is shared.
  return { ...summarize(samples), load: `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}` };
}

const fmt = (x, d = 2) => (x === undefined || Number.isNaN(x) ? '—' : x.toFixed(d));
const row = (cells) => `| ${cells.join(' | ')} |`;

/**
 * `aide` (optional): AIDE runs on these roots instead, `{ roots, what }` — a part of the tree
 * (`--aide-subset`), so its times are lower bounds of its times on the whole tree.
 */
function benchTree(name, slug, roots, mutable, cli, aidePart) {
  const aideRoots = aidePart?.roots ?? roots;
  const tdir = path.join(work, `run-${slug}`);
  fs.rmSync(tdir, { recursive: true, force: true });
  fs.mkdirSync(tdir);
  const stats = treeStats(roots);
  log(`${name}: ${stats.entries} entries (${stats.files} files, ${stats.dirs} dirs, ${stats.links} symlinks), ${(stats.bytes / 2 ** 30).toFixed(2)} GiB`);
  const storage = path.join(tdir, 'storage');
  const conf = scmConfig(path.join(tdir, 'etc'), roots, storage);
  const db = path.join(storage, 'db.sqlite');
  // As the installed program runs (debian/syschangemon.sh): the same node flags and malloc setting.
  const scm = (...args) => [process.execPath, ...INSTALLED_NODE_FLAGS, cli, '-c', conf, ...args];
  const env = { ...process.env, SYSCHANGEMON_CONFIG: '', ...INSTALLED_ENV };
  const results = [];
  const add = (step, tool, s, dbAfter, note = '') => results.push({ step, tool, s, dbAfter, note });

  log('warm-up: find walk and one openssl pass over every file (not timed)');
  timed(['find', ...roots, '-xdev', '-printf', '%i %s %T@ %C@ %m %U %G\\n']);
  if (aidePart) timed(['sh', '-c', 'find "$@" -xdev -type f -print0 | xargs -0 -r cat > /dev/null', 'sh', ...aideRoots]);
  timed(['sh', '-c', 'find "$@" -xdev -type f -print0 | xargs -0 -r openssl dgst -sha256', 'sh', ...roots]);

  const find = repeat('find -xdev -printf (lstat walk)', () => timed(['find', ...roots, '-xdev', '-printf', '%i %s %T@ %C@ %m %U %G\\n']));
  add('lstat walk', '`find -xdev -printf`', find);
  const openssl = repeat('openssl dgst -sha256', () =>
    timed(['sh', '-c', 'find "$@" -xdev -type f -print0 | xargs -0 -r openssl dgst -sha256', 'sh', ...roots]),
  );
  add('hash every file', '`openssl dgst -sha256` (one at a time)', openssl);

  const aide = {};
  for (const w of aideWorkers) {
    const adir = path.join(tdir, 'aide');
    const aconf = aideConfig(adir, aideRoots, w);
    const init = repeat(`aide --init num_workers=${w}`, () => timed(['aide', '--config', aconf, '--init']));
    fs.renameSync(path.join(adir, 'aide.db.new'), path.join(adir, 'aide.db'));
    const adb = fs.statSync(path.join(adir, 'aide.db')).size;
    const on = aidePart ? ` on ${aidePart.what}` : '';
    add('first scan', `AIDE \`--init\`, num_workers=${w}${on}`, init, { main: adb, wal: 0 }, 'AIDE db (uncompressed)');
    // --check exits with a bit mask of what changed (1 added, 2 removed, 4 changed); errors are ≥ 14.
    const codes = [];
    const check = repeat(`aide --check num_workers=${w}`, () => {
      const s = timed(['aide', '--config', aconf, '--check'], { okCodes: [0, 1, 2, 3, 4, 5, 6, 7] });
      codes.push(s.code);
      return s;
    });
    add('nothing changed', `AIDE \`--check\`, num_workers=${w}${on}`, check, undefined, codes.some((c) => c !== 0) ? `exit codes ${codes.join(', ')}: the tree changed under AIDE` : '');
    aide[w] = { init, check };
  }

  const first = repeat('syschangemon collect (first, empty database)', () => {
    fs.rmSync(storage, { recursive: true, force: true });
    return timed(scm('collect'), { env });
  });
  const dbFirst = dbSize(db);
  add('first scan', 'syschangemon `collect` (empty db)', first, dbFirst);

  const sizes = [];
  const nochange = repeat('syschangemon collect (nothing changed)', () => {
    const s = timed(scm('collect'), { env });
    sizes.push(dbSize(db));
    return s;
  });
  const dbNoChange = dbSize(db);
  add('nothing changed', 'syschangemon `collect` (assume_nochange)', nochange, dbNoChange);
  const perSession = (dbNoChange.main + dbNoChange.wal - dbFirst.main - dbFirst.wal) / RUNS;

  let changed;
  let mutated;
  if (mutable) {
    const files = regularFiles(roots);
    changed = repeat('syschangemon collect (1% of files changed)', (i) => {
      mutated = mutate(files, i + 1);
      return timed(scm('collect'), { env });
    });
    add('1% changed', 'syschangemon `collect`', changed, dbSize(db), `${mutated.files} files, ${fmt(mutated.bytes / MB, 1)} MiB changed per run`);
  }
  // As the README starts it (the npm bin): `node dist/cli.js`, no node flags, no environment.
  const bin = (...args) => [process.execPath, cli, '-c', conf, ...args];
  const binEnv = { ...process.env, SYSCHANGEMON_CONFIG: '' };
  delete binEnv.MALLOC_ARENA_MAX;
  const binFirst = repeat('syschangemon collect as `node dist/cli.js` (first, empty database)', () => {
    fs.rmSync(storage, { recursive: true, force: true });
    return timed(bin('collect'), { env: binEnv });
  });
  add('first scan', 'syschangemon `collect` (empty db), as `node dist/cli.js`', binFirst, dbSize(db));
  const binNochange = repeat('syschangemon collect as `node dist/cli.js` (nothing changed)', () => timed(bin('collect'), { env: binEnv }));
  add('nothing changed', 'syschangemon `collect` (assume_nochange), as `node dist/cli.js`', binNochange, dbSize(db));
  const what = mutable ? '1% changed' : 'nothing changed';
  const diff = repeat('syschangemon diff', () => timed(scm('diff'), { env }));
  const text = repeat('syschangemon print-report --format text', () => timed(scm('print-report', '--format', 'text'), { env }));
  const json = repeat('syschangemon print-report --format json', () => timed(scm('print-report', '--format', 'json'), { env }));
  add(`diff (${what})`, 'syschangemon `diff`', diff, dbSize(db));
  add(`render (${what})`, 'syschangemon `print-report --format text`', text);
  add(`render (${what})`, 'syschangemon `print-report --format json`', json);
  const diffRender = sumSteps([diff, text, json]);
  add(`diff + both renders (${what})`, 'sum of the three', diffRender);

  const items = JSON.parse(
    spawnSync(process.execPath, [cli, '-c', conf, 'list-sessions', '--format', 'json'], { encoding: 'utf8', env, maxBuffer: 64 * MB }).stdout,
  );
  const itemCount = Array.isArray(items) && items.length ? items[0].item_count : undefined;

  let profile = '';
  if (opt.profile) {
    const pdir = path.join(tdir, 'profiles');
    const pstore = path.join(tdir, 'profile-storage');
    const pconf = scmConfig(path.join(tdir, 'etc-profile'), roots, pstore);
    const prof = (label, ...args) => {
      const d = path.join(pdir, label);
      fs.mkdirSync(d, { recursive: true });
      log(`profiling ${label}`);
      const s = timed([process.execPath, ...INSTALLED_NODE_FLAGS, '--cpu-prof', `--cpu-prof-dir=${d}`, cli, '-c', pconf, ...args], { env });
      return `${label} (wall ${fmt(s.wall)} s under the profiler):\n${summarizeProfiles(d)}`;
    };
    const parts = [prof('first-collect', 'collect'), prof('nochange-collect', 'collect')];
    if (mutable) {
      mutate(regularFiles(roots), 1000);
      parts.push(prof('changed-collect', 'collect'));
    }
    parts.push(prof('diff', 'diff'), prof('print-report-text', 'print-report', '--format', 'text'));
    profile = parts.join('\n\n');
  }

  // Targets (issue 9).
  const targets = [];
  const target = (what, measured, bound, ok) => targets.push({ what, measured, bound, ok });
  const a2 = aide[2];
  // With AIDE on a part of the tree its times are lower bounds, so each ratio is an upper bound.
  const partly = aidePart ? ` (AIDE on ${aidePart.what}: ratio an upper bound)` : '';
  if (a2) {
    target(`first collect ≤ 0.5× AIDE \`--init\` (2 workers)${partly}`, `${fmt(first.wall)} s / ${fmt(a2.init.wall)} s = ${partly ? '≤ ' : ''}${fmt(first.wall / a2.init.wall)}×`, '≤ 0.50×', first.wall <= 0.5 * a2.init.wall);
  }
  target('first collect ≤ 1.5× `openssl dgst -sha256`', `${fmt(first.wall)} s / ${fmt(openssl.wall)} s = ${fmt(first.wall / openssl.wall)}×`, '≤ 1.50×', first.wall <= 1.5 * openssl.wall);
  if (a2) {
    target(`no-change collect ≤ 0.1× AIDE \`--check\` (2 workers)${partly}`, `${fmt(nochange.wall)} s / ${fmt(a2.check.wall)} s = ${partly ? '≤ ' : ''}${fmt(nochange.wall / a2.check.wall, 3)}×`, '≤ 0.10×', nochange.wall <= 0.1 * a2.check.wall);
  }
  target('no-change collect vs `find` lstat walk (approach)', `${fmt(nochange.wall)} s / ${fmt(find.wall)} s = ${fmt(nochange.wall / find.wall, 1)}×`, 'informative', undefined);
  if (a2 && !aidePart) {
    const aideRss = Math.max(a2.init.rssKiB, a2.check.rssKiB) / 1024;
    const collectRss = Math.max(first.rssKiB, nochange.rssKiB, binFirst.rssKiB, binNochange.rssKiB) / 1024;
    target('peak RSS of collect (wrapper and `node dist/cli.js`) ≤ AIDE\'s (issue 22)', `${fmt(collectRss, 0)} MB (wrapper: first ${fmt(first.rssKiB / 1024, 0)}, no-change ${fmt(nochange.rssKiB / 1024, 0)}; bin: first ${fmt(binFirst.rssKiB / 1024, 0)}, no-change ${fmt(binNochange.rssKiB / 1024, 0)}) vs AIDE ${fmt(aideRss, 0)} MB (init ${fmt(a2.init.rssKiB / 1024, 0)}, check ${fmt(a2.check.rssKiB / 1024, 0)})`, '≤ 1×', collectRss <= aideRss);
  }
  if (slug.startsWith('one-dir')) {
    const collectRss = Math.max(first.rssKiB, nochange.rssKiB, binFirst.rssKiB, binNochange.rssKiB, changed?.rssKiB ?? 0) / 1024;
    target('peak RSS of collect ≤ 250 MB, one directory (issue 22)', `${fmt(collectRss, 0)} MB (wrapper: first ${fmt(first.rssKiB / 1024, 0)}, no-change ${fmt(nochange.rssKiB / 1024, 0)}${changed ? `, 1% ${fmt(changed.rssKiB / 1024, 0)}` : ''}; bin: first ${fmt(binFirst.rssKiB / 1024, 0)}, no-change ${fmt(binNochange.rssKiB / 1024, 0)})`, '≤ 250 MB', collectRss <= 250);
  }
  const rssBound = stats.entries > 200000 ? 300 : 150;
  const rssMax = Math.max(first.rssKiB, nochange.rssKiB, changed?.rssKiB ?? 0, diffRender.rssKiB) / 1024;
  target(`peak RSS of any syschangemon step ≤ ${rssBound} MB`, `${fmt(rssMax, 0)} MB (first ${fmt(first.rssKiB / 1024, 0)}, no-change ${fmt(nochange.rssKiB / 1024, 0)}${changed ? `, 1% ${fmt(changed.rssKiB / 1024, 0)}` : ''}, diff/render ${fmt(diffRender.rssKiB / 1024, 0)})`, `≤ ${rssBound} MB`, rssMax <= rssBound);
  target('database growth per unchanged session < 1 MB', `${fmt(perSession / MB, 3)} MB (db ${fmt((dbFirst.main + dbFirst.wal) / MB, 1)} MB after the first session)`, '< 1 MB', perSession < MB);
  if (changed) {
    target('diff + renders ≤ the 1% collect (report dominated by hashing)', `${fmt(diffRender.wall)} s vs collect ${fmt(changed.wall)} s`, '≤ 1×', diffRender.wall <= changed.wall);
  }

  const out = [];
  out.push(`### ${name}`);
  out.push('');
  out.push(`Tree: ${roots.map((r) => `\`${r}\``).join(' ')} — ${stats.entries} entries: ${stats.files} regular files, ${stats.dirs} directories, ${stats.links} symlinks, ${stats.other} other; ${fmt(stats.bytes / 2 ** 30)} GiB in regular files. Items per syschangemon session: ${itemCount ?? '?'}. Runs per step: ${RUNS} (median wall; CPU medians; RSS the largest).`);
  out.push('');
  out.push(row(['step', 'tool', 'wall s (median)', 'min–max', 'user s', 'sys s', 'peak RSS MB', 'db MB after', 'load', 'note']));
  out.push(row(['---', '---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---']));
  for (const r of results) {
    const dbCell = r.dbAfter ? `${fmt((r.dbAfter.main + r.dbAfter.wal) / MB, 1)}${r.dbAfter.wal ? ` (wal ${fmt(r.dbAfter.wal / MB, 1)})` : ''}` : '';
    out.push(row([r.step, r.tool, fmt(r.s.wall), `${fmt(r.s.wallMin)}–${fmt(r.s.wallMax)}`, fmt(r.s.user), fmt(r.s.sys), fmt(r.s.rssKiB / 1024, 0), dbCell, r.s.load ?? '', r.note]));
  }
  out.push('');
  out.push(row(['target', 'measured', 'bound', 'result']));
  out.push(row(['---', '---', '---', '---']));
  for (const t of targets) out.push(row([t.what, t.measured, t.bound, t.ok === undefined ? '—' : t.ok ? '**met**' : '**missed**']));
  if (sizes.length) {
    out.push('');
    out.push(`Database after the first collect and each no-change collect (MB, main+wal): ${[dbFirst, ...sizes].map((d) => fmt((d.main + d.wal) / MB, 2)).join(', ')}.`);
  }
  if (profile) {
    out.push('');
    out.push('CPU profiles (self time per function, per thread):');
    out.push('');
    out.push('```');
    out.push(profile);
    out.push('```');
  }
  return out.join('\n');
}

function main() {
  const started = Date.now();
  const cli = snapshotApp();
  const sections = [];
  sections.push(`Harness: \`node bench/run.mjs ${process.argv.slice(2).join(' ')}\` at commit ${gitDescribe()}; CLI ${opt.cli ? cli : 'snapshot of dist/'}, run as \`node ${INSTALLED_NODE_FLAGS.join(' ')}\` with ${Object.entries(INSTALLED_ENV).map(([k, v]) => `${k}=${v}`).join(' ') || 'no extra environment'} (debian/syschangemon.sh); aide ${spawnSync('aide', ['--version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? 'absent'}; ${spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout.trim()}; load average at start ${load()}.`);
  if (opt.tree.length) {
    let roots = opt.tree.map((t) => path.resolve(t));
    if (opt.copy) {
      const cdir = path.join(work, 'copy');
      fs.mkdirSync(cdir, { recursive: true });
      roots = roots.map((r) => {
        const dst = path.join(cdir, r.replace(/^\//, ''));
        fs.mkdirSync(path.dirname(dst), { recursive: true });
        log(`copying ${r} to ${dst}`);
        const res = spawnSync('cp', ['-a', '--', r, dst], { stdio: 'inherit' });
        if (res.status !== 0) throw new Error(`cp -a ${r} failed`);
        return dst;
      });
    }
    sections.push(benchTree(opt.copy ? 'real tree (copy)' : 'real tree', 'real', roots, opt.copy, cli));
  }
  if (entries > 0) {
    const root = path.join(work, `synthetic-${entries}-${seed}`);
    const done = path.join(root, '.complete');
    let buildNote = 'reused';
    if (!fs.existsSync(done)) {
      fs.rmSync(root, { recursive: true, force: true });
      log(`building synthetic tree of ${entries} entries in ${root}`);
      const t0 = Date.now();
      const b = buildTree(path.join(root, 'tree'), { entries, seed, maxBytes });
      fs.writeFileSync(done, '');
      buildNote = `built in ${fmt((Date.now() - t0) / 1000, 1)} s (size scale ${fmt(b.scale, 3)})`;
    }
    log(`synthetic tree ${buildNote}`);
    sections.push(`${benchTree(`synthetic tree, ${entries} entries, seed ${seed}`, `synthetic-${entries}`, [path.join(root, 'tree')], true, cli)}\n\nSynthetic tree ${buildNote}.`);
  }
  if (oneDir > 0) {
    /** One directory of the first `count` of the N files (names padded to N's width), kept. */
    const oneDirTree = (slug, count) => {
      const root = path.join(work, slug);
      const done = path.join(root, '.complete');
      if (fs.existsSync(done)) return { root, note: 'reused' };
      fs.rmSync(root, { recursive: true, force: true });
      log(`building one directory of ${count} files in ${root}`);
      const t0 = Date.now();
      const dir = path.join(root, 'tree', 'dir');
      fs.mkdirSync(dir, { recursive: true });
      const width = String(oneDir - 1).length;
      for (let i = 0; i < count; i++) fs.writeFileSync(path.join(dir, `f${String(i).padStart(width, '0')}`), `entry ${i}\n`);
      fs.writeFileSync(done, '');
      return { root, note: `built in ${fmt((Date.now() - t0) / 1000, 1)} s` };
    };
    const whole = oneDirTree(`one-dir-${oneDir}`, oneDir);
    log(`one-directory tree ${whole.note}`);
    let aidePart;
    let partNote = '';
    if (aideSubset) {
      const part = oneDirTree(`one-dir-${oneDir}-first-${aideSubset}`, aideSubset);
      aidePart = { roots: [path.join(part.root, 'tree')], what: `the first ${aideSubset} of the ${oneDir} files, alone in one directory` };
      partNote = ` AIDE's tree (the first ${aideSubset} files) ${part.note}.`;
    }
    sections.push(`${benchTree(`one directory, ${oneDir} files`, `one-dir-${oneDir}`, [path.join(whole.root, 'tree')], true, cli, aidePart)}\n\nTree ${whole.note}.${partNote}`);
  }
  sections.push(`Harness wall time: ${fmt((Date.now() - started) / 1000, 0)} s.`);
  console.log(sections.join('\n\n'));
  if (!opt.keep && !opt.workdir) fs.rmSync(work, { recursive: true, force: true });
  else log(`work directory kept: ${work}`);
}

main();
