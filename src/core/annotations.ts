/**
 * Annotations, for every collector: `annotations = /etc/syschangemon/annotations/<collector>.conf`
 * names an INI file whose sections are key globs (the globs of `src/core/glob.ts`, matched
 * against the whole key) with a `note` and an optional `service`. A change of a matching item
 * is expected (sec-tools' `verified`): it carries `annotation`, reports show it as expected
 * and never under NEEDS ATTENTION (src/core/severity.ts gives it info).
 *
 *     [ports://tcp/0.0.0.0/22]
 *     note = OpenSSH for the admins
 *     service = ssh
 */
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { OptionSpec } from '../types.js';
import { ConfigError } from '../errors.js';
import { decodeConfig, parseIni } from '../config/ini.js';
import { compileGlob, type Glob } from './glob.js';
import type { Report, ReportChange } from './report-model.js';

export interface Annotation {
  pattern: string;
  glob: Glob;
  note: string;
  service?: string;
  file: string;
  line: number;
}

export const ANNOTATIONS_OPTION: OptionSpec = {
  type: 'string',
  description: 'An INI file of expected items: [KEY_GLOB] sections with note (and service); matching changes are shown as expected.',
  check: (v) => (v === '' || (typeof v === 'string' && isAbsolute(v)) ? undefined : 'expected an absolute path'),
};

/** Parse an annotations file; a bad entry is a ConfigError naming file:line. */
export function parseAnnotations(text: string, file: string): Annotation[] {
  const ini = parseIni(text, file);
  const out: Annotation[] = [];
  if (ini.defaults) throw new ConfigError('[DEFAULT] has no meaning in an annotations file; name key globs', { file, line: ini.defaults.line });
  for (const s of ini.sections) {
    let glob: Glob;
    try {
      glob = compileGlob(s.name);
    } catch (err) {
      throw new ConfigError((err as Error).message, { file, line: s.line });
    }
    if (!s.name.includes('://')) throw new ConfigError(`[${s.name.slice(0, 80)}]: expected an item key glob such as ports://tcp/0.0.0.0/22`, { file, line: s.line });
    let note: string | undefined;
    let service: string | undefined;
    for (const e of s.entries) {
      if (e.key === 'note') note = e.value.trim();
      else if (e.key === 'service') service = e.value.trim() || undefined;
      else throw new ConfigError(`unknown key '${e.key.slice(0, 40)}' in [${s.name.slice(0, 80)}]; expected note, service`, { file, line: e.line });
    }
    if (!note) throw new ConfigError(`[${s.name.slice(0, 80)}] has no note (say why the item is expected)`, { file, line: s.line });
    out.push({ pattern: s.name, glob, note, ...(service ? { service } : {}), file, line: s.line });
  }
  return out;
}

/** Read and parse an annotations file. */
export function loadAnnotations(file: string): Annotation[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(`cannot read annotations file ${file}: ${code === 'ENOENT' ? 'does not exist' : code ?? (err as Error).message}`);
  }
  return parseAnnotations(decodeConfig(bytes, file), file);
}

/** The first annotation (in file order) whose glob matches the key. */
export function findAnnotation(list: readonly Annotation[], key: string): Annotation | undefined {
  return list.find((a) => a.glob.test(key));
}

/**
 * Mark the changes of each plugin that its annotations expect. A file that became unreadable
 * or bad since the configuration was loaded is a note, never a failed report.
 */
export function annotateReport(report: Report, files: ReadonlyMap<string, string>): void {
  const annotate = changeAnnotator(report, files);
  if (annotate) for (const c of report.changes) annotate(c);
}

/**
 * What annotateReport does to one change, for changes that arrive one by one; undefined when
 * no list applies. The lists are read once; one that cannot be read is a note of `report`.
 */
export function changeAnnotator(report: Pick<Report, 'notes'>, files: ReadonlyMap<string, string>): ((c: ReportChange) => void) | undefined {
  const lists = new Map<string, Annotation[]>();
  for (const [plugin, file] of files) {
    try {
      lists.set(plugin, loadAnnotations(file));
    } catch (err) {
      (report.notes ??= []).push(`${plugin}: annotations not applied: ${(err as Error).message}`);
    }
  }
  if (lists.size === 0) return undefined;
  return (c) => {
    const list = lists.get(c.plugin);
    const a = list && findAnnotation(list, c.key);
    if (a) c.annotation = { note: a.note, ...(a.service ? { service: a.service } : {}) };
  };
}
