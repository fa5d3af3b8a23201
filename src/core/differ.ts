/**
 * The differ: compares two complete sessions by item key. The store hands it only the items
 * that differ (Store.itemDiffs: items are stored as validity ranges, so the cost follows the
 * number of changes, not the size of the sessions); the differ turns them into report changes
 * with per-attribute old/new values and unified diffs of kept contents (linediff.ts).
 */
import { usageError } from '../errors.js';
import { displayPath, splitKey } from '../keys.js';
import type { ItemDiff, SessionRow, Store, UnacceptedDiff } from '../store/store.js';
import type { AttrValue, Attributes } from '../types.js';
import type { AttributeChange, ReportChange } from './report-model.js';
import { lineDiff, tooLargeNote } from './linediff.js';

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

const EMPTY = Buffer.alloc(0);

const NO_DIFF_NOTES: Record<string, string> = {
  secret: 'content not stored: private key or secret file',
  // The kept text, with its secret values replaced, is the same: only a secret value changed.
  redacted: 'a secret value changed (not shown)',
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

/** Whether a plugin's attribute of a key is ignored (`ignore_attributes`). */
export type IgnoredAttribute = (plugin: string, key: string, attribute: string) => boolean;

/**
 * Compare two complete sessions (`oldS` older than `newS`). An item changed only in
 * `ignored` attributes is no change; a changed item does not list them.
 */
export function diffSessions(store: Store, oldS: SessionRow, newS: SessionRow, ignored?: IgnoredAttribute): DiffResult {
  return { changes: [...sessionChanges(store, oldS, newS, ignored)], errors: store.errorItems(newS) };
}

/**
 * The changes between two complete sessions one by one, in key order, as diffSessions lists
 * them: read from the store in pages (Store.itemDiffs), so a caller that does not keep them
 * (buildReport storing them as they come) holds one page at a time, whatever their number.
 */
export function sessionChanges(store: Store, oldS: SessionRow, newS: SessionRow, ignored?: IgnoredAttribute, only?: ChangesOf): Generator<ReportChange> {
  if (oldS.id >= newS.id) {
    throw usageError(`the old session ${oldS.uuid} is not older than the new session ${newS.uuid}`);
  }
  return changesOf(store, store.itemDiffs(oldS, newS, only?.plugin), oldS.started_at, newS.started_at, ignored, undefined, only?.diffs);
}

/** Which changes: one plugin's only, and without the content diffs (`diff`, `note`) when `diffs` is false. */
export interface ChangesOf {
  plugin?: string;
  diffs?: boolean;
}

/**
 * Compare session `newS` with the accepted baseline (`baseline = accepted`): every key whose
 * state differs from its accepted state, with when it first differed and whether it changed
 * in this session. The store's accepted baseline must be synced to `newS`.
 */
export function diffAccepted(store: Store, newS: SessionRow, ignored?: IgnoredAttribute): DiffResult {
  return { changes: [...acceptedChanges(store, newS, ignored)], errors: store.errorItems(newS) };
}

/** The changes against the accepted baseline one by one, in key order, as diffAccepted lists them (read in pages). */
export function acceptedChanges(store: Store, newS: SessionRow, ignored?: IgnoredAttribute, only?: ChangesOf): Generator<ReportChange> {
  const decorate = (c: ReportChange, d: UnacceptedDiff) => {
    c.unaccepted_since = d.since;
    c.changed_this_run = d.changedNow;
  };
  return changesOf(store, store.unacceptedDiffs(newS, only?.plugin), 'accepted', newS.started_at, ignored, decorate, only?.diffs);
}

/**
 * Report changes of item differences, with unified diffs of kept contents, one by one. The
 * differences must not hold the connection busy (Store.itemDiffs reads in pages): the kept
 * contents are read as each change is made.
 */
function* changesOf<D extends ItemDiff>(
  store: Store,
  diffs: Iterable<D>,
  oldHeader: string,
  newHeader: string,
  ignored?: IgnoredAttribute,
  decorate?: (change: ReportChange, d: D) => void,
  withDiffs = true,
): Generator<ReportChange> {
  for (const d of diffs) {
    const change: ReportChange = {
      key: d.key,
      plugin: d.plugin,
      change: d.old === undefined ? 'added' : d.new === undefined ? 'removed' : 'changed',
      attributes: attributeChanges(d.old?.attributes, d.new?.attributes, d.old?.error ?? null, d.new?.error ?? null),
    };
    if (ignored && change.change === 'changed') {
      for (const name of Object.keys(change.attributes)) if (name !== 'error' && ignored(d.plugin, d.key, name)) delete change.attributes[name];
      if (!d.contentsChanged && Object.keys(change.attributes).length === 0) continue;
    }
    const stored = d.new?.attributes.stored ?? d.old?.attributes.stored;
    // (The order the properties are set in is the order the JSON report lists them.)
    if (!withDiffs) decorate?.(change, d);
    else if (d.contentsChanged) {
      decorate?.(change, d);
      const scheme = splitKey(d.key).scheme;
      const label = scheme === 'file' || scheme === 'conffile' ? displayPath(d.key) : d.key;
      contentDiffs(store, change, label, d.old?.contentHashes ?? {}, d.new?.contentHashes ?? {}, oldHeader, newHeader);
      noDiffNote(change, stored);
    } else {
      noDiffNote(change, stored);
      decorate?.(change, d);
    }
    yield change;
  }
}

/** The unified diffs (or the too-large notes) of the kept contents that differ. */
function contentDiffs(store: Store, change: ReportChange, label: string, oldC: Record<string, string>, newC: Record<string, string>, oldHeader: string, newHeader: string): void {
  const names = [...new Set([...Object.keys(oldC), ...Object.keys(newC)])].sort();
  const diffs: string[] = [];
  for (const name of names) {
    if (oldC[name] === newC[name]) continue;
    const oldText = (oldC[name] ? store.blobBytes(oldC[name]!) : undefined) ?? EMPTY;
    const newText = (newC[name] ? store.blobBytes(newC[name]!) : undefined) ?? EMPTY;
    const full = names.length > 1 || name !== 'content' ? `${label} (${name})` : label;
    // Bounded in time and memory (linediff.ts): past the budget, the line counts and sha256.
    const d = lineDiff(full, oldText, newText, oldHeader, newHeader, { old: oldC[name] ?? 'none', new: newC[name] ?? 'none' });
    if (d.kind === 'diff') diffs.push(d.patch);
    else if (d.kind === 'too_large') {
      const note = tooLargeNote(names.length > 1 || name !== 'content' ? name : undefined, d);
      change.note = change.note ? `${change.note}; ${note}` : note;
    }
  }
  if (diffs.length) change.diff = diffs.join('');
}
