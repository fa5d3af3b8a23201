/**
 * Renders reports with the nunjucks templates: `report.txt.njk`, `report.html.njk` and
 * `subject.txt.njk`, looked up first in the configured `template_dir`, then in the bundled
 * templates. HTML is autoescaped: everything taken from the system renders as text.
 * The variables each template gets are documented in templates/README.md.
 * A report is rendered whole (renderReport: mail, which holds a bounded part of it) or, for
 * print-report, streamed part by part with the macros its template exports (streamReport).
 */
import { packageRows } from './package-rows.js';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { bundledTemplateDir, programVersion } from './paths.js';
import type { ShownAttribute } from './items.js';
import { visibleControls } from './visible.js';
import type { Report, ReportChange, SeverityLevel } from './report-model.js';
import { displayValue, localTime } from './display.js';
import { atLeast, needsAttention, SEVERITY_LEVELS, severityCounts, severityRank } from './severity.js';
import { keyPath, splitKey } from '../keys.js';

export type RenderFormat = 'text' | 'html';

const envs = new Map<string, nunjucks.Environment>();

/** The collectors' folders (src/collectors, or dist/collectors where the build copies their templates). */
const COLLECTORS_DIR = fileURLToPath(new URL('../collectors/', import.meta.url));

function env(templateDir: string | undefined, html: boolean): nunjucks.Environment {
  const id = `${templateDir ?? ''}\0${html}`;
  let e = envs.get(id);
  if (!e) {
    // Collectors' partials (`<name>/report.txt.njk`) are found below the collectors' folders;
    // a template_dir can override them as `<name>/report.txt.njk` too.
    const dirs = [templateDir, bundledTemplateDir(), COLLECTORS_DIR].filter((d): d is string => !!d);
    e = new nunjucks.Environment(new nunjucks.FileSystemLoader(dirs, { noCache: true }), {
      autoescape: html,
      throwOnUndefined: false,
      trimBlocks: true,
      lstripBlocks: true,
    });
    e.addFilter('package_rows', packageRows);
    e.addFilter('fmt', formatValue);
    e.addFilter('repeat', (s: string, n: number) => String(s).repeat(Math.max(0, Math.floor(Number(n) || 0))));
    e.addFilter('diffclass', diffClass);
    e.addFilter('attrline', attrLine);
    e.addFilter('showattr', (v: unknown, name: string) => displayValue(String(name ?? ''), v));
    e.addFilter('levels', levelsText);
    e.addFilter('localtime', (v: unknown) => (typeof v === 'string' ? localTime(v) : formatValue(v)));
    envs.set(id, e);
  }
  return e;
}

/** An attribute value for display: absent is "-". */
function formatValue(v: unknown): string {
  return v === null || v === undefined ? '-' : String(v);
}

/** Counts by level, highest first, the levels that have some: `1 critical, 2 high`. */
function levelsText(counts: unknown): string {
  if (!counts || typeof counts !== 'object') return '';
  const c = counts as Record<string, number>;
  return [...SEVERITY_LEVELS].reverse().filter((l) => c[l]).map((l) => `${c[l]} ${l}`).join(', ');
}

/** Shown attributes on one line: `type file  mode 4755  user root`. */
function attrLine(list: unknown): string {
  return Array.isArray(list) ? list.map((a: ShownAttribute) => `${a.name} ${a.value}`).join('  ') : '';
}

/** The CSS class of a unified diff line. */
function diffClass(line: string): string {
  if (line.startsWith('+++') || line.startsWith('---')) return 'dh';
  if (line.startsWith('@@')) return 'dk';
  if (line.startsWith('+')) return 'da';
  if (line.startsWith('-')) return 'dd';
  if (line.startsWith('\\')) return 'dn';
  return 'dc';
}

export interface RenderOptions {
  templateDir?: string;
  /**
   * What to show of an added or removed item (its collector's `summary` attributes, see
   * src/core/items.ts describeChanges); templates get it as `c.summary_attributes`.
   */
  describe?: (change: ReportChange) => ShownAttribute[] | undefined;
  /** Show at most this many changes; the rest are counted (mail). */
  maxChanges?: number;
  /** Show only changes of this severity or higher (`--min-severity`); the rest are counted. */
  minSeverity?: SeverityLevel;
  /** Lines of an added or removed text shown (`[syschangemon] max_diff_lines`); 0: all. */
  maxDiffLines?: number;
  /**
   * Collectors whose report partials the templates include, in order (App.partials); each
   * gets `name` and its data `section` (report.sections[name]).
   */
  partials?: readonly string[];
}

