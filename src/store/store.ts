/**
 * The SQLite store: sessions, items (as validity ranges, see schema.ts), content blobs and
 * reports. Only complete sessions are ever listed, diffed or exported.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import type { Report, ReportChange } from '../core/report-model.js';
import { databaseError, messageOf, notFound } from '../errors.js';
import type { StoredItem } from '../types.js';
import { decodeAttrs, decodeChange, decodeContentRefs, decodeItem, decodeNotes, decodeReportHead, encodeChange, encodeReportHead, type ReportHead } from './codec.js';
import { advanceBuckets, type BucketDigests, type ChainOrigin, type ChainRecord, fullBuckets, sessionDigest, stateDigest } from './chain.js';
import { type AcceptedKey, type Acceptor, type AcceptRecord, acceptKeys, acceptRecords, syncAccepted, type UnacceptedDiff, unacceptedDiffs, unacceptedKeys } from './accepted.js';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './schema.js';
import { checkDatabaseFiles, checkStorageDir, createPrivateFile, DB_COMPANIONS, makePrivateByPath } from './secure-dir.js';

export type { ReportHead } from './codec.js';
export type { UnacceptedDiff } from './accepted.js';

type DB = Database.Database;

export interface SessionRow {
  id: number;
  uuid: string;
  hostname: string;
  started_at: string;
  finished_at: string | null;
  complete: number;
  item_count: number;
  error_count: number;
  notes: string;
}

export interface ItemRow {
  id: number;
  key_id: number;
  key: string;
  plugin: string;
  valid_from: number;
  valid_to: number | null;
  attrs: string;
  contents: string | null;
  error: string | null;
}

export type MailState = 'none' | 'pending' | 'sent' | 'failed' | 'skipped';

export interface ReportRow {
  id: number;
  uuid: string;
  created_at: string;
  old_session_uuid: string;
  new_session_uuid: string;
  added: number;
  removed: number;
  changed: number;
  errors: number;
  head: string;
  mail_state: MailState;
  mailed_at: string | null;
  mail_error: string | null;
}

/** The schema version that added the digest chain (see schema.ts). */
const CHAIN_VERSION = 3;
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const PAGE = 1000;

/** One state of an item as the differ compares it. */
export interface ItemState {
  attributes: StoredItem['attributes'];
  contentHashes: Record<string, string>;
  error: string | null;
}

/** An item that differs between two sessions: `old` absent when added, `new` absent when removed. */
export interface ItemDiff {
  key: string;
  plugin: string;
  old?: ItemState;
  new?: ItemState;
  /** Whether the kept contents (their hashes) differ. */
  contentsChanged: boolean;
}

interface DiffRow {
  key: string;
  plugin: string;
  n_id: number | null;
  n_attrs: string | null;
  n_contents: string | null;
  n_error: string | null;
  o_id: number | null;
  o_attrs: string | null;
  o_contents: string | null;
  o_error: string | null;
}

const VALID_AT = (alias: string, s: string) =>
  `${alias}.valid_from <= ${s} AND (${alias}.valid_to IS NULL OR ${alias}.valid_to >= ${s})`;

function stateOf(attrs: string | null, contents: string | null, error: string | null): ItemState | undefined {
  return attrs === null ? undefined : { attributes: decodeAttrs(attrs), contentHashes: decodeContentRefs(contents), error };
}

export class Store {
  readonly db: DB;
  readonly file: string;
  private blobStmt?: Database.Statement;
  /** Temporary tables made by itemDiffs, one per iteration (several may be open at once). */
  private diffTables = 0;

  private constructor(db: DB, file: string) {
    this.db = db;
    this.file = file;
  }

  /**
   * Open (creating when absent) the database at `file`. A file that is not a syschangemon
   * database — truncated, corrupt, foreign — is an error that names it; it is never overwritten.
   */
  static open(file: string, opts: { readonly?: boolean } = {}): Store {
    const readonly = opts.readonly === true;
    const dir = path.dirname(file);
    // The directory, then the files in it (see secure-dir.ts): nothing is created, opened or
    // chmodded before both passed.
    if (!checkStorageDir(dir, { create: !readonly })) {
      throw notFound(`no database at ${file}: run 'syschangemon collect' first`);
    }
    const exists = checkDatabaseFiles(file);
    if (exists) {
      try {
        checkHeader(file);
      } catch (err) {
        throw wrapOpenError(file, err);
      }
    } else {
      if (readonly) throw notFound(`no database at ${file}: run 'syschangemon collect' first`);
      createPrivateFile(file);
    }
    const db = openDatabase(file, readonly);
    const store = new Store(db, file);
    try {
      // Whose file it is comes first: a foreign or newer database is left exactly as it was
      // (no chmod, no switch to WAL, no -wal or -shm beside it).
      const version = store.identify();
      if (!readonly) {
        makePrivateByPath(file);
        // A new database gives the pages cleanup frees back to the file system
        // (reclaimSpace); this can only be chosen before its first table, and before WAL mode
        // writes the file's header.
        if (version === 0) db.pragma('auto_vacuum = INCREMENTAL');
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
      }
      db.pragma('foreign_keys = ON');
      db.pragma('temp_store = MEMORY');
      db.pragma('cache_size = -4000');
      store.migrate(version, readonly);
      if (!readonly) for (const ext of DB_COMPANIONS) makePrivateByPath(file + ext);
    } catch (err) {
      db.close();
      throw wrapOpenError(file, err);
    }
    return store;
  }

