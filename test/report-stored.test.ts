/**
 * A report stored as its changes are made (storeReport without enabled report hooks: the
 * differ's pages go through annotations and severity straight into the store) is the report
 * built whole in memory (with a report hook enabled), on a real SQLite database: more changes
 * than a page of Store.itemDiffs, added, removed and changed items, contents with diffs, an
 * ignored attribute, an error, an annotation and a severity rule. The command's copy of the
 * report holds no changes, and a failed build stores nothing.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import type { Config } from '../src/config/config.js';
import { COLLECTORS } from '../src/collectors/index.js';
import { SessionWriter } from '../src/store/session-writer.js';
import { type SessionRow, Store } from '../src/store/store.js';
import type { Collector, Item } from '../src/types.js';
import { stderrLogger } from '../src/core/logger.js';
import { buildReport, loadReport, storeReport } from '../src/core/report.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-report-stored-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const N = 2600;
const key = (i: number) => `file:///srv/d${i % 7}/f${String(i).padStart(5, '0')}`;

function fileItem(i: number, round: number): Item {
  const changed = round === 1 && i % 2 === 0;
  return {
    key: key(i),
    attributes: {
      mode: i % 50 === 0 && round === 1 ? '4755' : '0644',
      mtime: changed || i % 3 === 0 ? `2026-01-0${round + 1}T00:00:00Z` : '2026-01-01T00:00:00Z',
      sha256: (changed ? 'b' : 'a').repeat(63) + String(i % 10),
      size: changed ? i + 1 : i,
      type: 'file',
    },
    ...(i === 7 && round === 1 ? { error: 'EACCES: permission denied' } : {}),
  };
}

function textOf(n: number, round: number): string {
  return Array.from({ length: 30 }, (_, l) => (round === 1 && l % 10 === n % 10 ? `line ${l} changed ${n}` : `line ${l}`)).join('\n') + '\n';
}

function sessions(store: Store): [SessionRow, SessionRow] {
  const out: SessionRow[] = [];
  for (const round of [0, 1]) {
    const w = new SessionWriter(store, 'host');
    for (let i = 0; i < N; i++) {
      // 100 removed in the new session, 100 added.
      if (round === 1 && i >= N - 100) continue;
      w.add('file', fileItem(i, round));
    }
    if (round === 1) for (let i = N; i < N + 100; i++) w.add('file', fileItem(i, round));
    for (let n = 0; n < 30; n++) {
      w.add('conffile', { key: `conffile:///etc/app/c${n}.conf`, attributes: { mode: '0644', size: 1, type: 'file' }, contents: { content: textOf(n, n % 3 === 0 ? round : 0) } });
    }
    out.push(w.finish());
  }
  return out as [SessionRow, SessionRow];
}

const annotations = path.join(dir, 'file.annotations');
fs.writeFileSync(annotations, '[file:///srv/d3/**]\nnote = rotated by the app\n');

function config(hooked: boolean): { cfg: Config; collectors: Collector[] } {
  const collectors: Collector[] = ['file', 'conffile'].map((n) => COLLECTORS.find((c) => c.name === n)!);
  assert.ok(collectors.every((c) => c && !c.enrichReport && !c.report?.section));
  // A report hook that changes nothing: the report is then built whole in memory.
  if (hooked) collectors.push({ name: 'hook', description: 'hook', options: {}, items: [], collect: async () => undefined, enrichReport: () => undefined } as unknown as Collector);
  const plugins = new Map<string, { enabled: boolean; options: Record<string, unknown> }>([
    ['file', { enabled: true, options: { ignore_attributes: ['file:///srv/d1/**:mtime'], annotations } }],
    ['conffile', { enabled: true, options: {} }],
    ['hook', { enabled: hooked, options: {} }],
  ]);
  return { cfg: { plugins, sections: { severity: { 'rule.setuid': 'critical file:///srv/d0/** mode' } } } as unknown as Config, collectors };
}

/** A stored report with what differs between builds (uuid, creation time) taken out. */
function stored(store: Store, uuid: string): unknown {
  const r = loadReport(store, store.reportByUuid(uuid));
  const { uuid: _u, created_at: _c, ...rest } = r;
  return rest;
}

