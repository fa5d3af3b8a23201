import type { CommandSpec } from './command.js';
import { out } from './command.js';

export const listAcceptsCommand: CommandSpec = {
  name: 'list-accepts',
  describe: 'list what was accepted, by whom, when and why (baseline = accepted)',
  formats: ['text', 'json'],
  run(app, args) {
    const rows = app.db(true).acceptRecords();
    if (args.format === 'json') {
      out(`${JSON.stringify(rows.map(({ id, ...r }) => ({ id, ...r })), null, 2)}\n`);
      return;
    }
    if (rows.length === 0) {
      out('nothing accepted yet\n');
      return;
    }
    for (const r of rows) {
      out(`#${r.id}  ${r.accepted_at}  ${r.user}${r.uid !== null ? ` (uid ${r.uid}, ${r.via})` : ` (${r.via})`}  ${r.count} change${r.count === 1 ? '' : 's'} as of session ${r.session_uuid}${r.report_uuid ? `, report ${r.report_uuid}` : ''}\n`);
      out(`    note: ${r.note}\n`);
      const shown = r.keys.slice(0, 50);
      for (const k of shown) out(`    ${k.change} ${k.key} (unaccepted since ${k.since})\n`);
      if (r.keys.length > shown.length) out(`    ... and ${r.keys.length - shown.length} more (--format json lists them all)\n`);
    }
  },
};
