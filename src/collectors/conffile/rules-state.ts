/**
 * Whether the previous session's conffile items were made under the secret rules of this run.
 * An unchanged file is not read again only when they were: after an upgrade that adds a rule,
 * or a new `secret_paths`/`secret_patterns` line, every file is read and classified again, so
 * a text kept before is never carried on under rules that would redact it.
 *
 * The storage directory keeps `conffile-rules`: the rules' fingerprint and the start time of
 * the last complete session made before them (`before`). The rules held for the previous
 * session when the fingerprint matches and that session is a later one.
 */
import { closeSync, constants, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { CollectContext } from '../../types.js';
import { RULES_VERSION } from '../../core/secrets.js';

const FILE = 'conffile-rules';

interface State {
  fingerprint: string;
  before: string | null;
}

/** The fingerprint of the rules: the built-in version and the configured additions. */
export function rulesFingerprint(o: { secretPaths: readonly string[]; secretPatterns: readonly string[] }): string {
  return createHash('sha256').update(JSON.stringify([RULES_VERSION, o.secretPaths, o.secretPatterns])).digest('hex');
}

function readState(path: string): State | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const buf = Buffer.alloc(4096);
    const n = readSync(fd, buf, 0, buf.length, 0);
    const s = JSON.parse(buf.subarray(0, n).toString('utf8')) as State;
    return typeof s.fingerprint === 'string' && (s.before === null || typeof s.before === 'string') ? s : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function writeState(path: string, state: State): void {
  const tmp = `${path}.tmp`;
  try {
    unlinkSync(tmp);
  } catch {
    // not there
  }
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, `${JSON.stringify(state)}\n`);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * Whether unchanged files may keep the previous session's verdict; records new rules. Any
 * failure to read or write the state only costs reading every file again.
 */
export function rulesState(stateDir: string, o: { secretPaths: readonly string[]; secretPatterns: readonly string[] }, ctx: CollectContext): boolean {
  const path = join(stateDir, FILE);
  const fingerprint = rulesFingerprint(o);
  const prev = ctx.previousSessionStartedAt ?? null;
  const state = readState(path);
  if (state && state.fingerprint === fingerprint) return prev !== null && prev !== state.before;
  try {
    writeState(path, { fingerprint, before: prev });
  } catch (err) {
    ctx.debug(`cannot record the secret rules in ${path}: ${(err as Error).message}`);
  }
  return false;
}
