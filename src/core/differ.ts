/**
 * The differ: compares two complete sessions by item key. SQLite does the join, and because
 * items are stored as validity ranges it reads only the rows that changed between the two
 * sessions — the cost follows the number of changes, not the size of the sessions.
 */
import { createTwoFilesPatch } from 'diff';
import { usageError } from '../errors.js';
import { displayPath, splitKey } from '../keys.js';
import type { SessionRow, Store } from '../store/store.js';
import type { AttrValue, Attributes } from '../types.js';
import type { AttributeChange, ReportChange } from './report-model.js';

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

/** Largest edit distance (lines) a unified diff is computed for; beyond it the diff is omitted. */
const MAX_EDIT_LENGTH = 20_000;

const VALID_AT = (alias: string, s: string) =>
  `${alias}.valid_from <= ${s} AND (${alias}.valid_to IS NULL OR ${alias}.valid_to >= ${s})`;

/**
 * Rows of items that differ between the sessions, ordered by key, streamed: the connection is
 * busy until the iteration ends, so nothing else may query it meanwhile.
 */
function diffRows(store: Store, oldS: SessionRow, newS: SessionRow): IterableIterator<DiffRow> {
  return store.db
    .prepare(`
      SELECT k.key, k.plugin, n.id AS n_id, n.attrs AS n_attrs, n.contents AS n_contents, n.error AS n_error,
             o.id AS o_id, o.attrs AS o_attrs, o.contents AS o_contents, o.error AS o_error
      FROM items n JOIN keys k ON k.id = n.key_id
      LEFT JOIN items o ON o.key_id = n.key_id AND ${VALID_AT('o', '@a')}
      WHERE n.valid_from > @a AND ${VALID_AT('n', '@b')}
      UNION ALL
      SELECT k.key, k.plugin, NULL, NULL, NULL, NULL, o.id, o.attrs, o.contents, o.error
      FROM items o JOIN keys k ON k.id = o.key_id
      WHERE o.valid_from <= @a AND o.valid_to IS NOT NULL AND o.valid_to >= @a AND o.valid_to < @b
        AND NOT EXISTS (SELECT 1 FROM items n WHERE n.key_id = o.key_id AND ${VALID_AT('n', '@b')})
      ORDER BY 1`)
    .iterate({ a: oldS.id, b: newS.id }) as IterableIterator<DiffRow>;
}

function parse<T>(json: string | null): T | undefined {
  return json === null ? undefined : (JSON.parse(json) as T);
}

/** Per-attribute old/new values of the attributes that differ. */
export function attributeChanges(
  oldAttrs: Attributes | undefined,
  newAttrs: Attributes | undefined,
  oldError: string | null,
  newError: string | null,
): Record<string, AttributeChange> {
  const out: Record<string, AttributeChange> = {};
  const names = new Set([...Object.keys(oldAttrs ?? {}), ...Object.keys(newAttrs ?? {})]);
  for (const name of [...names].sort()) {
    const o: AttrValue | undefined = oldAttrs?.[name];
    const n: AttrValue | undefined = newAttrs?.[name];
    if (o === n) continue;
    out[name] = { old: o ?? null, new: n ?? null };
  }
  if ((oldError ?? null) !== (newError ?? null) && (oldAttrs !== undefined || newError)) {
    if (oldAttrs !== undefined || newAttrs !== undefined) out.error = { old: oldError ?? null, new: newError ?? null };
  }
  return out;
}

/** A unified diff of two texts, or undefined when it would be too large to compute. */
export function unifiedDiff(label: string, oldText: string, newText: string, oldHeader: string, newHeader: string): string | undefined {
  const patch = createTwoFilesPatch(label, label, oldText, newText, oldHeader, newHeader, {
    context: 3,
    maxEditLength: MAX_EDIT_LENGTH,
  });
  if (patch === undefined) return undefined;
  // Drop the "Index:"/"====" preamble: the key is already shown above the diff.
  return patch.replace(/^(?:Index: [^\n]*\n)?=+\n/, '');
}

