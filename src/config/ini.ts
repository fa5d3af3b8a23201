/**
 * A pure INI parser that reads files the way Python's `configparser` (default settings) does,
 * so the Python syschangemon's files load unchanged:
 *
 * - `[section]` headers; section names keep their case.
 * - `key = value` and `key: value` (split at the first `=` or `:`); keys are lowercased.
 * - Full-line comments start with `#` or `;`, also when indented inside a multi-line value.
 *   There are no inline comments: `a = b # c` has the value `b # c`.
 * - A line indented deeper than its key continues the key's value; continuation lines are
 *   trimmed and joined with `\n`. The first line may be empty (`include =` then indented
 *   globs). Blank lines inside a value are kept; trailing blank lines are dropped.
 * - No interpolation: `%` is literal.
 *
 * Stricter than configparser in one place: text after a `]` on a header line is an error.
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
  sections: IniSection[];
}

const COMMENT_PREFIXES = ['#', ';'];

/** Parse INI text. Throws {@link ConfigError} naming `fileName:line` for malformed input. */
export function parseIni(text: string, fileName: string): IniFile {
  const sections: IniSection[] = [];
  const bySection = new Map<string, IniSection>();
  const keyLines = new Map<IniSection, Map<string, number>>();
  let current: IniSection | undefined;
  let entry: IniEntry | undefined;
  // The value lines of `entry`; joined when the entry ends.
  let valueLines: string[] = [];
  let indentLevel = 0;

  const finishEntry = () => {
    if (entry) entry.value = valueLines.join('\n').trimEnd();
    entry = undefined;
    valueLines = [];
  };

  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!;
    const stripped = raw.trim();
    if (COMMENT_PREFIXES.some((p) => stripped.startsWith(p))) continue;
    if (stripped === '') {
      // configparser keeps blank lines inside a value (and they do not end it).
      if (entry) valueLines.push('');
      continue;
    }
    const indent = raw.length - raw.trimStart().length;
    if (entry && indent > indentLevel) {
      valueLines.push(stripped);
      continue;
    }
    indentLevel = indent;
    if (stripped.startsWith('[')) {
      finishEntry();
      const m = /^\[(.+)\]$/.exec(stripped);
      if (!m) {
        throw new ConfigError(`expected a section header '[name]', got '${clip(stripped)}'`, { file: fileName, line: lineNo });
      }
      const name = m[1]!;
      const seen = bySection.get(name);
      if (seen) {
        throw new ConfigError(`duplicate section [${name}] (first at line ${seen.line})`, { file: fileName, line: lineNo });
      }
      current = { name, line: lineNo, entries: [] };
      sections.push(current);
      bySection.set(name, current);
      keyLines.set(current, new Map());
      continue;
    }
    finishEntry();
    const m = /^(.*?)\s*([=:])\s*(.*)$/.exec(stripped);
    if (!current) {
      throw new ConfigError(`expected a [section] header before '${clip(stripped)}'`, { file: fileName, line: lineNo });
    }
    if (!m || m[1] === '') {
      throw new ConfigError(`expected '[section]', 'key = value' or 'key: value', got '${clip(stripped)}'`, {
        file: fileName,
        line: lineNo,
      });
    }
    const key = m[1]!.toLowerCase();
    const seenKeys = keyLines.get(current)!;
    const firstLine = seenKeys.get(key);
    if (firstLine !== undefined) {
      throw new ConfigError(`duplicate key '${key}' in [${current.name}] (first at line ${firstLine})`, {
        file: fileName,
        line: lineNo,
      });
    }
    seenKeys.set(key, lineNo);
    entry = { key, value: '', line: lineNo };
    current.entries.push(entry);
    valueLines = [m[3]!];
  }
  finishEntry();
  return { file: fileName, sections };
}

/** Keep quoted input on one short line in messages. */
function clip(text: string): string {
  const one = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}
