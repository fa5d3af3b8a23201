import type { CommandSpec } from './command.js';
import { out } from './command.js';

export const collectCommand: CommandSpec = {
  name: 'collect',
  uses: [],
  describe: 'run collect session, store current system state to database',
  options: {
    full: { type: 'boolean', describe: 'read every file in full (no hash reused from the previous session, whatever assume_nochange and rehash_every say); implies --rescan' },
    rescan: { type: 'boolean', describe: 'evaluate the compliance collectors (scap profiles, Docker Bench) now, whatever their interval' },
  },
  async run(app, args) {
    const { session } = await app.collect({ full: args.full === true, rescan: args.rescan === true });
    if (!args.quiet && process.stdout.isTTY) {
      out(`session ${session.uuid}: ${session.item_count} items, ${session.error_count} errors\n`);
    }
  },
};
