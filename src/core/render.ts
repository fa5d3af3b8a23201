/**
 * Renders reports with the nunjucks templates: `report.txt.njk`, `report.html.njk` and
 * `subject.txt.njk`, looked up first in the configured `template_dir`, then in the bundled
 * templates. HTML is autoescaped: everything taken from the system renders as text.
 * The variables each template gets are documented in templates/README.md.
 * A report is rendered whole (renderReport: mail, which holds a bounded part of it) or, for
 * print-report, streamed part by part with the macros its template exports (streamReport).
 */
import { packageRows } from './package-rows.js';
import nunjucks from 'nunjucks';
import { bundledTemplateDir, programVersion } from './paths.js';
import type { ShownAttribute } from './items.js';
import { visibleControls } from './visible.js';
import type { Report, ReportChange } from './report-model.js';

export type RenderFormat = 'text' | 'html';

const envs = new Map<string, nunjucks.Environment>();

function env(templateDir: string | undefined, html: boolean): nunjucks.Environment {
  const id = `${templateDir ?? ''}\0${html}`;
  let e = envs.get(id);
  if (!e) {
    const dirs = [templateDir, bundledTemplateDir()].filter((d): d is string => !!d);
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
    envs.set(id, e);
  }
  return e;
}

/** An attribute value for display: absent is "-". */
function formatValue(v: unknown): string {
  return v === null || v === undefined ? '-' : String(v);
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

/** A change as the templates get it: with `summary_attributes` when `describe` gives some. */
function described<C extends ReportChange>(c: C, describe: RenderOptions['describe']): C {
  const shown = describe?.(c);
  return shown ? { ...c, summary_attributes: shown } : c;
}

function templateContext(report: Report, opts: RenderOptions = {}): Record<string, unknown> {
  const max = opts.maxChanges ?? Number.POSITIVE_INFINITY;
  // Changes explained by a package operation are collapsed under their package; the
  // unexplained ones come first and in full.
  const changes = opts.describe ? report.changes.map((c) => described(c, opts.describe)) : report.changes;
  const unexplained = changes.filter((c) => !c.explained_by);
  const explained = changes.filter((c) => c.explained_by);
  const shown = unexplained.length > max ? unexplained.slice(0, max) : unexplained;
  const byPackage = new Map<string, ReportChange[]>();
  for (const c of explained) {
    const list = byPackage.get(c.explained_by!) ?? [];
    list.push(c);
    byPackage.set(c.explained_by!, list);
  }
  return {
    report,
    groups: groupChanges(shown).map((g) => ({ ...g, count: g.changes.length })),
    explained_groups: [
      ...[...byPackage].map(([pkg, changes]) => ({ package: pkg, changes, count: changes.length + (report.omitted?.explained[pkg] ?? 0) })),
      ...Object.entries(report.omitted?.explained ?? {})
        .filter(([pkg]) => !byPackage.has(pkg))
        .map(([pkg, n]) => ({ package: pkg, changes: [], count: n })),
    ],
    shown,
    omitted: unexplained.length - shown.length + (report.omitted?.unexplained ?? 0),
    change_count: report.changes.length + omittedCount(report),
    version: programVersion(),
    command_hint: `syschangemon print-report -r ${report.uuid}`,
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

/**
 * Render a stored report piece by piece with the macros its template exports (head, group_head,
 * change, group_tail, explained_head, explained_group_head, explained_change,
 * explained_group_tail, tail; see templates/README.md), handing each piece to `write` and
 * waiting for it, so a report of any size renders in bounded memory. The output is the same
 * as renderReport() of the whole report. Returns false, having written nothing, when the
 * template does not export head, change and tail: the caller renders it whole instead.
 */
export async function streamReport(
  head: Omit<Report, 'changes'>,
  source: ChangeSource,
  format: RenderFormat,
  opts: Pick<RenderOptions, 'templateDir' | 'describe'>,
  writeRaw: (chunk: string) => Promise<void>,
): Promise<boolean> {
  // Whatever the changes hold is shown, never obeyed, by the terminal that prints it.
  const write = (chunk: string): Promise<void> => writeRaw(visibleControls(chunk));
  // One pass to count: the groups (first-seen order, as groupChanges) with their sizes, and
  // whether each group's changes are stored together. Groups that are not (changes explained
  // by different packages interleave) are read back by position.
  const plugins = new Map<string, Group>();
  const packages = new Map<string, Group>();
  let total = 0;
  let pluginsTogether = true;
  let packagesTogether = true;
  let lastPlugin: string | undefined;
  let lastPackage: string | undefined;
  for (const { pos, change: c } of source.all()) {
    total++;
    if (c.explained_by) {
      if (c.explained_by !== lastPackage && packages.has(c.explained_by)) packagesTogether = false;
      const g = groupOf(packages, c.explained_by, 'package');
      g.count++;
      g.positions.push(pos);
      lastPackage = c.explained_by;
    } else {
      if (c.plugin !== lastPlugin && plugins.has(c.plugin)) pluginsTogether = false;
      const g = groupOf(plugins, c.plugin, 'plugin');
      g.count++;
      g.positions.push(pos);
      lastPlugin = c.plugin;
    }
  }
  for (const g of plugins.values()) {
    g.value.count = g.count;
    if (pluginsTogether) g.positions = [];
  }
  for (const g of packages.values()) {
    g.value.count = g.count;
    if (packagesTogether) g.positions = [];
  }

  const ctx = {
    report: { ...head, changes: [] },
    groups: [...plugins.values()].map((g) => g.value),
    explained_groups: [...packages.values()].map((g) => g.value),
    shown: [],
    omitted: 0,
    change_count: total,
    version: programVersion(),
    command_hint: `syschangemon print-report -r ${head.uuid}`,
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
        for (const c of source.at(g.positions)) await emit(call(changeName, described(c, opts.describe)));
        await emit(call(tailName, g.value));
      }
      return;
    }
    let current: Group | undefined;
    for (const { change: c } of source.all()) {
      if (!c.explained_by !== !explained) continue;
      const name = explained ? c.explained_by! : c.plugin;
      if (current?.name !== name) {
        if (current) await emit(call(tailName, current.value));
        current = groups.get(name)!;
        await emit(call(headName, current.value));
      }
      await emit(call(changeName, described(c, opts.describe)));
    }
    if (current) await emit(call(tailName, current.value));
  };

  await emit(call('head'));
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
