/**
 * An append-only log file with size-based rotation: when a write would take the file past
 * `maxBytes`, file.N-1 → file.N … file → file.1, and the oldest beyond `maxFiles` is dropped.
 */
import * as fs from 'node:fs';

export interface RotatingFileOptions {
  /** Rotate at this size; 0 or rotate=false: never. */
  maxBytes: number;
  /** Rotated files kept (file.1 … file.N). */
  maxFiles: number;
  rotate: boolean;
}

export class RotatingFile {
  private size: number;

  constructor(
    readonly path: string,
    private readonly opts: RotatingFileOptions,
  ) {
    // Log lines name files and hosts: private, like the database.
    const fd = fs.openSync(path, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT, 0o600);
    try {
      this.size = fs.fstatSync(fd).size;
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Append one line (a newline is added). */
  write(line: string): void {
    const data = Buffer.from(`${line}\n`, 'utf8');
    if (this.opts.rotate && this.opts.maxBytes > 0 && this.size > 0 && this.size + data.length > this.opts.maxBytes) {
      this.rotateNow();
    }
    fs.appendFileSync(this.path, data, { mode: 0o600 });
    this.size += data.length;
  }

  /** Shift file → file.1 → … → file.maxFiles, dropping what falls off the end. */
  rotateNow(): void {
    const keep = Math.max(0, this.opts.maxFiles);
    fs.rmSync(`${this.path}.${keep}`, { force: true });
    for (let i = keep - 1; i >= 1; i--) {
      try {
        fs.renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
    if (keep >= 1) fs.renameSync(this.path, `${this.path}.1`);
    else fs.rmSync(this.path, { force: true });
    this.size = 0;
  }
}
