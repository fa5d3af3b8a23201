/**
 * Writes one session inside one transaction. Nothing is visible to other readers until
 * `finish()` commits it as complete; a crash or `abort()` leaves no trace.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Attributes, Item, StoredItem } from '../types.js';
import { type SessionRow, type Store, toStoredItem } from './store.js';

interface CurrentRow {
  id: number;
  key_id: number;
  valid_from: number;
  hash: string;
  attrs: string;
  contents: string | null;
  error: string | null;
  plugin: string;
}

const sortedKeyCache = new Map<string, string[]>();

/** Canonical JSON of attributes: keys sorted, so equal states hash equally. */
function canonicalAttrs(attrs: Attributes): string {
  const keys = Object.keys(attrs);
  const id = keys.join('\0');
  let sorted = sortedKeyCache.get(id);
  if (!sorted) {
    sorted = [...keys].sort();
    if (sortedKeyCache.size < 1000) sortedKeyCache.set(id, sorted);
  }
  let out = '{';
  for (const k of sorted) {
    const v = attrs[k];
    if (v === undefined) continue;
    out += `${out.length > 1 ? ',' : ''}${JSON.stringify(k)}:${JSON.stringify(v)}`;
  }
  return `${out}}`;
}

/** Hash of one stored state (attributes, content refs, error), for quick comparisons in SQL. */
function stateHash(attrs: string, contents: string | null, error: string | null): string {
  return createHash('sha1').update(attrs).update('\0').update(contents ?? '').update('\0').update(error ?? '').digest('base64');
}

function canonicalContents(refs: Record<string, string>): string | null {
  const keys = Object.keys(refs).sort();
  if (keys.length === 0) return null;
  const out: Record<string, string> = {};
  for (const k of keys) out[k] = refs[k]!;
  return JSON.stringify(out);
}

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
    insertKey: Statement;
    current: Statement;
    close: Statement;
    insert: Statement;
    seen: Statement;
  };
  /**
   * Lookups by key, kept until the key is added: collectors ask `previous(key)` for a batch of
   * items and add them afterwards, so each key costs one query.
   */
  private readonly carried = new Set<number>();
  private readonly emptyStore: boolean;
  private readonly cache = new Map<string, { keyId: number | undefined; row: CurrentRow | undefined }>();

  constructor(store: Store, hostname: string) {
    this.store = store;
    const db = store.db;
    this.previous = store.latestSession();
    // In an empty store no key can exist yet: skip the lookups (a duplicate key in this session
    // is still caught by the keys table's unique constraint).
    this.emptyStore = store.db.prepare('SELECT 1 FROM keys LIMIT 1').get() === undefined;
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
          `SELECT k.id AS key_id, k.plugin, i.id, i.valid_from, i.hash, i.attrs, i.contents, i.error
           FROM keys k LEFT JOIN items i ON i.key_id = k.id AND i.valid_to IS NULL WHERE k.key = ?`,
        ),
        insertKey: db.prepare('INSERT INTO keys (key, plugin) VALUES (?, ?)'),
        current: db.prepare(
          'SELECT i.id, i.key_id, i.valid_from, i.hash, i.attrs, i.contents, i.error, k.plugin FROM items i JOIN keys k ON k.id = i.key_id WHERE i.key_id = ? AND i.valid_to IS NULL',
        ),
        close: db.prepare('UPDATE items SET valid_to = ? WHERE id = ?'),
        insert: db.prepare(
          'INSERT INTO items (key_id, valid_from, hash, attrs, contents, error) VALUES (?, ?, ?, ?, ?, ?)',
        ),
        seen: db.prepare('INSERT OR IGNORE INTO temp.seen (key_id) VALUES (?)'),
      };
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }

  private lookup(key: string): { keyId: number | undefined; row: CurrentRow | undefined } {
    const hit = this.cache.get(key);
    if (hit) return hit;
    if (this.emptyStore) return { keyId: undefined, row: undefined };
    const r = this.s.lookup.get(key) as (Omit<CurrentRow, 'id'> & { id: number | null }) | undefined;
    const found = { keyId: r?.key_id, row: r && r.id !== null ? (r as CurrentRow) : undefined };
    if (this.cache.size >= 20_000) this.cache.clear();
    this.cache.set(key, found);
    return found;
  }

  /** The item as it was in the previous complete session (its current row, if not yet replaced). */
  previousItem(key: string): StoredItem | undefined {
    const { row } = this.lookup(key);
    if (!row || row.valid_from === this.session.id) return undefined;
    return toStoredItem({ key, plugin: row.plugin, attrs: row.attrs, contents: row.contents, error: row.error });
  }

  /** Record an item; returns false when the key was already recorded in this session. */
  add(plugin: string, item: Item): boolean {
    const refs: Record<string, string> = { ...(item.contentRefs ?? {}) };
    for (const [name, text] of Object.entries(item.contents ?? {})) refs[name] = this.store.putBlob(text);
    const attrs = canonicalAttrs(item.attributes);
    const contents = canonicalContents(refs);
    const error = item.error ?? null;
    const { keyId: existingId, row } = this.lookup(item.key);
    this.cache.delete(item.key);
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
    if (same) {
      this.s.seen.run(keyId);
    } else {
      if (row) this.s.close.run(this.previous?.id ?? row.valid_from, row.id);
      this.s.insert.run(keyId, this.session.id, stateHash(attrs, contents, error), attrs, contents, error);
      this.s.seen.run(keyId);
    }
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
      if (filter && !filter(toStoredItem(row))) continue;
      this.s.seen.run(row.key_id);
      this.carried.add(row.key_id);
      this.itemCount++;
      if (row.is_error) this.errorCount++;
      n++;
    }
    this.cache.clear();
    return n;
  }

  /** Items recorded in this session for a plugin, in pages. */
  *items(plugin: string): Generator<StoredItem> {
    const stmt = this.store.db.prepare(`
      SELECT k.key, k.plugin, i.attrs, i.contents, i.error FROM temp.seen s
      JOIN items i ON i.key_id = s.key_id AND i.valid_to IS NULL
      JOIN keys k ON k.id = s.key_id
      WHERE k.plugin = ? AND k.key > ? ORDER BY k.key LIMIT 1000`);
    let after = '';
    for (;;) {
      const rows = stmt.all(plugin, after) as { key: string; plugin: string; attrs: string; contents: string | null; error: string | null }[];
      for (const r of rows) yield toStoredItem(r);
      if (rows.length < 1000) return;
      after = rows[rows.length - 1]!.key;
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
      ).run(new Date().toISOString(), this.itemCount, this.errorCount, JSON.stringify(this.notes), this.session.id);
      db.exec('DELETE FROM temp.seen');
      db.exec('COMMIT');
    } catch (err) {
      this.abort();
      throw err;
    }
    this.done = true;
    return db.prepare('SELECT * FROM sessions WHERE id = ?').get(this.session.id) as SessionRow;
  }

  /** Drop everything written for this session. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    const db = this.store.db;
    if (db.inTransaction) db.exec('ROLLBACK');
  }
}
