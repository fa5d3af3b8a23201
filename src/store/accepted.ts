/**
 * The accepted baseline (`[syschangemon] baseline = accepted`). What "accepted" means: each key
 * has an accepted state, the state it had when the baseline was established or when someone
 * last accepted it; a report shows every key whose state in the new session differs from its
 * accepted state, in every report until it is accepted (or changes back).
 *
 * Only the differing keys are stored: `accepted_base` holds their accepted state (or that they
 * were accepted as absent), when they first differed and when they last changed. For every
 * other key the accepted state is its current state. After each new session the table is
 * brought up to date from the items that changed since the session it was synced to
 * (`meta.accepted_synced`), so the cost follows the changes, as the differ's.
 */
import type Database from 'better-sqlite3';
import { decodeAttrs, decodeContentRefs } from './codec.js';
import type { ItemDiff, ItemState, SessionRow } from './store.js';

type DB = Database.Database;

const VALID_AT = (alias: string, s: string) => `${alias}.valid_from <= ${s} AND (${alias}.valid_to IS NULL OR ${alias}.valid_to >= ${s})`;

interface Texts {
  attrs: string;
  contents: string | null;
  error: string | null;
}

interface BaseRow {
  key_id: number;
  present: number;
  attrs: string | null;
  contents: string | null;
  error: string | null;
  since_session: number;
  since: string;
  changed_session: number;
}

/** An unaccepted change: the accepted state (`old`) against the new session's (`new`). */
export interface UnacceptedDiff extends ItemDiff {
  /** When the key first differed from its accepted state (the session's start, ISO). */
  since: string;
  /** Whether the key's state changed in the new session (it was not in the report before). */
  changedNow: boolean;
}

/** Who accepted, as recorded. */
export interface Acceptor {
  user: string;
  uid: number | null;
  /** How the user was found: `loginuid`, `SUDO_USER` or `uid`. */
  via: string;
}

export interface AcceptRecord {
  id: number;
  accepted_at: string;
  user: string;
  uid: number | null;
  via: string;
  note: string;
  report_uuid: string | null;
  session_uuid: string;
  count: number;
}

export interface AcceptedKey {
  key: string;
  change: 'added' | 'removed' | 'changed';
  since: string;
}

const same = (a: Texts | undefined, b: Texts | undefined) =>
  a === undefined ? b === undefined : b !== undefined && a.attrs === b.attrs && a.contents === b.contents && a.error === b.error;

const baseTexts = (b: BaseRow): Texts | undefined => (b.present ? { attrs: b.attrs!, contents: b.contents, error: b.error } : undefined);

function stateOf(t: Texts | undefined): ItemState | undefined {
  return t ? { attributes: decodeAttrs(t.attrs), contentHashes: decodeContentRefs(t.contents), error: t.error } : undefined;
}

function rowAt(db: DB, keyId: number, session: number): (Texts & { valid_to: number | null }) | undefined {
  return db.prepare(`SELECT attrs, contents, error, valid_to FROM items i WHERE i.key_id = ? AND ${VALID_AT('i', '?')}`).get(keyId, session, session) as
    | (Texts & { valid_to: number | null })
    | undefined;
}

/**
 * Bring the accepted baseline up to session `n`. Returns a note when the baseline had to be
 * (re-)established: on the first use, everything as it was in the session before `n` is the
 * accepted state.
 */
