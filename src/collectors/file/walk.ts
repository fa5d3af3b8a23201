/**
 * The synchronous tree walk: from each include's literal root, depth first in byte order,
 * never following symlinks, pruning excluded directories, directories no include can match
 * below, pseudo filesystems and (optionally) other filesystems. Synchronous on purpose: one
 * `await` per entry costs ten times the whole walk.
 *
 * No path is resolved twice: every directory is opened (O_DIRECTORY|O_NOFOLLOW) relative to its
 * parent's descriptor and must be the directory lstat saw (dev, inode, type); its entries are
 * listed, lstat'ed and opened relative to that descriptor. A user who swaps a directory for a
 * symlink, or exchanges two directories, between the lstat and the open gets an error item
 * ("replaced while reading"), never the other tree. Depth is not limited by PATH_MAX: only the
 * descriptors of the directories on the way down are open.
 */
import type { GlobSet } from '../../core/glob.js';
import type { MountTable } from './mounts.js';
import { AT_FDCWD, S, S_IFDIR, S_IFLNK, S_IFMT, STAT_FIELDS, errCode, errMessage, native, sameEntry } from '../../fsnative.js';

/**
 * What the walk yields: an included entry, or a path that could not be examined at all.
 * `st` (a stat array, see fsnative.ts), `dirfd` and `name` are valid only until the walk
 * goes on: `dirfd` is the open directory the entry is in and `name` its name there, so the
 * entry can be opened without resolving its path again (see openEntry); `self` is the
 * directory's own descriptor when the walk opened it to descend (else -1).
 */
export type WalkResult =
  | { kind: 'entry'; path: Buffer; st: Float64Array; target?: Buffer; error?: string; dirfd: number; name: Buffer; self: number }
  | { kind: 'error'; path: Buffer; message: string };

/** How to walk. */
export interface WalkOptions {
  include: GlobSet;
  exclude: GlobSet;
  skipFstypes: ReadonlySet<string>;
  mounts: MountTable;
  oneFileSystem: boolean;
  /** Test seam: called between a directory's lstat and its open. */
  beforeOpenDir?(path: Buffer): void;
}

/** The message of an entry that is no longer the one the walk saw. */
export const REPLACED = 'replaced while reading';

/** Walk roots of all includes, without roots that lie below another root. */
export function walkRoots(include: GlobSet): string[] {
  const all = [...new Set(include.globs.flatMap((g) => g.roots))].sort();
  const under = (p: string, r: string) => r === '/' || p.startsWith(`${r}/`);
  return all.filter((p) => !all.some((r) => r !== p && under(p, r)));
}

const SLASH = Buffer.from('/');

/** An open directory and how many of its entries are still to be examined. */
interface Dir {
  fd: number;
  left: number;
}

interface Pending {
  path: Buffer;
  name: Buffer;
  parent: Dir;
  parentDev: number | undefined;
  rootDev: number | undefined;
  isRoot: boolean;
}

let noatime = true;

/**
 * Open a regular file the walk just yielded, relative to its directory, with
 * O_NOFOLLOW|O_NONBLOCK|O_NOCTTY (and O_NOATIME when allowed), and check with fstat that it is
 * the entry lstat saw. Returns the descriptor, `vanished` (deleted since), or an error message.
 */
export function openEntry(r: { dirfd: number; name: Buffer; st: Float64Array }): number | 'vanished' | { error: string } {
  let fd = native.openFileAt(r.dirfd, r.name, noatime);
  if (fd === -1 /* EPERM */ && noatime) {
    noatime = false;
    fd = native.openFileAt(r.dirfd, r.name, false);
  }
  if (fd < 0) {
    const code = errCode(fd);
    if (code === 'ENOENT') return 'vanished';
    if (code === 'ELOOP') return { error: `${REPLACED} (now a symlink)` };
    return { error: errMessage(fd, 'open') };
  }
  const st = new Float64Array(STAT_FIELDS);
  const e = native.fstat(fd, st);
  if (e < 0 || !sameEntry(st, r.st)) {
    native.close(fd);
    return { error: e < 0 ? errMessage(e, 'fstat') : REPLACED };
  }
  return fd;
}

/**
 * Open the directory a root lies in, every component with O_NOFOLLOW relative to the one
 * before. A symlink on the way is not followed (ELOOP), as a symlink inside the tree is not.
 */
function openParent(root: Buffer): { fd: number; name: Buffer } | { code: string; message: string } {
  if (root.length === 1) return { fd: AT_FDCWD, name: root }; // "/": its own parent
  const parts = root.toString('latin1').split('/').filter((s) => s.length > 0).map((s) => Buffer.from(s, 'latin1'));
  let fd = native.openDirAt(AT_FDCWD, SLASH);
  if (fd < 0) return { code: errCode(fd), message: errMessage(fd, 'open') };
  for (let i = 0; i < parts.length - 1; i++) {
    const next = native.openDirAt(fd, parts[i]!);
    native.close(fd);
    if (next < 0) {
      const code = errCode(next);
      const at = `/${parts.slice(0, i + 1).map((b) => b.toString('latin1')).join('/')}`;
      if (code === 'ELOOP') return { code, message: `the path goes through a symlink (${Buffer.from(at, 'latin1').toString('utf8')}), not followed` };
      return { code, message: errMessage(next, 'open') };
    }
    fd = next;
  }
  return { fd, name: parts[parts.length - 1]! };
}

