import type { CommandSpec } from './command.js';
import { out } from './command.js';
import { changeBits, EXIT_STATUS_OPTION } from './options.js';

export const diffCommand: CommandSpec = {
  name: 'diff',
  uses: ['old-session-uuid', 'session-uuid'],
  options: { 'exit-status': EXIT_STATUS_OPTION },
  describe: 'diff two sessions and save report in database (default: most recent sessions)',
  run(app, args) {
    const report = app.diff();
    if (!report) {
      // The Python tool's words, which scripts look for; exit 0 as it did.
      if (!args.quiet) out('no previous state - exiting without diff\n');
      return 0;
    }
    if (!args.quiet) {
      const s = report.summary;
      out(`report ${report.uuid} saved: ${s.added} added, ${s.removed} removed, ${s.changed} changed, ${s.errors} errors (session ${report.old_session.uuid} -> ${report.new_session.uuid})\n`);
    }
    return args.exitStatus ? changeBits(report.summary) : 0;
  },
};
