import * as fs from 'node:fs';
import { SysError } from '../errors.js';
import { Store } from '../store/store.js';
import type { CommandSpec } from './command.js';
import { out } from './command.js';

export const resetCommand: CommandSpec = {
  name: 'reset',
  describe: 'reset database - drop all sessions then run initial collect phase',
  async run(app, args) {
    app.takeLock();
    const file = app.cfg.dbPath;
    let store: Store | undefined;
    try {
      store = app.db();
    } catch (err) {
      if (!(err instanceof SysError) || err.code !== 'E_DATABASE' || !fs.existsSync(file)) throw err;
      // An unreadable database is moved aside, never deleted: it may be evidence.
      const aside = `${file}.broken-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      fs.renameSync(file, aside);
      for (const ext of ['-wal', '-shm']) if (fs.existsSync(file + ext)) fs.renameSync(file + ext, aside + ext);
      app.log.warn(`${file} could not be opened (${err.message}); moved it to ${aside}`);
      store = app.db();
    }
    store.clear();
    store.checkpoint();
    const { session } = await app.collect();
    if (!args.quiet && process.stdout.isTTY) out(`new baseline: session ${session.uuid} with ${session.item_count} items\n`);
    // Said whenever not quiet: the old chain ends here, and verify checks from this session on.
    const record = store.chainRecord(session.id);
    if (!args.quiet && record) out(`reset: a new digest chain starts at session ${session.uuid} (digest ${record.digest}); the earlier history was dropped\n`);
  },
};
