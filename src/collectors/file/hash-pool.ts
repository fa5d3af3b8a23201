/**
 * Hashes batches of open regular files off the JavaScript thread: each batch is one task in
 * libuv's thread pool (native/fsnative.c `sha256Fds`), which reads every descriptor to its end
 * into one 1 MiB buffer, hashes it with the OpenSSL Node links, and closes it. No JavaScript
 * runs there, so a hashing thread costs a buffer, not a V8 isolate (a worker thread's heap,
 * about 10 MB each, and a structured clone per batch).
 */
import { errMessage, native } from '../../fsnative.js';

/** One file to hash: a descriptor the walk opened and checked; the pool closes it. */
export interface HashJob {
  fd: number;
}

/** The hash, or a per-file error. */
export type HashResult = { sha256: string } | { error: string };

interface Task {
  jobs: HashJob[];
  resolve: (r: HashResult[]) => void;
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
      const p = native
        .sha256Fds(task.jobs.map((j) => j.fd))
        .then(
          (out) => task.resolve(out.map((r) => (typeof r === 'string' ? { sha256: r } : { error: errMessage(r, 'read') }))),
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

  /** Hash a batch; results are in job order. */
  hash(jobs: HashJob[]): Promise<HashResult[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ jobs, resolve, reject });
      this.dispatch();
    });
  }

  /** Wait for the batches being hashed (their descriptors are closed by then); close the rest. */
  async close(): Promise<void> {
    for (const t of this.queue.splice(0)) {
      for (const j of t.jobs) native.close(j.fd);
      t.reject(new Error('hash pool closed'));
    }
    while (this.active.size > 0) await Promise.allSettled([...this.active]);
  }
}
