import type { CommandSpec } from './command.js';
import { out } from './command.js';

export const collectCommand: CommandSpec = {
  name: 'collect',
  describe: 'run collect session, store current system state to database',
  async run(app, args) {
    const { session } = await app.collect();
    if (!args.quiet && process.stdout.isTTY) {
      out(`session ${session.uuid}: ${session.item_count} items, ${session.error_count} errors\n`);
    }
  },
};
