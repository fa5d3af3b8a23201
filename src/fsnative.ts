/**
 * The native part (native/fsnative.c): file access relative to directory descriptors
 * (openat, fstatat, getdents64), which Node has no API for, so no path is resolved twice;
 * and extended attributes and inode flags. Calls return a negative errno instead of throwing.
 */
import { createRequire } from 'node:module';
import { getSystemErrorMap } from 'node:util';

/** A stat result as exact numbers (dev and inode split in 32-bit halves). */
export const S = {
  MODE: 0, NLINK: 1, UID: 2, GID: 3, SIZE: 4, DEV_HI: 5, DEV_LO: 6, INO_HI: 7, INO_LO: 8,
  RDEV_MAJOR: 9, RDEV_MINOR: 10, MTIME_S: 11, MTIME_NS: 12, CTIME_S: 13, CTIME_NS: 14,
} as const;
export const STAT_FIELDS = 15;

interface Native {
  openDirAt(dirfd: number, name: Buffer): number;
  openFileAt(dirfd: number, name: Buffer, noatime: boolean): number;
  statAt(dirfd: number, name: Buffer, out: Float64Array): number;
  fstat(fd: number, out: Float64Array): number;
  readDir(fd: number): Buffer[] | number;
  /** The sorted names packed: per name [length - 1][flags: 1 = plain ASCII, not %][bytes][NUL]. */
  readNames(fd: number): Buffer | number;
  readlinkAt(dirfd: number, name: Buffer): Buffer | number;
  close(fd: number): number;
  xattrs(fd: number, dirfd: number, name: Buffer | null): Array<string | Buffer | number> | number;
  getFlags(fd: number): number;
  /** sha256 (hex) of each open descriptor read to its end, or -errno; every descriptor is closed. */
  sha256Fds(fds: number[]): Promise<Array<string | number>>;
  /**
   * Open (relative to dirs[job's dir], O_NOFOLLOW), fstat-check, read the extended attributes
   * and flags of, and sha256 each regular file of a batch in a thread; closes `dirs`. See
   * hash-pool.ts for the job layout and the results.
   */
  hashAt(dirs: number[], jobs: Float64Array, names: Buffer[]): Promise<[Array<string | null>, Int32Array, Array<Array<string | Buffer | number> | undefined>]> | number;
  /** fcntl(fd, F_DUPFD_CLOEXEC): a new descriptor of the same open directory or file, or -errno. */
  dupFd(fd: number): number;
  /** mallopt(M_ARENA_MAX, n): 0, or -1 when refused. */
  mallocArenas(n: number): number;
}

const require = createRequire(import.meta.url);

function load(): Native {
  // src/fsnative.ts (tests) and dist/fsnative.js (built) are both one level below the root.
  const file = new URL('../native/build/Release/fsnative.node', import.meta.url).pathname;
  try {
    return require(file) as Native;
  } catch (err) {
    throw new Error(`cannot load ${file} (run npm run build): ${(err as Error).message}`);
  }
}

export const native: Native = load();

export const AT_FDCWD = -100;

const errors = getSystemErrorMap();

/** `-errno` → its code (`ENOENT`). */
export function errCode(neg: number): string {
  return errors.get(neg)?.[0] ?? `E${-neg}`;
}

/** `-errno` and the system call → Node's message form: `EACCES: permission denied, open`. */
export function errMessage(neg: number, syscall: string): string {
  const e = errors.get(neg);
  return e ? `${e[0]}: ${e[1]}, ${syscall}` : `error ${-neg}, ${syscall}`;
}

/** Type bits of a mode. */
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

/** Whether two stat arrays name the same inode of the same type. */
export function sameEntry(a: Float64Array, b: Float64Array): boolean {
  return a[S.DEV_HI] === b[S.DEV_HI] && a[S.DEV_LO] === b[S.DEV_LO] && a[S.INO_HI] === b[S.INO_HI]
    && a[S.INO_LO] === b[S.INO_LO] && ((a[S.MODE]! ^ b[S.MODE]!) & S_IFMT) === 0;
}

const SLASH = 0x2f;

/**
 * Open a regular file by absolute path without following any symlink on the way: every
 * directory is opened with O_NOFOLLOW relative to the one before. Returns the descriptor and
 * its fstat, or an error message (`ELOOP: …` when a component is a symlink).
 */
export function openNoFollow(path: Buffer): { fd: number; st: Float64Array } | { error: string; code: string } {
  if (path.length === 0 || path[0] !== SLASH) return { error: 'not an absolute path', code: 'EINVAL' };
  let dirfd = native.openDirAt(AT_FDCWD, Buffer.from('/'));
  if (dirfd < 0) return { error: errMessage(dirfd, 'open'), code: errCode(dirfd) };
  let start = 1;
  try {
    for (;;) {
      while (start < path.length && path[start] === SLASH) start++;
      let end = path.indexOf(SLASH, start);
      if (end < 0) end = path.length;
      const name = path.subarray(start, end);
      let rest = end;
      while (rest < path.length && path[rest] === SLASH) rest++;
      if (rest >= path.length) {
        const fd = native.openFileAt(dirfd, name, false);
        if (fd < 0) return { error: errMessage(fd, 'open'), code: errCode(fd) };
        const st = new Float64Array(STAT_FIELDS);
        const r = native.fstat(fd, st);
        if (r < 0) {
          native.close(fd);
          return { error: errMessage(r, 'fstat'), code: errCode(r) };
        }
        return { fd, st };
      }
      const next = native.openDirAt(dirfd, name);
      if (next < 0) return { error: errMessage(next, 'open'), code: errCode(next) };
      native.close(dirfd);
      dirfd = next;
      start = rest;
    }
  } finally {
    native.close(dirfd);
  }
}
