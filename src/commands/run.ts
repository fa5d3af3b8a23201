import type { CommandSpec } from './command.js';
import { out } from './command.js';
import { printReport } from './print-report.js';
import { changeBits, EXIT_STATUS_OPTION } from './options.js';

export const runCommand: CommandSpec = {
  name: 'run',
  uses: ['skip-empty-mail', 'html'],
  describe: 'run collect, diff, cleanup, print-report, email-report in this order',
  formats: ['text', 'html', 'json'],
  options: {
    'exit-status': EXIT_STATUS_OPTION,
    full: { type: 'boolean', describe: 'read every file in full (no hash reused from the previous session, whatever assume_nochange and rehash_every say); implies --rescan' },
    rescan: { type: 'boolean', describe: 'evaluate the compliance collectors (scap profiles, Docker Bench) now, whatever their interval' },
  },
  async run(app, args) {
    const { session, previous } = await app.collect({ full: args.full === true, rescan: args.rescan === true });
    const report = previous ? app.diff() : undefined;
    app.cleanup();
    if (!report) {
      if (!args.quiet) {
        out(`baseline taken: session ${session.uuid} with ${session.item_count} items (${session.error_count} errors); the next run reports what changed\n`);
      }
    } else if (!args.quiet) {
      const row = app.db().reportByUuid(report.uuid);
      await printReport(app, row, args.format ?? (args.html ? 'html' : 'text'));
    }
    let code = 0;
    for (const step of app.steps) {
      const c = await step(app, args, report?.uuid);
      if (typeof c === 'number' && c > code) code = c;
    }
    // With --exit-status a failed step (mail, syslog) is a failure, 18, as AIDE's I/O error.
    if (args.exitStatus) return code ? 18 : changeBits(report?.summary);
    return code;
  },
};
