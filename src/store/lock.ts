/**
 * The run lock: an exclusive SQLite lock on `<storage dir>/lock`. SQLite takes it with
 * fcntl(2), so the kernel releases it when the holder exits or is killed — no stale lock
 * files and no guessing at staleness.
 */
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { lockedError, messageOf, SysError } from '../errors.js';
import { checkStorageDir, checkStorageFiles, createPrivateFile, LOCK_FILE } from './secure-dir.js';

export interface Lock {
  release(): void;
}

export function acquireLock(storageDir: string): Lock {
  checkStorageDir(storageDir, { create: true });
  // Nothing is created in a directory holding a file that is not ours.
  checkStorageFiles(storageDir);
  const file = path.join(storageDir, LOCK_FILE);
  createPrivateFile(file);
  let db: Database.Database;
  try {
    db = new Database(file, { timeout: 0 });
    db.pragma('journal_mode = MEMORY');
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw lockedError(`another syschangemon run holds the lock ${file}`);
    }
    throw new SysError('E_RUNTIME', `cannot take the lock ${file}: ${messageOf(err)}`, { cause: err });
  }
  return {
    release() {
      if (db.open) {
        try {
          db.exec('ROLLBACK');
        } catch {
          // released with the connection anyway
        }
        db.close();
      }
    },
  };
}
