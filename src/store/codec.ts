/**
 * The one codec between the JSON text the store keeps and the values the program works with:
 * item attributes and content references, session notes, report heads and stored report
 * changes. Nothing outside src/store parses or writes these texts.
 */
import type { Report, ReportChange } from '../core/report-model.js';
import type { Attributes, StoredItem } from '../types.js';

const sortedKeyCache = new Map<string, string[]>();

/**
 * Canonical JSON of attributes: keys sorted, so equal states compare equal as text. Collectors
 * that build their attributes in sorted order (the file collector) take the fast path.
 */
export function encodeAttrs(attrs: Attributes): string {
  const keys = Object.keys(attrs);
  let inOrder = true;
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      inOrder = false;
      break;
    }
  }
  if (inOrder) return JSON.stringify(attrs);
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

export function decodeAttrs(text: string): Attributes {
  return JSON.parse(text) as Attributes;
}

/** Content name → sha256, keys sorted; null when there is none. */
export function encodeContentRefs(refs: Record<string, string>): string | null {
  const keys = Object.keys(refs).sort();
  if (keys.length === 0) return null;
  const out: Record<string, string> = {};
  for (const k of keys) out[k] = refs[k]!;
  return JSON.stringify(out);
}

export function decodeContentRefs(text: string | null): Record<string, string> {
  return text ? (JSON.parse(text) as Record<string, string>) : {};
}

/** The columns of a stored item row that make a StoredItem. */
export interface ItemText {
  key: string;
  plugin: string;
  attrs: string;
  contents: string | null;
  error: string | null;
}

export function decodeItem(row: ItemText): StoredItem {
  return {
    key: row.key,
    plugin: row.plugin,
    attributes: decodeAttrs(row.attrs),
    contentHashes: decodeContentRefs(row.contents),
    error: row.error,
  };
}

export function encodeNotes(notes: readonly string[]): string {
  return JSON.stringify(notes);
}

export function decodeNotes(text: string): string[] {
  return JSON.parse(text) as string[];
}

/** A report without its changes, as stored in `reports.head`. */
export type ReportHead = Omit<Report, 'changes'>;

export function encodeReportHead(head: ReportHead): string {
  return JSON.stringify(head);
}

export function decodeReportHead(text: string): ReportHead {
  return JSON.parse(text) as ReportHead;
}

export function encodeChange(change: ReportChange): string {
  return JSON.stringify(change);
}

export function decodeChange(text: string): ReportChange {
  return JSON.parse(text) as ReportChange;
}