  /** The schema version of a syschangemon database (0: a new, empty file); else an error. */
  private identify(): number {
    const appId = this.db.pragma('application_id', { simple: true }) as number;
    const version = this.db.pragma('user_version', { simple: true }) as number;
    const tables = (this.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
    if (appId !== APPLICATION_ID && !(appId === 0 && tables === 0)) {
      throw databaseError(`${this.file} is not a syschangemon database (a foreign SQLite file); move it away or run 'syschangemon reset'`);
    }
    if (version > SCHEMA_VERSION) {
      throw databaseError(`${this.file} has schema version ${version}, newer than this syschangemon understands (${SCHEMA_VERSION}); upgrade syschangemon`);
    }
    return version;
  }

  private migrate(version: number, readonly: boolean): void {
    if (version === SCHEMA_VERSION) return;
    if (readonly) throw databaseError(`${this.file} needs a schema upgrade: run a command that writes (e.g. 'syschangemon collect')`);
    const run = this.db.transaction(() => {
      for (let v = version; v < SCHEMA_VERSION; v++) this.db.exec(MIGRATIONS[v]!);
      // The sessions stored before the history had digests join the chain as they are now.
      if (version < CHAIN_VERSION) for (const s of this.db.prepare('SELECT * FROM sessions WHERE complete = 1 ORDER BY id').all() as SessionRow[]) this.appendChain(s, 'upgrade');
      this.db.pragma(`application_id = ${APPLICATION_ID}`);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    });
    run.immediate();
  }

  /** SQLite's quick_check: undefined when the file is sound, else its first complaint. */
  damage(): string | undefined {
    const rows = this.db.pragma('quick_check(1)') as { quick_check: string }[];
    const first = rows[0]?.quick_check;
    return first === 'ok' ? undefined : (first ?? 'quick_check gave no answer').replace(/\s+/g, ' ').trim();
  }

  /**
   * Close. A transaction a failure left open is rolled back first, so closing the last
   * connection checkpoints and removes the WAL: a failed write (a full disk) gives its space back.
   */
  close(): void {
    if (!this.db.open) return;
    try {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
    } catch {
      // closing rolls back anyway
    }
    this.db.close();
  }

  // ---- sessions ---------------------------------------------------------------------------

  /** Complete sessions, newest first. */
  sessions(limit = -1): SessionRow[] {
    return this.db
      .prepare('SELECT * FROM sessions WHERE complete = 1 ORDER BY id DESC LIMIT ?')
      .all(limit) as SessionRow[];
  }

  latestSession(): SessionRow | undefined {
    return this.sessions(1)[0];
  }

  /** A complete session by uuid (a unique prefix of at least 4 characters is enough). */
  sessionByUuid(uuid: string): SessionRow {
    const rows = this.db
      .prepare("SELECT * FROM sessions WHERE complete = 1 AND uuid LIKE ? || '%' ESCAPE '\\' LIMIT 2")
      .all(escapeLike(uuid)) as SessionRow[];
    if (rows.length === 0 || uuid.length < 4) throw notFound(`no complete session ${uuid}`);
    if (rows.length > 1) throw notFound(`session uuid prefix ${uuid} is ambiguous`);
    return rows[0]!;
  }

  /** The complete session just before `session`. */
  sessionBefore(session: SessionRow): SessionRow | undefined {
    return this.db
      .prepare('SELECT * FROM sessions WHERE complete = 1 AND id < ? ORDER BY id DESC LIMIT 1')
      .get(session.id) as SessionRow | undefined;
  }

  // ---- items ------------------------------------------------------------------------------

  /** Items valid in a complete session, optionally of one plugin, by key, in pages (bounded memory). */
  *sessionItems(session: SessionRow, plugin?: string): Generator<StoredItem> {
    const stmt = this.db.prepare(`
      SELECT i.*, k.key, k.plugin FROM items i JOIN keys k ON k.id = i.key_id
      WHERE i.valid_from <= @s AND (i.valid_to IS NULL OR i.valid_to >= @s)
        AND (@plugin IS NULL OR k.plugin = @plugin) AND k.key > @after
      ORDER BY k.key LIMIT ${PAGE}`);
    let after = '';
    for (;;) {
      const rows = stmt.all({ s: session.id, plugin: plugin ?? null, after }) as ItemRow[];
      for (const r of rows) yield decodeItem(r);
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]!.key;
    }
  }

