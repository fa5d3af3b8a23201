/**
 * Hashes batches of regular files off the JavaScript thread: each batch is one task in
 * libuv's thread pool (native/fsnative.c `hashAt`), which opens every file relative to its
 * directory (O_NOFOLLOW), checks with fstat that it is the entry the walk's lstat saw, reads
 * its extended attributes and inode flags through that descriptor, reads it to its end into
 * one 1 MiB buffer, hashes it with the OpenSSL Node links, and closes it. No JavaScript runs
 * there, so a hashing thread costs a buffer, not a V8 isolate (a worker thread's heap, about
 * 10 MB each, and a structured clone per batch); and the main thread, which walks and stores,
 * makes none of these system calls.
 */
import { errMessage, native, S } from '../../fsnative.js';

/** What hashAt reports per file (info[3i]). */
export const HK = { OK: 0, OPEN: 1, FSTAT: 2, REPLACED: 3, READ: 4 } as const;

/** Doubles per job in the batch's job array (native/fsnative.c HJ_*). */
const FIELDS = 7;

/**
 * Files to hash, in the order they were added: for each its directory (a duplicate of the
 * walk's descriptor, owned by the batch from then on: the native side closes it), its name
 * there and what lstat saw of it.
 */
export class HashBatch {
  readonly dirs: number[] = [];
  readonly names: Buffer[] = [];
  jobs: Float64Array;
  private lastSerial = -1;

  constructor(capacity = 256) {
    this.jobs = new Float64Array(capacity * FIELDS);
  }

  get size(): number {
    return this.names.length;
  }

  /**
   * Add a regular file the walk just yielded (its directory must still be open: the
   * descriptor is duplicated now). `extended`: read its extended attributes and flags too.
   * Returns its index, or -1 when the directory could not be duplicated (no descriptor left).
   */
  add(r: { dirfd: number; dirSerial: number; name: Buffer; st: Float64Array }, extended: boolean): number {
    if (r.dirSerial !== this.lastSerial || this.dirs.length === 0) {
      const d = native.dupFd(r.dirfd);
      if (d < 0) return -1;
      this.dirs.push(d);
      this.lastSerial = r.dirSerial;
    }
    const i = this.names.length;
    if ((i + 1) * FIELDS > this.jobs.length) {
      const grown = new Float64Array(this.jobs.length * 2);
      grown.set(this.jobs);
      this.jobs = grown;
    }
    const j = this.jobs;
    const o = i * FIELDS;
    const st = r.st;
    j[o] = this.dirs.length - 1;
    j[o + 1] = extended ? 1 : 0;
    j[o + 2] = st[S.DEV_HI]!;
    j[o + 3] = st[S.DEV_LO]!;
    j[o + 4] = st[S.INO_HI]!;
    j[o + 5] = st[S.INO_LO]!;
    j[o + 6] = st[S.MODE]!;
    this.names.push(r.name);
    return i;
  }

  /** Close the duplicated directories of a batch that will not be hashed. */
  discard(): void {
    for (const d of this.dirs.splice(0)) native.close(d);
  }
}

/**
 * Per file of a batch, in order: `sha[i]` the hex digest or null; `info[3i]` an HK kind,
 * `info[3i+1]` its errno, `info[3i+2]` the inode flags (0: none); `xattrs[i]` the extended
 * attributes as native.xattrs lists them, or undefined when there are none.
 */
export interface HashResults {
  sha: Array<string | null>;
  info: Int32Array;
  xattrs: Array<Array<string | Buffer | number> | undefined>;
}

interface Task {
  batch: HashBatch;
  resolve: (r: HashResults) => void;
  reject: (e: Error) => void;
}

/** Hash batches, at most `size` at a time; `close()` waits for those running. */
export class HashPool {
  private readonly size: number;
  private running = 0;
  private readonly queue: Task[] = [];
  private readonly active = new Set<Promise<unknown>>();

  constructor(size: number) {
    this.size = Math.max(1, size);
  }

  private dispatch(): void {
    while (this.running < this.size && this.queue.length > 0) {
      const task = this.queue.shift()!;
      this.running++;
      const b = task.batch;
      const started = native.hashAt(b.dirs, b.jobs, b.names);
      const p = (typeof started === 'number' ? (b.discard(), Promise.reject(new Error(errMessage(started, 'hash')))) : started)
        .then(
          ([sha, info, xattrs]) => task.resolve({ sha, info, xattrs }),
          (err: Error) => task.reject(err),
        )
        .finally(() => {
          this.running--;
          this.active.delete(p);
          this.dispatch();
        });
      this.active.add(p);
    }
  }

  /** Hash a batch (it owns its directory descriptors from now on); results are in job order. */
  hash(batch: HashBatch): Promise<HashResults> {
    return new Promise((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      this.dispatch();
    });
  }

  /** Wait for the batches being hashed (their descriptors are closed by then); close the rest. */
  async close(): Promise<void> {
    for (const t of this.queue.splice(0)) {
      t.batch.discard();
      t.reject(new Error('hash pool closed'));
    }
    while (this.active.size > 0) await Promise.allSettled([...this.active]);
  }
}