test('a report stored as its changes are made is the report built whole', () => {
  const store = Store.open(path.join(dir, 'a', 'db.sqlite'));
  try {
    const [a, b] = sessions(store);
    const quiet = stderrLogger('error');
    const whole = config(true);
    const streamed = config(false);
    const inMemory = buildReport(store, whole.cfg, whole.collectors, a, b, quiet, { mailState: 'none' });
    const built = storeReport(store, streamed.cfg, streamed.collectors, a, b, quiet, { mailState: 'pending' });
    const kept = buildReport(store, streamed.cfg, streamed.collectors, a, b, quiet, { mailState: 'none' });
    assert.equal(built.changes, undefined, 'the command holds no changes');
    assert.deepEqual(built.summary, inMemory.summary);
    const { uuid: _u, created_at: _c, ...want } = inMemory;
    assert.deepEqual(stored(store, inMemory.uuid), want);
    assert.deepEqual(stored(store, built.uuid), want);
    assert.deepEqual(stored(store, kept.uuid), want);
    assert.deepEqual(kept.changes, inMemory.changes, 'kept in memory on request, the same');
    // The case is what it says: several pages, every kind, diffs, notes, levels.
    const s = inMemory.summary;
    assert.equal(s.added, 100);
    assert.equal(s.removed, 100);
    assert.ok(s.changed > 1000 && inMemory.changes.length > 1500, JSON.stringify(s));
    assert.equal(s.errors, 1);
    assert.ok(inMemory.changes.some((c) => c.plugin === 'conffile' && c.diff?.includes('+line 0 changed 0')));
    assert.ok(inMemory.changes.some((c) => c.annotation?.note === 'rotated by the app'));
    assert.ok(inMemory.changes.some((c) => c.severity === 'critical' && c.severity_reason === 'rule setuid'));
    assert.ok(!inMemory.changes.some((c) => c.change === 'changed' && c.key.startsWith('file:///srv/d1/') && c.attributes.mtime), 'ignored attribute left out');
    assert.ok(inMemory.changes.every((c, i, all) => i === 0 || all[i - 1]!.key < c.key), 'in key order');
    // Against a plain comparison of every item of both sessions.
    const items = (x: SessionRow) => new Map([...store.sessionItems(x)].map((it) => [it.key, it]));
    const [olds, news] = [items(a), items(b)];
    const differing = [...new Set([...olds.keys(), ...news.keys()])].sort().filter((k) => {
      const o = olds.get(k);
      const n = news.get(k);
      if (!o || !n) return true;
      const names = [...new Set([...Object.keys(o.attributes), ...Object.keys(n.attributes)])].filter((x) => o.attributes[x] !== n.attributes[x]);
      const onlyIgnored = k.startsWith('file:///srv/d1/') && names.length === 1 && names[0] === 'mtime';
      return (names.length > 0 && !onlyIgnored) || o.error !== n.error || JSON.stringify(o.contentHashes) !== JSON.stringify(n.contentHashes);
    });
    assert.deepEqual(inMemory.changes.map((c) => c.key), differing);
    assert.equal(store.reportByUuid(built.uuid).mail_state, 'pending');
    assert.equal(store.reportByUuid(built.uuid).changed, s.changed);
  } finally {
    store.close();
  }
});

test('a report whose build fails is not stored', () => {
  const store = Store.open(path.join(dir, 'b', 'db.sqlite'));
  try {
    const [a, b] = sessions(store);
    const streamed = config(false);
    const before = store.reports().length;
    assert.throws(() => storeReport(store, streamed.cfg, streamed.collectors, b, a, stderrLogger('error'), { mailState: 'none' }), /not older/);
    assert.equal(store.reports().length, before);
    assert.equal(store.db.prepare('SELECT count(*) FROM report_changes').pluck().get(), 0);
  } finally {
    store.close();
  }
});
