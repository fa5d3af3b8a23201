import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { SessionWriter } from '../store/session-writer.js';
import { Store } from '../store/store.js';
import type { Item } from '../types.js';
import { attributeChanges, diffSessions } from './differ.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-differ-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => Store.open(path.join(dir, `db${n++}`, 'db.sqlite'));

function session(store: Store, items: Item[], plugin = 'file') {
  const w = new SessionWriter(store, 'host');
  for (const it of items) w.add(plugin, it);
  return w.finish();
}

test('attributeChanges lists only what differs, with old and new', () => {
  assert.deepEqual(attributeChanges({ mode: '0644', size: 1 }, { mode: '0600', size: 1 }, null, null), {
    mode: { old: '0644', new: '0600' },
  });
  assert.deepEqual(attributeChanges(undefined, { mode: '0600' }, null, null), { mode: { old: null, new: '0600' } });
  assert.deepEqual(attributeChanges({ a: 1 }, { a: 1 }, null, 'EACCES'), { error: { old: null, new: 'EACCES' } });
});

test('added, removed, changed, unchanged; content diff', () => {
  const store = fresh();
  const a = session(store, [
    { key: 'file:///same', attributes: { mode: '0644' } },
    { key: 'file:///gone', attributes: { mode: '0644' } },
    { key: 'file:///edit', attributes: { mode: '0644' }, contents: { content: 'one\ntwo\n' } },
  ]);
  const b = session(store, [
    { key: 'file:///same', attributes: { mode: '0644' } },
    { key: 'file:///edit', attributes: { mode: '0600' }, contents: { content: 'one\nthree\n' } },
    { key: 'file:///new', attributes: { mode: '0755' } },
  ]);
  const { changes } = diffSessions(store, a, b);
  assert.deepEqual(
    changes.map((c) => [c.key, c.change]),
    [
      ['file:///edit', 'changed'],
      ['file:///gone', 'removed'],
      ['file:///new', 'added'],
    ],
  );
  const edit = changes[0]!;
  assert.deepEqual(edit.attributes.mode, { old: '0644', new: '0600' });
  assert.match(edit.diff!, /^-two$/m);
  assert.match(edit.diff!, /^\+three$/m);
  assert.equal(b.item_count, 3);
  store.close();
});

test('a key that changed and changed back between the sessions is not a change', () => {
  const store = fresh();
  const s1 = session(store, [{ key: 'k://x', attributes: { v: 1 } }]);
  session(store, [{ key: 'k://x', attributes: { v: 2 } }]);
  const s3 = session(store, [{ key: 'k://x', attributes: { v: 1 } }]);
  assert.deepEqual(diffSessions(store, s1, s3).changes, []);
  const s4 = session(store, []);
  const removed = diffSessions(store, s1, s4).changes;
  assert.deepEqual(removed.map((c) => c.change), ['removed']);
  store.close();
});

test('diffs across non-adjacent sessions and items that come back', () => {
  const store = fresh();
  const s1 = session(store, [{ key: 'k://a', attributes: { v: 1 } }]);
  const s2 = session(store, []);
  const s3 = session(store, [{ key: 'k://a', attributes: { v: 1 } }, { key: 'k://b', attributes: { v: 1 } }]);
  assert.deepEqual(diffSessions(store, s1, s2).changes.map((c) => c.change), ['removed']);
  assert.deepEqual(diffSessions(store, s2, s3).changes.map((c) => [c.key, c.change]), [['k://a', 'added'], ['k://b', 'added']]);
  assert.deepEqual(diffSessions(store, s1, s3).changes.map((c) => [c.key, c.change]), [['k://b', 'added']]);
  store.close();
});

test('carried items are kept; errors are listed', () => {
  const store = fresh();
  const s1 = session(store, [{ key: 'scap://p/r1', attributes: { result: 'pass' } }], 'scap');
  const w = new SessionWriter(store, 'host');
  assert.equal(w.carry('scap'), 1);
  w.add('file', { key: 'file:///x', attributes: { type: 'file' }, error: 'EACCES: permission denied' });
  const s2 = w.finish();
  const { changes, errors } = diffSessions(store, s1, s2);
  assert.deepEqual(changes.map((c) => [c.key, c.change]), [['file:///x', 'added']]);
  assert.deepEqual(errors, [{ key: 'file:///x', message: 'EACCES: permission denied' }]);
  assert.equal(s2.item_count, 2);
  store.close();
});

test('an aborted session leaves nothing behind', () => {
  const store = fresh();
  const s1 = session(store, [{ key: 'k://a', attributes: { v: 1 } }]);
  const w = new SessionWriter(store, 'host');
  w.add('file', { key: 'k://a', attributes: { v: 2 } });
  w.abort();
  assert.equal(store.latestSession()!.id, s1.id);
  const s2 = session(store, [{ key: 'k://a', attributes: { v: 1 } }]);
  assert.deepEqual(diffSessions(store, s1, s2).changes, []);
  store.close();
});

test('cleanup keeps the newest sessions and what they need', () => {
  const store = fresh();
  const sessions = [];
  for (let i = 0; i < 6; i++) sessions.push(session(store, [{ key: 'k://a', attributes: { v: i % 2 } }, { key: 'k://c', attributes: {}, contents: { content: `t${i}` } }]));
  store.cleanup(2, 1);
  assert.equal(store.sessions().length, 2);
  const [newest, older] = store.sessions();
  const { changes } = diffSessions(store, older!, newest!);
  assert.deepEqual(changes.map((c) => c.key), ['k://a', 'k://c']);
  assert.match(changes[1]!.diff!, /^-t4$/m);
  // Only the texts of the two kept sessions remain.
  const sha = (t: string) => createHash('sha256').update(t).digest('hex');
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => store.hasBlob(sha(`t${i}`))), [false, false, false, false, true, true]);
  store.close();
});

test('a key added twice in a session is kept once, in an empty store and after', () => {
  const store = fresh();
  const w = new SessionWriter(store, 'host');
  assert.equal(w.add('file', { key: 'k://dup', attributes: { v: 1 } }), true);
  assert.equal(w.add('file', { key: 'k://dup', attributes: { v: 2 } }), false);
  const s1 = w.finish();
  assert.equal(s1.item_count, 1);
  const w2 = new SessionWriter(store, 'host');
  assert.equal(w2.add('file', { key: 'k://dup', attributes: { v: 3 } }), true);
  assert.equal(w2.add('file', { key: 'k://dup', attributes: { v: 4 } }), false);
  const s2 = w2.finish();
  assert.deepEqual(diffSessions(store, s1, s2).changes.map((c) => c.attributes.v), [{ old: 1, new: 3 }]);
  store.close();
});
