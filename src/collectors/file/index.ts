/**
 * The `file` collector: type, ownership, mode, size, times, inode and sha256 of every file the
 * include globs name. Walks synchronously (fast), hashes in worker threads while it walks, and
 * reuses the previous hash when `assume_nochange` attributes are all unchanged.
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import type { Attributes, CollectContext, Collector, OptionSchema, Options, StoredItem } from '../../types.js';
import { ConfigError } from '../../errors.js';
import { GlobSet, checkGlob, globWarnings } from '../../core/glob.js';
import { encodePath } from '../../keys.js';
import { S, S_IFBLK, S_IFCHR, S_IFMT, errCode, errMessage, native } from '../../fsnative.js';
import { optionValues } from '../common/index.js';
import { fileType, formatMode, isTime, parseIdFile, statAttributes, withSha256, type IdNames } from './attrs.js';
import { readMounts } from './mounts.js';
import { REPLACED, openEntry, walk, type WalkEntry, type WalkResult } from './walk.js';
import { decodeXattrs, formatFlags, isExtended, mergeSorted, readExtended } from './extended.js';
import { HK, HashBatch, HashPool, type HashResults } from './hash-pool.js';
import { FILE_ITEMS } from './items.js';

export const DEFAULT_SKIP_FSTYPES = [
  'proc', 'sysfs', 'devtmpfs', 'devpts', 'cgroup', 'cgroup2', 'securityfs', 'debugfs', 'tracefs',
  'pstore', 'bpf', 'configfs', 'fusectl', 'mqueue', 'hugetlbfs', 'binfmt_misc', 'autofs',
  'rpc_pipefs', 'nsfs',
];

const NOCHANGE_ATTRS = ['mtime', 'ctime', 'size', 'inode'] as const;

export const FILE_OPTIONS: OptionSchema = {
  include: { type: 'list', default: [], description: 'Globs of paths to record (one per line).', check: checkGlob, warnings: globWarnings, resolve: 'include' },
  exclude: { type: 'list', default: [], description: 'Globs of paths to skip; an excluded directory is not descended into.', check: checkGlob, warnings: globWarnings, resolve: 'globs' },
  assume_nochange: {
    type: 'list', separator: 'commas', default: [], choices: NOCHANGE_ATTRS,
    description: 'When all these attributes equal the previous run\'s, reuse the previous sha256 instead of reading the file.',
  },
  assume_change: { type: 'list', default: [], description: 'Globs of files always re-hashed, whatever assume_nochange says.', check: checkGlob, warnings: globWarnings, resolve: 'globs' },
  hash_workers: {
    type: 'int', default: Math.min(2, availableParallelism()), description: 'Files hashed at the same time, each batch in a thread of the native hasher (default: min(2, CPUs)).',
    check: (v) => (typeof v === 'number' && v >= 1 && v <= 64 ? undefined : 'expected a number from 1 to 64'),
  },
  rehash_every: {
    type: 'int', default: 24,
    description: 'Each run also reads in full the 1/N of the regular files whose turn it is (a stable split by key), whatever assume_nochange says, so every file is read within N runs (0: never).',
    check: (v) => (typeof v === 'number' && v >= 0 && v <= 100000 ? undefined : 'expected a number from 0 to 100000'),
  },
  one_file_system: { type: 'bool', default: false, description: 'Do not descend into other filesystems than each include\'s root.' },
  skip_fstypes: {
    type: 'list', separator: 'commas', default: DEFAULT_SKIP_FSTYPES,
    description: 'Filesystem types never descended into (read from /proc/self/mountinfo).',
  },
};

/** Options after defaults. */
export interface FileOptions {
  include: string[];
  exclude: string[];
  assumeNochange: string[];
  rehashEvery: number;
  assumeChange: string[];
  hashWorkers: number;
  oneFileSystem: boolean;
  skipFstypes: string[];
}

/** Options as the config layer hands them (defaults from the schema where missing) → FileOptions. */
export function fileOptions(o: Options): FileOptions {
  const v = optionValues(FILE_OPTIONS, o);
  return {
    include: v.list('include'),
    exclude: v.list('exclude'),
    assumeNochange: v.list('assume_nochange'),
    rehashEvery: v.number('rehash_every'),
    assumeChange: v.list('assume_change'),
    hashWorkers: v.number('hash_workers'),
    oneFileSystem: v.bool('one_file_system'),
    skipFstypes: v.list('skip_fstypes'),
  };
}