function release(dir: Dir): void {
  if (--dir.left === 0 && dir.fd >= 0) native.close(dir.fd);
}

const devOf = (st: Float64Array) => st[S.DEV_HI]! * 4294967296 + st[S.DEV_LO]!;

/** Yield every included, not excluded entry in walk order. */
export function* walk(opts: WalkOptions): Generator<WalkResult> {
  const st = new Float64Array(STAT_FIELDS);
  const dst = new Float64Array(STAT_FIELDS);
  const stack: Pending[] = [];
  /** A directory opened for the entry being yielded, not yet handed to its children. */
  let held = -1;
  try {
    for (const root of walkRoots(opts.include)) {
      const rootPath = Buffer.from(root);
      const parent = openParent(rootPath);
      if ('code' in parent) {
        // A root that does not exist (or lies below a file) is not there.
        if (parent.code !== 'ENOENT' && parent.code !== 'ENOTDIR') yield { kind: 'error', path: rootPath, message: parent.message };
        continue;
      }
      stack.push({ path: rootPath, name: parent.name, parent: { fd: parent.fd, left: 1 }, parentDev: undefined, rootDev: undefined, isRoot: true });
      while (stack.length > 0) {
        const { path, name, parent: dir, parentDev, rootDev, isRoot } = stack.pop()!;
        try {
          const e = native.statAt(dir.fd, name, st);
          if (e < 0) {
            // Vanished since its directory was read (or a root that does not exist): not there.
            const code = errCode(e);
            if (code === 'ENOENT' || (isRoot && code === 'ENOTDIR')) continue;
            yield { kind: 'error', path, message: errMessage(e, 'lstat') };
            continue;
          }
          const text = path.toString('utf8');
          if (opts.exclude.test(text)) continue;
          const matched = opts.include.test(text);
          const type = st[S.MODE]! & S_IFMT;
          let error: string | undefined;
          let target: Buffer | undefined;
          if (matched && type === S_IFLNK) {
            const t = native.readlinkAt(dir.fd, name);
            if (typeof t === 'number') error = errMessage(t, 'readlink');
            else target = t;
          }
          let names: Buffer[] | undefined;
          let sub = -1;
          const dev = devOf(st);
          if (type === S_IFDIR && opts.include.mayMatchBelow(text) && mayDescend(opts, path, dev, parentDev, rootDev)) {
            opts.beforeOpenDir?.(path);
            sub = native.openDirAt(dir.fd, name);
            if (sub < 0) {
              const code = errCode(sub);
              error = code === 'ELOOP' || code === 'ENOTDIR' ? `${REPLACED} (no longer a directory)` : errMessage(sub, 'scandir');
            } else if (native.fstat(sub, dst) < 0 || !sameEntry(dst, st)) {
              native.close(sub);
              sub = -1;
              error = REPLACED;
            } else {
              const list = native.readDir(sub);
              if (typeof list === 'number') error = errMessage(list, 'scandir');
              else names = list;
            }
          }
          held = sub;
          if (matched) yield { kind: 'entry', path, st, target, error, dirfd: dir.fd, name, self: sub };
          else if (error) yield { kind: 'error', path, message: error };
          held = -1;
          if (names && names.length > 0) {
            const prefix = path.length > 0 && path[path.length - 1] === 0x2f ? path : Buffer.concat([path, SLASH]);
            const rdev = rootDev ?? dev;
            const child: Dir = { fd: sub, left: names.length };
            for (let i = names.length - 1; i >= 0; i--) {
              stack.push({ path: Buffer.concat([prefix, names[i]!]), name: names[i]!, parent: child, parentDev: dev, rootDev: rdev, isRoot: false });
            }
          } else if (sub >= 0) {
            native.close(sub);
          }
        } finally {
          release(dir);
        }
      }
    }
  } finally {
    // An abandoned walk (the consumer stopped early or failed) closes what it still holds.
    const open = new Set<Dir>();
    for (const p of stack) open.add(p.parent);
    for (const d of open) if (d.fd >= 0) native.close(d.fd);
    if (held >= 0) native.close(held);
  }
}

function mayDescend(opts: WalkOptions, path: Buffer, dev: number, parentDev: number | undefined, rootDev: number | undefined): boolean {
  if (opts.oneFileSystem && rootDev !== undefined && dev !== rootDev) return false;
  if (parentDev !== undefined && dev === parentDev) return true;
  // A mount boundary (or a root): look the mount point up only here.
  const fstype = opts.mounts.get(path.toString('latin1'));
  return fstype === undefined || !opts.skipFstypes.has(fstype);
}
