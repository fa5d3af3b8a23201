/**
 * Golden tests of the differ, the collectors' report hooks and the renderers: each folder
 * under test/golden/ holds `before.json` and `after.json` (the items of two sessions), an
 * optional `golden.json` (`collectors`: whose report hooks run and whose declarations say what
 * an added or removed item shows; `options` per collector) and the expected report in
 * `expected/report.{json,txt,html}`, normalised (uuids, times, version). The text and HTML are
 * rendered whole and streamed from the store (print-report), and must be the same. A missing
 * expected file fails; `npm run golden:update` (UPDATE_GOLDEN=1) writes them, to be reviewed
 * as a diff.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config/config.js';
import { COLLECTORS } from '../../src/collectors/index.js';
import { describeChanges } from '../../src/core/items.js';
import { stderrLogger } from '../../src/core/logger.js';
import { buildReport, storedChanges } from '../../src/core/report.js';
import { renderReport, type RenderOptions, streamReport } from '../../src/core/render.js';
import { SessionWriter } from '../../src/store/session-writer.js';
import { Store } from '../../src/store/store.js';
import type { Collector, Item, Options } from '../../src/types.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const UPDATE = process.env.UPDATE_GOLDEN === '1';

interface SessionFixture {
  [plugin: string]: Item[];
}

/** Replace what differs between runs (uuids, times, version) with stable placeholders. */
export function normalise(text: string): string {
  return text
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<uuid>')
    // Session digests cover the uuids and times (item hashes are kept: they are the fixtures').
    .replace(/("digest": "|digest |<code>)[0-9a-f]{64}/g, '$1<digest>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>')
    // Text and HTML show times in the host's zone with its offset.
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d/g, '<time>')
    .replace(/syschangemon \d+\.\d+\.\d+/g, 'syschangemon <version>');
}

interface GoldenSetup {
  collectors?: string[];
  options?: Record<string, Options>;
}

/** The collectors a folder names, with their schema defaults and its options, enabled. */
function setupOf(dir: string): { cfg: Config; collectors: Collector[]; render: RenderOptions } {
  const file = path.join(dir, 'golden.json');
  const setup = (fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {}) as GoldenSetup;
  const collectors = (setup.collectors ?? []).map((n) => {
    const c = COLLECTORS.find((x) => x.name === n);
    if (!c) throw new Error(`${file}: no collector ${n}`);
    return c;
  });
  const plugins = new Map(
    collectors.map((c) => {
      const defaults = Object.fromEntries(Object.entries(c.options).filter(([, o]) => o.default !== undefined).map(([k, o]) => [k, o.default]));
      return [c.name, { enabled: true, options: { ...defaults, ...setup.options?.[c.name] } }];
    }),
  );
  return { cfg: { plugins, sections: {} } as unknown as Config, collectors, render: collectors.length ? { describe: describeChanges(collectors) } : {} };
}

for (const name of fs.readdirSync(HERE).filter((n) => fs.statSync(path.join(HERE, n)).isDirectory()).sort()) {
  test(`golden: ${name}`, async () => {
    const dir = path.join(HERE, name);
    const { cfg, collectors, render } = setupOf(dir);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-golden-'));
    const store = Store.open(path.join(tmp, 'db.sqlite'));
    try {
      const sessions = ['before', 'after'].map((which) => {
        const fixture = JSON.parse(fs.readFileSync(path.join(dir, `${which}.json`), 'utf8')) as SessionFixture;
        const w = new SessionWriter(store, 'golden-host');
        for (const [plugin, items] of Object.entries(fixture)) for (const it of items) w.add(plugin, it);
        return w.finish();
      });
      const report = buildReport(store, cfg, collectors, sessions[0]!, sessions[1]!, stderrLogger('error'), { mailState: 'none' });
      const outputs: Record<string, string> = {
        'report.json': `${JSON.stringify(report, null, 2)}\n`,
        'report.txt': renderReport(report, 'text', render),
        'report.html': renderReport(report, 'html', render),
      };
      // print-report streams the stored report: the same text.
      const row = store.reportByUuid(report.uuid);
      for (const format of ['text', 'html'] as const) {
        const chunks: string[] = [];
        assert.ok(await streamReport(store.reportHead(row), storedChanges(store, row), format, render, async (c) => void chunks.push(c)));
        assert.equal(chunks.join(''), outputs[format === 'text' ? 'report.txt' : 'report.html'], `${name}: streamed ${format} differs from the whole rendering`);
      }
      const expectedDir = path.join(dir, 'expected');
      if (UPDATE) fs.mkdirSync(expectedDir, { recursive: true });
      for (const [file, text] of Object.entries(outputs)) {
        const actual = normalise(text);
        const target = path.join(expectedDir, file);
        if (!UPDATE && !fs.existsSync(target)) assert.fail(`${name}/expected/${file} is missing; write it with 'npm run golden:update' and review it`);
        if (UPDATE) {
          fs.writeFileSync(target, actual);
          continue;
        }
        assert.equal(actual, fs.readFileSync(target, 'utf8'), `${name}/${file} differs; run 'npm run golden:update' and review the diff`);
      }
    } finally {
      store.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
}
