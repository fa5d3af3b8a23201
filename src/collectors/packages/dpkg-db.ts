/**
 * Reading dpkg's database and log from disk (the I/O around `parse.ts`).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { type DpkgLogEntry, type StatusEntry, logTime, parseDpkgLog, parseStatus } from './parse.js';

export function readStatus(admindir: string): StatusEntry[] {
  return parseStatus(readFileSync(join(admindir, 'status')));
}

/** `info/<name>:<arch>.<ext>` for Multi-Arch: same packages, else `info/<name>.<ext>`. */
function infoFile(admindir: string, e: Pick<StatusEntry, 'name' | 'arch' | 'multiArchSame'>, ext: string): string {
  const qualified = join(admindir, 'info', `${e.name}:${e.arch}.${ext}`);
  if (e.multiArchSame) return qualified;
  const plain = join(admindir, 'info', `${e.name}.${ext}`);
  try {
    statSync(plain);
    return plain;
  } catch {
    return qualified;
  }
}

/** An info file's bytes, or undefined when it does not exist. */
export function readInfo(admindir: string, e: StatusEntry, ext: string): Buffer | undefined {
  try {
    return readFileSync(infoFile(admindir, e, ext));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** ctime of the package's `.list` as ISO text, or undefined. */
export function listCtime(admindir: string, e: StatusEntry): string | undefined {
  try {
    const st = statSync(infoFile(admindir, e, 'list'), { bigint: true });
    return new Date(Number(st.ctimeNs / 1000000n)).toISOString().replace('Z', `${String(st.ctimeNs % 1000000n).padStart(6, '0')}Z`);
  } catch {
    return undefined;
  }
}

/** MD5 and sha256 of a regular file, read without following a symlink; undefined if gone. */
export function hashFile(path: Buffer): { md5: string; sha256: string } | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ELOOP') return undefined;
    throw err;
  }
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    const md5 = createHash('md5');
    const sha = createHash('sha256');
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      md5.update(buf.subarray(0, n));
      sha.update(buf.subarray(0, n));
    }
    return { md5: md5.digest('hex'), sha256: sha.digest('hex') };
  } finally {
    closeSync(fd);
  }
}

/** Text of one log file, gunzipped when it ends in `.gz`; undefined when absent. */
function readLog(path: string): string | undefined {
  try {
    const data = readFileSync(path);
    return (path.endsWith('.gz') ? gunzipSync(data) : data).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * dpkg.log actions (with `status`, status lines too) from `from` to `to`, reading `<log>`, `<log>.1`, `<log>.2.gz`, … until a
 * file starts before `from` or the next rotated copy is missing. Oldest first.
 * `found` is false when not even the current log exists.
 */
export function readDpkgLogWindow(log: string, from: Date, to: Date, opts: { status?: boolean } = {}): { entries: DpkgLogEntry[]; found: boolean } {
  const chunks: DpkgLogEntry[][] = [];
  let found = false;
  for (let i = 0; i < 100; i++) {
    const base = i === 0 ? log : `${log}.${i}`;
    const text = readLog(base) ?? readLog(`${base}.gz`);
    if (text === undefined) {
      if (i === 0) continue;
      break;
    }
    found = true;
    const entries = parseDpkgLog(text, opts);
    chunks.unshift(entries.filter((e) => {
      const t = logTime(e.time).getTime();
      return t >= from.getTime() - 1000 && t <= to.getTime() + 1000;
    }));
    if (entries.length && logTime(entries[0]!.time).getTime() < from.getTime()) break;
  }
  return { entries: chunks.flat(), found };
}
