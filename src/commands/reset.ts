import * as fs from 'node:fs';
import * as path from 'node:path';
import { messageOf, SysError } from '../errors.js';
import { checkStorageDir, DB_COMPANIONS, LOCK_FILE, UnsafeFileError } from '../store/secure-dir.js';
import type { Store } from '../store/store.js';
import type { App } from '../core/app.js';
import type { CommandSpec } from './command.js';
import { out } from './command.js';
import { confirmed } from './confirm.js';

/**
 * Move `files` (those that exist) aside as `<name>.broken-<time>`: never deleted, they may be
 * evidence. Renaming in the checked storage directory follows no symlink.
 */
function moveAside(app: App, files: string[], why: string, quiet: boolean): void {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  for (const file of files) {
    try {
      fs.lstatSync(file);
    } catch {
      continue;
    }
    const aside = `${file}.broken-${stamp}`;
    fs.renameSync(file, aside);
    app.log.debug(`${file}: ${why}`);
    if (!quiet) out(`moved ${file} aside to ${path.basename(aside)} (${why})\n`);
  }
}

const dbFiles = (file: string) => [file, ...DB_COMPANIONS.map((ext) => file + ext)];

export const resetCommand: CommandSpec = {
  name: 'reset',
  uses: [],
  describe: 'reset database - drop all sessions then run initial collect phase',
  options: { yes: { alias: 'y', type: 'boolean', describe: 'do not ask on a terminal (cron and scripts are never asked)' } },
  async run(app, args) {
    if (!(await confirmed(`drop every session and report in ${app.cfg.dbPath} and take a new baseline?`, { yes: args.yes === true }))) {
      process.stderr.write('syschangemon: reset: not confirmed; nothing was changed\n');
      return 1;
    }
    const quiet = args.quiet === true;
    const dir = app.cfg.storageDir;
    const file = app.cfg.dbPath;
    // A directory that fails its checks is never repaired here (see secure-dir.ts).
    checkStorageDir(dir, { create: true });
    const lockFile = path.join(dir, LOCK_FILE);
    /** Take the lock, moving aside a lock file or a planted file it cannot use. */
    const lock = () => {
      for (let attempt = 0; ; attempt++) {
        try {
          app.takeLock();
          return;
        } catch (err) {
          if (attempt > 8 || !(err instanceof SysError) || err.code === 'E_LOCKED') throw err;
          if (err instanceof UnsafeFileError) moveAside(app, [err.file], err.message, quiet);
          else if (err.message.includes(lockFile)) moveAside(app, [lockFile, `${lockFile}-journal`], err.message, quiet);
          else throw err;
        }
      }
    };
    lock();
    let store: Store | undefined;
    for (let attempt = 0; !store; attempt++) {
      let problem: string | undefined;
      try {
        const s = app.db();
        problem = s.damage();
        if (!problem) store = s;
      } catch (err) {
        const usable = err instanceof SysError && (err.code === 'E_DATABASE' || err instanceof UnsafeFileError);
        const sqlite = typeof (err as { code?: unknown }).code === 'string' && String((err as { code: string }).code).startsWith('SQLITE_');
        if (attempt > 3 || !(usable || sqlite)) throw err;
        problem = (err as Error).message;
      }
      if (!store) {
        app.close();
        moveAside(app, dbFiles(file), problem ?? 'unusable', quiet);
        lock();
      }
    }
    // The new baseline first: a reset killed before it is complete leaves the old sessions.
    const { session } = await app.collect();
    const dropped = app.db().keepOnly(session, app.signer().sign);
    try {
      app.db().reclaimSpace();
    } catch (err) {
      app.log.warn(`reset: could not give the freed space back to the file system: ${messageOf(err)}`);
    }
    app.db().checkpoint();
    app.log.debug(`reset: ${dropped.sessions} older sessions dropped`);
    if (!quiet && process.stdout.isTTY) out(`new baseline: session ${session.uuid} with ${session.item_count} items\n`);
    // Said whenever not quiet: the old chain ends here, and verify checks from this session on.
    const record = dropped.chain;
    if (!quiet && record) out(`reset: a new digest chain starts at session ${session.uuid} (digest ${record.digest}); the earlier history was dropped\n`);
  },
};
