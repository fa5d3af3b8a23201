import type { CommandSpec } from './command.js';
import { out } from './command.js';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export const cleanupCommand: CommandSpec = {
  name: 'cleanup',
  uses: [],
  describe: 'clean up database, expunge old sessions and reports',
  run(app, args) {
    const res = app.cleanup();
    if (args.quiet) return;
    const store = app.db();
    const main = app.cfg.sections.syschangemon ?? {};
    out(
      `cleanup: removed ${plural(res.sessions, 'session')} and ${plural(res.reports, 'report')}; ` +
        `kept ${plural(store.sessions().length, 'session')} (session_keep = ${main.session_keep ?? 24}) ` +
        `and ${plural(store.reports().length, 'report')} (report_keep = ${main.report_keep ?? 24})\n`,
    );
  },
};
