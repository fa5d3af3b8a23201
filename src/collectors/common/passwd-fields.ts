/**
 * What passwd(5), shadow(5), group(5) and gshadow(5) share: colon-separated records with
 * comments and NIS `+`/`-` entries, and a password field that is classified on the spot and
 * dropped, so no part of a hash ever leaves the parsers.
 */

/** What a password field allows, never what it holds. */
export type PasswordState = 'set' | 'empty' | 'locked' | 'none';

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
  if (field.startsWith('!')) return looksLikeHash(field.replace(/^!+/, '')) ? 'locked' : 'none';
  return looksLikeHash(field) ? 'set' : 'none';
}

/** A crypt(3) result: `$id$…`, or a 13-character DES hash. `*`, `x`, `NP`, `LK` are not. */
function looksLikeHash(s: string): boolean {
  if (s.startsWith('$')) return s.length > 3;
  return /^[./0-9A-Za-z]{13}$/.test(s);
}

/** Lines of a passwd-style file with their numbers, comments and NIS `+`/`-` entries skipped. */
export function* records(text: string): Generator<{ fields: string[]; line: number }> {
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '' || raw.startsWith('#') || raw.startsWith('+') || raw.startsWith('-')) continue;
    yield { fields: raw.split(':'), line: i + 1 };
  }
}
