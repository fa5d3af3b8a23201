/**
 * The syslog step of `run`: after the report is printed and mailed, one summary line (and,
 * with per_change, one line per change) goes to syslog. A syslog failure is a warning; the
 * run's exit code is not changed by it.
 */
import type { App, GlobalArgs } from '../core/app.js';
import type { Store } from '../store/store.js';
import { changeLine, digestLine, sendSyslog, summaryLine, type SendOptions, type SyslogLine } from './syslog.js';
import { syslogSettings } from './syslog.js';

function* changeLines(store: Store, reportUuid: string): Generator<SyslogLine> {
  const row = store.reportByUuid(reportUuid);
  for (const { change } of store.reportChanges(row)) yield changeLine(change, reportUuid);
}

/** The lines of one run: the summary first, then each change (streamed from the store). */
function* runLines(store: Store, reportUuid: string | undefined, perChange: boolean): Generator<SyslogLine> {
  if (reportUuid) {
    const r = store.reportByUuid(reportUuid);
    yield summaryLine({ sessionUuid: r.new_session_uuid, reportUuid: r.uuid, added: r.added, removed: r.removed, changed: r.changed, errors: r.errors });
    if (perChange) yield* changeLines(store, reportUuid);
    return;
  }
  const s = store.latestSession();
  if (s) yield summaryLine({ sessionUuid: s.uuid, added: 0, removed: 0, changed: 0, errors: s.error_count, items: s.item_count });
}

/**
 * The digest lines of the sessions not yet sent (every session since the last line that went
 * through, `collect` and `reset` included; only the newest when none was sent before), so a
 * central log server holds the chain. Returns the lines and the last session id they cover.
 */
export function digestLines(store: Store): { lines: SyslogLine[]; last: number | undefined } {
  const sent = store.meta('syslog_chain_last');
  let records = [...store.chainRecords(sent ? Number(sent) : 0)];
  if (!sent) records = records.slice(-1);
  const lines = records.map((r) => digestLine(r, r.origin === 'upgrade' ? 'schema upgrade' : store.meta('chain_start')));
  return { lines, last: records.length ? records[records.length - 1]!.session_id : undefined };
}

/** One of `run`'s after-report steps (composed in src/cli.ts). */
export async function syslogRunStep(app: App, _args: GlobalArgs, reportUuid: string | undefined, opts: SendOptions = {}): Promise<number> {
  const settings = syslogSettings(app.cfg.sections['log.syslog'] ?? {});
  if (!settings.enabled) return 0;
  const store = app.db();
  const digests = digestLines(store);
  const lines = function* () {
    yield* runLines(store, reportUuid, settings.perChange);
    yield* digests.lines;
  };
  const warning = await sendSyslog(settings, lines(), opts);
  if (warning) app.log.warn(warning);
  else if (digests.last !== undefined) store.setMeta('syslog_chain_last', String(digests.last));
  return 0;
}
