/**
 * Builds a report from two sessions (differ + collectors' report hooks), stores it, and loads
 * stored reports back. A stored report stands on its own: it renders after its sessions are gone.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config/config.js';
import type { MailState, ReportRow, SessionRow, Store } from '../store/store.js';
import type { Collector, ReportHookContext, ReportHooks } from '../types.js';
import { messageOf } from '../errors.js';
import { acceptedChanges, type ChangesOf, sessionChanges } from './differ.js';
import { ignoreMatcher } from './ignore.js';
import { changeAnnotator } from './annotations.js';
import type { Logger } from './logger.js';
import type { ChangeSource } from './render.js';
import type { OmittedChanges, Report, ReportChange, SessionRef } from './report-model.js';
import { atLeast, needsAttention, severityAssigner, type SeverityContext, severityRules } from './severity.js';
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
  /**
   * Build the report whole in memory, each collector's report hooks over the whole list of
   * changes before the next collector's: the same report as streamed, held whole (for tests
   * that prove it).
   */
  inMemory?: boolean;
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
 * without holding its changes, which are stored as they are made (see makeReport), so a
 * report of 200k changes costs one page of them in memory.
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

/** One enabled collector's report hooks for this report. */
interface Hooked {
  name: string;
  hooks: ReportHooks;
  failed?: boolean;
}

/**
 * Build and store a report. Each change goes from the differ (against the previous session
 * or the accepted baseline) through the enabled collectors' report hooks (ReportHooks.change,
 * in registry order), annotations and severity straight into the stored report, page by page
 * (`keep`: also kept in the returned report). The hooks gather what they need once per report
 * and may hold a few changes back until their `finish`; those are stored last, in their place.
 * With `opts.inMemory` the report is built whole instead; it is the same report.
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
  // With the accepted baseline, the changes are those against each key's accepted state;
  // oldS (the session before) is still named, for its time and digest.
  const accepted = opts.baseline === 'accepted';
  const source = (only?: ChangesOf) => (accepted ? acceptedChanges(store, newS, ignored, only) : sessionChanges(store, oldS, newS, ignored, only));
  // (Checks the sessions before anything is gathered.)
  const all = accepted ? undefined : source();
  const established = accepted ? store.syncAccepted(newS) : undefined;
  const errors = store.errorItems(newS);
  const report: Report = {
    uuid: randomUUID(),
    created_at: new Date().toISOString(),
    hostname: newS.hostname,
    old_session: sessionRef(oldS, store),
    new_session: sessionRef(newS, store),
    summary: { added: 0, removed: 0, changed: 0, errors: errors.length, ...(accepted ? { changed_this_run: 0 } : {}) },
    changes: [],
    logins: [],
    errors,
    notes: store.sessionNotes(newS),
  };
  if (accepted) {
    report.baseline = 'accepted';
    if (established) report.notes!.push(established);
  }
  const changes = all ?? source();
  const ctx: ReportHookContext = {
    report,
    newItems: (plugin) => store.sessionItems(newS, plugin),
    oldItems: (plugin) => store.sessionItems(oldS, plugin),
    newItem: (key) => store.sessionItem(newS, key),
    content: (sha) => store.blob(sha),
    shared: (name) => store.meta(name),
    pluginChanges: (plugin) => [...source({ plugin, diffs: false })],
  };
  const failed = (name: string, err: unknown, what = 'report hook') => {
    log.warn(`${name}: ${what} failed: ${messageOf(err)}`);
    (report.notes ??= []).push(`${name}: ${what} failed: ${messageOf(err)}`);
  };
  const hooked: Hooked[] = [];
  for (const c of collectors) {
    const pc = cfg.plugins.get(c.name);
    if (!c.reportHooks || !pc?.enabled) continue;
    try {
      const hooks = c.reportHooks(ctx, pc.options);
      if (hooks) hooked.push({ name: c.name, hooks });
    } catch (err) {
      failed(c.name, err);
    }
  }
  const step = (h: Hooked, c: ReportChange): boolean | 'hold' | void => {
    if (h.failed || !h.hooks.change) return undefined;
    try {
      return h.hooks.change(c);
    } catch (err) {
      // A hook that failed on one change is left out for the rest of the report.
      h.failed = true;
      failed(h.name, err);
      return undefined;
    }
  };
  const finish = (h: Hooked) => {
    if (h.failed || !h.hooks.finish) return;
    try {
      h.hooks.finish();
    } catch (err) {
      failed(h.name, err);
    }
  };
  const sections = () => {
    for (const c of collectors) {
      const pc = cfg.plugins.get(c.name);
      if (!c.report?.section || !pc?.enabled) continue;
      try {
        const data = c.report.section(ctx, pc.options);
        if (data !== undefined) (report.sections ??= {})[c.name] = data;
      } catch (err) {
        failed(c.name, err, 'report section');
      }
    }
  };
  // After the hooks: explained_by, owner_package and annotations decide levels too. The
  // annotations files' notes come after the hooks' notes.
  const annotationNotes: Pick<Report, 'notes'> = {};
  const annotate = changeAnnotator(annotationNotes, annotationFiles(cfg));
  const severity = severityAssigner(severityContext(store, cfg, collectors, newS));
  const summary = report.summary;
  const moreNotes = () => {
    if (annotationNotes.notes?.length) (report.notes ??= []).push(...annotationNotes.notes);
  };

  if (opts.inMemory) {
    let list = [...changes];
    for (const h of hooked) {
      list = list.filter((c) => step(h, c) !== false);
      finish(h);
    }
    sections();
    report.changes = list;
    countChanges(report);
    moreNotes();
    for (const c of list) {
      annotate?.(c);
      severity.assign(c);
    }
    severity.finish(summary);
    store.saveReport(report, opts.mailState);
    return { report, streamed: false };
  }

  function* entries(): Generator<{ seq: number; change: ReportChange }> {
    const held: { seq: number; change: ReportChange }[] = [];
    let seq = 0;
    next: for (const c of changes) {
      let hold = false;
      for (const h of hooked) {
        const r = step(h, c);
        if (r === false) continue next;
        if (r === 'hold') hold = true;
      }
      summary[c.change]++;
      if (accepted && c.changed_this_run) summary.changed_this_run!++;
      const e = { seq: seq++, change: c };
      if (keep) report.changes.push(c);
      if (hold) {
        held.push(e);
        continue;
      }
      annotate?.(c);
      severity.assign(c);
      yield e;
    }
    for (const h of hooked) finish(h);
    sections();
    moreNotes();
    for (const e of held) {
      annotate?.(e.change);
      severity.assign(e.change);
      yield e;
    }
    severity.finish(summary);
  }
  store.saveReportStreamed(report, entries(), opts.mailState);
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