export function syncAccepted(db: DB, n: SessionRow, meta: { get(name: string): string | undefined; set(name: string, value: string): void }): string | undefined {
  const synced = Number(meta.get('accepted_synced') ?? 0);
  if (synced === n.id) return undefined;
  let from: number | undefined;
  let note: string | undefined;
  const exists = (id: number) => db.prepare('SELECT 1 FROM sessions WHERE id = ? AND complete = 1').get(id) !== undefined;
  if (synced && synced < n.id && exists(synced)) from = synced;
  else {
    const had = (db.prepare('SELECT count(*) FROM accepted_base').pluck().get() as number) > 0;
    db.exec('DELETE FROM accepted_base');
    from = db.prepare('SELECT id FROM sessions WHERE complete = 1 AND id < ? ORDER BY id DESC LIMIT 1').pluck().get(n.id) as number | undefined;
    const at = from === undefined ? n : (db.prepare('SELECT * FROM sessions WHERE id = ?').get(from) as SessionRow);
    note = had
      ? `the accepted baseline was kept for a session that is gone; it was established again as of session ${at.uuid} (${at.started_at})`
      : `accepted baseline established as of session ${at.uuid} (${at.started_at}): changes after it stay in every report until accepted`;
  }
  if (from !== undefined) {
    const rows = db
      .prepare(`
        SELECT n.key_id, o.id AS o_id, o.attrs AS o_attrs, o.contents AS o_contents, o.error AS o_error,
               n.id AS n_id, n.attrs AS n_attrs, n.contents AS n_contents, n.error AS n_error
        FROM items n LEFT JOIN items o ON o.key_id = n.key_id AND ${VALID_AT('o', '@a')}
        WHERE n.valid_from > @a AND ${VALID_AT('n', '@b')}
        UNION ALL
        SELECT o.key_id, o.id, o.attrs, o.contents, o.error, NULL, NULL, NULL, NULL
        FROM items o
        WHERE o.valid_from <= @a AND o.valid_to IS NOT NULL AND o.valid_to >= @a AND o.valid_to < @b
          AND NOT EXISTS (SELECT 1 FROM items n WHERE n.key_id = o.key_id AND ${VALID_AT('n', '@b')})`)
      .all({ a: from, b: n.id }) as {
      key_id: number;
      o_id: number | null;
      o_attrs: string | null;
      o_contents: string | null;
      o_error: string | null;
      n_id: number | null;
      n_attrs: string | null;
      n_contents: string | null;
      n_error: string | null;
    }[];
    const get = db.prepare('SELECT * FROM accepted_base WHERE key_id = ?');
    const del = db.prepare('DELETE FROM accepted_base WHERE key_id = ?');
    const touch = db.prepare('UPDATE accepted_base SET changed_session = ? WHERE key_id = ?');
    const ins = db.prepare(
      'INSERT INTO accepted_base (key_id, present, attrs, contents, error, since_session, since, changed_session) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const r of rows) {
      const o: Texts | undefined = r.o_id === null ? undefined : { attrs: r.o_attrs!, contents: r.o_contents, error: r.o_error };
      const nw: Texts | undefined = r.n_id === null ? undefined : { attrs: r.n_attrs!, contents: r.n_contents, error: r.n_error };
      if (same(o, nw)) continue;
      const base = get.get(r.key_id) as BaseRow | undefined;
      if (base) {
        if (same(baseTexts(base), nw)) del.run(r.key_id);
        else touch.run(n.id, r.key_id);
      } else {
        ins.run(r.key_id, o ? 1 : 0, o?.attrs ?? null, o?.contents ?? null, o?.error ?? null, n.id, n.started_at, n.id);
      }
    }
  }
  meta.set('accepted_synced', String(n.id));
  return note;
}

/**
 * The unaccepted changes as of session `n` (synced to it), ordered by key, optionally of one
 * plugin's keys: their keys gathered first into the temporary table `table` (key order, keys
 * only), then read a page at a time, so memory stays bounded and the connection is free
 * between pages (Store.itemDiffs does the same).
 */
export function* unacceptedDiffs(db: DB, n: SessionRow, table: string, page: number, plugin?: string): Generator<UnacceptedDiff> {
  db.exec(`CREATE TABLE ${table} (key TEXT PRIMARY KEY, key_id INTEGER NOT NULL, plugin TEXT NOT NULL) WITHOUT ROWID`);
  try {
    db.prepare(`INSERT INTO ${table} (key, key_id, plugin) SELECT k.key, k.id, k.plugin FROM accepted_base b JOIN keys k ON k.id = b.key_id ${plugin === undefined ? '' : 'WHERE k.plugin = @plugin'}`).run(
      plugin === undefined ? {} : { plugin },
    );
    const stmt = db.prepare(`
      SELECT d.key, d.plugin, b.present, b.attrs, b.contents, b.error, b.since, b.changed_session,
             i.id AS n_id, i.attrs AS n_attrs, i.contents AS n_contents, i.error AS n_error
      FROM ${table} d JOIN accepted_base b ON b.key_id = d.key_id
      LEFT JOIN items i ON i.key_id = d.key_id AND ${VALID_AT('i', '@s')}
      WHERE d.key > @after ORDER BY d.key LIMIT ${page}`);
    let after = '';
    for (;;) {
      const rows = stmt.all({ s: n.id, after }) as (BaseRow & { key: string; plugin: string; n_id: number | null; n_attrs: string | null; n_contents: string | null; n_error: string | null })[];
      for (const r of rows) {
        const o = baseTexts(r);
        const nw: Texts | undefined = r.n_id === null ? undefined : { attrs: r.n_attrs!, contents: r.n_contents, error: r.n_error };
        if (same(o, nw)) continue;
        const d: UnacceptedDiff = {
          key: r.key,
          plugin: r.plugin,
          contentsChanged: (o?.contents ?? null) !== (nw?.contents ?? null),
          since: r.since,
          changedNow: r.changed_session === n.id,
        };
        const os = stateOf(o);
        const ns = stateOf(nw);
        if (os) d.old = os;
        if (ns) d.new = ns;
        yield d;
      }
      if (rows.length < page) return;
      after = rows[rows.length - 1]!.key;
    }
  } finally {
    db.exec(`DROP TABLE IF EXISTS ${table}`);
  }
}

