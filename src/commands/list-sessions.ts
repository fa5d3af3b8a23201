import type { CommandSpec } from './command.js';
import { out } from './command.js';
import { table } from './table.js';

export const listSessionsCommand: CommandSpec = {
  name: 'list-sessions',
  uses: [],
  describe: 'list sessions stored in database',
  formats: ['text', 'json'],
  run(app, args) {
    const rows = app.db(true).sessions();
    if (args.format === 'json') {
      const list = rows.map((s) => ({
        uuid: s.uuid,
        hostname: s.hostname,
        started_at: s.started_at,
        finished_at: s.finished_at,
        item_count: s.item_count,
        error_count: s.error_count,
      }));
      out(`${JSON.stringify(list, null, 2)}\n`);
      return;
    }
    if (rows.length === 0) {
      out('no sessions yet\n');
      return;
    }
    // Oldest first, as the Python tool listed them: `tail -1` is the newest.
    out(table(['uuid', 'started', 'finished', 'items', 'errors'], [...rows].reverse().map((s) => [s.uuid, s.started_at, s.finished_at ?? '', String(s.item_count), String(s.error_count)])));
  },
};
