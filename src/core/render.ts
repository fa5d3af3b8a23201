/**
 * Renders reports with the nunjucks templates: `report.txt.njk`, `report.html.njk` and
 * `subject.txt.njk`, looked up first in the configured `template_dir`, then in the bundled
 * templates. HTML is autoescaped: everything taken from the system renders as text.
 * The variables each template gets are documented in templates/README.md.
 */
import nunjucks from 'nunjucks';
import { bundledTemplateDir, programVersion } from './paths.js';
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
    e.addFilter('fmt', formatValue);
    e.addFilter('repeat', (s: string, n: number) => String(s).repeat(Math.max(0, Math.floor(Number(n) || 0))));
    e.addFilter('diffclass', diffClass);
    envs.set(id, e);
  }
  return e;
}

/** An attribute value for display: absent is "-". */
export function formatValue(v: unknown): string {
  return v === null || v === undefined ? '-' : String(v);
}

/** The CSS class of a unified diff line. */
export function diffClass(line: string): string {
  if (line.startsWith('+++') || line.startsWith('---')) return 'dh';
  if (line.startsWith('@@')) return 'dk';
  if (line.startsWith('+')) return 'da';
  if (line.startsWith('-')) return 'dd';
  if (line.startsWith('\\')) return 'dn';
  return 'dc';
}

export interface RenderOptions {
  templateDir?: string;
  /** Show at most this many changes; the rest are counted (mail). */
  maxChanges?: number;
}

/** Changes grouped by plugin, in first-seen order. */
export function groupChanges(changes: readonly ReportChange[]): { plugin: string; changes: ReportChange[] }[] {
  const groups = new Map<string, ReportChange[]>();
  for (const c of changes) {
    let g = groups.get(c.plugin);
    if (!g) groups.set(c.plugin, (g = []));
    g.push(c);
  }
  return [...groups].map(([plugin, list]) => ({ plugin, changes: list }));
}

export function templateContext(report: Report, opts: RenderOptions = {}): Record<string, unknown> {
  const max = opts.maxChanges ?? Number.POSITIVE_INFINITY;
  // Changes explained by a package operation are collapsed under their package; the
  // unexplained ones come first and in full.
  const unexplained = report.changes.filter((c) => !c.explained_by);
  const explained = report.changes.filter((c) => c.explained_by);
  const shown = unexplained.length > max ? unexplained.slice(0, max) : unexplained;
  const byPackage = new Map<string, ReportChange[]>();
  for (const c of explained) {
    const list = byPackage.get(c.explained_by!) ?? [];
    list.push(c);
    byPackage.set(c.explained_by!, list);
  }
  return {
    report,
    groups: groupChanges(shown),
    explained_groups: [
      ...[...byPackage].map(([pkg, changes]) => ({ package: pkg, changes, count: changes.length + (report.omitted?.explained[pkg] ?? 0) })),
      ...Object.entries(report.omitted?.explained ?? {})
        .filter(([pkg]) => !byPackage.has(pkg))
        .map(([pkg, n]) => ({ package: pkg, changes: [], count: n })),
    ],
    shown,
    omitted: unexplained.length - shown.length + (report.omitted?.unexplained ?? 0),
    version: programVersion(),
    command_hint: `syschangemon print-report -r ${report.uuid}`,
  };
}

export function renderReport(report: Report, format: RenderFormat, opts: RenderOptions = {}): string {
  const name = format === 'html' ? 'report.html.njk' : 'report.txt.njk';
  return env(opts.templateDir, format === 'html').render(name, templateContext(report, opts)).replace(/^\s*\n/, '');
}

/** The mail subject: the configured template string if any, else `subject.txt.njk`. */
export function renderSubject(report: Report, subjectTemplate: string | undefined, opts: RenderOptions = {}): string {
  const e = env(opts.templateDir, false);
  const ctx = { ...templateContext(report, opts), ...report, summary: report.summary };
  const text = subjectTemplate ? e.renderString(subjectTemplate, ctx) : e.render('subject.txt.njk', ctx);
  return text.replace(/\s+/g, ' ').trim();
}