/** The keys that differ from their accepted state, with since and kind (for accept). */
export function unacceptedKeys(db: DB): { key_id: number; key: string; present: number; since: string }[] {
  return db
    .prepare('SELECT b.key_id, k.key, b.present, b.since FROM accepted_base b JOIN keys k ON k.id = b.key_id ORDER BY k.key')
    .all() as { key_id: number; key: string; present: number; since: string }[];
}

/**
 * Accept, for the given keys, their state in session `target` (what the report the user read
 * showed). A key whose state in `latest` is that state is accepted outright; one that changed
 * again after `target` stays unaccepted, against its newly accepted state, since the session
 * it changed in. Records who, when and why. Runs inside the caller's transaction.
 */
export function acceptKeys(
  db: DB,
  keys: { key_id: number; key: string; present: number; since: string }[],
  target: SessionRow,
  latest: SessionRow,
  who: Acceptor,
  note: string,
  reportUuid: string | null,
): { accepted: AcceptedKey[]; stillDiffer: string[] } {
  const accepted: AcceptedKey[] = [];
  const stillDiffer: string[] = [];
  const del = db.prepare('DELETE FROM accepted_base WHERE key_id = ?');
  const upd = db.prepare('UPDATE accepted_base SET present = ?, attrs = ?, contents = ?, error = ?, since_session = ?, since = ? WHERE key_id = ?');
  for (const k of keys) {
    const t = rowAt(db, k.key_id, target.id);
    const l = rowAt(db, k.key_id, latest.id);
    const tTexts: Texts | undefined = t ? { attrs: t.attrs, contents: t.contents, error: t.error } : undefined;
    const lTexts: Texts | undefined = l ? { attrs: l.attrs, contents: l.contents, error: l.error } : undefined;
    accepted.push({ key: k.key, change: !k.present ? 'added' : t ? 'changed' : 'removed', since: k.since });
    if (same(tTexts, lTexts)) {
      del.run(k.key_id);
      continue;
    }
    // Changed again after the target session: since the first session that differs from it.
    const sinceId = t
      ? (db.prepare('SELECT id FROM sessions WHERE complete = 1 AND id > ? ORDER BY id LIMIT 1').pluck().get(t.valid_to ?? target.id) as number | undefined)
      : (db.prepare('SELECT min(valid_from) FROM items WHERE key_id = ? AND valid_from > ?').pluck().get(k.key_id, target.id) as number | null);
    const since = sinceId ? (db.prepare('SELECT started_at FROM sessions WHERE id = ?').pluck().get(sinceId) as string | undefined) : undefined;
    upd.run(t ? 1 : 0, t?.attrs ?? null, t?.contents ?? null, t?.error ?? null, sinceId ?? latest.id, since ?? latest.started_at, k.key_id);
    stillDiffer.push(k.key);
  }
  const info = db
    .prepare('INSERT INTO accepts (accepted_at, user, uid, via, note, report_uuid, session_uuid, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    .run(new Date().toISOString(), who.user, who.uid, who.via, note, reportUuid, target.uuid, accepted.length);
  const ins = db.prepare('INSERT INTO accept_keys (accept_id, key, change, since) VALUES (?, ?, ?, ?)');
  for (const a of accepted) ins.run(info.lastInsertRowid, a.key, a.change, a.since);
  return { accepted, stillDiffer };
}

/** The accept records, newest first, each with its keys. */
export function acceptRecords(db: DB, limit = -1): (AcceptRecord & { keys: AcceptedKey[] })[] {
  const rows = db.prepare('SELECT * FROM accepts ORDER BY id DESC LIMIT ?').all(limit) as AcceptRecord[];
  const keys = db.prepare('SELECT key, change, since FROM accept_keys WHERE accept_id = ? ORDER BY key');
  return rows.map((r) => ({ ...r, keys: keys.all(r.id) as AcceptedKey[] }));
}
