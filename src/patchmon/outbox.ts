/**
 * Payloads waiting for PatchMon, kept beside the database so nothing is lost when the server
 * is down: `<storage>/patchmon/pending/<seq>.json` (0600, written to a temporary name and
 * renamed), sent oldest first; `rejected/` keeps what the server refused as malformed (400),
 * and `state.json` what was queued last per scan and when the next attempt may be made.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface OutboxState {
  /**
   * Per scan (profile_name): the started_at of the last queued payload, when it was queued, and
   * for an SCA policy the checksum of its results then.
   */
  queued: Record<string, { started_at: string; queued_at: string; checksum?: string }>;
  /** After a 429, 5xx or network failure: not before this time (ISO), and how many in a row. */
  retry?: { not_before: string; attempts: number; last_error: string };
}

const O = fs.constants;

export class Outbox {
  readonly dir: string;
  private readonly pending: string;
  private readonly rejected: string;
  private readonly stateFile: string;

  constructor(storageDir: string) {
    this.dir = path.join(storageDir, 'patchmon');
    this.pending = path.join(this.dir, 'pending');
    this.rejected = path.join(this.dir, 'rejected');
    this.stateFile = path.join(this.dir, 'state.json');
  }

  private ensure(): void {
    for (const d of [this.dir, this.pending, this.rejected]) {
      try {
        fs.mkdirSync(d, { mode: 0o700 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const st = fs.lstatSync(d);
      if (!st.isDirectory()) throw new Error(`${d} is not a directory`);
      if (st.uid !== (process.getuid?.() ?? st.uid)) throw new Error(`${d} is owned by uid ${st.uid}, not by us`);
    }
  }

  /** Write a file 0600 under a temporary name and rename it into place (never through a symlink). */
  private writeFile(file: string, text: string): void {
    const tmp = `${file}.tmp-${process.pid}`;
    const fd = fs.openSync(tmp, O.O_WRONLY | O.O_CREAT | O.O_EXCL | O.O_NOFOLLOW, 0o600);
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  }

  state(): OutboxState {
    try {
      const fd = fs.openSync(this.stateFile, O.O_RDONLY | O.O_NOFOLLOW);
      try {
        return JSON.parse(fs.readFileSync(fd, 'utf8')) as OutboxState;
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return { queued: {} };
    }
  }

  saveState(s: OutboxState): void {
    this.ensure();
    this.writeFile(this.stateFile, `${JSON.stringify(s, null, 2)}\n`);
  }

  /** Pending payload files, oldest first. */
  list(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.pending);
    } catch {
      return [];
    }
    return names.filter((n) => /^\d{8}\.json$/.test(n)).sort().map((n) => path.join(this.pending, n));
  }

  /** Queue a payload after the ones already pending. */
  add(payload: unknown): string {
    this.ensure();
    const last = this.list().at(-1);
    const seq = last ? Number(path.basename(last, '.json')) + 1 : 1;
    const file = path.join(this.pending, `${String(seq).padStart(8, '0')}.json`);
    this.writeFile(file, JSON.stringify(payload));
    return file;
  }

  read(file: string): string {
    const fd = fs.openSync(file, O.O_RDONLY | O.O_NOFOLLOW);
    try {
      return fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  }

  done(file: string): void {
    fs.unlinkSync(file);
  }

  /** Keep a payload the server refused as malformed, with its answer beside it. */
  reject(file: string, answer: string): string {
    this.ensure();
    const to = path.join(this.rejected, path.basename(file));
    fs.renameSync(file, to);
    this.writeFile(`${to}.answer`, `${answer}\n`);
    return to;
  }
}