const NO_DIFF_NOTES: Record<string, string> = {
  secret: 'content not stored: private key or secret file',
  binary: 'binary content: no diff',
  too_large: 'larger than size_limit: no diff',
  excluded_builtin: 'content not stored: secret file',
};

/** Why a changed item with a new hash shows no diff, when its content is deliberately not kept. */
function noDiffNote(change: ReportChange, stored: unknown): void {
  if (!change.diff && typeof stored === 'string' && NO_DIFF_NOTES[stored] && change.attributes.sha256) {
    change.note = NO_DIFF_NOTES[stored];
  }
}

export interface DiffResult {
  changes: ReportChange[];
  errors: { key: string; message: string }[];
}

/** Compare two complete sessions (`oldS` older than `newS`). */
export function diffSessions(store: Store, oldS: SessionRow, newS: SessionRow): DiffResult {
  if (oldS.id >= newS.id) {
    throw usageError(`the old session ${oldS.uuid} is not older than the new session ${newS.uuid}`);
  }
  const changes: ReportChange[] = [];
  // Content diffs need the blobs, which cannot be read while the rows stream: they are
  // computed once the rows are read, so the rows are never all in memory at once.
  const pending: { change: ReportChange; label: string; oldC: Record<string, string>; newC: Record<string, string>; stored: unknown }[] = [];
  for (const row of diffRows(store, oldS, newS)) {
    // A key can change and change back between two sessions that are not adjacent.
    if (row.n_id !== null && row.o_id !== null && row.n_attrs === row.o_attrs && row.n_contents === row.o_contents && row.n_error === row.o_error) continue;
    const change: ReportChange = {
      key: row.key,
      plugin: row.plugin,
      change: row.o_id === null ? 'added' : row.n_id === null ? 'removed' : 'changed',
      attributes: {},
    };
    const oldAttrs = parse<Attributes>(row.o_attrs);
    const newAttrs = parse<Attributes>(row.n_attrs);
    change.attributes = attributeChanges(oldAttrs, newAttrs, row.o_error, row.n_error);
    const stored = newAttrs?.stored ?? oldAttrs?.stored;
    if (row.o_contents !== row.n_contents) {
      const scheme = splitKey(row.key).scheme;
      const label = scheme === 'file' || scheme === 'conffile' ? displayPath(row.key) : row.key;
      pending.push({ change, label, oldC: parse<Record<string, string>>(row.o_contents) ?? {}, newC: parse<Record<string, string>>(row.n_contents) ?? {}, stored });
    } else noDiffNote(change, stored);
    changes.push(change);
  }
  for (const { change, label, oldC, newC, stored } of pending) {
    const names = [...new Set([...Object.keys(oldC), ...Object.keys(newC)])].sort();
    const diffs: string[] = [];
    for (const name of names) {
      if (oldC[name] === newC[name]) continue;
      const oldText = oldC[name] ? store.blob(oldC[name]!) ?? '' : '';
      const newText = newC[name] ? store.blob(newC[name]!) ?? '' : '';
      const full = names.length > 1 || name !== 'content' ? `${label} (${name})` : label;
      const d = unifiedDiff(full, oldText, newText, oldS.started_at, newS.started_at);
      if (d === undefined) change.note = 'the difference is too large to show as a diff';
      else diffs.push(d);
    }
    if (diffs.length) change.diff = diffs.join('');
    noDiffNote(change, stored);
  }
  const errors = (
    store.db
      .prepare(`SELECT k.key, i.error FROM items i JOIN keys k ON k.id = i.key_id
                WHERE i.error IS NOT NULL AND ${VALID_AT('i', '@s')} ORDER BY k.key`)
      .all({ s: newS.id }) as { key: string; error: string }[]
  ).map((r) => ({ key: r.key, message: r.error }));
  return { changes, errors };
}