/** Lines of an added or removed text a report shows when nothing is configured. */
export const DEFAULT_MAX_DIFF_LINES = 40;

/** A change as the templates get it (never stored). */
export type ShownChange = ReportChange & {
  summary_attributes?: ShownAttribute[];
  /** Lines of an added or removed text left out (max_diff_lines). */
  text_omitted?: number;
  /** The conffile item whose diff this file entry shows (a file and its conffile are one entry). */
  merged_key?: string;
  /** That conffile change, for what its collector shows of it. */
  merged_from?: ReportChange;
  /** Diff lines in all (HTML folds long ones). */
  diff_lines?: number;
};


/** The key of the file item a conffile item is the content of (and the other way round). */
function partnerKey(c: ReportChange): string | undefined {
  const { scheme, rest } = splitKey(c.key);
  if (c.plugin === 'conffile' && scheme === 'conffile') return `file://${rest}`;
  if (c.plugin === 'file' && scheme === 'file') return `conffile://${rest}`;
  return undefined;
}

/** Whether a file change and its conffile change read as one entry: the same kind, the same explanation. */
function mergeable(file: Pick<ReportChange, 'change' | 'explained_by'>, conf: Pick<ReportChange, 'change' | 'explained_by'>): boolean {
  return file.change === conf.change && (file.explained_by ?? '') === (conf.explained_by ?? '');
}

/**
 * One entry for a file and its conffile item: the file's attributes, then what the conffile
 * adds (its diff, its note, attributes the file has not), at the higher of the two levels.
 */
function mergeConffile(file: ReportChange, conf: ReportChange): ShownChange {
  const attributes = { ...file.attributes };
  for (const [name, v] of Object.entries(conf.attributes)) {
    const f = attributes[name];
    if (!f || f.old !== v.old || f.new !== v.new) attributes[name in attributes ? `conffile ${name}` : name] = v;
  }
  const out: ShownChange = { ...file, attributes, merged_key: conf.key, merged_from: conf };
  if (conf.diff) out.diff = file.diff ? `${file.diff}${conf.diff}` : conf.diff;
  if (conf.note && conf.note !== file.note) out.note = file.note ? `${file.note}; ${conf.note}` : conf.note;
  if (severityRank(conf.severity) > severityRank(file.severity)) {
    out.severity = conf.severity;
    if (conf.severity_reason) out.severity_reason = conf.severity_reason;
  }
  if (!out.logins && conf.logins) out.logins = conf.logins;
  return out;
}

const DIFF_HEADER = /^(?:---|\+\+\+|@@) /;

/** An added or removed text cut to `max` lines (its diff's header kept), with how many were left out. */
function cutText(diff: string, max: number): { diff: string; omitted: number } {
  const lines = diff.endsWith('\n') ? diff.slice(0, -1).split('\n') : diff.split('\n');
  let head = 0;
  while (head < lines.length && DIFF_HEADER.test(lines[head]!)) head++;
  const body = lines.length - head;
  if (body <= max) return { diff, omitted: 0 };
  return { diff: `${lines.slice(0, head + max).join('\n')}\n`, omitted: body - max };
}

/** Changes grouped by plugin, in first-seen order. */
function groupChanges(changes: readonly ReportChange[]): { plugin: string; changes: ReportChange[] }[] {
  const groups = new Map<string, ReportChange[]>();
  for (const c of changes) {
    let g = groups.get(c.plugin);
    if (!g) groups.set(c.plugin, (g = []));
    g.push(c);
  }
  return [...groups].map(([plugin, list]) => ({ plugin, changes: list }));
}

/**
 * A change as the templates get it: with `summary_attributes` when `describe` gives some, an
 * added or removed text cut to `maxDiffLines`, and its diff's length.
 */
function described(c: ShownChange, opts: Pick<RenderOptions, 'describe' | 'maxDiffLines'>): ShownChange {
  let shown = opts.describe?.(c);
  if (c.merged_from) {
    // What the conffile item adds to its file's description (`stored text`).
    const more = (opts.describe?.(c.merged_from) ?? []).filter((a) => !shown?.some((s) => s.name === a.name));
    if (more.length) shown = [...(shown ?? []), ...more];
  }
  let out: ShownChange = shown ? { ...c, summary_attributes: shown } : c;
  const max = opts.maxDiffLines ?? DEFAULT_MAX_DIFF_LINES;
  if (out.diff && out.change !== 'changed' && max > 0) {
    const cut = cutText(out.diff, max);
    if (cut.omitted) out = { ...out, diff: cut.diff, text_omitted: cut.omitted };
  }
  if (out.diff) out = { ...out, diff_lines: out.diff.split('\n').length - (out.diff.endsWith('\n') ? 1 : 0) };
  return out;
}