/** Test seams. */
export interface CollectHooks {
  /** Called with the path of a file the walk just lstat'ed, before it is opened to be hashed. */
  beforeOpen?(path: Buffer): void;
  /** Called with the path of a directory the walk just lstat'ed, before it is opened. */
  beforeOpenDir?(path: Buffer): void;
}

function readIds(): IdNames {
  const read = (p: string) => {
    try {
      return parseIdFile(readFileSync(p, 'utf8'));
    } catch {
      return new Map<number, string>();
    }
  };
  return { users: read('/etc/passwd'), groups: read('/etc/group') };
}

const BATCH = 1000;
/** Open descriptors per batch: with the batches in flight, well below any descriptor limit. */
const BATCH_FDS = 200;

interface Rec {
  key: string;
  attrs?: Attributes;
  error?: string;
  /** Index into the batch's hash jobs. */
  job?: number;
  /** A hash job's extended attributes when reused from the previous item (else read with the hash). */
  extended?: Record<string, string>;
}

interface Batch {
  recs: Rec[];
  results: Promise<HashResults | undefined>;
  /** No file of the batch needs hashing, or its hashes are in: it can be added at once. */
  ready: boolean;
}

/** A hashed file's item from what the hash thread reports (undefined: it vanished before it was opened). */
function hashedItem(rec: Rec, res: HashResults, ids: IdNames): { attributes: Attributes; error?: string } | undefined {
  const j = rec.job!;
  const kind = res.info[3 * j]!;
  const errno = res.info[3 * j + 1]!;
  if (kind === HK.OPEN && errCode(-errno) === 'ENOENT') return undefined;
  let extended = rec.extended;
  if (extended === undefined) {
    extended = {};
    const list = res.xattrs[j];
    if (list !== undefined) decodeXattrs(list, ids, extended);
    const flags = res.info[3 * j + 2]! >>> 0;
    if (flags > 0) extended.flags = formatFlags(flags);
  }
  let error = rec.error;
  switch (kind) {
    case HK.OK:
      return { attributes: mergeSorted(rec.attrs!, extended, res.sha[j]!) as Attributes, error };
    case HK.OPEN:
      error = errCode(-errno) === 'ELOOP' ? `${REPLACED} (now a symlink)` : errMessage(-errno, 'open');
      break;
    case HK.FSTAT:
      error = errMessage(-errno, 'fstat');
      break;
    case HK.REPLACED:
      error = REPLACED;
      break;
    default:
      error = errMessage(-errno, 'read');
  }
  return { attributes: mergeSorted(rec.attrs!, extended) as Attributes, error };
}

/** sha256 of a file opened on this thread (when its directory could not go to the hash thread). */
async function hashOpen(fd: number): Promise<string | { error: string }> {
  const [r] = await native.sha256Fds([fd]);
  return typeof r === 'string' ? r : { error: errMessage(r ?? -5, 'read') };
}

/** One turn of the event loop, so finished hash batches report back while the walk goes on. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The rehash slice of a key, 0 to n-1: FNV-1a of its UTF-16 code units, stable across runs. */
export function rehashSlice(key: string, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % n;
}

/** The slice whose turn it is in a session: every slice comes once in n consecutive sessions. */
export function rehashTurn(sessionId: number, n: number): number {
  return sessionId % n;
}

/** `3 d 4 h`, `5 h 2 min`, `40 s`: the age of a time, for the report's note. */
function ageText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  return h % 24 ? `${Math.floor(h / 24)} d ${h % 24} h` : `${Math.floor(h / 24)} d`;
}

/**
 * When the regular file read in full longest ago was last read, as far as the kept sessions
 * tell: each slice was last read in full in the newest complete session of its turn (or later,
 * when the file changed). A slice whose last turn is older than every kept session gives
 * "<oldest kept session> or earlier". Undefined when this run reads everything.
 */
