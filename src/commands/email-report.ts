import { mailError } from '../errors.js';
import { hasRecipients } from '../config/recipients.js';
import { mailOne } from '../mail/step.js';
import type { CommandSpec } from './command.js';
import { MIN_SEVERITY_OPTION } from './options.js';

export const emailReportCommand: CommandSpec = {
  name: 'email-report',
  uses: ['report-uuid', 'skip-empty-mail', 'html'],
  describe: 'email report from database (default: last report)',
  options: { 'min-severity': MIN_SEVERITY_OPTION },
  async run(app, args) {
    if (!hasRecipients(app.cfg.sections['mail.smtp'] ?? {})) {
      throw mailError(`mail: no recipients configured: set to_addr in [mail.smtp] of ${app.cfg.file}`);
    }
    app.takeLock();
    const row = app.db().reportByUuid(args.reportUuid);
    const err = await mailOne(app, row, args);
    if (err) throw mailError(err);
  },
};