/** Critical first, then high; within a level in report order. */
function byLevel(a: { rank: number; pos: number }, b: { rank: number; pos: number }): number {
  return b.rank - a.rank || a.pos - b.pos;
}

/**
 * The changes of a whole report as shown: those below `minSeverity` left out (counted), each
 * conffile change merged into its file's, and split into NEEDS ATTENTION (critical and high,
 * not annotated; highest first), the other unexplained ones and the explained ones.
 */
function arrange(changes: readonly ReportChange[], opts: RenderOptions): { attention: ShownChange[]; unexplained: ShownChange[]; explained: ShownChange[]; belowMin: number } {
  const kept = changes.filter((c) => atLeast(c, opts.minSeverity));
  // A conffile change is shown with its file's change when it comes first, as it does in key
  // order (conffile:// sorts before file://): so a stream pairs them in one pass, the same way.
  const conffiles = new Map<string, ReportChange>();
  const merged = new Set<string>();
  const entries: ShownChange[] = [];
  for (const c of kept) {
    if (c.plugin === 'conffile') conffiles.set(c.key, c);
    const partner = c.plugin === 'file' ? conffiles.get(partnerKey(c) ?? '') : undefined;
    if (partner && mergeable(c, partner)) {
      merged.add(partner.key);
      entries.push(mergeConffile(c, partner));
    } else entries.push(c);
  }
  const attention: { rank: number; pos: number; c: ShownChange }[] = [];
  const unexplained: ShownChange[] = [];
  const explained: ShownChange[] = [];
  entries.forEach((c, pos) => {
    if (c.plugin === 'conffile' && merged.has(c.key)) return;
    const shown = described(c, opts);
    if (needsAttention(c)) attention.push({ rank: severityRank(c.severity), pos, c: shown });
    else if (c.explained_by) explained.push(shown);
    else unexplained.push(shown);
  });
  return { attention: attention.sort(byLevel).map((a) => a.c), unexplained, explained, belowMin: changes.length - kept.length };
}

/** How many changes of each level the report has, from its summary or else its changes. */
function levelCounts(report: Pick<Report, 'summary'> & { changes?: readonly ReportChange[] }): Record<SeverityLevel, number> {
  return report.summary.by_severity ?? severityCounts(report.changes ?? []);
}

/** What the templates get about levels: the highest, its count, the counts. */
function severityContext(report: Pick<Report, 'summary'> & { changes?: readonly ReportChange[] }, opts: RenderOptions) {
  const counts = levelCounts(report);
  const top = [...SEVERITY_LEVELS].reverse().find((l) => counts[l] > 0);
  return {
    severity: top ?? null,
    severity_count: top ? counts[top] : 0,
    severity_counts: counts,
    min_severity: opts.minSeverity ?? null,
  };
}

function templateContext(report: Report, opts: RenderOptions = {}): Record<string, unknown> {
  const max = opts.maxChanges ?? Number.POSITIVE_INFINITY;
  // NEEDS ATTENTION first; then the unexplained changes in full; those explained by a package
  // operation are collapsed under their package.
  const { attention, unexplained, explained, belowMin } = arrange(report.changes, opts);
  const attentionShown = attention.length > max ? attention.slice(0, max) : attention;
  const room = Math.max(0, max - attentionShown.length);
  const shown = unexplained.length > room ? unexplained.slice(0, room) : unexplained;
  const byPackage = new Map<string, ShownChange[]>();
  for (const c of explained) {
    const list = byPackage.get(c.explained_by!) ?? [];
    list.push(c);
    byPackage.set(c.explained_by!, list);
  }
  return {
    report,
    attention: attentionShown,
    attention_group: { count: attention.length, counts: severityCounts(attention) },
    // Templates written before NEEDS ATTENTION existed list `groups` only: there the
    // attention changes stay in their collector's group. The bundled ones use other_groups.
    groups: groupChanges([...attentionShown.filter((c) => !c.explained_by), ...shown]).map((g) => ({ ...g, count: g.changes.length })),
    other_groups: groupChanges(shown).map((g) => ({ ...g, count: g.changes.length })),
    explained_groups: [
      ...[...byPackage].map(([pkg, changes]) => ({ package: pkg, changes, count: changes.length + (report.omitted?.explained[pkg] ?? 0) })),
      ...Object.entries(report.omitted?.explained ?? {})
        .filter(([pkg]) => !byPackage.has(pkg))
        .map(([pkg, n]) => ({ package: pkg, changes: [], count: n })),
    ],
    shown,
    omitted: attention.length - attentionShown.length + unexplained.length - shown.length + (report.omitted?.unexplained ?? 0),
    below_min: belowMin,
    change_count: report.changes.length + omittedCount(report),
    ...severityContext(report, opts),
    version: programVersion(),
    partials: opts.partials ?? [],
    command_hint: `syschangemon print-report -r ${report.uuid}`,
    content_hint: `syschangemon print-report -r ${report.uuid} --format json`,
  };
}

