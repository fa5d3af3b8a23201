/**
 * Pure parsers for group(5), gshadow(5) and the name/gid columns of passwd(5). A gshadow
 * password is classified (set, empty, locked, none) and dropped on the spot.
 */
import { classifyPassword, records, type ParseProblem, type PasswordState } from '../common/passwd-fields.js';

export { classifyPassword, type ParseProblem, type PasswordState };

export interface GroupEntry {
  name: string;
  /** The group file's password field classified; `shadow` when it is `x`. */
  password: PasswordState | 'shadow';
  gid: number;
  members: string[];
  line: number;
}

export interface GshadowEntry {
  name: string;
  password: PasswordState;
  admins: string[];
  members: string[];
  line: number;
}

/** Comma-separated names → sorted, unique, without empties. */
export function nameList(field: string | undefined): string[] {
  return [...new Set((field ?? '').split(',').map((s) => s.trim()).filter((s) => s !== ''))].sort();
}

export function parseGroup(text: string): { entries: GroupEntry[]; problems: ParseProblem[] } {
  const entries: GroupEntry[] = [];
  const problems: ParseProblem[] = [];
  for (const { fields: f, line } of records(text)) {
    if (f.length !== 4) {
      problems.push({ line, message: `expected 4 colon-separated fields, found ${f.length}` });
      continue;
    }
    if (f[0] === '' || !/^\d+$/.test(f[2]!.trim())) {
      problems.push({ line, message: f[0] === '' ? 'empty group name' : 'gid must be a number' });
      continue;
    }
    entries.push({ name: f[0]!, password: f[1] === 'x' ? 'shadow' : classifyPassword(f[1]!), gid: Number(f[2]!.trim()), members: nameList(f[3]), line });
  }
  return { entries, problems };
}

export function parseGshadow(text: string): { entries: GshadowEntry[]; problems: ParseProblem[] } {
  const entries: GshadowEntry[] = [];
  const problems: ParseProblem[] = [];
  for (const { fields: f, line } of records(text)) {
    if (f.length !== 4 || f[0] === '') {
      problems.push({ line, message: f[0] === '' ? 'empty group name' : `expected 4 colon-separated fields, found ${f.length}` });
      continue;
    }
    entries.push({ name: f[0]!, password: classifyPassword(f[1]!), admins: nameList(f[2]), members: nameList(f[3]), line });
  }
  return { entries, problems };
}

/** passwd → account names by primary gid. */
export function primaryMembers(passwdText: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const { fields: f } of records(passwdText)) {
    if (f.length !== 7 || f[0] === '' || !/^\d+$/.test(f[3]!)) continue;
    const gid = Number(f[3]);
    const list = out.get(gid) ?? [];
    if (!list.includes(f[0]!)) list.push(f[0]!);
    out.set(gid, list);
  }
  for (const l of out.values()) l.sort();
  return out;
}

/** The set difference of two comma-joined lists: `+bob -alice`. */
export function setDelta(oldList: string | null | undefined, newList: string | null | undefined): string {
  const o = new Set(nameList(oldList ?? ''));
  const n = new Set(nameList(newList ?? ''));
  const parts = [...n].filter((x) => !o.has(x)).map((x) => `+${x}`);
  for (const x of o) if (!n.has(x)) parts.push(`-${x}`);
  return parts.join(' ');
}
