/**
 * Builds a report from two sessions (differ + collectors' report hooks), stores it, and loads
 * stored reports back. A stored report stands on its own: it renders after its sessions are gone.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/config.js';
import type { MailState, ReportRow, SessionRow, Store } from '../store/store.js';
import type { Collector, ReportHookContext } from '../types.js';
import { messageOf } from '../errors.js';
import { diffAccepted, diffSessions, sessionChanges } from './differ.js';
import { ignoreMatcher } from './ignore.js';
import { annotateReport, changeAnnotator } from './annotations.js';
import type { Logger } from './logger.js';
import type { ChangeSource } from './render.js';
import type { OmittedChanges, Report, ReportChange, SessionRef } from './report-model.js';
import { assignSeverities, atLeast, needsAttention, severityAssigner, type SeverityContext, severityRules } from './severity.js';
import type { SeverityLevel } from './report-model.js';

/** A session as reports name it, with its digest in the chain (null when it has none). */
export function sessionRef(s: SessionRow, store?: Store): SessionRef {
  const ref: SessionRef = { uuid: s.uuid, started_at: s.started_at, finished_at: s.finished_at, item_count: s.item_count };
  if (store) ref.digest = store.chainRecord(s.id)?.digest ?? null;
  return ref;
}

/** A stored report as buildReport and storeReport return it: its changes only when kept in memory. */
export type BuiltReport = Omit<Report, 'changes'> & { changes?: ReportChange[] };

interface BuildOptions {
  mailState: MailState;
  baseline?: 'previous' | 'accepted';
}

/** Diff two sessions into a report, let the collectors enrich it, and store it: the whole report, its changes included. */
export function buildReport(
  store: Store,
  cfg: Config,
  collectors: readonly Collector[],
  oldS: SessionRow,
  newS: SessionRow,
  log: Logger,
  opts: BuildOptions,
): Report {
  return makeReport(store, cfg, collectors, oldS, newS, log, opts, true).report;
}

/**
 * As buildReport, for commands (diff, run): what they need of the report (uuid, summary)
 * without holding its changes when they could be stored as they were made (see makeReport),
 * so a report of 200k changes costs one page of them in memory.
 */
export function storeReport(
  store: Store,
  cfg: Config,
  collectors: readonly Collector[],
  oldS: SessionRow,
  newS: SessionRow,
  log: Logger,
  opts: BuildOptions,
): BuiltReport {
  const { report, streamed } = makeReport(store, cfg, collectors, oldS, newS, log, opts, false);
  if (!streamed) return report;
  const { changes: _none, ...rest } = report;
  return rest;
}

/**
 * Build and store a report. The collectors' report hooks see and change the whole list of
 * changes, so with any of them enabled (or the accepted baseline) the changes are held in
 * memory until stored. Without them each change goes from the differ through annotations and
 * severity straight into the stored report, page by page (`keep`: also kept in the returned
 * report); the stored report is the same either way.
 */
function makeReport(
  store: Store,
  cfg: Config,
  collectors: readonly Collector[],
  oldS: SessionRow,
  newS: SessionRow,
  log: Logger,
  opts: BuildOptions,
  keep: boolean,
): { report: Report; streamed: boolean } {
  const ignore = new Map([...cfg.plugins].map(([name, pc]) => [name, ignoreMatcher(pc.options.ignore_attributes)]));
  const ignored = (plugin: string, key: string, attribute: string) => ignore.get(plugin)?.(key, attribute) ?? false;
  const accepted = opts.baseline === 'accepted';
  const hooked = collectors.some((c) => (c.enrichReport || c.report?.section) && cfg.plugins.get(c.name)?.enabled);
  if (accepted || hooked) return { report: wholeReport(store, cfg, collectors, oldS, newS, log, opts, ignored), streamed: false };
  const errors = store.errorItems(newS);
  const report: Report = {
    uuid: randomUUID(),
    created_at: new Date().toISOString(),
    hostname: newS.hostname,
    old_session: sessionRef(oldS, store),
    new_session: sessionRef(newS, store),
    summary: { added: 0, removed: 0, changed: 0, errors: errors.length },
    changes: [],
    logins: [],
    errors,
    notes: store.sessionNotes(newS),
  };
  const annotate = changeAnnotator(report, annotationFiles(cfg));
  const severity = severityAssigner(severityContext(store, cfg, collectors, newS));
  const summary = report.summary;
  function* changes(): Generator<ReportChange> {
    for (const c of sessionChanges(store, oldS, newS, ignored)) {
      summary[c.change]++;
      annotate?.(c);
      severity.assign(c);
      if (keep) report.changes.push(c);
      yield c;
    }
    severity.finish(summary);
  }
  store.saveReportStreamed(report, changes(), opts.mailState);
  return { report, streamed: true };
}

/** What the severity rules read: the configured rules, the new session's items, the enabled collectors. */
function severityContext(store: Store, cfg: Config, collectors: readonly Collector[], newS: SessionRow): SeverityContext {
  return {
    collectors,
    rules: severityRules(cfg.sections.severity),
    item: (key) => store.sessionItem(newS, key)?.attributes,
    enabled: new Set([...cfg.plugins].filter(([, pc]) => pc.enabled).map(([name]) => name)),
  };
}

/** The annotations files of the enabled collectors that name one. */
function annotationFiles(cfg: Config): Map<string, string> {
  return new Map([...cfg.plugins].filter(([, pc]) => pc.enabled && typeof pc.options.annotations === 'string' && pc.options.annotations !== '').map(([name, pc]) => [name, String(pc.options.annotations)]));
}

