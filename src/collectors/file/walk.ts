/**
 * The synchronous tree walk: from each include's literal root, depth first in byte order,
 * never following symlinks, pruning excluded directories, directories no include can match
 * below, pseudo filesystems and (optionally) other filesystems. Synchronous on purpose: one
 * `await` per entry costs ten times the whole walk.
 */
import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import type { GlobSet } from '../../core/glob.js';
import type { MountTable } from './mounts.js';
import { errText } from '../common/index.js';

/** What the walk yields: an included entry, or a path that could not be examined at all. */
export type WalkResult =
  | { kind: 'entry'; path: Buffer; st: BigIntStats; target?: Buffer; error?: string }
  | { kind: 'error'; path: Buffer; message: string };

/** How to walk. */
export interface WalkOptions {
  include: GlobSet;
  exclude: GlobSet;
  skipFstypes: ReadonlySet<string>;
  mounts: MountTable;
  oneFileSystem: boolean;
}

/** Walk roots of all includes, without roots that lie below another root. */
export function walkRoots(include: GlobSet): string[] {
  const all = [...new Set(include.globs.flatMap((g) => g.roots))].sort();
  const under = (p: string, r: string) => r === '/' || p.startsWith(`${r}/`);
  return all.filter((p) => !all.some((r) => r !== p && under(p, r)));
}

const SLASH = Buffer.from('/');

interface Pending {
  path: Buffer;
  parentDev: bigint | undefined;
  rootDev: bigint | undefined;
  isRoot: boolean;
}

/** Yield every included, not excluded entry in walk order. */
export function* walk(opts: WalkOptions): Generator<WalkResult> {
  for (const root of walkRoots(opts.include)) {
    const stack: Pending[] = [{ path: Buffer.from(root), parentDev: undefined, rootDev: undefined, isRoot: true }];
    while (stack.length > 0) {
      const { path, parentDev, rootDev, isRoot } = stack.pop()!;
      let st: BigIntStats;
      try {
        st = lstatSync(path, { bigint: true });
      } catch (err) {
        // Vanished since its directory was read (or a root that does not exist): not there.
        if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (isRoot && (err as NodeJS.ErrnoException).code === 'ENOTDIR')) continue;
        yield { kind: 'error', path, message: errText(err) };
        continue;
      }
      const text = path.toString('utf8');
      if (opts.exclude.test(text)) continue;
      const matched = opts.include.test(text);
      let error: string | undefined;
      let target: Buffer | undefined;
      if (matched && st.isSymbolicLink()) {
        try {
          target = readlinkSync(path, { encoding: 'buffer' });
        } catch (err) {
          error = errText(err);
        }
      }
      let names: Buffer[] | undefined;
      if (st.isDirectory() && opts.include.mayMatchBelow(text) && mayDescend(opts, path, st, parentDev, rootDev)) {
        try {
          names = readdirSync(path, { encoding: 'buffer' });
        } catch (err) {
          error = errText(err);
        }
      }
      if (matched) yield { kind: 'entry', path, st, target, error };
      else if (error) yield { kind: 'error', path, message: error };
      if (names && names.length > 0) {
        names.sort(Buffer.compare);
        const prefix = path.length > 0 && path[path.length - 1] === 0x2f ? path : Buffer.concat([path, SLASH]);
        const dev = st.dev;
        const rdev = rootDev ?? st.dev;
        for (let i = names.length - 1; i >= 0; i--) {
          stack.push({ path: Buffer.concat([prefix, names[i]!]), parentDev: dev, rootDev: rdev, isRoot: false });
        }
      }
    }
  }
}

function mayDescend(opts: WalkOptions, path: Buffer, st: BigIntStats, parentDev: bigint | undefined, rootDev: bigint | undefined): boolean {
  if (opts.oneFileSystem && rootDev !== undefined && st.dev !== rootDev) return false;
  if (parentDev !== undefined && st.dev === parentDev) return true;
  // A mount boundary (or a root): look the mount point up only here.
  const fstype = opts.mounts.get(path.toString('latin1'));
  return fstype === undefined || !opts.skipFstypes.has(fstype);
}
