#!/usr/bin/env node
/**
 * Drives hourly runs for bench/scale.mjs --case growth in one process: before each run it
 * changes `churn` of the tree's regular files (a line appended; one in ten of those removed
 * and a new file created in its directory instead), then takes the steps of `syschangemon
 * run` through the program's own App (collect, diff; with --cleanup also cleanup), with the
 * collectors the CLI registers. What is stored is what `run` stores; only the node start per
 * run is saved. Prints { items, changedPerRun, replacedPerRun, sizes } as JSON on stdout.
 *
 *   node bench/growth-driver.mjs --cli DIST/cli.js --config FILE --tree DIR --sessions N --churn F [--cleanup]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { prng } from './synthetic-tree.mjs';
import { dbSize } from './measure.mjs';

const { values: opt } = parseArgs({
  options: {
    cli: { type: 'string' },
    config: { type: 'string' },
    tree: { type: 'string' },
    sessions: { type: 'string' },
    churn: { type: 'string' },
    cleanup: { type: 'boolean', default: false },
  },
});
const dist = path.dirname(path.resolve(opt.cli));
const { createApp } = await import(pathToFileURL(path.join(dist, 'core', 'app.js')).href);
const { COLLECTORS } = await import(pathToFileURL(path.join(dist, 'collectors', 'index.js')).href);
const makeApp = createApp({ collectors: COLLECTORS });

const files = [];
(function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.isFile()) files.push(p);
  }
})(opt.tree);
files.sort();
const n = Math.max(1, Math.round(files.length * Number(opt.churn)));
const replace = Math.floor(n / 10);
const rand = prng(99);
const sizes = [];
let items = 0;
let created = 0;
const sessions = Number(opt.sessions);
const log = (m) => process.stderr.write(`[growth ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

for (let run = 0; run < sessions; run++) {
  if (run > 0) {
    const picked = new Set();
    while (picked.size < n) picked.add(Math.floor(rand() * files.length));
    let r = 0;
    for (const i of picked) {
      if (r++ < replace) {
        fs.rmSync(files[i]);
        files[i] = path.join(path.dirname(files[i]), `new${created++}`);
        fs.writeFileSync(files[i], `created in run ${run}\n`);
      } else fs.appendFileSync(files[i], `run ${run}\n`);
    }
  }
  const app = makeApp({ config: opt.config, quiet: true });
  try {
    const { session, previous } = await app.collect();
    items = session.item_count;
    if (previous) app.diff();
    if (opt.cleanup) app.cleanup();
  } finally {
    app.close();
  }
  const s = dbSize(path.join(app.cfg.storageDir, 'db.sqlite'));
  sizes.push(s.main + s.wal);
  if (run % 50 === 0 || run === sessions - 1) log(`run ${run + 1}/${sessions}: db ${((s.main + s.wal) / 2 ** 20).toFixed(2)} MB`);
}
process.stdout.write(`${JSON.stringify({ items, changedPerRun: n, replacedPerRun: replace, sizes })}\n`);
