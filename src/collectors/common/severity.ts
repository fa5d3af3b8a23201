/** Helpers for collectors' own severity rules (Collector.severity). */
import type { AttrValue } from '../../types.js';
import type { ReportChange } from '../../core/report-model.js';

/** The value a change shows: the new one, the old one of a removed item; undefined when the change does not list it. */
export function valueOf(c: ReportChange, name: string): AttrValue | undefined {
  const a = c.attributes[name];
  if (!a) return undefined;
  return c.change === 'removed' ? a.old : a.new;
}

/** A comma-joined list as a set (empty and absent: none). */
export function listSet(v: AttrValue | undefined): Set<string> {
  return new Set(typeof v === 'string' && v ? v.split(',').map((s) => s.trim()).filter(Boolean) : []);
}

/** Members of `after` not in `before`. */
export function added(before: Set<string>, after: Set<string>): string[] {
  return [...after].filter((m) => !before.has(m));
}
