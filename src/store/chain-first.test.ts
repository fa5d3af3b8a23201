/**
 * The first session of an empty store gets its chain digest from the items as they are
 * written (BucketHasher), not from reading them all back. These sessions check that digest
 * against the one computed from the stored rows (fullBuckets, as verify does), across many
 * buckets, several plugins, errors and contents, texts beyond ASCII, a duplicate key, and
 * texts that SQLite's UTF-8 does not keep as they are (a lone surrogate), which must make the
 * writer read the rows in full instead.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { verifyChain } from '../core/verify.js';
import { fullBuckets, sessionDigest, stateDigest } from './chain.js';
import { SessionWriter } from './session-writer.js';
import { Store } from './store.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-chain-first-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Write one first session with `extra` items after 1000 ordinary ones; return the store. */
function firstSession(name: string, extra: (w: SessionWriter) => void): { store: Store; id: number } {
  const store = Store.open(path.join(dir, `${name}.sqlite`));
  const w = new SessionWriter(store, 'host');
  for (let i = 0; i < 1000; i++) {
    const plugin = i % 3 === 0 ? 'conffile' : 'file';
    w.add(plugin, {
      key: `${plugin}:///etc/f${i}-é`,
      attributes: { mode: '0644', size: i, user: i % 7 === 0 ? 'jürgen' : 'root' },
      ...(i % 5 === 0 ? { error: `EACCES: permission denied, open (${i})` } : {}),
      ...(i % 11 === 0 ? { contents: { text: `line ${i}\n` } } : {}),
    });
  }
  extra(w);
  const s = w.finish();
  return { store, id: s.id };
}

/** The digest recomputed from the stored rows, as verify does for a first session. */
function recomputed(store: Store, id: number): string {
  const row = store.db.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as Parameters<typeof sessionDigest>[0];
  return sessionDigest(row, null, stateDigest(fullBuckets(store.db, id)));
}

test('a first session\'s digest taken while writing equals the one read back from its rows', () => {
  const { store, id } = firstSession('plain', (w) => {
    // A key already recorded this session is refused and counts for nothing.
    assert.equal(w.add('file', { key: 'file:///etc/f1-é', attributes: { mode: '0600' } }), false);
  });
  try {
    const stored = store.db.prepare('SELECT digest FROM chain WHERE session_id = ?').pluck().get(id) as string;
    assert.equal(stored, recomputed(store, id));
    assert.equal(verifyChain(store).ok, true);
  } finally {
    store.close();
  }
});

test('a text SQLite does not keep as it is (a lone surrogate) makes the digest be read back in full', () => {
  const { store, id } = firstSession('surrogate', (w) => {
    w.add('file', { key: 'file:///etc/odd', attributes: { size: 1 }, error: 'cut \ud83d here' });
    w.add('file', { key: 'file:///etc/after', attributes: { size: 2 } });
  });
  try {
    const stored = store.db.prepare('SELECT digest FROM chain WHERE session_id = ?').pluck().get(id) as string;
    assert.equal(stored, recomputed(store, id));
    assert.equal(verifyChain(store).ok, true);
  } finally {
    store.close();
  }
});
