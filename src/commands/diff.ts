import type { CommandSpec } from './command.js';
import { out } from './command.js';

export const diffCommand: CommandSpec = {
  name: 'diff',
  describe: 'diff two sessions and save report in database (default: most recent sessions)',
  run(app, args) {
    const report = app.diff();
    if (!report) {
      app.log.warn('nothing to compare yet: there are fewer than two complete sessions');
      return 0;
    }
    if (!args.quiet && process.stdout.isTTY) {
      const s = report.summary;
      out(`report ${report.uuid}: ${s.added} added, ${s.removed} removed, ${s.changed} changed, ${s.errors} errors\n`);
    }
  },
};
