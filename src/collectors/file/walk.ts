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
import { encodePath, fileKey } from '../../keys.js';

/**
 * What the walk yields: an included entry, or a path that could not be examined at all.
 * `key` is the item key, `text` the path as UTF-8 text (what globs see) and `path` its exact
 * bytes (built when asked for). `st` (a stat array, see fsnative.ts), `dirfd` and `name` are
 * valid only until the walk goes on: `dirfd` is the open directory the entry is in and `name`
 * its name there, so the entry can be opened without resolving its path again (see
 * openEntry); `self` is the directory's own descriptor when the walk opened it to descend
 * (else -1).
 */
export type WalkResult = WalkEntry | WalkError;

export interface WalkEntry {
  kind: 'entry';
  key: string;
  text: string;
  readonly path: Buffer;
  st: Float64Array;
  target?: Buffer;
  error?: string;
  dirfd: number;
  /** Tells the directories of entries apart: the same number while `dirfd` is the same directory. */
  dirSerial: number;
  name: Buffer;
  self: number;
}

export interface WalkError {
  kind: 'error';
  key: string;
  readonly path: Buffer;
  message: string;
}

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
const SCHEME = 'file://';

/**
 * A directory being walked: its descriptor, its children's names as one packed Buffer
 * (native readNames: per name a length byte, a flags byte, the bytes and a NUL) and a cursor.
 * A child's path, key and text are built only when the cursor reaches it, so a directory of
 * any size costs its names and nothing per child before that.
 */
interface Frame {
  fd: number;
  names: Buffer;
  pos: number;
  /** The directory's path bytes, key and UTF-8 text, each ending in '/'. */
  raw: Buffer;
  key: string;
  text: string;
  /** Whether key and text are the same after the scheme (no byte needed encoding). */
  plain: boolean;
  dev: number;
  rootDev: number;
  /** See WalkEntry.dirSerial. */
  serial: number;
}

/** One yielded entry; `path` is built from its directory's bytes and its name when asked for. */
class Entry implements WalkEntry {
  readonly kind = 'entry';
  constructor(
    readonly key: string,
    readonly text: string,
    private readonly dirRaw: Buffer | undefined,
    readonly st: Float64Array,
    readonly dirfd: number,
    readonly dirSerial: number,
    readonly name: Buffer,
    readonly self: number,
    private readonly full: Buffer | undefined,
    readonly target: Buffer | undefined,
    readonly error: string | undefined,
  ) {}

