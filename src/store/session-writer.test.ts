/**
 * The session writer's read-ahead serves lookups in the order keys were first recorded; these
 * sessions walk the keys in that order, with a deleted stretch, with new keys in between and in
 * reverse, and check every previous item, every stored item and the diffs.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { diffSessions } from '../core/differ.js';
import type { Attributes } from '../types.js';
import { SessionWriter } from './session-writer.js';
import { Store } from './store.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-writer-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const N = 30_000;
const key = (i: number) => `file:///t/k${String(i).padStart(5, '0')}`;

/** Record `entries` in the given order, asking for each key's previous item first (as the file collector does). */
function session(store: Store, entries: [string, Attributes][], expectPrevious: Map<string, Attributes>) {
  const w = new SessionWriter(store, 'host');
  let wrong = 0;
  for (const [k, attrs] of entries) {
    const prev = w.previousItem(k);
    const want = expectPrevious.get(k);
    if (JSON.stringify(prev?.attributes) !== JSON.stringify(want)) wrong++;
    assert.ok(w.add('file', { key: k, attributes: attrs }));
  }
  assert.equal(wrong, 0, 'every previous item is the one stored before');
  return w.finish();
}

function current(store: Store, s: ReturnType<typeof session>): Map<string, Attributes> {
  const m = new Map<string, Attributes>();
  for (const r of store.sessionItems(s, 'file')) m.set(r.key, r.attributes);
  return m;
}

test('read-ahead: same order, a deleted stretch, new keys in between, then reversed', () => {
  const store = Store.open(path.join(dir, 'db.sqlite'));
  try {
    const one: [string, Attributes][] = Array.from({ length: N }, (_, i) => [key(i), { size: i, v: 1 }]);
    const s1 = session(store, one, new Map());
    const before = current(store, s1);
    assert.equal(before.size, N);

    // Session 2: keys 10000–19999 deleted, every 100th changed, a new key after every 250th.
    const two: [string, Attributes][] = [];
    for (let i = 0; i < N; i++) {
      if (i >= 10_000 && i < 20_000) continue;
      two.push([key(i), { size: i, v: i % 100 === 0 ? 2 : 1 }]);
      if (i % 250 === 0) two.push([`file:///t/new${i}`, { size: -i - 1, v: 1 }]);
    }
    const s2 = session(store, two, before);
    const after2 = current(store, s2);
    assert.deepEqual([...after2].sort(), [...new Map(two)].sort(), 'session 2 holds exactly what was recorded');
    const d12 = diffSessions(store, s1, s2);
    const count = (c: string) => d12.changes.filter((x) => x.change === c).length;
    assert.equal(count('removed'), 10_000);
    assert.equal(count('added'), two.filter(([k]) => k.includes('new')).length);
    assert.equal(count('changed'), 200);

    // Session 3: everything in reverse order (the worst case for reading ahead), unchanged.
    const s3 = session(store, [...two].reverse(), after2);
    assert.deepEqual([...current(store, s3)].sort(), [...after2].sort());
    assert.equal(diffSessions(store, s2, s3).changes.length, 0);

    // Session 4: the deleted stretch comes back, in the original order.
    const s4 = session(store, one, after2);
    assert.deepEqual([...current(store, s4)].sort(), [...new Map(one)].sort());
    const d34 = diffSessions(store, s3, s4);
    assert.equal(d34.changes.filter((x) => x.change === 'added').length, 10_000);
  } finally {
    store.close();
  }
});

test('items: a plugin\'s items of this session (all, or only the changed ones) by key, in pages, while other items are added', () => {
  const store = Store.open(path.join(dir, 'items.sqlite'));
  try {
    // Keys recorded out of key order, so that the key order must come from the query.
    const M = 2500;
    const order = Array.from({ length: M }, (_, i) => (i * 7919) % M);
    const k = (i: number) => `file:///i/${String(i).padStart(4, '0')}`;
    const w1 = new SessionWriter(store, 'host');
    for (const i of order) w1.add('file', { key: k(i), attributes: { v: 1 } });
    w1.add('other', { key: 'other://a', attributes: { v: 1 } });
    // An empty store: every item is this session's, changed or not.
    const all1 = [...w1.items('file')].map((it) => it.key);
    assert.deepEqual(all1, [...all1].sort());
    assert.equal(all1.length, M);
    assert.deepEqual([...w1.items('file', true)].map((it) => it.key), all1);
    w1.finish();

    // Session 2: every third changed, every fifth not recorded, 1200 new keys, an error item.
    const w2 = new SessionWriter(store, 'host');
    const changed: string[] = [];
    const seen: string[] = [];
    for (const i of order) {
      if (i % 5 === 0) continue;
      const v = i % 3 === 0 ? 2 : 1;
      w2.add('file', { key: k(i), attributes: { v } });
      seen.push(k(i));
      if (v === 2) changed.push(k(i));
    }
    for (let j = 0; j < 1200; j++) {
      const key = `file:///i/new${String(j).padStart(4, '0')}`;
      w2.add('file', { key, attributes: { v: 1 } });
      seen.push(key);
      changed.push(key);
    }
    w2.add('file', { key: 'file:///i/zerr', attributes: {}, error: 'unreadable' });
    seen.push('file:///i/zerr');
    changed.push('file:///i/zerr');
    w2.add('other', { key: 'other://a', attributes: { v: 1 } });
    const got: string[] = [];
    for (const it of w2.items('file', true)) {
      got.push(it.key);
      assert.equal(it.plugin, 'file');
      // The connection is free between pages: another plugin's items can be added meanwhile.
      w2.add('derived', { key: `derived://${got.length}`, attributes: { of: it.key } });
    }
    assert.deepEqual(got, [...changed].sort(), 'exactly the new and changed items, by key');
    const errItem = [...w2.items('file', true)].find((it) => it.key === 'file:///i/zerr');
    assert.equal(errItem?.error, 'unreadable');
    assert.deepEqual([...w2.items('file')].map((it) => it.key), [...seen].sort(), 'every item recorded in this session, by key');
    assert.deepEqual([...w2.items('derived')].length, got.length);
    // Stopping early drops the temporary table; a second iteration starts afresh.
    for (const _ of w2.items('file')) break;
    assert.equal([...w2.items('file', true)].length, changed.length);
    w2.finish();
    const tables = store.db.prepare("SELECT name FROM sqlite_temp_master WHERE name LIKE 'session_keys_%'").all();
    assert.deepEqual(tables, []);
  } finally {
    store.close();
  }
});
