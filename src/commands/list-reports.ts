import type { CommandSpec } from './command.js';
import { out } from './command.js';
import { table } from './table.js';

export const listReportsCommand: CommandSpec = {
  name: 'list-reports',
  uses: [],
  describe: 'list reports stored in database',
  formats: ['text', 'json'],
  run(app, args) {
    const rows = app.db(true).reports();
    if (args.format === 'json') {
      const list = rows.map((r) => ({
        uuid: r.uuid,
        created_at: r.created_at,
        old_session: r.old_session_uuid,
        new_session: r.new_session_uuid,
        summary: { added: r.added, removed: r.removed, changed: r.changed, errors: r.errors },
        mail: { state: r.mail_state, mailed_at: r.mailed_at, error: r.mail_error },
      }));
      out(`${JSON.stringify(list, null, 2)}\n`);
      return;
    }
    if (rows.length === 0) {
      out('no reports yet\n');
      return;
    }
    out(
      table(
        ['uuid', 'created', 'added', 'removed', 'changed', 'errors', 'mail'],
        // Oldest first, like list-sessions: `tail -1` is the newest.
        [...rows].reverse().map((r) => [r.uuid, r.created_at, String(r.added), String(r.removed), String(r.changed), String(r.errors), r.mail_state]),
      ),
    );
  },
};
