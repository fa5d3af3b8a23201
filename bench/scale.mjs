#!/usr/bin/env node
/**
 * Benchmark cases of issue 22 for the store, the differ and the reports: each step its own
 * process under GNU time (bench/measure.mjs), figures printed as Markdown on stdout.
 *
 *   node bench/scale.mjs --case changed [--files 200000]
 *       A tree of N small files (1000 per directory), collected, then a line appended to every
 *       file and collected again: that collect, `diff`, `print-report --format text|json`,
 *       `export --format json|csv` and `email-report` (through a sendmail that discards the
 *       message) are measured. With --hooks the wtmp and groups collectors are enabled too
 *       (collectors with report hooks: each change passes through them as it is stored);
 *       --packages also enables the packages collector on the host's dpkg database (its hook
 *       looks every changed file up in the package lists).
 *   node bench/scale.mjs --case diff1m [--files 1000000] [--churn 0.001]
 *       Two sessions of N entries (real collects of a tree of N small files), the second
 *       after `churn` of the files had a line appended; `diff` of the two is measured (runs 3).
 *   node bench/scale.mjs --case growth [--entries 20000] [--sessions 720] [--churn 0.001] [--keep 24]
 *       `sessions` hourly runs (collect, then diff, as `run` does) of the synthetic tree with
 *       `churn` of its regular files changed before each (appended to; one in ten of those
 *       removed and another file created instead), driven in one process through the
 *       program's own App (bench/growth-driver.mjs: the same code and the same stored rows as
 *       `syschangemon run`, without a node start per run), with session_keep/report_keep
 *       large so nothing is cleaned; then `syschangemon cleanup` with session_keep =
 *       report_keep = `keep` (a real process, timed), and the database size after it against
 *       the size after the first session. A second pass (`--steady`) runs the cleanup after
 *       every run as `run` does and reports the size after the last.
 *
 *   Common: --cli FILE (default dist/cli.js of this checkout), --runs N, --keep-work.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildTree, prng } from './synthetic-tree.mjs';
import { dbSize, summarize, timed } from './measure.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const { values: opt } = parseArgs({
  options: {
    case: { type: 'string', default: 'changed' },
    files: { type: 'string' },
    entries: { type: 'string', default: '20000' },
    sessions: { type: 'string', default: '720' },
    churn: { type: 'string', default: '0.001' },
    keep: { type: 'string', default: '24' },
    steady: { type: 'boolean', default: false },
    hooks: { type: 'boolean', default: false },
    packages: { type: 'boolean', default: false },
    runs: { type: 'string', default: '1' },
    cli: { type: 'string' },
    'keep-work': { type: 'boolean', default: false },
  },
});
const MB = 2 ** 20;
const cli = path.resolve(opt.cli ?? path.join(REPO, 'dist', 'cli.js'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), `scm-scale-${opt.case}-`));
const load = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const log = (m) => process.stderr.write(`[scale ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const fmt = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '—');
const env = { ...process.env, SYSCHANGEMON_CONFIG: '' };
const rows = [];

function config(dir, roots, { keep = 10000, extra = '', hooks = false, packages = false } = {}) {
  fs.mkdirSync(path.join(dir, 'plugins.d'), { recursive: true });
  for (const c of [...(hooks ? ['wtmp', 'groups'] : []), ...(packages ? ['packages'] : [])]) fs.writeFileSync(path.join(dir, 'plugins.d', `${c}.conf`), `[${c}]\nenable_plugin = true\n`);
  fs.writeFileSync(
    path.join(dir, 'syschangemon.conf'),
    `[syschangemon]\nsession_keep = ${keep}\nreport_keep = ${keep}\n${extra}\n[storage]\ndir = ${path.join(work, 'storage')}\n`,
  );
  const include = roots.flatMap((r) => [r, `${r}/**`]).map((g) => `  ${g}`).join('\n');
  fs.writeFileSync(
    path.join(dir, 'plugins.d', 'file.conf'),
    `[file]\nenable_plugin = true\ninclude =\n${include}\nassume_nochange = mtime, ctime, size, inode\nhash_workers = 2\n`,
  );
  return path.join(dir, 'syschangemon.conf');
}

const dbFile = () => path.join(work, 'storage', 'db.sqlite');
const dbMB = () => {
  const s = dbSize(dbFile());
  return (s.main + s.wal) / MB;
};

/** Runs a CLI step `runs` times under GNU time and records a row. */
function step(name, argv, { runs = 1, stdoutFile, note = '' } = {}) {
  const samples = [];
  const loads = [];
  for (let i = 0; i < runs; i++) {
    const l = load();
    loads.push(l.split(' ')[0]);
    log(`${name} (load ${l})`);
    samples.push(timed(argv, { env, stdoutFile }));
  }
  const s = summarize(samples);
  rows.push({ name, s, load: loads.join(', '), db: fs.existsSync(dbFile()) ? dbMB() : NaN, note });
  return s;
}