  /** The item with this key valid in a complete session, if any. */
  sessionItem(session: SessionRow, key: string): StoredItem | undefined {
    const row = this.db
      .prepare(`
      SELECT i.*, k.key, k.plugin FROM items i JOIN keys k ON k.id = i.key_id
      WHERE k.key = @key AND i.valid_from <= @s AND (i.valid_to IS NULL OR i.valid_to >= @s)`)
      .get({ s: session.id, key }) as ItemRow | undefined;
    return row ? decodeItem(row) : undefined;
  }

  /**
   * The items that differ between two sessions (`oldS` older than `newS`), ordered by key, in
   * pages. Items are stored as validity ranges, so only the rows that changed between the
   * sessions are read: their keys are gathered first into a temporary table kept in key order
   * (keys only, not the rows), then the old and new rows are read a page at a time. Memory
   * stays bounded whatever the number of changes, and the connection is free between pages:
   * the caller may read contents or write a report meanwhile. A key that changed and changed
   * back is left out. With `plugin`, only that plugin's items.
   */
  *itemDiffs(oldS: SessionRow, newS: SessionRow, plugin?: string): Generator<ItemDiff> {
    const table = `temp.diff_keys_${++this.diffTables}`;
    const ids = { a: oldS.id, b: newS.id };
    const only = plugin === undefined ? '' : 'AND k.plugin = @plugin';
    this.db.exec(`CREATE TABLE ${table} (key TEXT PRIMARY KEY, key_id INTEGER NOT NULL, plugin TEXT NOT NULL) WITHOUT ROWID`);
    try {
      this.db
        .prepare(`
          INSERT INTO ${table} (key, key_id, plugin)
          SELECT k.key, k.id, k.plugin FROM items n JOIN keys k ON k.id = n.key_id
          WHERE n.valid_from > @a AND ${VALID_AT('n', '@b')} ${only}
          UNION ALL
          SELECT k.key, k.id, k.plugin FROM items o JOIN keys k ON k.id = o.key_id
          WHERE o.valid_from <= @a AND o.valid_to IS NOT NULL AND o.valid_to >= @a AND o.valid_to < @b ${only}
            AND NOT EXISTS (SELECT 1 FROM items n WHERE n.key_id = o.key_id AND ${VALID_AT('n', '@b')})`)
        .run(plugin === undefined ? ids : { ...ids, plugin });
      const page = this.db.prepare(`
        SELECT d.key, d.plugin, n.id AS n_id, n.attrs AS n_attrs, n.contents AS n_contents, n.error AS n_error,
               o.id AS o_id, o.attrs AS o_attrs, o.contents AS o_contents, o.error AS o_error
        FROM ${table} d
        LEFT JOIN items n ON n.key_id = d.key_id AND ${VALID_AT('n', '@b')}
        LEFT JOIN items o ON o.key_id = d.key_id AND ${VALID_AT('o', '@a')}
        WHERE d.key > @after ORDER BY d.key LIMIT ${PAGE}`);
      let after = '';
      for (;;) {
        const rows = page.all({ ...ids, after }) as DiffRow[];
        for (const row of rows) {
          if (row.n_id !== null && row.o_id !== null && row.n_attrs === row.o_attrs && row.n_contents === row.o_contents && row.n_error === row.o_error) continue;
          const d: ItemDiff = { key: row.key, plugin: row.plugin, contentsChanged: row.o_contents !== row.n_contents };
          const o = row.o_id === null ? undefined : stateOf(row.o_attrs, row.o_contents, row.o_error);
          const n = row.n_id === null ? undefined : stateOf(row.n_attrs, row.n_contents, row.n_error);
          if (o) d.old = o;
          if (n) d.new = n;
          yield d;
        }
        if (rows.length < PAGE) return;
        after = rows[rows.length - 1]!.key;
      }
    } finally {
      this.db.exec(`DROP TABLE IF EXISTS ${table}`);
    }
  }

  /** Items of a session that carry an error, by key. */
  errorItems(session: SessionRow): { key: string; message: string }[] {
    return (
      this.db
        .prepare(`SELECT k.key, i.error FROM items i JOIN keys k ON k.id = i.key_id
                  WHERE i.error IS NOT NULL AND ${VALID_AT('i', '@s')} ORDER BY k.key`)
        .all({ s: session.id }) as { key: string; error: string }[]
    ).map((r) => ({ key: r.key, message: r.error }));
  }

  /** The collectors' notes of a session. */
  sessionNotes(session: SessionRow): string[] {
    return decodeNotes(session.notes);
  }

  /** Attribute names used by the items of a session (for CSV headers). */
  attributeNames(session: SessionRow): string[] {
    const rows = this.db
      .prepare(`
        SELECT DISTINCT j.key AS name FROM items i, json_each(i.attrs) j
        WHERE i.valid_from <= @s AND (i.valid_to IS NULL OR i.valid_to >= @s)`)
      .all({ s: session.id }) as { name: string }[];
    return rows.map((r) => r.name);
  }