/** How many changes a bounded copy of a report left out (see loadReport). */
function omittedCount(report: Report): number {
  const o = report.omitted;
  return o ? o.unexplained + Object.values(o.explained).reduce((a, b) => a + b, 0) : 0;
}

export function renderReport(report: Report, format: RenderFormat, opts: RenderOptions = {}): string {
  const name = format === 'html' ? 'report.html.njk' : 'report.txt.njk';
  return visibleControls(env(opts.templateDir, format === 'html').render(name, templateContext(report, opts)).replace(/^\s*\n/, ''));
}

/** The mail subject: the configured template string if any, else `subject.txt.njk`. */
export function renderSubject(report: Report, subjectTemplate: string | undefined, opts: RenderOptions = {}): string {
  const e = env(opts.templateDir, false);
  const ctx = { ...templateContext(report, opts), ...report, summary: report.summary };
  const text = subjectTemplate ? e.renderString(subjectTemplate, ctx) : e.render('subject.txt.njk', ctx);
  return visibleControls(text.replace(/\s+/g, ' ').trim());
}

/**
 * A stored report's changes, read as often as needed instead of held in memory.
 * `all()` yields every change in stored order with its position; `at()` reads the changes at
 * the given positions, in the order given.
 */
export interface ChangeSource {
  all(): Iterable<{ pos: number; change: ReportChange }>;
  at(positions: readonly number[]): Iterable<ReportChange>;
}

type Macro = (...args: unknown[]) => unknown;

/** The macros a report template must export to be printed streaming (templates/README.md). */
const STREAM_MACROS = ['head', 'change', 'tail'] as const;

/** Output is handed on in pieces of about this many characters. */
const STREAM_CHUNK = 64 * 1024;

interface Group {
  /** `plugin` for a group of unexplained changes, `package` for explained ones. */
  name: string;
  /** What the template sees: `{ plugin, count }` or `{ package, count }`. */
  value: Record<string, unknown>;
  count: number;
  positions: number[];
}

function groupOf(groups: Map<string, Group>, name: string, field: string): Group {
  let g = groups.get(name);
  if (!g) groups.set(name, (g = { name, value: { [field]: name, count: 0 }, count: 0, positions: [] }));
  return g;
}

/** What the first pass keeps of a conffile change: enough to pair it with its file's. */
interface ConffileSeen {
  pos: number;
  change: ReportChange['change'];
  explained_by?: string;
  severity?: SeverityLevel;
  annotation?: ReportChange['annotation'];
  /** Where it was counted, to take it back out when its file's entry shows it. */
  group?: Group;
  attention?: boolean;
}

/**
 * Render a stored report piece by piece with the macros its template exports (head,
 * attention_head, attention_change, attention_tail, group_head, change, group_tail,
 * explained_head, explained_group_head, explained_change, explained_group_tail, tail; see
 * templates/README.md), handing each piece to `write` and waiting for it, so a report of any
 * size renders in bounded memory. The output is the same as renderReport() of the whole
 * report. Returns false, having written nothing, when the template does not export head,
 * change and tail: the caller renders it whole instead.
 */
