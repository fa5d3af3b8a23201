#!/usr/bin/env node
/**
 * Benchmark case (issue 22): a large text kept by the conffile collector (`size_limit = 64M`),
 * changed, collected again and diffed. Each step its own process under GNU time.
 *
 *   node bench/text-diff.mjs [--mb 50] [--change shuffle|one|scattered:N] [--runs 1] [--cli FILE]
 *
 * The text is seeded lines of 10–90 characters. `shuffle` permutes every line (the worst case
 * of a line diff), `one` rewrites the middle line, `scattered:N` rewrites N lines spread over
 * the text. Prints one Markdown table; the work directory is removed at the end.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { prng } from './synthetic-tree.mjs';
import { summarize, timed } from './measure.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const { values: opt } = parseArgs({
  options: {
    mb: { type: 'string', default: '50' },
    change: { type: 'string', default: 'shuffle' },
    runs: { type: 'string', default: '1' },
    cli: { type: 'string' },
  },
});
const MB = 2 ** 20;
const cli = path.resolve(opt.cli ?? path.join(REPO, 'dist', 'cli.js'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-textdiff-'));
const load = () => fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const log = (m) => process.stderr.write(`[text-diff ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

try {
  const tree = path.join(work, 'tree');
  fs.mkdirSync(tree);
  const file = path.join(tree, 'big.txt');
  const rand = prng(7);
  const lines = [];
  let size = 0;
  while (size < Number(opt.mb) * MB) {
    const l = `${lines.length} ${'abcdefghij'.repeat(9).slice(0, 10 + Math.floor(rand() * 80))}`;
    lines.push(l);
    size += l.length + 1;
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  const etc = path.join(work, 'etc');
  fs.mkdirSync(path.join(etc, 'plugins.d'), { recursive: true });
  fs.writeFileSync(path.join(etc, 'syschangemon.conf'), `[syschangemon]\nsession_keep = 100\n\n[storage]\ndir = ${work}/storage\n`);
  fs.writeFileSync(path.join(etc, 'plugins.d', 'file.conf'), `[file]\nenable_plugin = true\ninclude =\n  ${tree}/**\n`);
  fs.writeFileSync(path.join(etc, 'plugins.d', 'conffile.conf'), `[conffile]\nenable_plugin = true\nsize_limit = 64M\n`);
  const scm = (...a) => [process.execPath, cli, '-c', path.join(etc, 'syschangemon.conf'), ...a];
  const env = { ...process.env, SYSCHANGEMON_CONFIG: '' };
  const rows = [];
  const step = (name, argv) => {
    const samples = [];
    for (let i = 0; i < Number(opt.runs); i++) {
      const l = load();
      log(`${name} (load ${l})`);
      samples.push({ ...timed(argv, { env }), load: l });
    }
    rows.push({ name, s: summarize(samples), load: samples.map((x) => x.load.split(' ')[0]).join(', ') });
  };
  step('collect (first)', scm('collect'));
  const b = [...lines];
  if (opt.change === 'shuffle') {
    for (let j = b.length - 1; j > 0; j--) {
      const k = Math.floor(rand() * (j + 1));
      [b[j], b[k]] = [b[k], b[j]];
    }
  } else if (opt.change === 'one') b[b.length >> 1] = 'changed line';
  else if (opt.change.startsWith('scattered:')) {
    const n = Number(opt.change.slice(10));
    for (let j = 0; j < n; j++) b[Math.floor(((j + 0.5) * b.length) / n)] = `changed ${j}`;
  } else throw new Error(`unknown --change ${opt.change}`);
  fs.writeFileSync(file, `${b.join('\n')}\n`);
  step(`collect (${opt.change})`, scm('collect'));
  step('diff', scm('diff'));
  const out = spawnSync(process.execPath, scm('print-report', '--format', 'json').slice(1), { env, encoding: 'utf8', maxBuffer: 512 * MB });
  if (out.status !== 0) throw new Error(`print-report --format json exited ${out.status}: ${out.stderr.slice(-3000)}`);
  const change = JSON.parse(out.stdout).changes.find((c) => c.key.startsWith('conffile:'));
  step('print-report --format text', scm('print-report', '--format', 'text'));
  console.log(`Text: ${fmt(size / MB, 1)} MiB, ${lines.length} lines, change \`${opt.change}\`; CLI ${cli}; node ${process.version}.\n`);
  console.log('| step | wall s | user s | sys s | peak RSS MB | load (1 min) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) console.log(`| ${r.name} | ${fmt(r.s.wall)} | ${fmt(r.s.user)} | ${fmt(r.s.sys)} | ${fmt(r.s.rssKiB / 1024, 0)} | ${r.load} |`);
  console.log(`\nconffile change: ${change?.diff ? `diff of ${change.diff.split('\n').length} lines` : `note: ${change?.note}`}`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

function fmt(x, d = 2) {
  return Number.isFinite(x) ? x.toFixed(d) : '—';
}