  /** Names of the texts kept by the items of a session (`content`, `stdout`, …), for CSV headers. */
  contentNames(session: SessionRow): string[] {
    const rows = this.db
      .prepare(`
        SELECT DISTINCT j.key AS name FROM items i, json_each(i.contents) j
        WHERE i.contents IS NOT NULL AND i.valid_from <= @s AND (i.valid_to IS NULL OR i.valid_to >= @s)`)
      .all({ s: session.id }) as { name: string }[];
    return rows.map((r) => r.name);
  }

  // ---- blobs ------------------------------------------------------------------------------

  hasBlob(hash: string): boolean {
    return this.db.prepare('SELECT 1 FROM blobs WHERE hash = ?').get(hash) !== undefined;
  }

  blob(hash: string): string | undefined {
    return this.blobBytes(hash)?.toString('utf8');
  }

  /** A stored text's UTF-8 bytes (half the memory of the string for ASCII, and no decoding). */
  blobBytes(hash: string): Buffer | undefined {
    this.blobStmt ??= this.db.prepare('SELECT data FROM blobs WHERE hash = ?');
    const row = this.blobStmt.get(hash) as { data: Buffer } | undefined;
    return row?.data;
  }

  /** Store a text once; returns its sha256 (of the UTF-8 bytes). */
  putBlob(text: string): string {
    const data = Buffer.from(text, 'utf8');
    const hash = createHash('sha256').update(data).digest('hex');
    this.db.prepare('INSERT OR IGNORE INTO blobs (hash, size, data) VALUES (?, ?, ?)').run(hash, data.length, data);
    return hash;
  }

  // ---- reports ----------------------------------------------------------------------------

  reports(limit = -1): ReportRow[] {
    return this.db.prepare('SELECT * FROM reports ORDER BY id DESC LIMIT ?').all(limit) as ReportRow[];
  }

  reportByUuid(uuid?: string): ReportRow {
    if (!uuid) {
      const row = this.reports(1)[0];
      if (!row) throw notFound("no report yet: 'syschangemon run' takes a snapshot and reports once there are two");
      return row;
    }
    const rows = this.db
      .prepare("SELECT * FROM reports WHERE uuid LIKE ? || '%' ESCAPE '\\' LIMIT 2")
      .all(escapeLike(uuid)) as ReportRow[];
    if (rows.length === 0 || uuid.length < 4) throw notFound(`no report ${uuid}`);
    if (rows.length > 1) throw notFound(`report uuid prefix ${uuid} is ambiguous`);
    return rows[0]!;
  }

