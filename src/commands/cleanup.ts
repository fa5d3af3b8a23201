import type { CommandSpec } from './command.js';
import { out } from './command.js';

export const cleanupCommand: CommandSpec = {
  name: 'cleanup',
  describe: 'clean up database, expunge old sessions and reports',
  run(app, args) {
    const res = app.cleanup();
    if (!args.quiet && process.stdout.isTTY) out(`removed ${res.sessions} sessions and ${res.reports} reports\n`);
  },
};
