/**
 * A pure INI parser that reads files exactly as Python's `configparser.RawConfigParser`
 * (strict, default settings) does, so the Python syschangemon's files load unchanged:
 *
 * - A line that starts with `[` and holds a later `]` is a section header; the name is
 *   everything between the first `[` and the last `]` (kept as written, spaces included), and
 *   text after the last `]` is ignored: `[file]  # files to watch` is section `file`.
 * - `[DEFAULT]` holds keys every section of the same file inherits (see {@link IniFile.defaults}).
 * - `key = value` and `key: value` (split at the first `=` or `:`); keys are lowercased.
 * - Full-line comments start with `#` or `;`, also when indented inside a multi-line value.
 *   There are no inline comments: `a = b # c` has the value `b # c`.
 * - A line indented deeper than its key continues the key's value; continuation lines are
 *   stripped and joined with `\n`. The first line may be empty (`include =` then indented
 *   globs). Blank lines inside a value are kept; trailing blank lines are dropped.
 * - Whitespace is Python's (`str.isspace`), not JavaScript's: U+FEFF is not whitespace,
 *   U+001C–U+001F and U+0085 are.
 * - No interpolation: `%` is literal.
 * - Strict: a section may not repeat in one file, nor a key in one section.
 *
 * One leniency: a UTF-8 byte order mark at the very start is skipped.
 */
import { ConfigError } from '../errors.js';

/** One `key = value` of a section, with the line its key stands on (1-based). */
export interface IniEntry {
  /** Lowercased key. */
  key: string;
  /** Value with continuation lines joined by `\n`. */
  value: string;
  line: number;
}

/** One `[section]` of one file. */
export interface IniSection {
  name: string;
  /** Line of the header (1-based). */
  line: number;
  entries: IniEntry[];
}

/** A parsed file: its sections in file order. */
export interface IniFile {
  file: string;
  /** Sections other than `[DEFAULT]`, in the order of their headers. */
  sections: IniSection[];
  /** The `[DEFAULT]` section (its blocks merged), when the file has one. */
  defaults?: IniSection;
}

export const DEFAULT_SECTION = 'DEFAULT';

const COMMENT_PREFIXES = ['#', ';'];

/** Python's `str.isspace` for one UTF-16 unit (every such character is in the BMP). */
export function isPySpace(code: number): boolean {
  return (
    (code >= 0x09 && code <= 0x0d) ||
    (code >= 0x1c && code <= 0x20) ||
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  );
}

/** Python's `str.strip()` / `lstrip()` / `rstrip()` without arguments. */
export function pyStrip(s: string, left = true, right = true): string {
  let a = 0;
  let b = s.length;
  if (left) while (a < b && isPySpace(s.charCodeAt(a))) a++;
  if (right) while (b > a && isPySpace(s.charCodeAt(b - 1))) b--;
  return s.slice(a, b);
}

function indentOf(raw: string): number {
  let i = 0;
  while (i < raw.length && isPySpace(raw.charCodeAt(i))) i++;
  return i === raw.length ? 0 : i;
}

/**
 * Decode a config file's bytes as UTF-8. Invalid UTF-8 is a {@link ConfigError} naming the
 * file and the line of the first bad byte (never U+FFFD inside a value).
 */
export function decodeConfig(bytes: Uint8Array, fileName: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    let start = 0;
    let line = 1;
    for (;;) {
      let end = bytes.indexOf(0x0a, start);
      if (end < 0) end = bytes.length;
      try {
        strict.decode(bytes.subarray(start, end));
      } catch {
        throw new ConfigError('invalid UTF-8 (config files must be UTF-8 text)', { file: fileName, line });
      }
      if (end >= bytes.length) break;
      start = end + 1;
      line++;
    }
    throw new ConfigError('invalid UTF-8 (config files must be UTF-8 text)', { file: fileName });
  }
}

/** Parse INI text. Throws {@link ConfigError} naming `fileName:line` for malformed input. */
export function parseIni(text: string, fileName: string): IniFile {
  const sections: IniSection[] = [];
  const bySection = new Map<string, IniSection>();
  let defaults: IniSection | undefined;
  const keyLines = new Map<IniSection, Map<string, number>>();
  let current: IniSection | undefined;
  let entry: IniEntry | undefined;
  // The value lines of `entry`; joined when the entry ends.
  let valueLines: string[] = [];
  let indentLevel = 0;

  const finishEntry = () => {
    if (entry) entry.value = pyStrip(valueLines.join('\n'), false, true);
    entry = undefined;
    valueLines = [];
  };

  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!;
    const stripped = pyStrip(raw);
    if (COMMENT_PREFIXES.some((p) => stripped.startsWith(p))) continue;
    if (stripped === '') {
      // configparser keeps blank lines inside a value (and they do not end it).
      if (entry) valueLines.push('');
      continue;
    }
    const indent = indentOf(raw);
    if (entry && indent > indentLevel) {
      valueLines.push(stripped);
      continue;
    }
    indentLevel = indent;
    finishEntry();
    const close = stripped.lastIndexOf(']');
    if (stripped.startsWith('[') && close > 1) {
      const name = stripped.slice(1, close);
      if (name === DEFAULT_SECTION) {
        if (!defaults) {
          defaults = { name, line: lineNo, entries: [] };
          keyLines.set(defaults, new Map());
        }
        current = defaults;
        continue;
      }
      const seen = bySection.get(name);
      if (seen) {
        throw new ConfigError(`duplicate section [${clip(name)}] (first at line ${seen.line})`, { file: fileName, line: lineNo });
      }
      current = { name, line: lineNo, entries: [] };
      sections.push(current);
      bySection.set(name, current);
      keyLines.set(current, new Map());
      continue;
    }
    if (!current) {
      throw new ConfigError(`expected a [section] header before '${clip(stripped)}'`, { file: fileName, line: lineNo });
    }
    const eq = firstDelimiter(stripped);
    const key = eq < 0 ? '' : pyStrip(stripped.slice(0, eq), false, true).toLowerCase();
    if (key === '') {
      throw new ConfigError(`expected '[section]', 'key = value' or 'key: value', got '${clip(stripped)}'`, {
        file: fileName,
        line: lineNo,
      });
    }
    const seenKeys = keyLines.get(current)!;
    const firstLine = seenKeys.get(key);
    if (firstLine !== undefined) {
      throw new ConfigError(`duplicate key '${clip(key)}' in [${clip(current.name)}] (first at line ${firstLine})`, {
        file: fileName,
        line: lineNo,
      });
    }
    seenKeys.set(key, lineNo);
    entry = { key, value: '', line: lineNo };
    current.entries.push(entry);
    valueLines = [pyStrip(stripped.slice(eq + 1))];
  }
  finishEntry();
  return { file: fileName, sections, ...(defaults ? { defaults } : {}) };
}

function firstDelimiter(s: string): number {
  const a = s.indexOf('=');
  const b = s.indexOf(':');
  if (a < 0) return b;
  if (b < 0) return a;
  return Math.min(a, b);
}

/** Keep quoted input on one short line in messages. */
function clip(text: string): string {
  const one = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}
