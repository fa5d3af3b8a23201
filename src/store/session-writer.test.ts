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