export async function streamReport(
  head: Omit<Report, 'changes'>,
  source: ChangeSource,
  format: RenderFormat,
  opts: Pick<RenderOptions, 'templateDir' | 'describe' | 'minSeverity' | 'maxDiffLines' | 'partials'>,
  writeRaw: (chunk: string) => Promise<void>,
): Promise<boolean> {
  // Whatever the changes hold is shown, never obeyed, by the terminal that prints it.
  const write = (chunk: string): Promise<void> => writeRaw(visibleControls(chunk));
  const min = opts.minSeverity;
  // The conffile changes seen, to show each with its file's change (stored after it) as one entry.
  const conffiles = new Map<string, ConffileSeen>();
  // One pass to count: NEEDS ATTENTION (by position, highest level first), the groups
  // (first-seen order, as groupChanges) with their sizes, and whether each group's changes are
  // stored together. Groups that are not (changes explained by different packages interleave)
  // are read back by position.
  const plugins = new Map<string, Group>();
  const packages = new Map<string, Group>();
  const attention: { rank: number; pos: number }[] = [];
  /** File change position → its conffile partner's position. */
  const partners = new Map<number, number>();
  const mergedConffiles = new Set<number>();
  let total = 0;
  let belowMin = 0;
  let pluginsTogether = true;
  let packagesTogether = true;
  let lastPlugin: string | undefined;
  let lastPackage: string | undefined;
  for (const { pos, change: c } of source.all()) {
    total++;
    if (!atLeast(c, min)) {
      belowMin++;
      continue;
    }
    let level = { severity: c.severity, annotation: c.annotation };
    if (c.plugin === 'conffile') conffiles.set(c.key, { pos, change: c.change, explained_by: c.explained_by, severity: c.severity, annotation: c.annotation });
    if (c.plugin === 'file') {
      const partner = conffiles.get(partnerKey(c) ?? '');
      if (partner && mergeable(c, partner)) {
        partners.set(pos, partner.pos);
        mergedConffiles.add(partner.pos);
        if (severityRank(partner.severity) > severityRank(c.severity)) level = { severity: partner.severity, annotation: c.annotation };
      }
    }
    const seen = c.plugin === 'conffile' ? conffiles.get(c.key) : undefined;
    if (needsAttention(level)) {
      attention.push({ rank: severityRank(level.severity), pos });
      if (seen) seen.attention = true;
    } else if (c.explained_by) {
      if (c.explained_by !== lastPackage && packages.has(c.explained_by)) packagesTogether = false;
      const g = groupOf(packages, c.explained_by, 'package');
      g.count++;
      g.positions.push(pos);
      lastPackage = c.explained_by;
      if (seen) seen.group = g;
    } else {
      if (c.plugin !== lastPlugin && plugins.has(c.plugin)) pluginsTogether = false;
      const g = groupOf(plugins, c.plugin, 'plugin');
      g.count++;
      g.positions.push(pos);
      lastPlugin = c.plugin;
      if (seen) seen.group = g;
    }
  }
  // A conffile change shown with its file's is taken out of where it was counted.
  for (const seen of conffiles.values()) {
    if (!mergedConffiles.has(seen.pos)) continue;
    if (seen.attention) {
      const i = attention.findIndex((a) => a.pos === seen.pos);
      if (i >= 0) attention.splice(i, 1);
    } else if (seen.group) {
      seen.group.count--;
      const i = seen.group.positions.indexOf(seen.pos);
      if (i >= 0) seen.group.positions.splice(i, 1);
    }
  }
  for (const groups of [plugins, packages]) for (const [name, g] of groups) if (g.count === 0) groups.delete(name);
  attention.sort(byLevel);
  for (const g of plugins.values()) {
    g.value.count = g.count;
    if (pluginsTogether) g.positions = [];
  }
  for (const g of packages.values()) {
    g.value.count = g.count;
    if (packagesTogether) g.positions = [];
  }

  const attentionGroup = { count: attention.length, counts: { critical: 0, high: 0, medium: 0, low: 0, info: 0 } as Record<SeverityLevel, number> };
  for (const a of attention) attentionGroup.counts[SEVERITY_LEVELS[a.rank]!]++;
  const ctx = {
    report: { ...head, changes: [] },
    attention: [],
    attention_group: attentionGroup,
    groups: [...plugins.values()].map((g) => g.value),
    other_groups: [...plugins.values()].map((g) => g.value),
    explained_groups: [...packages.values()].map((g) => g.value),
    shown: [],
    omitted: 0,
    below_min: belowMin,
    change_count: total,
    ...severityContext(head, opts),
    version: programVersion(),
    partials: opts.partials ?? [],
    command_hint: `syschangemon print-report -r ${head.uuid}`,
    content_hint: `syschangemon print-report -r ${head.uuid} --format json`,
  };
  const macros = exportedMacros(opts.templateDir, format, ctx);
  if (!macros) return false;
  const call = (name: string, ...args: unknown[]): string => {
    const m = macros[name];
    return m ? String(m(...args) ?? '') : '';
  };

  // Like renderReport: blank lines before the first text are dropped.
  let buf = '';
  let started = false;
  const emit = async (text: string): Promise<void> => {
    buf += text;
    if (!started) {
      if (!/\S/.test(buf)) return;
      buf = buf.replace(/^\s*\n/, '');
      started = true;
    }
    if (buf.length >= STREAM_CHUNK) {
      const chunk = buf;
      buf = '';
      await write(chunk);
    }
  };
  /** A change as shown: merged with its conffile partner, described. */
  const shownAt = (pos: number, c: ReportChange): ShownChange => {
    const p = partners.get(pos);
    if (p === undefined) return described(c, opts);
    const [conf] = [...source.at([p])];
    return described(conf ? mergeConffile(c, conf) : c, opts);
  };
  const emitGroups = async (
    groups: Map<string, Group>,
    together: boolean,
    explained: boolean,
    [headName, changeName, tailName]: [string, string, string],
  ): Promise<void> => {
    if (!macros[changeName]) {
      for (const g of groups.values()) await emit(call(headName, g.value) + call(tailName, g.value));
      return;
    }
    if (!together) {
      for (const g of groups.values()) {
        await emit(call(headName, g.value));
        let i = 0;
        for (const c of source.at(g.positions)) await emit(call(changeName, shownAt(g.positions[i++]!, c)));
        await emit(call(tailName, g.value));
      }
      return;
    }
    let current: Group | undefined;
    for (const { pos, change: c } of source.all()) {
      if (!c.explained_by !== !explained || !atLeast(c, min) || mergedConffiles.has(pos)) continue;
      if (needsAttention(c) || attentionSet.has(pos)) continue;
      const name = explained ? c.explained_by! : c.plugin;
      if (current?.name !== name) {
        if (current) await emit(call(tailName, current.value));
        current = groups.get(name)!;
        await emit(call(headName, current.value));
      }
      await emit(call(changeName, shownAt(pos, c)));
    }
    if (current) await emit(call(tailName, current.value));
  };
  const attentionSet = new Set(attention.map((a) => a.pos));

  await emit(call('head'));
  if (attention.length) {
    // A template without the attention macros shows these changes with its change macro.
    const headMacro = macros.attention_head ? 'attention_head' : 'group_head';
    const changeMacro = macros.attention_change ? 'attention_change' : 'change';
    const tailMacro = macros.attention_tail ? 'attention_tail' : 'group_tail';
    const value = macros.attention_head ? attentionGroup : { plugin: 'needs attention', count: attention.length };
    await emit(call(headMacro, value));
    const positions = attention.map((a) => a.pos);
    let i = 0;
    for (const c of source.at(positions)) await emit(call(changeMacro, shownAt(positions[i++]!, c)));
    await emit(call(tailMacro, value));
  }
  await emitGroups(plugins, pluginsTogether, false, ['group_head', 'change', 'group_tail']);
  await emit(call('explained_head'));
  await emitGroups(packages, packagesTogether, true, ['explained_group_head', 'explained_change', 'explained_group_tail']);
  await emit(call('tail'));
  if (!started) buf = buf.replace(/^\s*\n/, '');
  if (buf) await write(buf);
  return true;
}

/**
 * The macros the report template exports, bound to `ctx`, or undefined when it lacks one of
 * STREAM_MACROS. Getting them runs the template's body once with `ctx`, whose groups hold no
 * changes: cheap, and its output is dropped.
 */
function exportedMacros(templateDir: string | undefined, format: RenderFormat, ctx: object): Record<string, Macro> | undefined {
  const name = format === 'html' ? 'report.html.njk' : 'report.txt.njk';
  const tmpl = env(templateDir, format === 'html').getTemplate(name) as nunjucks.Template & {
    getExported(ctx: object, cb: (err: Error | null, exported: Record<string, unknown> | null) => void): void;
  };
  let result: Record<string, unknown> | null = null;
  let error: Error | null = null;
  let done = false;
  tmpl.getExported(ctx, (err, exported) => {
    error = err;
    result = exported;
    done = true;
  });
  if (error) throw error;
  if (!done || !result) throw new Error(`${name}: the template did not render synchronously`);
  const macros: Record<string, Macro> = {};
  for (const [k, v] of Object.entries(result as Record<string, unknown>)) if (typeof v === 'function') macros[k] = v as Macro;
  return STREAM_MACROS.every((m) => macros[m]) ? macros : undefined;
}
