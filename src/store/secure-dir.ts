/**
 * The storage directory and its files are checked before anything is read or written there,
 * as OpenSSH's StrictModes checks `~/.ssh`: the directory and each directory above it up to
 * `/` must belong to root or to the running user and be writable by nobody else (a sticky,
 * world-writable parent such as `/tmp` is allowed, since no one else can rename or remove what
 * we own in it). The storage directory itself must not be a symlink; a symlink above it is
 * followed only when it lies in a directory that passed these checks (so only root or we could
 * have made it), and its target is checked the same way.
 *
 * Inside a directory that passed, nobody else can add, rename or remove entries, so the
 * database, its WAL and SHM files and the lock are checked once by `lstat` (a regular file of
 * ours with one link, never a symlink) and then opened by name; files we create are created
 * with `O_CREAT|O_EXCL|O_NOFOLLOW`. Anything else is refused with one line naming the path and
 * the fix (exit 1): the directory is never repaired by chown or chmod of something that is not
 * already ours and private to us.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SysError } from '../errors.js';

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_WRONLY, O_CLOEXEC, O_RDONLY, O_DIRECTORY } = fs.constants as typeof fs.constants & {
  O_CLOEXEC: number;
};

/** The SQLite companions of a database file that must be as private as the file itself. */
export const DB_COMPANIONS = ['-wal', '-shm', '-journal'] as const;

export const unsafeStorage = (message: string) => new SysError('E_UNSAFE', message);

/** A file in a sound storage directory that syschangemon cannot use; `reset` moves it aside. */
export class UnsafeFileError extends SysError {
  readonly file: string;
  constructor(file: string, message: string) {
    super('E_UNSAFE', message);
    this.file = file;
  }
}

const euid = () => (typeof process.geteuid === 'function' ? process.geteuid() : 0);

/** Whether a file owned by `uid` may be trusted: root's or the running user's. */
function trustedOwner(uid: number): boolean {
  return uid === 0 || uid === euid();
}

function ownerName(uid: number): string {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[2] === String(uid)) return `uid ${uid} (${f[0]})`;
    }
  } catch {
    // no passwd: the number alone
  }
  return `uid ${uid}`;
}

const who = () => (euid() === 0 ? 'root' : `uid ${euid()}`);
const octal = (mode: number) => `0${(mode & 0o7777).toString(8)}`;

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unsafeStorage(`cannot check ${p}: ${(err as Error).message}`);
  }
}

/**
 * Check the storage directory `dir` and every directory above it; with `create`, make the
 * missing ones (mode 0700) and make `dir` itself 0700 when it is ours. Returns false when `dir`
 * does not exist (only without `create`).
 */