export function oldestFullRead(sessions: ReadonlyArray<{ id: number; startedAt: string }>, sessionId: number, n: number): { at: string; orEarlier: boolean } | undefined {
  if (n <= 1 || sessions.length === 0) return undefined;
  const newest = new Map<number, string>();
  for (const s of sessions) {
    const t = rehashTurn(s.id, n);
    if (!newest.has(t)) newest.set(t, s.startedAt);
  }
  const current = rehashTurn(sessionId, n);
  let oldest: string | undefined;
  let missing = false;
  for (let t = 0; t < n; t++) {
    if (t === current) continue;
    const at = newest.get(t);
    if (at === undefined) missing = true;
    else if (oldest === undefined || at < oldest) oldest = at;
  }
  const oldestKept = sessions[sessions.length - 1]!.startedAt;
  if (missing) return { at: oldestKept, orEarlier: true };
  return oldest === undefined ? undefined : { at: oldest, orEarlier: false };
}

/** The previous item, when this run may reuse anything of it (not --full, not its turn). */
function reusablePrevious(ctx: CollectContext, key: string, o: FileOptions): StoredItem | undefined {
  if (o.assumeNochange.length === 0 || ctx.full) return undefined;
  // Looked up first: a first run (nothing stored) then costs no slice computation per entry.
  const prev = ctx.previous(key);
  if (prev === undefined) return undefined;
  if (o.rehashEvery > 0 && rehashSlice(key, o.rehashEvery) === rehashTurn(ctx.sessionId, o.rehashEvery)) return undefined;
  return prev;
}

/**
 * The previous item's extended attributes (caps, ACLs, flags, xattrs), when they can stand for
 * this entry's: the same inode and type and an unchanged ctime, which every change of them sets.
 */
function reusableExtended(prev: StoredItem | undefined, attrs: Attributes): Record<string, string> | undefined {
  if (!prev || prev.error) return undefined;
  const p = prev.attributes;
  if (p.type !== attrs.type || p.ctime !== attrs.ctime || p.inode !== attrs.inode) return undefined;
  const out: Record<string, string> = {};
  for (const k in p) {
    // Extended names start with a, c, f, s or x (acl…, caps, flags, selinux, xattr.*).
    const c = k.charCodeAt(0);
    if ((c === 97 || c === 99 || c === 102 || c === 115 || c === 120) && isExtended(k)) out[k] = String(p[k]);
  }
  return out;
}

/** Whether the previous item's sha256 can stand for this file. */
function reusable(prev: StoredItem | undefined, attrs: Attributes, o: FileOptions, assumeChange: GlobSet, text: () => string): string | undefined {
  if (!prev || prev.error || prev.attributes.type !== 'file') return undefined;
  const sha = prev.attributes.sha256;
  if (typeof sha !== 'string') return undefined;
  for (const a of o.assumeNochange) if (prev.attributes[a] !== attrs[a]) return undefined;
  if (!assumeChange.empty && assumeChange.test(text())) return undefined;
  return sha;
}

/**
 * Whether the previous item is exactly what this entry's item would be: every attribute lstat
 * gives equal, its sha256 reusable (a regular file, assume_nochange satisfied since mtime, ctime,
 * size and inode are all equal, not named by assume_change) and its extended attributes too
 * (same inode, type and ctime: see reusableExtended), and no attribute this collector would not
 * set. The common case of a no-change run: the previous attributes are added as they are, with
 * nothing built or read for the entry.
 */