/** The report built whole in memory, for the collectors' report hooks, then stored. */
function wholeReport(
  store: Store,
  cfg: Config,
  collectors: readonly Collector[],
  oldS: SessionRow,
  newS: SessionRow,
  log: Logger,
  opts: BuildOptions,
  ignored: (plugin: string, key: string, attribute: string) => boolean,
): Report {
  // With the accepted baseline, the changes are those against each key's accepted state;
  // oldS (the session before) is still named, for its time and digest.
  const accepted = opts.baseline === 'accepted';
  const established = accepted ? store.syncAccepted(newS) : undefined;
  const { changes, errors } = accepted ? diffAccepted(store, newS, ignored) : diffSessions(store, oldS, newS, ignored);
  const report: Report = {
    uuid: randomUUID(),
    created_at: new Date().toISOString(),
    hostname: newS.hostname,
    old_session: sessionRef(oldS, store),
    new_session: sessionRef(newS, store),
    summary: { added: 0, removed: 0, changed: 0, errors: errors.length },
    changes,
    logins: [],
    errors,
    notes: store.sessionNotes(newS),
  };
  if (accepted) {
    report.baseline = 'accepted';
    if (established) report.notes!.push(established);
  }
  countChanges(report);
  const ctx: ReportHookContext = {
    report,
    newItems: (plugin) => store.sessionItems(newS, plugin),
    oldItems: (plugin) => store.sessionItems(oldS, plugin),
    content: (sha) => store.blob(sha),
    shared: (name) => store.meta(name),
  };
  for (const c of collectors) {
    const pc = cfg.plugins.get(c.name);
    if (!c.enrichReport || !pc?.enabled) continue;
    try {
      c.enrichReport(ctx, pc.options);
    } catch (err) {
      log.warn(`${c.name}: report hook failed: ${messageOf(err)}`);
      (report.notes ??= []).push(`${c.name}: report hook failed: ${messageOf(err)}`);
    }
  }
  for (const c of collectors) {
    const pc = cfg.plugins.get(c.name);
    if (!c.report?.section || !pc?.enabled) continue;
    try {
      const data = c.report.section(ctx, pc.options);
      if (data !== undefined) (report.sections ??= {})[c.name] = data;
    } catch (err) {
      log.warn(`${c.name}: report section failed: ${messageOf(err)}`);
      (report.notes ??= []).push(`${c.name}: report section failed: ${messageOf(err)}`);
    }
  }
  countChanges(report);
  // After the hooks: explained_by, owner_package and annotations decide levels too.
  annotateReport(report, annotationFiles(cfg));
  assignSeverities(report, severityContext(store, cfg, collectors, newS));
  store.saveReport(report, opts.mailState);
  return report;
}

function countChanges(report: Report): void {
  const s = report.summary;
  s.added = s.removed = s.changed = 0;
  for (const c of report.changes) s[c.change]++;
  s.errors = report.errors.length;
  if (report.baseline === 'accepted') s.changed_this_run = report.changes.filter((c) => c.changed_this_run).length;
}

/**
 * Load a stored report. With `maxChanges`, at most that many changes that need attention, that
 * many other unexplained and that many explained changes are kept and the rest only counted (`report.omitted`), so a mail of a
 * report with 200k changes costs bounded memory.
 */
export function loadReport(store: Store, row: ReportRow, opts: { maxChanges?: number } = {}): Report {
  const head = store.reportHead(row);
  const max = opts.maxChanges ?? Number.POSITIVE_INFINITY;
  const changes: ReportChange[] = [];
  const omitted: OmittedChanges = { unexplained: 0, explained: {} };
  let unexplained = 0;
  let explained = 0;
  let attention = 0;
  for (const { change: c } of store.reportChanges(row)) {
    // What needs attention is kept wherever it is stored, so a mail always leads with it.
    if (needsAttention(c)) {
      if (attention++ < max) changes.push(c);
      else omitted.unexplained++;
    } else if (c.explained_by) {
      if (explained++ < max) changes.push(c);
      else omitted.explained[c.explained_by] = (omitted.explained[c.explained_by] ?? 0) + 1;
    } else if (unexplained++ < max) changes.push(c);
    else omitted.unexplained++;
  }
  const report = { ...head, changes } as Report;
  if (omitted.unexplained || Object.keys(omitted.explained).length) report.omitted = omitted;
  return report;
}

/** Stream a stored report as JSON text in the DESIGN.md key order, without holding it whole. */
export function* reportJsonChunks(store: Store, row: ReportRow, opts: { minSeverity?: SeverityLevel } = {}): Generator<string> {
  const head = store.reportHead(row);
  const { uuid, created_at, hostname, old_session, new_session, summary, ...rest } = head;
  const start = JSON.stringify({ uuid, created_at, hostname, old_session, new_session, summary }, null, 2);
  yield `${start.slice(0, -2)},\n  "changes": [`;
  let first = true;
  let below = 0;
  for (const { change } of store.reportChanges(row)) {
    if (!atLeast(change, opts.minSeverity)) {
      below++;
      continue;
    }
    const pretty = JSON.stringify(change, null, 2).replace(/\n/g, '\n    ');
    yield `${first ? '\n' : ',\n'}    ${pretty}`;
    first = false;
  }
  yield first ? '],\n' : '\n  ],\n';
  // --min-severity: what was left out is said, so the copy is not taken for the whole report.
  const tail = JSON.stringify(opts.minSeverity ? { ...rest, min_severity: opts.minSeverity, below_min_severity: below } : rest, null, 2);
  yield `${tail.slice(2)}\n`;
}

/**
 * A stored report's changes for streaming rendering: read page by page in stored order, or
 * by position (`seq`), never all at once.
 */
export function storedChanges(store: Store, row: ReportRow): ChangeSource {
  return {
    all: () => store.reportChanges(row),
    at: (positions) => store.reportChangesAt(row, positions),
  };
}