function table() {
  const out = ['| step | wall s | user s | sys s | peak RSS MB | db MB after | load (1 min) | note |', '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |'];
  for (const r of rows) out.push(`| ${r.name} | ${fmt(r.s.wall)} | ${fmt(r.s.user)} | ${fmt(r.s.sys)} | ${fmt(r.s.rssKiB / 1024, 0)} | ${fmt(r.db, 1)} | ${r.load} | ${r.note} |`);
  return out.join('\n');
}

/** N files of one short line, 1000 per directory. */
function flatTree(root, n) {
  fs.mkdirSync(root, { recursive: true });
  const files = [];
  for (let i = 0; i < n; i++) {
    const dir = path.join(root, `d${Math.floor(i / 1000)}`);
    if (i % 1000 === 0) fs.mkdirSync(dir);
    const f = path.join(dir, `f${i}`);
    fs.writeFileSync(f, `file ${i}\n`);
    files.push(f);
  }
  return files;
}

const scm = (conf, ...a) => [process.execPath, cli, '-c', conf, ...a];
const runs = Number(opt.runs);
const header = () => `CLI ${cli} (checkout at ${gitDescribe()}); node ${process.version}; load at start ${load()}.`;

function gitDescribe() {
  const r = spawnSync('git', ['-C', REPO, 'log', '-1', '--format=%h'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

try {
  if (opt.case === 'changed') {
    const n = Number(opt.files ?? 200000);
    const head = header();
    log(`building ${n} files`);
    const tree = path.join(work, 'tree');
    const files = flatTree(tree, n);
    const sendmail = path.join(work, 'sendmail');
    fs.writeFileSync(sendmail, '#!/bin/sh\nexec cat > /dev/null\n', { mode: 0o755 });
    const conf = config(path.join(work, 'etc'), [tree], {
      hooks: opt.hooks,
      packages: opt.packages,
      extra: `mail_handler = sendmail\n\n[mail.smtp]\nto_addr = root@localhost\nfrom = scm@localhost\nsendmail_path = ${sendmail}\n`,
    });
    step('collect (first)', scm(conf, 'collect', '--quiet'));
    for (const f of files) fs.appendFileSync(f, 'changed\n');
    step(`collect (${n} changed)`, scm(conf, 'collect', '--quiet'));
    step('diff', scm(conf, 'diff', '--quiet'), { runs });
    step('print-report --format text', scm(conf, 'print-report', '--format', 'text'), { runs });
    step('print-report --format json', scm(conf, 'print-report', '--format', 'json'), { runs });
    step('export --format json', scm(conf, 'export', '--format', 'json'), { runs });
    step('export --format csv', scm(conf, 'export', '--format', 'csv'), { runs });
    step('email-report (sendmail)', scm(conf, 'email-report'), { runs });
    const json = path.join(work, 'report.json');
    timed(scm(conf, 'print-report', '--format', 'json'), { env, stdoutFile: json });
    const summary = JSON.parse(fs.readFileSync(json, 'utf8').slice(0, 4000).replace(/,\s*"changes"[\s\S]*$/, '}')).summary;
    console.log(`### ${n} changed files${opt.hooks ? `, with the wtmp${opt.packages ? ', groups and packages' : ' and groups'} collectors (report hooks)` : opt.packages ? ', with the packages collector (report hooks)' : ''}\n\n${head} Tree: ${n} files of one line in ${Math.ceil(n / 1000)} directories; every file then had a line appended. Report summary: ${JSON.stringify(summary)}.\n`);
    console.log(table());
  } else if (opt.case === 'diff1m') {
    const n = Number(opt.files ?? 1000000);
    const churn = Number(opt.churn);
    const head = header();
    log(`building ${n} files`);
    const tree = path.join(work, 'tree');
    const files = flatTree(tree, n);
    const conf = config(path.join(work, 'etc'), [tree]);
    step('collect (first)', scm(conf, 'collect', '--quiet'));
    const rand = prng(11);
    const k = Math.max(1, Math.round(n * churn));
    const picked = new Set();
    while (picked.size < k) picked.add(Math.floor(rand() * n));
    for (const i of picked) fs.appendFileSync(files[i], 'changed\n');
    step(`collect (${k} changed)`, scm(conf, 'collect', '--quiet'));
    step('diff', scm(conf, 'diff', '--quiet'), { runs: Math.max(runs, 3) });
    step('print-report --format text', scm(conf, 'print-report', '--format', 'text'), { runs });
    // What any command costs before it reads the database: node's start and the modules.
    step('node start (`syschangemon --version`)', scm(conf, '--version'), { runs: Math.max(runs, 3) });
    console.log(`### diff of two ${n}-file sessions\n\n${head} Tree: ${n} files of one line in ${Math.ceil(n / 1000)} directories (${n + Math.ceil(n / 1000) + 1} items per session); ${k} files (${churn * 100}%) had a line appended before the second collect.\n`);
    console.log(table());
  } else if (opt.case === 'growth') {
    const entries = Number(opt.entries);
    const sessions = Number(opt.sessions);
    const keep = Number(opt.keep);
    const head = header();
    const tree = path.join(work, 'tree');
    log(`building synthetic tree of ${entries} entries`);
    buildTree(tree, { entries, seed: 42, maxBytes: entries * 8192 });
    const conf = config(path.join(work, 'etc'), [tree], { keep: opt.steady ? keep : 100000 });
    const driver = fileURLToPath(new URL('./growth-driver.mjs', import.meta.url));
    const l0 = load();
    log(`driving ${sessions} runs (load ${l0})`);
    const t0 = Date.now();
    const res = spawnSync(process.execPath, [driver, '--cli', cli, '--config', conf, '--tree', tree, '--sessions', String(sessions), '--churn', opt.churn, ...(opt.steady ? ['--cleanup'] : [])], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * MB });
    if (res.status !== 0) throw new Error(`growth driver exited ${res.status}`);
    const drive = JSON.parse(res.stdout);
    const driveS = (Date.now() - t0) / 1000;
    console.log(`### growth: ${sessions} hourly runs, ${entries}-entry synthetic tree, ${Number(opt.churn) * 100}% churn per run\n\n${head} ${drive.items} items per session, ${drive.changedPerRun} files changed per run (${drive.replacedPerRun} of them replaced by a new file). The ${sessions} runs (collect + diff${opt.steady ? ' + cleanup' : ''}, in one process) took ${fmt(driveS, 0)} s, load ${l0} at their start.\n`);
    const one = drive.sizes[0];
    console.log(`Database after the first session: ${fmt(one / MB, 2)} MB; after run 2: ${fmt(drive.sizes[1] / MB, 2)} MB; after the last run: ${fmt(drive.sizes.at(-1) / MB, 2)} MB (main+wal).\n`);
    if (!opt.steady) {
      fs.writeFileSync(conf, fs.readFileSync(conf, 'utf8').replace(/session_keep = \d+/, `session_keep = ${keep}`).replace(/report_keep = \d+/, `report_keep = ${keep}`));
      step(`cleanup (session_keep = report_keep = ${keep}, drops ${sessions - keep})`, scm(conf, 'cleanup'));
      const after = dbMB();
      step('verify (digest chain)', scm(conf, 'verify'));
      console.log(table());
      console.log(`\n| target | measured | bound | result |\n| --- | --- | --- | --- |`);
      const c = rows[0].s;
      console.log(`| cleanup of ${sessions - keep} sessions ≤ 5 s | ${fmt(c.wall)} s wall (${fmt(c.user + c.sys)} s CPU) | ≤ 5 s | **${c.wall <= 5 ? 'met' : 'missed'}** |`);
      console.log(`| database after cleanup ≤ 2× one session | ${fmt(after, 2)} MB / ${fmt(one / MB, 2)} MB = ${fmt((after * MB) / one)}× | ≤ 2× | **${after * MB <= 2 * one ? 'met' : 'missed'}** |`);
    } else {
      const last = drive.sizes.at(-1);
      console.log(`| target | measured | bound | result |\n| --- | --- | --- | --- |`);
      console.log(`| database with cleanup after every run ≤ 2× one session | ${fmt(last / MB, 2)} MB / ${fmt(one / MB, 2)} MB = ${fmt(last / one)}× (largest ${fmt(Math.max(...drive.sizes) / MB, 2)} MB) | ≤ 2× | **${last <= 2 * one ? 'met' : 'missed'}** |`);
    }
  } else throw new Error(`unknown --case ${opt.case}`);
} finally {
  if (opt['keep-work']) log(`work directory kept: ${work}`);
  else fs.rmSync(work, { recursive: true, force: true });
}
