/**
 * After each report, its changes as ECS events appended to `[output.ecs] file`.
 */
import type { App } from '../core/app.js';
import { messageOf } from '../errors.js';
import type { ReportRow } from '../store/store.js';
import { appendLines, type EcsContext, ecsHost, ecsLines } from './ecs.js';

export function ecsContext(app: App, row: ReportRow): EcsContext {
  const head = app.db(true).reportHead(row);
  const ruleTitles = new Map((head.compliance ?? []).map((t) => [`${t.profile}/${t.rule}`, t.title]));
  return { reportUuid: head.uuid, timestamp: head.new_session.finished_at ?? head.new_session.started_at, host: ecsHost(head.hostname), ruleTitles };
}

/** The report's events, streamed from the store. */
export function* reportEcsLines(app: App, row: ReportRow): Generator<string> {
  const store = app.db(true);
  const ctx = ecsContext(app, row);
  function* changes() {
    for (const { change } of store.reportChanges(row)) yield change;
  }
  yield* ecsLines(changes(), ctx);
}

export async function ecsRunStep(app: App, reportUuid: string | undefined): Promise<number> {
  const file = String(app.cfg.sections['output.ecs']?.file ?? '').trim();
  if (!file || !reportUuid) return 0;
  try {
    const row = app.db(true).reportByUuid(reportUuid);
    const n = appendLines(file, reportEcsLines(app, row));
    app.log.debug(`ECS: ${n} event(s) appended to ${file}`);
    return 0;
  } catch (err) {
    app.log.error(`[output.ecs] file ${file}: ${messageOf(err)}`);
    return 1;
  }
}
