/**
 * The `conffile` collector: the text of small configuration files the `file` collector found,
 * stored once per distinct content so unified diffs can be shown. Secrets are never stored.
 */
import { readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { CollectContext, Collector, Item, OptionSchema, Options } from '../../types.js';
import { ConfigError } from '../../errors.js';
import { GlobSet, checkGlob, globWarnings } from '../../core/glob.js';
import { fileKey, keyPath } from '../../keys.js';
import { errText, optionValues } from '../common/index.js';
import { BUILTIN_SECRET_PATHS, classify, type Stored } from './classify.js';
import { S, S_IFMT, S_IFREG, native, openNoFollow } from '../../fsnative.js';

/** The message of a file that is no longer the one the file collector hashed. */
const REPLACED = 'replaced while reading';

export const CONFFILE_OPTIONS: OptionSchema = {
  size_limit: { type: 'size', default: 100000, description: 'Largest file whose text is stored, in bytes; larger ones keep only the hash.' },
  exclude: { type: 'list', default: [], description: 'Globs of files never stored at all (no conffile item).', check: checkGlob, warnings: globWarnings, resolve: 'globs' },
};

/**
 * Read at most `limit + 1` bytes of the file the file collector recorded; null if vanished.
 * Opened without following any symlink on the way (every directory O_NOFOLLOW relative to
 * the one before) and without blocking; it must still be the regular file of that inode.
 */
function readLimited(path: Buffer, inode: number, limit: number): Buffer | null {
  const opened = openNoFollow(path);
  if ('error' in opened) {
    if (opened.code === 'ENOENT') return null;
    if (opened.code === 'ELOOP' || opened.code === 'ENOTDIR') throw new Error(REPLACED);
    throw new Error(opened.error);
  }
  const { fd, st } = opened;
  try {
    if ((st[S.MODE]! & S_IFMT) !== S_IFREG || st[S.INO_HI]! * 4294967296 + st[S.INO_LO]! !== inode) throw new Error(REPLACED);
    const buf = Buffer.allocUnsafe(limit + 1);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, null);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    native.close(fd);
  }
}

/** Options after defaults. */
export interface ConffileOptions {
  sizeLimit: number;
  exclude: string[];
}

export function conffileOptions(o: Options): ConffileOptions {
  const v = optionValues(CONFFILE_OPTIONS, o);
  return { sizeLimit: v.number('size_limit'), exclude: v.list('exclude') };
}

/** One conffile item for a file item, or undefined when there is nothing to record. */
function conffileItem(ctx: CollectContext, path: Buffer, sha256: string, size: number, inode: number, o: ConffileOptions): Item | undefined {
  const key = fileKey(path, 'conffile');
  const item = (stored: Stored, sha = sha256, sz = size): Item => ({ key, attributes: { sha256: sha, size: sz, stored } });
  if (BUILTIN_SECRET_PATHS.test(path.toString('utf8'))) return item('secret');
  if (size > o.sizeLimit) return item('too_large');
  if (ctx.hasContent(sha256)) return { ...item('text'), contentRefs: { content: sha256 } };
  // Unchanged and known not to be storable text: no need to read it again.
  const prev = ctx.previous(key);
  if (prev && !prev.error && prev.attributes.sha256 === sha256 && (prev.attributes.stored === 'binary' || prev.attributes.stored === 'secret')) {
    return item(prev.attributes.stored);
  }
  const content = readLimited(path, inode, o.sizeLimit);
  if (content === null) return undefined;
  if (content.length > o.sizeLimit) return item('too_large');
  // The text must be the bytes the file collector hashed: anything else is not kept.
  const sha = createHash('sha256').update(content).digest('hex');
  if (sha !== sha256) throw new Error(REPLACED);
  const kind = classify(content);
  if (kind !== 'text') return item(kind, sha, content.length);
  return { ...item('text', sha, content.length), contents: { content: content.toString('utf8') } };
}

/** The collector's `collect`. */
export async function collectConffiles(ctx: CollectContext, o: ConffileOptions): Promise<void> {
  const exclude = new GlobSet(o.exclude);
  let done = 0;
  for (const file of ctx.sessionItems('file')) {
    const a = file.attributes;
    if (a.type !== 'file' || file.error || typeof a.sha256 !== 'string') continue;
    const path = keyPath(file.key);
    if (!exclude.empty && exclude.test(path.toString('utf8'))) continue;
    try {
      const item = conffileItem(ctx, path, a.sha256, Number(a.size), Number(a.inode), o);
      if (item) ctx.add(item);
    } catch (err) {
      ctx.error(fileKey(path, 'conffile'), errText(err));
    }
    if (++done % 500 === 0) ctx.progress(done);
  }
  ctx.progress(done);
}

export const conffileCollector: Collector = {
  name: 'conffile',
  description: 'Text of small configuration files found by the file collector, for unified diffs (secrets never stored)',
  options: CONFFILE_OPTIONS,
  after: ['file'],
  init(options: Options): void {
    const problem = checkGlob(conffileOptions(options).exclude);
    if (problem) throw new ConfigError(`[conffile] exclude: ${problem}`);
  },
  collect(ctx: CollectContext, options: Options): Promise<void> {
    return collectConffiles(ctx, conffileOptions(options));
  },
};