  /** Store a report (its head and its changes, in order) in one transaction. */
  saveReport(report: Report, mailState: MailState): void {
    const { changes, ...head } = report;
    this.db
      .transaction(() => {
        const info = this.db
          .prepare(`INSERT INTO reports (uuid, created_at, old_session_uuid, new_session_uuid, added, removed, changed, errors, head, mail_state)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
          .run(
            report.uuid,
            report.created_at,
            report.old_session.uuid,
            report.new_session.uuid,
            report.summary.added,
            report.summary.removed,
            report.summary.changed,
            report.summary.errors,
            encodeReportHead(head),
            mailState,
          );
        const ins = this.db.prepare('INSERT INTO report_changes (report_id, seq, data) VALUES (?, ?, ?)');
        changes.forEach((c, i) => ins.run(info.lastInsertRowid, i, encodeChange(c)));
      })
      .immediate();
  }

  /**
   * Store a report whose changes arrive one by one, in one transaction: the report's row,
   * each change as `changes` yields it (it may read the database meanwhile, but not hold a
   * statement open across a yield), then `report`'s head and counts as they are once the
   * changes are all in (`changes` fills them in). Other readers see the report complete or
   * not at all. `report.changes` is not read. Each change comes with its position (`seq`),
   * 0, 1, … once all are in, in any order (one held back by a report hook comes later).
   */
  saveReportStreamed(report: Report, changes: Iterable<{ seq: number; change: ReportChange }>, mailState: MailState): void {
    this.db
      .transaction(() => {
        const info = this.db
          .prepare(`INSERT INTO reports (uuid, created_at, old_session_uuid, new_session_uuid, added, removed, changed, errors, head, mail_state)
                    VALUES (?, ?, ?, ?, 0, 0, 0, 0, '{}', ?)`)
          .run(report.uuid, report.created_at, report.old_session.uuid, report.new_session.uuid, mailState);
        const id = info.lastInsertRowid;
        const ins = this.db.prepare('INSERT INTO report_changes (report_id, seq, data) VALUES (?, ?, ?)');
        for (const { seq, change } of changes) ins.run(id, seq, encodeChange(change));
        const { changes: _kept, ...head } = report;
        this.db
          .prepare('UPDATE reports SET added = ?, removed = ?, changed = ?, errors = ?, head = ? WHERE id = ?')
          .run(report.summary.added, report.summary.removed, report.summary.changed, report.summary.errors, encodeReportHead(head), id);
      })
      .immediate();
  }

  /** A stored report without its changes. */
  reportHead(report: ReportRow): ReportHead {
    return decodeReportHead(report.head);
  }

  /** The stored changes of a report with their positions, in order, in pages. */
  *reportChanges(report: ReportRow): Generator<{ pos: number; change: ReportChange }> {
    const stmt = this.db.prepare(
      `SELECT seq, data FROM report_changes WHERE report_id = ? AND seq > ? ORDER BY seq LIMIT ${PAGE}`,
    );
    let after = -1;
    for (;;) {
      const rows = stmt.all(report.id, after) as { seq: number; data: string }[];
      for (const r of rows) yield { pos: r.seq, change: decodeChange(r.data) };
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  /** The stored changes of a report at the given positions, in the order given. */
  *reportChangesAt(report: ReportRow, positions: Iterable<number>): Generator<ReportChange> {
    const stmt = this.db.prepare('SELECT data FROM report_changes WHERE report_id = ? AND seq = ?').pluck();
    for (const pos of positions) {
      const data = stmt.get(report.id, pos) as string | undefined;
      if (data !== undefined) yield decodeChange(data);
    }
  }

  reportsPendingMail(): ReportRow[] {
    return this.db
      .prepare("SELECT * FROM reports WHERE mail_state IN ('pending', 'failed') ORDER BY id")
      .all() as ReportRow[];
  }

  setMailState(uuid: string, state: MailState, error?: string): void {
    this.db
      .prepare('UPDATE reports SET mail_state = ?, mailed_at = ?, mail_error = ? WHERE uuid = ?')
      .run(state, state === 'sent' ? new Date().toISOString() : null, error ?? null, uuid);
  }

  // ---- retention --------------------------------------------------------------------------

  /** Keep the newest `sessionKeep` sessions and `reportKeep` reports; drop what they no longer need. */
  cleanup(sessionKeep: number, reportKeep: number): { sessions: number; reports: number } {
    const run = this.db.transaction(() => {
      const kept = this.db
        .prepare('SELECT id FROM sessions WHERE complete = 1 ORDER BY id DESC LIMIT 1 OFFSET ?')
        .get(Math.max(sessionKeep, 1) - 1) as { id: number } | undefined;
      let sessions = 0;
      if (kept) {
        sessions = this.db.prepare('DELETE FROM sessions WHERE id < ?').run(kept.id).changes;
        this.db.prepare('DELETE FROM items WHERE valid_to IS NOT NULL AND valid_to < ?').run(kept.id);
        // Keys and contents an accepted state still refers to are kept (accepted.ts).
        this.db.exec('DELETE FROM keys WHERE id NOT IN (SELECT key_id FROM items) AND id NOT IN (SELECT key_id FROM accepted_base)');
        this.db.exec(`DELETE FROM blobs WHERE hash NOT IN (
          SELECT j.value FROM items i, json_each(i.contents) j WHERE i.contents IS NOT NULL)
          AND hash NOT IN (SELECT j.value FROM accepted_base b, json_each(b.contents) j WHERE b.contents IS NOT NULL)`);
      }
      const keptReport = this.db
        .prepare('SELECT id FROM reports ORDER BY id DESC LIMIT 1 OFFSET ?')
        .get(Math.max(reportKeep, 1) - 1) as { id: number } | undefined;
      let reports = 0;
      if (keptReport) {
        // Reports not yet mailed are kept until they are: nothing is lost.
        const ids = this.db
          .prepare("SELECT id FROM reports WHERE id < ? AND mail_state NOT IN ('pending', 'failed')")
          .all(keptReport.id) as { id: number }[];
        const del = this.db.prepare('DELETE FROM reports WHERE id = ?');
        for (const { id } of ids) reports += del.run(id).changes;
      }
      return { sessions, reports };
    });
    return run.immediate();
  }

  /**
   * Keep only `session` (a complete one: reset's new baseline): every other session, every
   * report, and the items, keys and texts only they used are dropped, in one transaction. The
   * digest chain starts anew at `session`: its record is recomputed with no predecessor (and
   * signed again with `sign`, when given), and the chain's start says it follows a reset.
   */
  keepOnly(session: SessionRow, sign?: (record: ChainRecord) => string): { sessions: number; chain?: ChainRecord } {
    const run = this.db.transaction(() => {
      this.db.exec('DELETE FROM report_changes; DELETE FROM reports;');
      const sessions = this.db.prepare('DELETE FROM sessions WHERE id <> ?').run(session.id).changes;
      this.db.prepare('DELETE FROM items WHERE valid_to IS NOT NULL AND valid_to < ?').run(session.id);
      this.db.prepare('DELETE FROM items WHERE valid_from > ?').run(session.id);
      this.db.exec('DELETE FROM keys WHERE id NOT IN (SELECT key_id FROM items)');
      this.db.exec(`DELETE FROM blobs WHERE hash NOT IN (
        SELECT j.value FROM items i, json_each(i.contents) j WHERE i.contents IS NOT NULL)`);
      this.db.prepare('DELETE FROM chain WHERE session_id <> ?').run(session.id);
      this.setMeta('chain_start', `reset at ${new Date().toISOString()}`);
      const record = this.chainRecord(session.id);
      const row = this.db.prepare('SELECT * FROM sessions WHERE id = ?').get(session.id) as SessionRow | undefined;
      if (!record || !row) return { sessions };
      record.prev_digest = null;
      record.digest = sessionDigest(row, null, stateDigest(fullBuckets(this.db, session.id)));
      record.signature = null;
      if (sign) {
        try {
          record.signature = sign(record);
        } catch {
          // unsigned, as a collect whose key failed; verify --public-key names it
        }
      }
      this.db
        .prepare('UPDATE chain SET prev_digest = NULL, digest = ?, signature = ? WHERE session_id = ?')
        .run(record.digest, record.signature, session.id);
      return { sessions, chain: record };
    });
    return run.immediate();
  }

  /**
   * Drop every session, item, blob, report and chain record. The next session starts a new
   * chain, and its record says it follows a reset.
   */
  clear(): void {
    this.db
      .transaction(() => {
        this.db.exec('DELETE FROM report_changes; DELETE FROM reports; DELETE FROM items; DELETE FROM keys; DELETE FROM blobs; DELETE FROM sessions; DELETE FROM chain; DELETE FROM chain_buckets; DELETE FROM accepted_base;');
        this.deleteMeta('chain_buckets_session');
        this.deleteMeta('accepted_synced');
        this.setMeta('chain_start', `reset at ${new Date().toISOString()}`);
      })
      .immediate();
  }

  // ---- the digest chain (chain.ts) ------------------------------------------------------------

  /** Chain records in session order, in pages. */
  *chainRecords(afterSessionId = 0): Generator<ChainRecord> {
    const stmt = this.db.prepare(`SELECT * FROM chain WHERE session_id > ? ORDER BY session_id LIMIT ${PAGE}`);
    let after = afterSessionId;
    for (;;) {
      const rows = stmt.all(after) as ChainRecord[];
      yield* rows;
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]!.session_id;
    }
  }

  chainRecord(sessionId: number): ChainRecord | undefined {
    return this.db.prepare('SELECT * FROM chain WHERE session_id = ?').get(sessionId) as ChainRecord | undefined;
  }

  /**
   * Compute and store the chain record of a complete session (inside the caller's transaction,
   * which has written the session): linked to the newest record, signed by `sign` if given.
   * The bucket digests follow from the kept ones when those are the previous complete
   * session's (the usual case: cost in proportion to the changes), else they are read in full;
   * `known` are the session's digests when its writer computed them as it wrote (see
   * BucketHasher: the first session of an empty store), used instead of either.
   */
  appendChain(session: SessionRow, origin: ChainOrigin, sign?: (record: ChainRecord) => string, known?: BucketDigests): ChainRecord {
    const last = this.db.prepare('SELECT digest FROM chain ORDER BY session_id DESC LIMIT 1').pluck().get() as string | undefined;
    const before = this.db.prepare('SELECT id FROM sessions WHERE complete = 1 AND id < ? ORDER BY id DESC LIMIT 1').pluck().get(session.id) as number | undefined;
    const keptFor = Number(this.meta('chain_buckets_session') ?? 0);
    let buckets: BucketDigests;
    if (known === undefined && before !== undefined && keptFor === before) {
      buckets = new Map();
      for (const r of this.db.prepare('SELECT bucket, digest FROM chain_buckets').raw(true).iterate() as IterableIterator<[number, Buffer]>) buckets.set(r[0], r[1]);
      const old = new Map(buckets);
      advanceBuckets(this.db, buckets, before, session.id);
      const del = this.db.prepare('DELETE FROM chain_buckets WHERE bucket = ?');
      const put = this.db.prepare('INSERT OR REPLACE INTO chain_buckets (bucket, digest) VALUES (?, ?)');
      for (const b of old.keys()) if (!buckets.has(b)) del.run(b);
      for (const [b, d] of buckets) if (!old.get(b)?.equals(d)) put.run(b, d);
    } else {
      buckets = known ?? fullBuckets(this.db, session.id);
      this.db.exec('DELETE FROM chain_buckets');
      const put = this.db.prepare('INSERT INTO chain_buckets (bucket, digest) VALUES (?, ?)');
      for (const [b, d] of buckets) put.run(b, d);
    }
    this.setMeta('chain_buckets_session', String(session.id));
    const prev = last ?? null;
    const record: ChainRecord = {
      session_id: session.id,
      uuid: session.uuid,
      started_at: session.started_at,
      finished_at: session.finished_at ?? '',
      prev_digest: prev,
      digest: sessionDigest(session, prev, stateDigest(buckets)),
      signature: null,
      origin,
    };
    if (sign) {
      try {
        record.signature = sign(record);
      } catch {
        // An unsigned record, which verify --public-key names; the session itself is kept.
      }
    }
    this.db
      .prepare('INSERT INTO chain (session_id, uuid, started_at, finished_at, prev_digest, digest, signature, origin) VALUES (@session_id, @uuid, @started_at, @finished_at, @prev_digest, @digest, @signature, @origin)')
      .run(record);
    return record;
  }

  /** Every complete session, oldest first (for verify). */
  *completeSessions(): Generator<SessionRow> {
    const stmt = this.db.prepare(`SELECT * FROM sessions WHERE complete = 1 AND id > ? ORDER BY id LIMIT ${PAGE}`);
    let after = 0;
    for (;;) {
      const rows = stmt.all(after) as SessionRow[];
      yield* rows;
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]!.id;
    }
  }

  /**
   * The state digest of a stored session recomputed from its items: read in full, or, given
   * the bucket digests of an earlier session, from the rows that differ between the two
   * (`from.buckets` is advanced in place). For verify.
   */
  sessionState(session: SessionRow, from?: { session: SessionRow; buckets: BucketDigests }): { state: Buffer; buckets: BucketDigests } {
    if (from) {
      advanceBuckets(this.db, from.buckets, from.session.id, session.id);
      return { state: stateDigest(from.buckets), buckets: from.buckets };
    }
    const buckets = fullBuckets(this.db, session.id);
    return { state: stateDigest(buckets), buckets };
  }

  /** The bucket digests kept for the next session, and the session they are of (for verify). */
  keptBuckets(): { session_id: number; buckets: BucketDigests } {
    const buckets: BucketDigests = new Map();
    for (const r of this.db.prepare('SELECT bucket, digest FROM chain_buckets').raw(true).iterate() as IterableIterator<[number, Buffer]>) buckets.set(r[0], r[1]);
    return { session_id: Number(this.meta('chain_buckets_session') ?? 0), buckets };
  }

  /** Stored contents whose bytes no longer hash to their name, with a key that uses each. */
  alteredBlobs(): { hash: string; key: string | undefined }[] {
    const bad: string[] = [];
    for (const row of this.db.prepare('SELECT hash, data FROM blobs').iterate() as IterableIterator<{ hash: string; data: Buffer }>) {
      if (createHash('sha256').update(row.data).digest('hex') !== row.hash) bad.push(row.hash);
    }
    const user = this.db.prepare(
      `SELECT k.key FROM items i JOIN keys k ON k.id = i.key_id, json_each(i.contents) j
       WHERE i.contents IS NOT NULL AND j.value = ? ORDER BY i.valid_from LIMIT 1`,
    ).pluck();
    return bad.map((hash) => ({ hash, key: user.get(hash) as string | undefined }));
  }

  // ---- the accepted baseline (accepted.ts) ----------------------------------------------------

  /** Bring the accepted baseline up to session `n`; a note when it was (re-)established. */
  syncAccepted(n: SessionRow): string | undefined {
    return this.db
      .transaction(() => syncAccepted(this.db, n, { get: (k) => this.meta(k), set: (k, v) => this.setMeta(k, v) }))
      .immediate();
  }

  /** The changes of session `n` against the accepted baseline (synced to `n`), by key, in pages; with `plugin`, its keys only. */
  unacceptedDiffs(n: SessionRow, plugin?: string): Generator<UnacceptedDiff> {
    return unacceptedDiffs(this.db, n, `temp.diff_keys_${++this.diffTables}`, PAGE, plugin);
  }

  /** The keys that differ from their accepted state. */
  unacceptedKeys(): { key_id: number; key: string; present: number; since: string }[] {
    return unacceptedKeys(this.db);
  }

  /** Accept the given keys' states in `target` (see accepted.ts), in one transaction. */
  accept(
    keys: { key_id: number; key: string; present: number; since: string }[],
    target: SessionRow,
    latest: SessionRow,
    who: Acceptor,
    note: string,
    reportUuid: string | null,
  ): { accepted: AcceptedKey[]; stillDiffer: string[] } {
    return this.db.transaction(() => acceptKeys(this.db, keys, target, latest, who, note, reportUuid)).immediate();
  }

  acceptRecords(limit = -1): (AcceptRecord & { keys: AcceptedKey[] })[] {
    return acceptRecords(this.db, limit);
  }

  /** Run `fn` on one consistent snapshot of the database (a read transaction). */
  snapshot<T>(fn: () => T): T {
    return this.db.transaction(fn).deferred();
  }

  // ---- small named values -------------------------------------------------------------------

  meta(name: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE name = ?').pluck().get(name) as string | undefined) ?? undefined;
  }

  setMeta(name: string, value: string): void {
    this.db.prepare('INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value').run(name, value);
  }

  /**
   * How long a statement waits for another connection's write transaction before it fails
   * with SQLITE_BUSY (10 s by default). A long-running process that must not stall behind an
   * hourly run (watch) sets it short and retries later.
   */
  setBusyTimeout(ms: number): void {
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(ms))}`);
  }

  deleteMeta(name: string): void {
    this.db.prepare('DELETE FROM meta WHERE name = ?').run(name);
  }

  /**
   * Give the pages freed by deletions (cleanup) back to the file system, so the file shrinks
   * with what it holds. A database made with auto_vacuum = INCREMENTAL (every database made
   * since) moves its last pages into the free ones (cost in proportion to the freed pages),
   * once a sixteenth of it is free (a few free pages are reused by the next session); an
   * older one is rewritten once with VACUUM, which makes it incremental too, when at least a
   * quarter of it is free (less is reused by the next sessions anyway). Then the WAL is
   * checkpointed and truncated. Returns the file's pages before and after.
   */
  reclaimSpace(): { before: number; after: number; how: 'none' | 'incremental' | 'vacuum' } {
    const pages = () => this.db.pragma('page_count', { simple: true }) as number;
    const before = pages();
    const free = this.db.pragma('freelist_count', { simple: true }) as number;
    let how: 'none' | 'incremental' | 'vacuum' = 'none';
    if (free > 0) {
      if ((this.db.pragma('auto_vacuum', { simple: true }) as number) === 2) {
        if (free * 16 < before) return { before, after: before, how };
        this.db.pragma('incremental_vacuum');
        how = 'incremental';
      } else if (free * 4 >= before) {
        this.db.pragma('auto_vacuum = INCREMENTAL');
        this.db.exec('VACUUM');
        how = 'vacuum';
      }
    }
    if (how !== 'none') this.checkpoint();
    return { before, after: pages(), how };
  }

  /** Give back free pages after large deletions (cheap when there is nothing to do). */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }
}

/**
 * Open the SQLite file. A read-only command on read-only storage (a read-only mount, or a
 * directory it may not write) cannot make the -shm file SQLite's WAL mode needs; when no WAL
 * holds unfinished data it reads the file as immutable instead.
 */
function openDatabase(file: string, readonly: boolean): DB {
  try {
    const db = withUris(() => new Database(file, { fileMustExist: true, readonly, timeout: 10_000 }));
    try {
      // SQLite opens the WAL index at the first read: a failure to do so shows here.
      if (readonly) db.pragma('schema_version', { simple: true });
    } catch (err) {
      db.close();
      throw err;
    }
    return db;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (!readonly || (code !== 'SQLITE_CANTOPEN' && code !== 'SQLITE_READONLY')) throw wrapOpenError(file, err);
    let walSize = 0;
    try {
      walSize = fs.lstatSync(`${file}-wal`).size;
    } catch {
      // no WAL: the file holds everything
    }
    if (walSize > 0) throw wrapOpenError(file, err);
    try {
      return openImmutable(file);
    } catch {
      throw wrapOpenError(file, err);
    }
  }
}

function openImmutable(file: string): DB {
  const uri = `file:${file.split('/').map(encodeURIComponent).join('/')}?immutable=1`;
  return withUris(() => new Database(uri, { fileMustExist: true, readonly: true }));
}

/**
 * better-sqlite3 reads SQLITE_USE_URI once, when its addon loads at the first open: URI names
 * (`file:…?immutable=1`) are then understood. Absolute paths, which are all the store opens,
 * mean what they did.
 */
function withUris<T>(open: () => T): T {
  const before = process.env.SQLITE_USE_URI;
  process.env.SQLITE_USE_URI = '1';
  try {
    return open();
  } finally {
    if (before === undefined) delete process.env.SQLITE_USE_URI;
    else process.env.SQLITE_USE_URI = before;
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** An empty file is a new database; anything else must start with SQLite's magic. */
function checkHeader(file: string): void {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const head = Buffer.alloc(16);
    const n = fs.readSync(fd, head, 0, 16, 0);
    if (n === 0) return;
    if (n < 16 || !head.equals(SQLITE_MAGIC)) {
      throw databaseError(`${file} is not an SQLite database (truncated or foreign file); move it away or run 'syschangemon reset'`);
    }
  } finally {
    fs.closeSync(fd);
  }
}

function wrapOpenError(file: string, err: unknown) {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string') {
    const code = (err as { code: string }).code;
    if (code.startsWith('E_')) return err as unknown as Error;
    if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') {
      return databaseError(`${file} is corrupt (${messageOf(err)}); move it away or run 'syschangemon reset'`, err);
    }
  }
  let hint = '';
  try {
    fs.accessSync(path.dirname(file), fs.constants.W_OK);
  } catch {
    hint = ' (its directory is read-only: list-sessions, print-report and export still read it; commands that write need it writable)';
  }
  return databaseError(`cannot open database ${file}: ${messageOf(err)}${hint}`, err);
}
