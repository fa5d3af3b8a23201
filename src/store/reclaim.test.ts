/**
 * Cleanup gives the space it frees back to the file system (Store.reclaimSpace), on a real
 * SQLite file: many sessions with churn, cleanup to a few, and the file shrinks by every page
 * freed, with every kept session's items, the reports and the digest chain intact.
 * A database made before auto_vacuum (auto_vacuum = NONE) is rewritten once and becomes
 * incremental.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { diffSessions } from '../core/differ.js';
import { verifyChain } from '../core/verify.js';
import type { Report } from '../core/report-model.js';
import { SessionWriter } from './session-writer.js';
import { type SessionRow, Store } from './store.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scm-reclaim-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const N = 2000;
const key = (i: number) => `file:///t/d${i % 40}/f${String(i).padStart(5, '0')}`;

/** A session of N items; `round` changes 5% of them (a different 5% each round). */
function session(store: Store, round: number): SessionRow {
  const w = new SessionWriter(store, 'host');
  for (let i = 0; i < N; i++) {
    const changed = round > 0 && i % 20 === round % 20 ? round : 0;
    w.previousItem(key(i));
    w.add('file', { key: key(i), attributes: { mode: '0644', size: i, sha256: `${'ab'.repeat(28)}${String(i * 1000 + changed).padStart(8, '0')}`, mtime: `2026-01-01T00:00:${changed % 60}Z` } });
  }
  return w.finish();
}

function saveReport(store: Store, oldS: SessionRow, newS: SessionRow): void {
  const { changes, errors } = diffSessions(store, oldS, newS);
  const report: Report = {
    uuid: `r-${newS.uuid}`,
    created_at: new Date().toISOString(),
    hostname: 'host',
    old_session: { uuid: oldS.uuid, started_at: oldS.started_at, finished_at: oldS.finished_at, item_count: oldS.item_count },
    new_session: { uuid: newS.uuid, started_at: newS.started_at, finished_at: newS.finished_at, item_count: newS.item_count },
    summary: { added: 0, removed: 0, changed: changes.length, errors: errors.length },
    changes,
    logins: [],
    errors,
  };
  store.saveReport(report, 'none');
}

const fileSize = (file: string) => fs.statSync(file).size + (fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0);

function snapshotItems(store: Store, s: SessionRow): string {
  return JSON.stringify([...store.sessionItems(s)]);
}

/** 40 sessions, each reported after the first. */
function grow(store: Store): { one: number; kept: SessionRow[]; itemsOfKept: string[] } {
  let prev = session(store, 0);
  store.checkpoint();
  const one = fileSize(store.file);
  for (let r = 1; r < 40; r++) {
    const s = session(store, r);
    saveReport(store, prev, s);
    prev = s;
  }
  const kept = store.sessions(3);
  return { one, kept, itemsOfKept: kept.map((s) => snapshotItems(store, s)) };
}

test('a new database is incremental: cleanup gives the freed pages back and keeps what it keeps', () => {
  const file = path.join(dir, 'new', 'db.sqlite');
  const store = Store.open(file);
  try {
    assert.equal(store.db.pragma('auto_vacuum', { simple: true }), 2);
    const { one, kept, itemsOfKept } = grow(store);
    store.checkpoint();
    const grown = fileSize(file);
    assert.ok(grown > 2 * one, `40 sessions with 5% churn and their reports outgrow one session (${grown} vs ${one})`);
    const res = store.cleanup(3, 3);
    assert.deepEqual(res, { sessions: 37, reports: 36 });
    const free = store.db.pragma('freelist_count', { simple: true }) as number;
    assert.ok(free > 0);
    const r = store.reclaimSpace();
    assert.equal(r.how, 'incremental');
    // Every free page is given back (with the pointer-map pages that tracked them), and the
    // file is its pages, the WAL empty.
    assert.ok(r.before - r.after >= free);
    assert.equal(store.db.pragma('freelist_count', { simple: true }), 0);
    const size = fileSize(file);
    assert.equal(size, r.after * (store.db.pragma('page_size', { simple: true }) as number));
    assert.ok(size < grown / 2, `after cleanup the file is less than half its size (${size} vs ${grown})`);
    assert.deepEqual(store.sessions(), kept);
    assert.deepEqual(kept.map((s) => snapshotItems(store, s)), itemsOfKept);
    assert.equal(store.reports().length, 3);
    assert.equal(store.db.pragma('quick_check', { simple: true }), 'ok');
    const v = verifyChain(store);
    assert.equal(v.ok, true, JSON.stringify(v.problems));
    assert.equal(v.records, 40);
    assert.equal(v.dropped, 37);
    // Nothing more to give back: nothing done.
    assert.equal(store.reclaimSpace().how, 'none');
  } finally {
    store.close();
  }
});

test('a database made before auto_vacuum is rewritten once by VACUUM and becomes incremental', () => {
  const file = path.join(dir, 'old', 'db.sqlite');
  let store = Store.open(file);
  // As databases were made before: no auto_vacuum.
  store.db.pragma('auto_vacuum = NONE');
  store.db.exec('VACUUM');
  assert.equal(store.db.pragma('auto_vacuum', { simple: true }), 0);
  const { kept, itemsOfKept } = grow(store);
  store.checkpoint();
  const grown = fileSize(file);
  store.cleanup(3, 3);
  const r = store.reclaimSpace();
  assert.equal(r.how, 'vacuum');
  assert.equal(store.db.pragma('auto_vacuum', { simple: true }), 2);
  assert.equal(store.db.pragma('freelist_count', { simple: true }), 0);
  assert.ok(fileSize(file) < grown / 2, `${fileSize(file)} vs ${grown}`);
  store.close();
  store = Store.open(file);
  try {
    assert.deepEqual(store.sessions(), kept);
    assert.deepEqual(kept.map((s) => snapshotItems(store, s)), itemsOfKept);
    assert.equal(verifyChain(store).ok, true);
    // The next session and diff work on the rewritten file.
    const s = session(store, 41);
    // Against round 39: the keys round 39 changed are back, round 41's keys changed.
    assert.equal(diffSessions(store, kept[0]!, s).changes.length, (2 * N) / 20);
  } finally {
    store.close();
  }
});
