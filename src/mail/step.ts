/**
 * The email step of `run` and the `email-report` command: mails reports and records the
 * outcome per report, so nothing is lost — a report whose send failed stays pending and is
 * retried (once per run, oldest first) until it goes through.
 */
import type { App, GlobalArgs } from '../core/app.js';
import { loadReport } from '../core/report.js';
import { messageOf, SysError } from '../errors.js';
import type { ReportRow } from '../store/store.js';
import { visibleControls } from '../core/visible.js';
import { hasRecipients } from '../config/recipients.js';
import { type MailSettings, sendReport } from './mail.js';
import type { SeverityLevel } from '../core/report-model.js';
import { isSeverityLevel, SEVERITY_LEVELS, severityRank } from '../core/severity.js';

function mailSettings(app: App): MailSettings {
  const main = app.cfg.sections.syschangemon ?? {};
  return {
    handler: main.mail_handler === 'sendmail' ? 'sendmail' : 'smtp',
    smtp: app.cfg.sections['mail.smtp'] ?? {},
    templateDir: app.cfg.templateDir,
    maxChanges: Number(main.max_changes ?? 500),
    hostname: app.hostname,
    describe: app.describe,
    maxDiffLines: app.maxDiffLines,
    partials: app.partials,
  };
}

/** The configured `[mail.smtp] min_severity`, unless the command line names one. */
function minSeverityOf(app: App, args: GlobalArgs): SeverityLevel | undefined {
  const v = args.minSeverity ?? app.cfg.sections['mail.smtp']?.min_severity;
  return isSeverityLevel(v) ? v : undefined;
}

const isEmpty = (r: ReportRow) => r.added + r.removed + r.changed === 0;

/** Mail one stored report and record the outcome; returns an error line or undefined. */
export async function mailOne(app: App, row: ReportRow, args: GlobalArgs): Promise<string | undefined> {
  const store = app.db();
  if (args.skipEmptyMail && isEmpty(row)) {
    store.setMailState(row.uuid, 'skipped');
    app.log.debug(`report ${row.uuid}: no changes, mail skipped`);
    return undefined;
  }
  // baseline = accepted with mail_only_new: unaccepted changes already mailed are not mailed again.
  if (app.cfg.sections.syschangemon?.mail_only_new === true) {
    const head = store.reportHead(row);
    if (head.baseline === 'accepted' && !head.summary.changed_this_run) {
      store.setMailState(row.uuid, 'skipped');
      app.log.debug(`report ${row.uuid}: nothing changed in this run (mail_only_new), mail skipped`);
      return undefined;
    }
  }
  const minSeverity = minSeverityOf(app, args);
  if (minSeverity) {
    // Nothing at or above the level: no mail (a report stored before levels existed is mailed).
    const counts = store.reportHead(row).summary.by_severity;
    if (counts && !SEVERITY_LEVELS.some((l) => severityRank(l) >= severityRank(minSeverity) && counts[l] > 0)) {
      store.setMailState(row.uuid, 'skipped');
      app.log.info(`report ${row.uuid}: no change of ${minSeverity} severity or higher, mail skipped`);
      return undefined;
    }
  }
  try {
    const settings = mailSettings(app);
    await sendReport(loadReport(store, row, { maxChanges: settings.maxChanges }), { ...settings, minSeverity, preferHtml: args.html === true });
    store.setMailState(row.uuid, 'sent');
    app.log.info(`report ${row.uuid} mailed`);
    return undefined;
  } catch (err) {
    const line = err instanceof SysError ? err.message : `mail: ${messageOf(err)}`;
    store.setMailState(row.uuid, 'failed', line);
    return line;
  }
}

/** The email step of `run`: mail every report still pending (the new one included). */
export async function emailPending(app: App, args: GlobalArgs): Promise<number> {
  if (!hasRecipients(app.cfg.sections['mail.smtp'] ?? {})) return 0;
  app.takeLock();
  let failed: string | undefined;
  for (const row of app.db().reportsPendingMail()) {
    const err = await mailOne(app, row, args);
    if (err) {
      failed = err;
      // The server is down or refusing: the others will fail the same way; try next run.
      break;
    }
  }
  if (failed) {
    process.stderr.write(`syschangemon: ${visibleControls(failed)}; the report stays pending and is retried next run\n`);
    return 1;
  }
  return 0;
}
