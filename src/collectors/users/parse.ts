/**
 * Pure parsers for passwd(5) and shadow(5). The shadow parser keeps only metadata: the
 * password field is classified (set, empty, locked, none) and dropped on the spot, so no part
 * of a hash ever leaves this module.
 */

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

/** What a password field allows, never what it holds. */
export type PasswordState = 'set' | 'empty' | 'locked' | 'none';

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

/** A line that could not be parsed: where, and why (never the line itself). */
export interface ParseProblem {
  line: number;
  message: string;
}

/**
 * Classify a password field without keeping it:
 * - `empty`: no password at all (anyone can log in where PAM allows nullok);
 * - `none`: no usable password was ever set (`*`, `!`, `!!`, `!*`, `x` without shadow entry…);
 * - `locked`: a password is set but locked with a leading `!` (`usermod -L`, `passwd -l`);
 * - `set`: a usable crypt(3) hash.
 */
export function classifyPassword(field: string): PasswordState {
  if (field === '') return 'empty';
  if (field.startsWith('!')) {
    const rest = field.replace(/^!+/, '');
    return rest === '' || rest === '*' || rest === 'x' || !looksLikeHash(rest) ? 'none' : 'locked';
  }
  return looksLikeHash(field) ? 'set' : 'none';
}

/** A crypt(3) result: `$id$…`, or a 13-character DES hash. `*`, `x`, `NP`, `LK` are not. */
function looksLikeHash(s: string): boolean {
  if (s.startsWith('$')) return s.length > 3;
  return /^[./0-9A-Za-z]{13}$/.test(s);
}

function num(field: string | undefined): number | null {
  if (field === undefined || field.trim() === '') return null;
  return /^-?\d+$/.test(field.trim()) ? Number(field.trim()) : null;
}

/** Lines of a passwd-style file with their numbers, comments and NIS `+`/`-` entries skipped. */
function* records(text: string): Generator<{ fields: string[]; line: number }> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '' || raw.startsWith('#') || raw.startsWith('+') || raw.startsWith('-')) continue;
    yield { fields: raw.split(':'), line: i + 1 };
  }
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
