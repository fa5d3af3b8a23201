/**
 * A small pool of worker threads that hash batches of open regular files (see hash-worker.ts).
 */
import { Worker } from 'node:worker_threads';

/** One file to hash: a descriptor the walk opened and checked; the worker closes it. */
export interface HashJob {
  fd: number;
}

/** The hash, or a per-file error. */
export type HashResult = { sha256: string } | { error: string };

/** Message to a worker. */
export interface HashRequest {
  id: number;
  jobs: HashJob[];
}

/** Message from a worker. */
export interface HashResponse {
  id: number;
  results: HashResult[];
}

interface Task {
  id: number;
  jobs: HashJob[];
  resolve: (r: HashResult[]) => void;
  reject: (e: Error) => void;
}

function startWorker(): Worker {
  // Under tsx (tests) this module is the .ts source; compiled, it is dist/…/hash-pool.js.
  if (import.meta.url.endsWith('.ts')) {
    // `execArgv: ['--import', 'tsx']` does not reach a worker's entry module on Node 20, so
    // register tsx's loader inside the worker first, then import the .ts worker.
    const api = import.meta.resolve('tsx/esm/api');
    const url = new URL('./hash-worker.ts', import.meta.url).href;
    const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(url)}); })`;
    return new Worker(code, { eval: true });
  }
  // A hash worker holds one 1 MiB buffer and a hash state: small heaps keep its memory low.
  return new Worker(new URL('./hash-worker.js', import.meta.url), {
    resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 4 },
  });
}

/** Hash batches in `size` worker threads; `close()` terminates them. */
export class HashPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Task>();
  private readonly queue: Task[] = [];
  private nextId = 1;
  private failure: Error | undefined;
  private readonly workers: Worker[] = [];

  private readonly size: number;

  /** Workers start on demand: a run that re-hashes a few files needs one, not `size`. */
  constructor(size: number) {
    this.size = Math.max(1, size);
  }

  private startOne(): void {
    const w = startWorker();
    w.on('message', (res: HashResponse) => {
      const task = this.busy.get(w);
      this.busy.delete(w);
      this.idle.push(w);
      task?.resolve(res.results);
      this.dispatch();
    });
    w.on('error', (err) => this.fail(w, err));
    w.on('exit', (code) => {
      if (!this.closed) this.fail(w, new Error(`hash worker exited with code ${code}`));
    });
    this.workers.push(w);
    this.idle.push(w);
  }

  private closed = false;

  private fail(w: Worker, err: Error): void {
    this.failure ??= err;
    const task = this.busy.get(w);
    this.busy.delete(w);
    task?.reject(err);
    for (const t of this.queue.splice(0)) t.reject(err);
  }

  private dispatch(): void {
    // Another worker only when every running one is busy and work is waiting.
    if (this.idle.length === 0 && this.queue.length > 0 && this.workers.length < this.size) this.startOne();
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop()!;
      const task = this.queue.shift()!;
      this.busy.set(w, task);
      const req: HashRequest = { id: task.id, jobs: task.jobs };
      w.postMessage(req);
    }
  }

  /** Hash a batch; results are in job order. */
  hash(jobs: HashJob[]): Promise<HashResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, jobs, resolve, reject });
      this.dispatch();
    });
  }

  /** Terminate every worker. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
