/**
 * The SQLite store: sessions, items (as validity ranges, see schema.ts), content blobs and
 * reports. Only complete sessions are ever listed, diffed or exported.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { databaseError, messageOf, notFound } from '../errors.js';
import type { Attributes, StoredItem } from '../types.js';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from './schema.js';

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

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const PAGE = 1000;

/** Make a directory private (0700) whatever the umask, creating it if needed. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.statSync(dir);
  if ((st.mode & 0o777) !== 0o700) fs.chmodSync(dir, 0o700);
}

/** Parse a stored item row. */
export function toStoredItem(row: Pick<ItemRow, 'key' | 'plugin' | 'attrs' | 'contents' | 'error'>): StoredItem {
  return {
    key: row.key,
    plugin: row.plugin,
    attributes: JSON.parse(row.attrs) as Attributes,
    contentHashes: row.contents ? (JSON.parse(row.contents) as Record<string, string>) : {},
    error: row.error,
  };
}

export class Store {
  readonly db: DB;
  readonly file: string;

  private constructor(db: DB, file: string) {
    this.db = db;
    this.file = file;
  }

  /**
   * Open (creating when absent) the database at `file`. A file that is not a syschangemon
   * database — truncated, corrupt, foreign — is an error that names it; it is never overwritten.
   */
  static open(file: string, opts: { readonly?: boolean } = {}): Store {
    const dir = path.dirname(file);
    let exists = false;
    try {
      const st = fs.statSync(file);
      exists = true;
      if (!st.isFile()) throw databaseError(`${file} is not a regular file`);
      if (st.size > 0) checkHeader(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw wrapOpenError(file, err);
    }
    if (!exists) {
      if (opts.readonly) throw notFound(`no database at ${file}: run 'syschangemon collect' first`);
      ensurePrivateDir(dir);
      fs.closeSync(fs.openSync(file, 'a', 0o600));
    }
    if (!opts.readonly) {
      const st = fs.statSync(file);
      if ((st.mode & 0o777) !== 0o600) fs.chmodSync(file, 0o600);
    }
    let db: DB;
    try {
      db = new Database(file, { fileMustExist: true, timeout: 10_000 });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma('temp_store = MEMORY');
      db.pragma('cache_size = -4000');
    } catch (err) {
      throw wrapOpenError(file, err);
    }
    const store = new Store(db, file);
    try {
      store.migrate(opts.readonly === true);
      for (const f of [`${file}-wal`, `${file}-shm`]) {
        try {
          if ((fs.statSync(f).mode & 0o077) !== 0) fs.chmodSync(f, 0o600);
        } catch {
          // absent: nothing to protect
        }
      }
    } catch (err) {
      db.close();
      throw wrapOpenError(file, err);
    }
    return store;
  }

  private migrate(readonly: boolean): void {
    const appId = this.db.pragma('application_id', { simple: true }) as number;
    const version = this.db.pragma('user_version', { simple: true }) as number;
    const tables = (this.db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
    if (appId !== APPLICATION_ID && !(appId === 0 && tables === 0)) {
      throw databaseError(`${this.file} is not a syschangemon database (a foreign SQLite file); move it away or run 'syschangemon reset'`);
    }
    if (version > SCHEMA_VERSION) {
      throw databaseError(`${this.file} has schema version ${version}, newer than this syschangemon understands (${SCHEMA_VERSION}); upgrade syschangemon`);
    }
    if (version === SCHEMA_VERSION) return;
    if (readonly) throw databaseError(`${this.file} needs a schema upgrade: run a command that writes (e.g. 'syschangemon collect')`);
    const run = this.db.transaction(() => {
      for (let v = version; v < SCHEMA_VERSION; v++) this.db.exec(MIGRATIONS[v]!);
      this.db.pragma(`application_id = ${APPLICATION_ID}`);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    });
    run.immediate();
  }

  close(): void {
    if (this.db.open) this.db.close();
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

  /** Items valid in a complete session, optionally of one plugin, in pages (bounded memory). */
  *sessionItems(session: SessionRow, plugin?: string): Generator<ItemRow> {
    const stmt = this.db.prepare(`
      SELECT i.*, k.key, k.plugin FROM items i JOIN keys k ON k.id = i.key_id
      WHERE i.valid_from <= @s AND (i.valid_to IS NULL OR i.valid_to >= @s)
        AND (@plugin IS NULL OR k.plugin = @plugin) AND k.key > @after
      ORDER BY k.key LIMIT ${PAGE}`);
    let after = '';
    for (;;) {
      const rows = stmt.all({ s: session.id, plugin: plugin ?? null, after }) as ItemRow[];
      yield* rows;
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]!.key;
    }
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

  // ---- blobs ------------------------------------------------------------------------------

  hasBlob(hash: string): boolean {
    return this.db.prepare('SELECT 1 FROM blobs WHERE hash = ?').get(hash) !== undefined;
  }

  blob(hash: string): string | undefined {
    const row = this.db.prepare('SELECT data FROM blobs WHERE hash = ?').get(hash) as { data: Buffer } | undefined;
    return row ? row.data.toString('utf8') : undefined;
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

  /** The stored changes of a report, in order, in pages. */
  *reportChanges(report: ReportRow): Generator<string> {
    const stmt = this.db.prepare(
      `SELECT seq, data FROM report_changes WHERE report_id = ? AND seq > ? ORDER BY seq LIMIT ${PAGE}`,
    );
    let after = -1;
    for (;;) {
      const rows = stmt.all(report.id, after) as { seq: number; data: string }[];
      for (const r of rows) yield r.data;
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]!.seq;
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
        this.db.exec('DELETE FROM keys WHERE id NOT IN (SELECT key_id FROM items)');
        this.db.exec(`DELETE FROM blobs WHERE hash NOT IN (
          SELECT j.value FROM items i, json_each(i.contents) j WHERE i.contents IS NOT NULL)`);
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

  /** Drop every session, item, blob and report. */
  clear(): void {
    this.db
      .transaction(() => {
        this.db.exec('DELETE FROM report_changes; DELETE FROM reports; DELETE FROM items; DELETE FROM keys; DELETE FROM blobs; DELETE FROM sessions;');
      })
      .immediate();
  }

  /** Give back free pages after large deletions (cheap when there is nothing to do). */
  checkpoint(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function checkHeader(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    const head = Buffer.alloc(16);
    const n = fs.readSync(fd, head, 0, 16, 0);
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
  return databaseError(`cannot open database ${file}: ${messageOf(err)}`, err);
}