function unchanged(prev: StoredItem, r: WalkEntry, ids: IdNames, assumeChange: GlobSet): boolean {
  if (prev.error || r.error !== undefined) return false;
  const st = r.st;
  const p = prev.attributes;
  const mode = st[S.MODE]!;
  const ifmt = mode & S_IFMT;
  const device = ifmt === S_IFCHR || ifmt === S_IFBLK;
  const type = fileType(mode);
  let base = 0;
  for (const k in p) {
    const v = p[k];
    switch (k) {
      case 'ctime':
        if (!isTime(v, st[S.CTIME_S]!, st[S.CTIME_NS]!)) return false;
        break;
      case 'mtime':
        if (!isTime(v, st[S.MTIME_S]!, st[S.MTIME_NS]!)) return false;
        break;
      case 'gid':
        if (v !== st[S.GID]) return false;
        break;
      case 'uid':
        if (v !== st[S.UID]) return false;
        break;
      case 'group':
        if (v !== (ids.groups.get(st[S.GID]!) ?? String(st[S.GID]))) return false;
        break;
      case 'user':
        if (v !== (ids.users.get(st[S.UID]!) ?? String(st[S.UID]))) return false;
        break;
      case 'inode':
        if (v !== st[S.INO_HI]! * 4294967296 + st[S.INO_LO]!) return false;
        break;
      case 'mode':
        if (v !== formatMode(mode)) return false;
        break;
      case 'nlink':
        if (v !== st[S.NLINK]) return false;
        break;
      case 'size':
        if (v !== st[S.SIZE]) return false;
        break;
      case 'type':
        if (v !== type) return false;
        break;
      case 'rdev':
        if (!device || v !== `${st[S.RDEV_MAJOR]}:${st[S.RDEV_MINOR]}`) return false;
        break;
      case 'target':
        if (!r.target || v !== encodePath(r.target)) return false;
        break;
      case 'sha256':
        if (type !== 'file' || typeof v !== 'string') return false;
        continue;
      default:
        // Extended attributes (caps, acl, flags, xattr.*): reusable with inode, type and ctime.
        if (!isExtended(k)) return false;
        continue;
    }
    base++;
  }
  if (base !== 11 + (device ? 1 : 0) + (r.target ? 1 : 0)) return false;
  if (type === 'file' && (p.sha256 === undefined || (!assumeChange.empty && assumeChange.test(r.text)))) return false;
  return true;
}

/** Walk, hash and add items; the collector's `collect`. */
export async function collectFiles(ctx: CollectContext, o: FileOptions, hooks: CollectHooks = {}): Promise<void> {
  const include = new GlobSet(o.include);
  const exclude = new GlobSet(o.exclude);
  const assumeChange = new GlobSet(o.assumeChange);
  if (include.empty) {
    ctx.note('file: no include patterns configured');
    return;
  }
  const ids = readIds();
  const walker = walk({ include, exclude, skipFstypes: new Set(o.skipFstypes), mounts: readMounts(), oneFileSystem: o.oneFileSystem, beforeOpenDir: hooks.beforeOpenDir });
  let pool: HashPool | undefined;
  const inflight: Batch[] = [];
  const maxInflight = 2 * o.hashWorkers + 1;
  let done = 0;
  let files = 0;
  let readFull = 0;

  const drain = async () => {
    const batch = inflight.shift()!;
    const results = await batch.results;
    for (const rec of batch.recs) {
      if (!rec.attrs) {
        ctx.error(rec.key, rec.error ?? 'unknown error');
        continue;
      }
      let attributes = rec.attrs;
      let error = rec.error;
      if (rec.job !== undefined) {
        const item = hashedItem(rec, results!, ids);
        if (!item) {
          ctx.debug(`file: ${rec.key} vanished before it was hashed`);
          continue;
        }
        attributes = item.attributes;
        error = item.error;
        if (error === undefined) readFull++;
      }
      ctx.add(error === undefined ? { key: rec.key, attributes } : { key: rec.key, attributes, error });
    }
    done += batch.recs.length;
    ctx.progress(done);
  };

  let recs: Rec[] = [];
  let jobs = new HashBatch();
  const flush = async () => {
    if (recs.length === 0) return;
    const batch: Batch = { recs, results: Promise.resolve(undefined), ready: jobs.size === 0 };
    if (jobs.size > 0) {
      pool ??= new HashPool(o.hashWorkers);
      const results = batch.results = pool.hash(jobs);
      // Settled by drain in order; a rejection before then must not count as unhandled.
      results.then(() => { batch.ready = true; }, () => { batch.ready = true; });
      jobs = new HashBatch();
    }
    inflight.push(batch);
    recs = [];
    // Batches whose hashes are in (or had none to wait for: the common case of an hourly run,
    // whose rehash slice is a few files a batch) go to the store at once, so few entries stay
    // alive long enough to reach V8's old generation; the others wait for their hashes in order.
    if (!inflight[0]!.ready) await turn();
    while (inflight.length >= maxInflight || (inflight.length > 0 && inflight[0]!.ready)) await drain();
  };

  try {
    for (const r of walker as Generator<WalkResult>) {
      const key = r.key;
      if (r.kind === 'error') {
        recs.push({ key, error: r.message });
      } else {
        const prev = reusablePrevious(ctx, key, o);
        if (prev && unchanged(prev, r, ids, assumeChange)) {
          // Added at once, not in the batch: nothing to wait for, and the previous item then
          // lives for one entry instead of a batch (V8 keeps what lives longer for longer). The
          // key is in the store already, so the order of adds changes no key's id.
          if (prev.attributes.type === 'file') files++;
          ctx.add({ key, attributes: prev.attributes });
          if (++done % BATCH === 0) ctx.progress(done);
          continue;
        }
        const attrs = statAttributes(r.st, ids, r.target);
        const rec: Rec = { key, attrs, error: r.error };
        let extended = reusableExtended(prev, attrs);
        let fd = -1;
        let sha: string | undefined;
        if (attrs.type === 'file') {
          files++;
          sha = reusable(prev, attrs, o, assumeChange, () => r.text);
          if (sha === undefined) {
            hooks.beforeOpen?.(r.path);
            // Opened, checked, its extended attributes read and hashed in a thread; the item
            // is built when the batch's results are in (drain).
            const job = r.dirfd >= 0 ? jobs.add(r, extended === undefined) : -1;
            if (job >= 0) {
              rec.job = job;
              rec.extended = extended;
              recs.push(rec);
              if (recs.length >= BATCH || jobs.size >= BATCH_FDS) await flush();
              continue;
            }
            const opened = openEntry(r);
            if (opened === 'vanished') {
              ctx.debug(`file: ${key} vanished before it was hashed`);
              continue;
            }
            if (typeof opened === 'number') fd = opened;
            else rec.error = opened.error;
          }
        }
        extended ??= readExtended(r, fd >= 0 ? fd : r.self, ids);
        // One object with the reused sha256 and the extended attributes, keys in sorted order.
        rec.attrs = mergeSorted(attrs, extended, sha) as Attributes;
        if (fd >= 0) {
          // Hashed here: the directory could not be handed to the hash thread.
          const h = await hashOpen(fd);
          if (typeof h === 'string') {
            rec.attrs = withSha256(rec.attrs, h);
            readFull++;
          } else {
            rec.error = h.error;
          }
        }
        recs.push(rec);
      }
      if (recs.length >= BATCH || jobs.size >= BATCH_FDS) await flush();
    }
    await flush();
    while (inflight.length > 0) await drain();
  } finally {
    jobs.discard();
    await pool?.close();
  }
  if (o.assumeNochange.length > 0 && files > 0) ctx.note(fullReadNote(ctx, o, files, readFull));
}

