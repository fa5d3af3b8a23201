/**
 * What several collectors share: error texts, the absolute-path option check and typed option
 * values with the schema's defaults. Not a collector (it has no registry entry).
 */
import { isAbsolute } from 'node:path';
import type { OptionSchema, Options } from '../../types.js';

/**
 * An error as one line for an item whose key already names the path: Node's message without
 * the path (`EACCES: permission denied, open`), since names can hold anything. Errors that
 * are not system call errors keep their message, on one line.
 */
export function errText(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const msg = e instanceof Error ? e.message : String(err);
  if (e && typeof e.syscall === 'string') {
    const i = msg.indexOf(`, ${e.syscall} '`);
    if (i >= 0) return msg.slice(0, i + 2 + e.syscall.length);
  }
  return msg.replace(/\s*\n\s*/g, ' ');
}

/**
 * Why a file could not be read, in words for a note or error line that already names the
 * file: the common cases said plainly, anything else as errText does.
 */
export function readFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ELOOP') return 'is a symlink; not followed';
  return errText(err);
}

/** An OptionSpec `check` for options that name a file or directory: it must be absolute. */
export function absolutePath(v: unknown): string | undefined {
  return typeof v === 'string' && isAbsolute(v) ? undefined : 'expected an absolute path';
}

/**
 * Typed values of a collector's parsed options, falling back to the default its schema
 * declares. The configuration loader fills the defaults in already; this keeps a collector
 * called with partial options (its tests, another collector) on the same defaults, which are
 * then written once, in the schema.
 */
export interface OptionValues {
  /** A string; with `nonEmpty`, an empty value also takes the default. */
  string(name: string, opts?: { nonEmpty?: boolean }): string;
  number(name: string): number;
  bool(name: string): boolean;
  /** A list of strings. */
  list(name: string): string[];
}

export function optionValues(schema: OptionSchema, options: Options): OptionValues {
  const fallback = (name: string): unknown => {
    const spec = schema[name];
    if (!spec) throw new Error(`option ${name} is not in the schema`);
    return spec.default;
  };
  const get = (name: string): unknown => (options[name] !== undefined ? options[name] : fallback(name));
  return {
    string(name, opts = {}) {
      const v = get(name);
      if (typeof v === 'string' && (v !== '' || !opts.nonEmpty)) return v;
      const d = fallback(name);
      return d === undefined || d === null ? '' : String(d);
    },
    number(name) {
      const v = get(name);
      return typeof v === 'number' ? v : Number(fallback(name) ?? 0);
    },
    bool(name) {
      const v = get(name);
      return typeof v === 'boolean' ? v : fallback(name) === true;
    },
    list(name) {
      const v = get(name);
      if (Array.isArray(v)) return v.map(String);
      const d = fallback(name);
      return Array.isArray(d) ? d.map(String) : [];
    },
  };
}