  get path(): Buffer {
    return this.full ?? Buffer.concat([this.dirRaw!, this.name]);
  }
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

const devOf = (st: Float64Array) => st[S.DEV_HI]! * 4294967296 + st[S.DEV_LO]!;

/**
 * Yield every included, not excluded entry in walk order (depth first, each directory's
 * names in byte order, a directory before what is in it).
 */
export function* walk(opts: WalkOptions): Generator<WalkResult> {
  const st = new Float64Array(STAT_FIELDS);
  const dst = new Float64Array(STAT_FIELDS);
  const frames: Frame[] = [];
  /** A directory opened for the entry being yielded, not yet a frame. */
  let held = -1;
  /** The directory a root lies in, open while the root is examined. */
  let rootParent = -1;
  let serial = 0;
  try {
    for (const root of walkRoots(opts.include)) {
      const rootPath = Buffer.from(root);
      const parent = openParent(rootPath);
      if ('code' in parent) {
        // A root that does not exist (or lies below a file) is not there.
        if (parent.code !== 'ENOENT' && parent.code !== 'ENOTDIR') yield { kind: 'error', key: fileKey(rootPath), path: rootPath, message: parent.message };
        continue;
      }
      rootParent = parent.fd;
      const rootSerial = ++serial;
      // The entry being examined: the root first, then each frame's next child.
      let frame: Frame | undefined;
      let dirfd = parent.fd;
      let name = parent.name;
      let key = fileKey(rootPath);
      let text = root;
      for (;;) {
        const e = native.statAt(dirfd, name, st);
        let next: Frame | undefined;
        if (e < 0) {
          // Vanished since its directory was read (or a root that does not exist): not there.
          const code = errCode(e);
          if (!(code === 'ENOENT' || (!frame && code === 'ENOTDIR'))) {
            yield { kind: 'error', key, path: frame ? Buffer.concat([frame.raw, name]) : rootPath, message: errMessage(e, 'lstat') };
          }
        } else if (!opts.exclude.test(text)) {
          const matched = opts.include.test(text);
          const type = st[S.MODE]! & S_IFMT;
          let error: string | undefined;
          let target: Buffer | undefined;
          if (matched && type === S_IFLNK) {
            const t = native.readlinkAt(dirfd, name);
            if (typeof t === 'number') error = errMessage(t, 'readlink');
            else target = t;
          }
          let names: Buffer | undefined;
          let sub = -1;
          const dev = devOf(st);
          if (type === S_IFDIR && opts.include.mayMatchBelow(text) && mayDescend(opts, frame, name, rootPath, dev)) {
            if (opts.beforeOpenDir) opts.beforeOpenDir(frame ? Buffer.concat([frame.raw, name]) : rootPath);
            sub = native.openDirAt(dirfd, name);
            if (sub < 0) {
              const code = errCode(sub);
              error = code === 'ELOOP' || code === 'ENOTDIR' ? `${REPLACED} (no longer a directory)` : errMessage(sub, 'scandir');
            } else if (native.fstat(sub, dst) < 0 || !sameEntry(dst, st)) {
              native.close(sub);
              sub = -1;
              error = REPLACED;
            } else {
              const list = native.readNames(sub);
              if (typeof list === 'number') error = errMessage(list, 'scandir');
              else names = list;
            }
          }
          held = sub;
          if (matched) {
            yield new Entry(key, text, frame?.raw, st, dirfd, frame ? frame.serial : rootSerial, name, sub, frame ? undefined : rootPath, target, error);
          } else if (error) {
            yield { kind: 'error', key, path: frame ? Buffer.concat([frame.raw, name]) : rootPath, message: error };
          }
          held = -1;
          if (names && names.length > 0) {
            const raw = frame ? Buffer.concat([frame.raw, name, SLASH]) : rootPath[rootPath.length - 1] === 0x2f ? rootPath : Buffer.concat([rootPath, SLASH]);
            const slash = text.endsWith('/') ? '' : '/';
            const plain = (frame ? frame.plain : true) && key.length === SCHEME.length + text.length && key.endsWith(text);
            next = { fd: sub, names, pos: 0, raw, key: key + slash, text: text + slash, plain, dev, rootDev: frame?.rootDev ?? dev, serial: ++serial };
          } else if (sub >= 0) {
            native.close(sub);
          }
        }
        if (!frame && rootParent >= 0) native.close(rootParent);
        rootParent = -1;
        // Directories whose last child this was are done; then the new one, if any, is walked.
        while (frames.length > 0 && frames[frames.length - 1]!.pos >= frames[frames.length - 1]!.names.length) native.close(frames.pop()!.fd);
        if (next) frames.push(next);
        frame = frames[frames.length - 1];
        if (!frame) break;
        const names = frame.names;
        const start = frame.pos + 2;
        const end = start + names[frame.pos]! + 1;
        const plain = names[frame.pos + 1] === 1;
        frame.pos = end + 1;
        dirfd = frame.fd;
        name = names.subarray(start, end);
        if (plain && frame.plain) {
          key = frame.key + names.toString('latin1', start, end);
          text = key.slice(SCHEME.length);
        } else {
          key = frame.key + (plain ? names.toString('latin1', start, end) : encodePath(name));
          text = frame.text + names.toString('utf8', start, end);
        }
      }
    }
  } finally {
    // An abandoned walk (the consumer stopped early or failed) closes what it still holds.
    for (const f of frames) native.close(f.fd);
    if (held >= 0) native.close(held);
    if (rootParent >= 0) native.close(rootParent);
  }
}

function mayDescend(opts: WalkOptions, frame: Frame | undefined, name: Buffer, rootPath: Buffer, dev: number): boolean {
  if (opts.oneFileSystem && frame && dev !== frame.rootDev) return false;
  if (frame && dev === frame.dev) return true;
  // A mount boundary (or a root): look the mount point up only here.
  const path = frame ? Buffer.concat([frame.raw, name]) : rootPath;
  const fstype = opts.mounts.get(path.toString('latin1'));
  return fstype === undefined || !opts.skipFstypes.has(fstype);
}