export function checkStorageDir(dir: string, opts: { create: boolean }): boolean {
  const target = path.resolve(dir);
  let pending = target.split('/').filter(Boolean);
  let cur = '/';
  checkDirStats(cur, fs.lstatSync(cur), false);
  let hops = 0;
  while (pending.length > 0) {
    const name = pending.shift()!;
    const last = pending.length === 0;
    const next = path.join(cur, name);
    let st = lstatOrUndefined(next);
    if (!st) {
      if (!opts.create) return false;
      try {
        fs.mkdirSync(next, { mode: 0o700 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw unsafeStorage(`cannot create the storage directory ${next}: ${(err as Error).message}`);
        }
      }
      st = fs.lstatSync(next);
    }
    if (st.isSymbolicLink()) {
      if (last) {
        throw unsafeStorage(
          `storage directory ${next} is a symlink (to ${safeReadlink(next)}): remove it and set [storage] dir to the real directory`,
        );
      }
      if (!trustedOwner(st.uid)) {
        throw unsafeStorage(`${next} (above the storage directory ${target}) is a symlink owned by ${ownerName(st.uid)}: set [storage] dir to a path without it`);
      }
      if (++hops > 40) throw unsafeStorage(`too many symlinks above the storage directory ${target}`);
      // It sits in a directory only root or we can write: follow it, checking its target.
      const dest = path.resolve(cur, fs.readlinkSync(next));
      pending = [...dest.split('/').filter(Boolean), ...pending];
      cur = '/';
      continue;
    }
    checkDirStats(next, st, last, target);
    cur = next;
  }
  if (opts.create) {
    const st = fs.lstatSync(cur);
    if ((st.mode & 0o077) !== 0 && st.uid === euid()) {
      // Ours and writable by nobody else (checked above): only its readability is tightened.
      const fd = fs.openSync(cur, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
      try {
        const fst = fs.fstatSync(fd);
        if (fst.ino !== st.ino || fst.dev !== st.dev) throw unsafeStorage(`storage directory ${cur} changed while it was checked`);
        fs.fchmodSync(fd, 0o700);
      } finally {
        fs.closeSync(fd);
      }
    }
  }
  return true;
}

function safeReadlink(p: string): string {
  try {
    return fs.readlinkSync(p);
  } catch {
    return '?';
  }
}

function checkDirStats(p: string, st: fs.Stats, isStorage: boolean, storage?: string): void {
  const role = isStorage ? 'storage directory' : storage ? `${p} (above the storage directory ${storage})` : p;
  const subject = isStorage ? `storage directory ${p}` : role;
  if (!st.isDirectory()) throw unsafeStorage(`${subject} is not a directory: set [storage] dir to a directory`);
  if (!trustedOwner(st.uid)) {
    throw unsafeStorage(
      `${subject} is owned by ${ownerName(st.uid)}, who could read or replace the database: ` +
        (isStorage ? `use a new directory owned by ${who()} (e.g. mkdir -m 700; the old one's contents are not trusted)` : `chown root ${p}, or set [storage] dir elsewhere`),
    );
  }
  if ((st.mode & 0o022) !== 0) {
    const sticky = (st.mode & 0o1000) !== 0;
    if (isStorage) {
      throw unsafeStorage(
        `${subject} is writable by ${st.mode & 0o002 ? 'other users' : 'its group'} (mode ${octal(st.mode)}), who could plant or hold its files: ` +
          `use a new directory (mkdir -m 700; the old one's contents are not trusted), or chmod go-w ${p} if you are sure nobody used it`,
      );
    }
    // A sticky directory (/tmp) lets no one else rename or remove the entry below it, which we own.
    if (!sticky) {
      throw unsafeStorage(`${subject} is writable by ${st.mode & 0o002 ? 'other users' : 'its group'} (mode ${octal(st.mode)}): chmod go-w ${p}, or set [storage] dir elsewhere`);
    }
  }
}

/**
 * Check a file in a checked storage directory: absent (false), or a regular file of ours with
 * a single link (true). A symlink, a device, a file of another user or a hard link is refused.
 */
export function checkStorageFile(file: string): boolean {
  const st = lstatOrUndefined(file);
  if (!st) return false;
  if (st.isSymbolicLink()) {
    throw new UnsafeFileError(file, `${file} is a symlink (to ${safeReadlink(file)}), not a file of syschangemon's: remove it (rm ${file})`);
  }
  if (!st.isFile()) throw new UnsafeFileError(file, `${file} is not a regular file: remove it`);
  if (st.uid !== euid()) {
    throw new UnsafeFileError(file, `${file} is owned by ${ownerName(st.uid)}, not ${who()}: someone else made it; move it away (it is not trusted)`);
  }
  if (st.nlink > 1) throw new UnsafeFileError(file, `${file} has ${st.nlink} hard links: it may be another file's name; move it away`);
  return true;
}

/** Check a database file and its SQLite companions. */
export function checkDatabaseFiles(file: string): boolean {
  for (const ext of DB_COMPANIONS) checkStorageFile(file + ext);
  return checkStorageFile(file);
}

/** The files syschangemon keeps in its storage directory: the lock and the database. */
export const LOCK_FILE = 'lock';
export const DB_FILE = 'db.sqlite';

/** Check every file syschangemon keeps in the (checked) storage directory `dir`. */
export function checkStorageFiles(dir: string): void {
  checkStorageFile(path.join(dir, LOCK_FILE));
  checkStorageFile(path.join(dir, `${LOCK_FILE}-journal`));
  checkDatabaseFiles(path.join(dir, DB_FILE));
}

/** Create `file` (0600) in a checked directory when absent; never through a symlink. */
export function createPrivateFile(file: string): void {
  if (checkStorageFile(file)) return;
  let fd: number;
  try {
    fd = fs.openSync(file, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      checkStorageFile(file);
      return;
    }
    throw unsafeStorage(`cannot create ${file}: ${(err as Error).message}`);
  }
  try {
    fs.fchmodSync(fd, 0o600);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Make an existing file of ours 0600: opened with O_NOFOLLOW and checked by fstat, so the
 * chmod lands on the file that was checked.
 */
/**
 * Like makePrivate, for a file SQLite may already have open in this process: by path, without
 * opening it. Closing any descriptor of a file drops every fcntl lock this process holds on it,
 * SQLite's included, and another process would then take the WAL index for its own and
 * reinitialise it under the writer (SIGBUS, or worse). The directory was checked before
 * (ours, writable by nobody else), so the path cannot be swapped under us.
 */
export function makePrivateByPath(file: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw unsafeStorage(`cannot stat ${file}: ${(err as Error).message}`);
  }
  if (!st.isFile() || st.uid !== euid() || st.nlink > 1) checkStorageFile(file);
  if ((st.mode & 0o7777) !== 0o600) fs.chmodSync(file, 0o600);
}

export function makePrivate(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw unsafeStorage(`cannot open ${file}: ${(err as Error).message}`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile() || st.uid !== euid() || st.nlink > 1) checkStorageFile(file);
    if ((st.mode & 0o7777) !== 0o600) fs.fchmodSync(fd, 0o600);
  } finally {
    fs.closeSync(fd);
  }
}
