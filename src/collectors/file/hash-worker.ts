/**
 * Hash worker: sha256 of regular files with synchronous reads into one reused 1 MiB buffer,
 * so memory stays constant for a file of any size. It reads descriptors the walk opened
 * relative to their directory and checked against lstat (walk.ts openEntry), and closes them:
 * it never opens a path itself.
 */
import { parentPort } from 'node:worker_threads';
import { readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { HashJob, HashResult, HashRequest, HashResponse } from './hash-pool.js';
import { errText } from '../common/index.js';
import { native } from '../../fsnative.js';

const buf = Buffer.allocUnsafe(1 << 20);

/** Hash one open file and close it. */
export function hashOne(job: HashJob): HashResult {
  try {
    const h = createHash('sha256');
    for (;;) {
      const n = readSync(job.fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(n === buf.length ? buf : buf.subarray(0, n));
    }
    return { sha256: h.digest('hex') };
  } catch (err) {
    return { error: errText(err) };
  } finally {
    // Not fs.closeSync: Node warns about closing a descriptor its fs did not open.
    native.close(job.fd);
  }
}

parentPort?.on('message', (req: HashRequest) => {
  const results = req.jobs.map(hashOne);
  const res: HashResponse = { id: req.id, results };
  parentPort!.postMessage(res);
});
