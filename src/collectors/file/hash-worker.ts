/**
 * Hash worker: sha256 of regular files with synchronous reads into one reused 1 MiB buffer,
 * so memory stays constant for a file of any size. Opens without following links and without
 * blocking (a file replaced by a FIFO must not hang the run), and checks with fstat that it
 * still is the regular file the walk saw.
 */
import { parentPort } from 'node:worker_threads';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { HashJob, HashResult, HashRequest, HashResponse } from './hash-pool.js';
import { errText } from '../common/index.js';

const buf = Buffer.allocUnsafe(1 << 20);
const BASE_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;
let noatime = (constants as Record<string, number>).O_NOATIME ?? 0;

function open(path: Uint8Array): number {
  const p = Buffer.from(path.buffer, path.byteOffset, path.byteLength);
  if (noatime) {
    try {
      return openSync(p, BASE_FLAGS | noatime);
    } catch (err) {
      // O_NOATIME is only allowed on files we own (or with CAP_FOWNER).
      if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
      noatime = 0;
    }
  }
  return openSync(p, BASE_FLAGS);
}

/** Hash one file. */
export function hashOne(job: HashJob): HashResult {
  let fd: number;
  try {
    fd = open(job.path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { vanished: true };
    if (code === 'ELOOP') return { error: 'changed while reading (now a symlink)' };
    return { error: errText(err) };
  }
  try {
    const st = fstatSync(fd, { bigint: true });
    if (!st.isFile() || st.dev !== job.dev || st.ino !== job.ino) return { error: 'changed while reading (replaced)' };
    const h = createHash('sha256');
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(n === buf.length ? buf : buf.subarray(0, n));
    }
    return { sha256: h.digest('hex') };
  } catch (err) {
    return { error: errText(err) };
  } finally {
    closeSync(fd);
  }
}

parentPort?.on('message', (req: HashRequest) => {
  const results = req.jobs.map(hashOne);
  const res: HashResponse = { id: req.id, results };
  parentPort!.postMessage(res);
});
