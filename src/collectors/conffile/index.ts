/**
 * The `conffile` collector: the text of small configuration files the `file` collector found,
 * stored once per distinct content so unified diffs can be shown. Secrets are never stored.
 */
import { readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { CollectContext, Collector, Item, OptionSchema, Options } from '../../types.js';
import { ConfigError } from '../../errors.js';
import { GlobSet, checkGlob, globWarnings } from '../../core/glob.js';
import { type SecretRules, checkSecretPatterns, isSecretPath, secretRules } from '../../core/secrets.js';
import { fileKey, keyPath } from '../../keys.js';
import { errText, optionValues } from '../common/index.js';
import { classifyText, type Stored } from './classify.js';
import { rulesState } from './rules-state.js';
import { CONFFILE_ITEMS } from './items.js';
import { S, S_IFMT, S_IFREG, native, openNoFollow } from '../../fsnative.js';

/** The message of a file that is no longer the one the file collector hashed. */
const REPLACED = 'replaced while reading';

export const CONFFILE_OPTIONS: OptionSchema = {
  size_limit: { type: 'size', default: 100000, description: 'Largest file whose text is stored, in bytes; larger ones keep only the hash.' },
  exclude: { type: 'list', default: [], description: 'Globs of files never stored at all (no conffile item).', check: checkGlob, warnings: globWarnings, resolve: 'globs' },
  secret_paths: {
    type: 'list', default: [], check: checkGlob, warnings: globWarnings, resolve: 'globs',
    description: 'Globs of more files that are secret as a whole: only their hash is kept (stored = secret).',
  },
  secret_patterns: {
    type: 'list', default: [], check: checkSecretPatterns,
    description: 'Regular expressions of more secret values: what they match (their groups, if any) is stored as «redacted».',
  },
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
  secretPaths: string[];
  secretPatterns: string[];
}

export function conffileOptions(o: Options): ConffileOptions {
  const v = optionValues(CONFFILE_OPTIONS, o);
  return { sizeLimit: v.number('size_limit'), exclude: v.list('exclude'), secretPaths: v.list('secret_paths'), secretPatterns: v.list('secret_patterns') };
}

/**
 * How one run decides: the secret rules, and whether the previous session's items were made
 * under the same rules (then an unchanged file's kept text or verdict is reused unread).
 */
interface Run {
  o: ConffileOptions;
  rules: SecretRules;
  reuse: boolean;
}

/** One conffile item for a file item, or undefined when there is nothing to record. */
function conffileItem(ctx: CollectContext, path: Buffer, sha256: string, size: number, inode: number, run: Run): Item | undefined {
  const { o, rules } = run;
  const key = fileKey(path, 'conffile');
  const item = (stored: Stored, sha = sha256, sz = size): Item => ({ key, attributes: { sha256: sha, size: sz, stored } });
  if (isSecretPath(rules, path.toString('utf8'))) return item('secret');
  if (size > o.sizeLimit) return item('too_large');
  // Unchanged since the previous session, which applied the same secret rules: its text (as
  // it was kept, redacted or not) or its verdict holds; the file is not read again.
  const prev = ctx.previous(key);
  if (prev && !prev.error && prev.attributes.sha256 === sha256) {
    const was = prev.attributes.stored;
    if (was === 'binary') return item('binary');
    if (run.reuse && was === 'secret') return item('secret');
    if (run.reuse && (was === 'text' || was === 'redacted') && prev.contentHashes.content) {
      return { ...item(was), contentRefs: { content: prev.contentHashes.content } };
    }
  }
  const content = readLimited(path, inode, o.sizeLimit);
  if (content === null) return undefined;
  if (content.length > o.sizeLimit) return item('too_large');
  // The text must be the bytes the file collector hashed: anything else is not kept.
  const sha = createHash('sha256').update(content).digest('hex');
  if (sha !== sha256) throw new Error(REPLACED);
  const kept = classifyText(content, rules);
  if (kept.stored !== 'text' && kept.stored !== 'redacted') return item(kept.stored, sha, content.length);
  return { ...item(kept.stored, sha, content.length), contents: { content: kept.text } };
}

/** The collector's `collect`. */
export async function collectConffiles(ctx: CollectContext, o: ConffileOptions, opts: { reuse?: boolean } = {}): Promise<void> {
  const exclude = new GlobSet(o.exclude);
  const run: Run = { o, rules: secretRules(o.secretPaths, o.secretPatterns), reuse: opts.reuse ?? false };
  let done = 0;
  for (const file of ctx.sessionItems('file')) {
    const a = file.attributes;
    if (a.type !== 'file' || file.error || typeof a.sha256 !== 'string') continue;
    const path = keyPath(file.key);
    if (!exclude.empty && exclude.test(path.toString('utf8'))) continue;
    try {
      const item = conffileItem(ctx, path, a.sha256, Number(a.size), Number(a.inode), run);
      if (item) ctx.add(item);
    } catch (err) {
      ctx.error(fileKey(path, 'conffile'), errText(err));
    }
    if (++done % 500 === 0) ctx.progress(done);
  }
  ctx.progress(done);
}

/** Where this run keeps the fingerprint of its secret rules (the storage directory). */
let stateDir: string | undefined;

export const conffileCollector: Collector = {
  name: 'conffile',
  description: 'Text of small configuration files found by the file collector, for unified diffs (secrets never stored)',
  options: CONFFILE_OPTIONS,
  items: CONFFILE_ITEMS,
  after: ['file'],
  init(options: Options, env): void {
    const o = conffileOptions(options);
    for (const [name, problem] of [['exclude', checkGlob(o.exclude)], ['secret_paths', checkGlob(o.secretPaths)], ['secret_patterns', checkSecretPatterns(o.secretPatterns)]]) {
      if (problem) throw new ConfigError(`[conffile] ${name}: ${problem}`);
    }
    stateDir = env.stateDir;
  },
  collect(ctx: CollectContext, options: Options): Promise<void> {
    const o = conffileOptions(options);
    const reuse = stateDir ? rulesState(stateDir, o, ctx) : false;
    return collectConffiles(ctx, o, { reuse });
  },
};
