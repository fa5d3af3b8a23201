/**
 * Errors with codes. The top level (`src/cli.ts`) maps them to one-line messages and exit
 * codes: 0 success, 1 runtime failure, 2 usage or configuration error, 75 lock held.
 */

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_LOCKED = 75;

export type ErrorCode =
  | 'E_CONFIG'
  | 'E_USAGE'
  | 'E_LOCKED'
  | 'E_DATABASE'
  | 'E_NOT_FOUND'
  | 'E_MAIL'
  | 'E_UNSAFE'
  | 'E_RUNTIME';

const EXIT_BY_CODE: Record<ErrorCode, number> = {
  E_CONFIG: EXIT_USAGE,
  E_USAGE: EXIT_USAGE,
  E_LOCKED: EXIT_LOCKED,
  E_DATABASE: EXIT_FAILURE,
  E_NOT_FOUND: EXIT_FAILURE,
  E_MAIL: EXIT_FAILURE,
  E_UNSAFE: EXIT_FAILURE,
  E_RUNTIME: EXIT_FAILURE,
};

/** An error the user is meant to read: its message is one line and complete. */
export class SysError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'SysError';
  }
  get exitCode(): number {
    return EXIT_BY_CODE[this.code];
  }
}

/** A configuration error: names the file and line and what was expected. */
export class ConfigError extends SysError {
  /** The option the error is about, when known and not yet placed (see `Collector.init`). */
  readonly key?: string;
  /** Whether the message already names a file. */
  readonly located: boolean;
  constructor(message: string, where?: { file?: string; line?: number; key?: string }) {
    const loc = where?.file ? `${where.file}${where.line ? `:${where.line}` : ''}: ` : '';
    super('E_CONFIG', `${loc}${message}`);
    this.name = 'ConfigError';
    this.located = loc !== '';
    if (where?.key) this.key = where.key;
  }
}

export const usageError = (message: string) => new SysError('E_USAGE', message);
export const notFound = (message: string) => new SysError('E_NOT_FOUND', message);
export const databaseError = (message: string, cause?: unknown) =>
  new SysError('E_DATABASE', message, { cause });
export const lockedError = (message: string) => new SysError('E_LOCKED', message);
export const mailError = (message: string, cause?: unknown) => new SysError('E_MAIL', message, { cause });

/** The message of anything thrown, on one line. */
export function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Wrap a collector's exception with the collector's name. */
export function collectorFailure(plugin: string, err: unknown): SysError {
  if (err instanceof SysError) return err;
  return new SysError('E_RUNTIME', `${plugin}: ${messageOf(err)}`, { cause: err });
}
