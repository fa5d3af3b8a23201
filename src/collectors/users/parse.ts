/**
 * Pure parsers for passwd(5) and shadow(5). The shadow parser keeps only metadata: the
 * password field is classified (set, empty, locked, none) and dropped on the spot, so no part
 * of a hash ever leaves this module.
 */
import { classifyPassword, records, type ParseProblem, type PasswordState } from '../common/passwd-fields.js';

export { classifyPassword, type ParseProblem, type PasswordState };

/** One passwd entry. */
export interface PasswdEntry {
  name: string;
  /** The passwd password field classified; `shadow` when it is `x` (look in shadow). */
  password: PasswordState | 'shadow';
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
  line: number;
}

/** One shadow entry, metadata only. Days are days since 1970-01-01 as shadow stores them. */
export interface ShadowEntry {
  name: string;
  password: PasswordState;
  lastChange: number | null;
  min: number | null;
  max: number | null;
  warn: number | null;
  inactive: number | null;
  expire: number | null;
  line: number;
}

function num(field: string | undefined): number | null {
  if (field === undefined || field.trim() === '') return null;
  return /^-?\d+$/.test(field.trim()) ? Number(field.trim()) : null;
}

export function parsePasswd(text: string): { entries: PasswdEntry[]; problems: ParseProblem[] } {
  const entries: PasswdEntry[] = [];
  const problems: ParseProblem[] = [];
  for (const { fields: f, line } of records(text)) {
    if (f.length !== 7) {
      problems.push({ line, message: `expected 7 colon-separated fields, found ${f.length}` });
      continue;
    }
    const uid = num(f[2]);
    const gid = num(f[3]);
    if (f[0] === '' || uid === null || gid === null || uid < 0 || gid < 0) {
      problems.push({ line, message: f[0] === '' ? 'empty user name' : 'uid and gid must be numbers' });
      continue;
    }
    entries.push({
      name: f[0]!,
      password: f[1] === 'x' ? 'shadow' : classifyPassword(f[1]!),
      uid,
      gid,
      gecos: f[4]!,
      home: f[5]!,
      shell: f[6]!,
      line,
    });
  }
  return { entries, problems };
}

export function parseShadow(text: string): { entries: ShadowEntry[]; problems: ParseProblem[] } {
  const entries: ShadowEntry[] = [];
  const problems: ParseProblem[] = [];
  for (const { fields: f, line } of records(text)) {
    if (f.length < 2 || f.length > 9 || f[0] === '') {
      problems.push({ line, message: f[0] === '' ? 'empty user name' : `expected 9 colon-separated fields, found ${f.length}` });
      continue;
    }
    entries.push({
      name: f[0]!,
      password: classifyPassword(f[1]!),
      lastChange: num(f[2]),
      min: num(f[3]),
      max: num(f[4]),
      warn: num(f[5]),
      inactive: num(f[6]),
      expire: num(f[7]),
      line,
    });
  }
  return { entries, problems };
}

/** Days since the epoch → `YYYY-MM-DD`; 0 in last change means "must change at next login". */
export function dayToDate(days: number | null): string | null {
  if (days === null || days < 0) return null;
  return new Date(days * 86400_000).toISOString().slice(0, 10);
}