/** What the report says of this run's full reads (only with assume_nochange: else all are). */
function fullReadNote(ctx: CollectContext, o: FileOptions, files: number, readFull: number): string {
  const head = `file: ${readFull} of ${files} regular files read in full this run`;
  if (ctx.full) return `${head} (collect --full)`;
  if (o.rehashEvery === 0) return `${head}; rehash_every = 0: the others are read again only when ${o.assumeNochange.join(', ')} change`;
  const oldest = oldestFullRead(ctx.completeSessions(), ctx.sessionId, o.rehashEvery);
  const every = `rehash_every = ${o.rehashEvery}: every file is read in full at least once in ${o.rehashEvery} runs`;
  if (!oldest) return `${head} (${every})`;
  const age = ageText(Date.now() - Date.parse(oldest.at));
  return `${head} (${every}); oldest full read: ${oldest.at}${oldest.orEarlier ? ' or earlier' : ''} (${age} ago${oldest.orEarlier ? ' or more' : ''})`;
}

export const fileCollector: Collector = {
  name: 'file',
  description: 'Type, owner, mode, size, times and sha256 of the files the include globs name',
  options: FILE_OPTIONS,
  items: FILE_ITEMS,
  init(options: Options): void {
    const v = optionValues(FILE_OPTIONS, options);
    for (const name of ['include', 'exclude', 'assume_change'] as const) {
      const problem = checkGlob(v.list(name));
      if (problem) throw new ConfigError(`[file] ${name}: ${problem}`);
    }
    const o = fileOptions(options);
    for (const p of o.include) {
      if (!p.startsWith('/') && !p.startsWith('**')) {
        throw new ConfigError(`[file] include: expected an absolute path or a pattern starting with **, got '${p}'`);
      }
    }
  },
  collect(ctx: CollectContext, options: Options): Promise<void> {
    return collectFiles(ctx, fileOptions(options));
  },
};
