/**
 * Writes one session inside one transaction. Nothing is visible to other readers until
 * `finish()` commits it as complete; a crash or `abort()` leaves no trace.
 */
import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Item, StoredItem } from '../types.js';
import { decodeItem, encodeAttrs, encodeContentRefs, encodeNotes } from './codec.js';
import type { SessionRow, Store } from './store.js';
import { BucketHasher, type ChainRecord } from './chain.js';

interface CurrentRow {
  id: number;
  key_id: number;
  valid_from: number;
  attrs: string;
  contents: string | null;
  error: string | null;
  plugin: string;
}

/** What the store holds for a key: its id (if known) and current row (if any). */
interface Found {
  keyId: number | undefined;
  row: CurrentRow | undefined;
}

const NOTHING: Found = { keyId: undefined, row: undefined };

/** A read-ahead row as better-sqlite3 returns it raw (arrays cost less than objects). */
type AheadRow = [key_id: number, key: string, plugin: string, id: number | null, valid_from: number, attrs: string, contents: string | null, error: string | null];

function foundOf(r: AheadRow): Found {
  const [key_id, , plugin, id, valid_from, attrs, contents, error] = r;
  return { keyId: key_id, row: id === null ? undefined : { id, key_id, valid_from, attrs, contents, error, plugin } };
}

/**
 * Rows read ahead per query, and how far ahead of / behind the walk they are kept. The file
 * collector asks for an entry's previous state as it walks; an unchanged entry is added at
 * once, the others when the hashes of their batch are in, up to (2 × hash_workers + 2) × 1000
 * entries later: BEHIND covers that for the default two workers. The window ahead is small on
 * purpose: a row read long before the walk reaches it outlives several of V8's young-generation
 * collections and is copied into the old generation (a no-change collect of 74k entries
 * promoted 51 MB with 4000 rows ahead, 7 MB with 256, and its CPU time fell by a fifth).
 */
const PAGE = 256;
const AHEAD = 256;
const BEHIND = 8000;
/** Consecutive keys found beyond the read-ahead window before the window moves to them. */
const RELOCATE_AFTER = 16;

export class SessionWriter {
  readonly session: SessionRow;
  readonly previous: SessionRow | undefined;
  private readonly store: Store;
  private done = false;
  private itemCount = 0;
  private errorCount = 0;
  private readonly notes: string[] = [];
  private readonly s: {
    lookup: Statement;
    page: Statement;
    insertKey: Statement;
    close: Statement;
    insert: Statement;
    seen: Statement;
  };
  /**
   * Lookups by key, kept until the key is added: collectors ask `previous(key)` for a batch of
   * items and add them afterwards, so each key costs one query.
   */
  private readonly cache = new Map<string, Found>();
  /**
   * Keys and their current rows read ahead in key id order, which is the order they were first
   * recorded in: a walk that sees the same tree again asks for them in that order, so one query
   * serves a thousand lookups. Keys asked for out of order fall back to a point query.
   */
  private readonly ahead = new Map<string, AheadRow>();
  private aheadLastId = 0;
  private aheadHitId = 0;
  private aheadDone = false;
  private beyond = 0;
  private readonly carried = new Set<number>();
  /** Temporary key tables made by `items` (one per iteration, dropped after it). */
  private itemTables = 0;
  /**
   * In an empty store no key can exist yet: lookups are skipped (a duplicate key in this
   * session is still caught by the keys table's unique constraint), and nothing needs to be
   * marked as seen, since there is no earlier item to close.
   */
  private readonly emptyStore: boolean;
  /** In an empty store, the chain's bucket digests of the items as they are written. */
  private readonly hasher: BucketHasher | undefined;

  /** Signs a session's chain record (the configured signing key), when set. */
  private readonly sign: ((record: ChainRecord) => string) | undefined;
  /** The chain record written by finish(). */
  chainRecord: ChainRecord | undefined;

