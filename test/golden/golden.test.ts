/**
 * Golden tests of the differ and the renderers: each folder under test/golden/ holds
 * `before.json` and `after.json` (the items of two sessions) and the expected report in
 * `expected/report.{json,txt,html}`, normalised (uuids, times, version). Refresh with
 * `npm run golden:update` and review the change as a diff.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Config } from '../../src/config/config.js';
import { stderrLogger } from '../../src/core/logger.js';
import { buildReport } from '../../src/core/report.js';
import { renderReport } from '../../src/core/render.js';
import { SessionWriter } from '../../src/store/session-writer.js';
import { Store } from '../../src/store/store.js';
import type { Item } from '../../src/types.js';

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
    .replace(/syschangemon \d+\.\d+\.\d+/g, 'syschangemon <version>');
}

const emptyConfig = { plugins: new Map(), sections: {} } as unknown as Config;

for (const name of fs.readdirSync(HERE).filter((n) => fs.statSync(path.join(HERE, n)).isDirectory()).sort()) {
  test(`golden: ${name}`, () => {
    const dir = path.join(HERE, name);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-golden-'));
    const store = Store.open(path.join(tmp, 'db.sqlite'));
    try {
      const sessions = ['before', 'after'].map((which) => {
        const fixture = JSON.parse(fs.readFileSync(path.join(dir, `${which}.json`), 'utf8')) as SessionFixture;
        const w = new SessionWriter(store, 'golden-host');
        for (const [plugin, items] of Object.entries(fixture)) for (const it of items) w.add(plugin, it);
        return w.finish();
      });
      const report = buildReport(store, emptyConfig, [], sessions[0]!, sessions[1]!, stderrLogger('error'), { mailState: 'none' });
      const outputs: Record<string, string> = {
        'report.json': `${JSON.stringify(report, null, 2)}\n`,
        'report.txt': renderReport(report, 'text'),
        'report.html': renderReport(report, 'html'),
      };
      const expectedDir = path.join(dir, 'expected');
      fs.mkdirSync(expectedDir, { recursive: true });
      for (const [file, text] of Object.entries(outputs)) {
        const actual = normalise(text);
        const target = path.join(expectedDir, file);
        if (!UPDATE && !fs.existsSync(target) && process.env.CI) assert.fail(`${name}/${file} is missing`);
        if (UPDATE || !fs.existsSync(target)) {
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