  constructor(store: Store, hostname: string, opts: { sign?: (record: ChainRecord) => string } = {}) {
    this.store = store;
    this.sign = opts.sign;
    const db = store.db;
    this.previous = store.latestSession();
    this.emptyStore = store.db.prepare('SELECT 1 FROM keys LIMIT 1').get() === undefined;
    this.hasher = this.emptyStore ? new BucketHasher() : undefined;
    db.exec('BEGIN IMMEDIATE');
    try {
      db.exec('CREATE TEMP TABLE IF NOT EXISTS seen (key_id INTEGER PRIMARY KEY) WITHOUT ROWID; DELETE FROM temp.seen;');
      const started = new Date().toISOString();
      const uuid = randomUUID();
      const info = db
        .prepare('INSERT INTO sessions (uuid, hostname, started_at) VALUES (?, ?, ?)')
        .run(uuid, hostname, started);
      this.session = db.prepare('SELECT * FROM sessions WHERE id = ?').get(info.lastInsertRowid) as SessionRow;
      this.s = {
        lookup: db.prepare(
          `SELECT k.id AS key_id, k.plugin, i.id, i.valid_from, i.attrs, i.contents, i.error
           FROM keys k LEFT JOIN items i ON i.key_id = k.id AND i.valid_to IS NULL WHERE k.key = ?`,
        ),
        page: db
          .prepare(
            `SELECT k.id, k.key, k.plugin, i.id, i.valid_from, i.attrs, i.contents, i.error
             FROM keys k LEFT JOIN items i ON i.key_id = k.id AND i.valid_to IS NULL
             WHERE k.id > ? ORDER BY k.id LIMIT ${PAGE}`,
          )
          .raw(true),
        insertKey: db.prepare('INSERT INTO keys (key, plugin) VALUES (?, ?)'),
        close: db.prepare('UPDATE items SET valid_to = ? WHERE id = ?'),
        insert: db.prepare(
          'INSERT INTO items (key_id, valid_from, attrs, contents, error) VALUES (?, ?, ?, ?, ?)',
        ),
        seen: db.prepare('INSERT OR IGNORE INTO temp.seen (key_id) VALUES (?)'),
      };
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }

  private lookup(key: string): Found {
    const hit = this.cache.get(key);
    if (hit) return hit;
    if (this.emptyStore) return NOTHING;
    this.readAhead();
    const ahead = this.ahead.get(key);
    if (ahead) {
      this.aheadHitId = Math.max(this.aheadHitId, ahead[0]);
      this.beyond = 0;
      // Kept until the key is added, which may be thousands of entries later.
      this.ahead.delete(key);
      const found = foundOf(ahead);
      this.cache.set(key, found);
      return found;
    }
    const r = this.s.lookup.get(key) as (Omit<CurrentRow, 'id'> & { id: number | null }) | undefined;
    const found = r ? { keyId: r.key_id, row: r.id !== null ? (r as CurrentRow) : undefined } : NOTHING;
    // Many keys in a row found past the window: the walk skipped a stretch (deleted files);
    // move the window to where it is now.
    if (r && r.key_id > this.aheadLastId && ++this.beyond >= RELOCATE_AFTER) {
      this.aheadLastId = this.aheadHitId = r.key_id;
      this.aheadDone = false;
      this.beyond = 0;
    }
    if (this.cache.size >= 20_000) this.cache.clear();
    this.cache.set(key, found);
    return found;
  }

  /** Keep the read-ahead window AHEAD rows past the last key found in it. */
  private readAhead(): void {
    if (this.aheadDone || this.aheadLastId - this.aheadHitId >= AHEAD) return;
    // Entries far behind the walk are keys it did not ask for (gone, or asked for out of order).
    for (const [key, r] of this.ahead) {
      if (r[0] >= this.aheadHitId - BEHIND) break;
      this.ahead.delete(key);
    }
    while (!this.aheadDone && this.aheadLastId - this.aheadHitId < AHEAD) {
      const rows = this.s.page.all(this.aheadLastId) as AheadRow[];
      for (const r of rows) this.ahead.set(r[1], r);
      if (rows.length > 0) this.aheadLastId = rows[rows.length - 1]![0];
      if (rows.length < PAGE) this.aheadDone = true;
    }
  }

  private forget(key: string): void {
    this.cache.delete(key);
    this.ahead.delete(key);
  }

  /** The item as it was in the previous complete session (its current row, if not yet replaced). */
  previousItem(key: string): StoredItem | undefined {
    const { row } = this.lookup(key);
    if (!row || row.valid_from === this.session.id) return undefined;
    return decodeItem({ key, plugin: row.plugin, attrs: row.attrs, contents: row.contents, error: row.error });
  }

  /** Record an item; returns false when the key was already recorded in this session. */
  add(plugin: string, item: Item): boolean {
    let contents: string | null = null;
    // Most items (every file's) have no contents: nothing to build for them.
    if (item.contentRefs !== undefined || item.contents !== undefined) {
      const refs: Record<string, string> = { ...(item.contentRefs ?? {}) };
      for (const [name, text] of Object.entries(item.contents ?? {})) refs[name] = this.store.putBlob(text);
      contents = encodeContentRefs(refs);
    }
    const attrs = encodeAttrs(item.attributes);
    const error = item.error ?? null;
    const { keyId: existingId, row } = this.lookup(item.key);
    this.forget(item.key);
    let keyId = existingId;
    if (keyId === undefined) {
      try {
        keyId = Number(this.s.insertKey.run(item.key, plugin).lastInsertRowid);
      } catch (err) {
        // Only possible when the lookup was skipped: the key was added earlier in this session.
        if (this.emptyStore && (err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
        throw err;
      }
    }
    if (row?.valid_from === this.session.id) return false;
    // Unchanged is the common case: compare the stored texts, no hashing needed.
    const same = row !== undefined && row.attrs === attrs && row.contents === contents && row.error === error;
    // A carried item (see carry) is already seen; adding it again replaces it.
    const carried = row !== undefined && this.carried.has(keyId);
    if (carried && same) return true;
    if (!same) {
      if (row) this.s.close.run(this.previous?.id ?? row.valid_from, row.id);
      this.s.insert.run(keyId, this.session.id, attrs, contents, error);
      this.hasher?.add(keyId, item.key, plugin, attrs, contents, error);
    }
    if (!this.emptyStore) this.s.seen.run(keyId);
    if (!carried) {
      this.itemCount++;
      if (error) this.errorCount++;
    }
    return true;
  }

  /** Keep a plugin's current items unchanged in this session; returns how many. */
  carry(plugin: string, filter?: (item: StoredItem) => boolean): number {
    const db = this.store.db;
    const rows = db
      .prepare(`SELECT i.key_id, i.attrs, i.contents, i.error, k.key, k.plugin, i.error IS NOT NULL AS is_error
                FROM items i JOIN keys k ON k.id = i.key_id
                WHERE k.plugin = ? AND i.valid_to IS NULL AND i.valid_from < ?
                  AND i.key_id NOT IN (SELECT key_id FROM temp.seen)`)
      .all(plugin, this.session.id) as (CurrentRow & { key: string; is_error: number })[];
    let n = 0;
    for (const row of rows) {
      if (filter && !filter(decodeItem(row))) continue;
      this.s.seen.run(row.key_id);
      this.carried.add(row.key_id);
      this.itemCount++;
      if (row.is_error) this.errorCount++;
      n++;
    }
    this.cache.clear();
    this.ahead.clear();
    this.aheadDone = true;
    return n;
  }

  /**
   * Items recorded in this session for a plugin, by key, in pages. `changedOnly`: only the
   * items whose row this session wrote (new, or different from the previous session's).
   * Their keys are gathered first, with one query, into a temporary table kept in key order
   * (keys only, not the rows); the rows are then read a page at a time by key. Paging the
   * join itself would sort every matching row again for each page of a thousand: quadratic
   * (200k changed files cost the packages collector 30 s of CPU). The connection is free
   * between pages, so the caller may add items meanwhile.
   */
  *items(plugin: string, changedOnly = false): Generator<StoredItem> {
    const db = this.store.db;
    const table = `temp.session_keys_${++this.itemTables}`;
    // In a store that was empty, every current item is this session's (nothing is marked seen).
    const changed = changedOnly && !this.emptyStore ? `AND i.valid_from = ${Number(this.session.id)}` : '';
    db.exec(`CREATE TABLE ${table} (key TEXT PRIMARY KEY, key_id INTEGER NOT NULL) WITHOUT ROWID`);
    try {
      db.prepare(
        this.emptyStore
          ? `INSERT INTO ${table} (key, key_id) SELECT k.key, k.id FROM keys k
             JOIN items i ON i.key_id = k.id AND i.valid_to IS NULL
             WHERE k.plugin = ?`
          : `INSERT INTO ${table} (key, key_id) SELECT k.key, k.id FROM temp.seen s
             JOIN items i ON i.key_id = s.key_id AND i.valid_to IS NULL ${changed}
             JOIN keys k ON k.id = s.key_id
             WHERE k.plugin = ?`,
      ).run(plugin);
      const page = db.prepare(
        `SELECT t.key, k.plugin, i.attrs, i.contents, i.error FROM ${table} t
         JOIN keys k ON k.id = t.key_id
         JOIN items i ON i.key_id = t.key_id AND i.valid_to IS NULL ${changed}
         WHERE t.key > ? ORDER BY t.key LIMIT 1000`,
      );
      let after = '';
      for (;;) {
        const rows = page.all(after) as { key: string; plugin: string; attrs: string; contents: string | null; error: string | null }[];
        for (const r of rows) yield decodeItem(r);
        if (rows.length < 1000) return;
        after = rows[rows.length - 1]!.key;
      }
    } finally {
      db.exec(`DROP TABLE IF EXISTS ${table}`);
    }
  }

  note(message: string): void {
    this.notes.push(message);
  }

  get counts(): { items: number; errors: number } {
    return { items: this.itemCount, errors: this.errorCount };
  }

  /** Close the ranges of items not seen in this session and commit it as complete. */
  finish(): SessionRow {
    if (this.done) throw new Error('session already finished');
    const db = this.store.db;
    try {
      if (this.previous) {
        db.prepare(`UPDATE items SET valid_to = ? WHERE valid_to IS NULL AND valid_from < ?
                    AND key_id NOT IN (SELECT key_id FROM temp.seen)`).run(this.previous.id, this.session.id);
      }
      db.prepare(
        'UPDATE sessions SET finished_at = ?, complete = 1, item_count = ?, error_count = ?, notes = ? WHERE id = ?',
      ).run(new Date().toISOString(), this.itemCount, this.errorCount, encodeNotes(this.notes), this.session.id);
      db.exec('DELETE FROM temp.seen');
      const row = db.prepare('SELECT * FROM sessions WHERE id = ?').get(this.session.id) as SessionRow;
      this.chainRecord = this.store.appendChain(row, 'collect', this.sign, this.hasher?.digests());
      db.exec('COMMIT');
      this.done = true;
      return row;
    } catch (err) {
      this.abort();
      throw err;
    }
  }

  /** Drop everything written for this session. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    const db = this.store.db;
    if (db.inTransaction) db.exec('ROLLBACK');
  }
}
