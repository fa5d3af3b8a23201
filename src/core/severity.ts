/**
 * Severity of each change: `critical`, `high`, `medium`, `low` or `info`, with the reason, set
 * on every change of a report after the collectors' report hooks ran (the packages hook sets
 * `explained_by`, which makes a change `info`). The highest level is `summary.severity`.
 *
 * The level of a change is decided in this order; the first that applies wins:
 *  1. the configured `[severity]` rules, in the order of the config file;
 *  2. an annotation (the item is expected): info;
 *  3. a package operation explains it (`explained_by`): info;
 *  4. the built-in rules below and the collector's own (`Collector.severity`): the highest;
 *  5. otherwise medium, or low when only volatile attributes (times, link counts) changed.
 */
import type { AttrValue, Collector } from '../types.js';
import { splitKey } from '../keys.js';
import { compileGlob, type Glob } from './glob.js';
import { specFor } from './items.js';
import type { Report, ReportChange, SeverityLevel } from './report-model.js';

export type { SeverityLevel } from './report-model.js';

/** The levels, lowest first. */
export const SEVERITY_LEVELS: readonly SeverityLevel[] = ['info', 'low', 'medium', 'high', 'critical'];

/** A level with the reason for it, as a rule gives it. */
export interface SeverityVerdict {
  level: SeverityLevel;
  reason: string;
}

/** The rank of a level (info 0 … critical 4); -1 for anything else. */
export function severityRank(level: unknown): number {
  return SEVERITY_LEVELS.indexOf(level as SeverityLevel);
}

export function isSeverityLevel(v: unknown): v is SeverityLevel {
  return severityRank(v) >= 0;
}

/** Whether a change is shown at the given minimum (a change stored without a level counts as medium). */
export function atLeast(c: Pick<ReportChange, 'severity'>, min: SeverityLevel | undefined): boolean {
  if (!min) return true;
  const r = severityRank(c.severity);
  return (r < 0 ? severityRank('medium') : r) >= severityRank(min);
}

/** Whether a change belongs in NEEDS ATTENTION: critical or high, and not annotated as expected. */
export function needsAttention(c: Pick<ReportChange, 'severity' | 'annotation'>): boolean {
  return !c.annotation && severityRank(c.severity) >= severityRank('high');
}

/** The value a change shows for an attribute: the new one, or the old one of a removed item. */
export function shownValue(c: ReportChange, name: string): AttrValue | undefined {
  const a = c.attributes[name];
  if (!a) return undefined;
  return c.change === 'removed' ? a.old : a.new;
}

// ---- configured rules ------------------------------------------------------------------

/** One `[severity] rule.<name> = LEVEL KEY_GLOB [CONDITION …]`. */
export interface SeverityRule {
  name: string;
  level: SeverityLevel;
  glob: Glob;
  pattern: string;
  conditions: RuleCondition[];
}

type RuleCondition =
  | { kind: 'change'; changes: string[] }
  | { kind: 'attribute'; name: string }
  | { kind: 'value'; name: string; negate: boolean; value: RegExp };

const ATTRIBUTE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** `*` any characters, `?` one: a glob over an attribute's value (the whole value). */
function valueGlob(text: string): RegExp {
  const src = text.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${src}$`, 's');
}

/**
 * Parse one rule's value; throws `Error('expected …')` naming what is wrong.
 * `LEVEL KEY_GLOB [CONDITION …]`, conditions:
 *   `change=added|removed|changed` (several joined by `|`),
 *   `ATTR` (the attribute changed; for an added or removed item: it has one),
 *   `ATTR=VALUE` / `ATTR!=VALUE` (its new value, the old one of a removed item, matches the
 *   glob VALUE: `*` any characters, `?` one).
 */
export function parseSeverityRule(name: string, text: string): SeverityRule {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const [level, pattern, ...rest] = words;
  if (!level || !isSeverityLevel(level)) {
    throw new Error(`expected LEVEL KEY_GLOB [CONDITION ...] with LEVEL one of ${SEVERITY_LEVELS.join(', ')}; got '${level ?? ''}'`);
  }
  if (!pattern) throw new Error(`expected a key glob after '${level}' (e.g. file:///etc/nginx/**)`);
  let glob: Glob;
  try {
    glob = compileGlob(pattern);
  } catch (err) {
    throw new Error(`bad key glob '${pattern}': ${(err as Error).message}`);
  }
  const conditions: RuleCondition[] = [];
  for (const w of rest) {
    const m = /^([^=!]+)(!?=)(.*)$/.exec(w);
    if (!m) {
      if (!ATTRIBUTE.test(w)) throw new Error(`bad condition '${w}': expected ATTR, ATTR=VALUE, ATTR!=VALUE or change=added|removed|changed`);
      conditions.push({ kind: 'attribute', name: w });
      continue;
    }
    const [, attr, op, value] = m as unknown as [string, string, string, string];
    if (attr === 'change') {
      const changes = value.split('|');
      const bad = changes.find((c) => !['added', 'removed', 'changed'].includes(c));
      if (bad !== undefined || op !== '=') throw new Error(`bad condition '${w}': expected change=added, change=removed, change=changed (several joined by |)`);
      conditions.push({ kind: 'change', changes });
      continue;
    }
    if (!ATTRIBUTE.test(attr)) throw new Error(`bad condition '${w}': '${attr}' is not an attribute name`);
    conditions.push({ kind: 'value', name: attr, negate: op === '!=', value: valueGlob(value) });
  }
  return { name, level, glob, pattern, conditions };
}

/** The rules of a parsed `[severity]` section, in file order. */
export function severityRules(section: Record<string, unknown> | undefined): SeverityRule[] {
  const out: SeverityRule[] = [];
  for (const [key, value] of Object.entries(section ?? {})) {
    if (!key.startsWith('rule.')) continue;
    out.push(parseSeverityRule(key.slice(5), String(value)));
  }
  return out;
}

/** The option check of `rule.<name>`: the value parses. */
export function checkSeverityRule(value: unknown): string | undefined {
  try {
    parseSeverityRule('rule', String(value));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function ruleMatches(rule: SeverityRule, c: ReportChange): boolean {
  if (!rule.glob.test(c.key)) return false;
  for (const cond of rule.conditions) {
    if (cond.kind === 'change') {
      if (!cond.changes.includes(c.change)) return false;
    } else if (cond.kind === 'attribute') {
      if (!(cond.name in c.attributes)) return false;
    } else {
      const v = shownValue(c, cond.name);
      const hit = v !== undefined && v !== null && cond.value.test(String(v));
      if (hit === cond.negate) return false;
    }
  }
  return true;
}

// ---- built-in rules for files ------------------------------------------------------------

/** Directories of a root's PATH (and cron's and sudo's secure_path). */
const PATH_DIRS = new Set(['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']);

/** Paths whose change is high, whatever changed: what an intruder edits to stay. */
const HIGH_PATHS: { test: (path: string) => boolean; what: string }[] = [
  { test: (p) => /^\/etc\/sudoers(?:$|[./~-])/.test(p), what: 'sudo configuration' },
  { test: (p) => p === '/etc/pam.d' || p.startsWith('/etc/pam.d/') || p === '/etc/pam.conf', what: 'PAM configuration' },
  { test: (p) => /^\/(?:usr\/)?lib\/(?:[^/]+\/)?security\/[^/]+$/.test(p), what: 'PAM module' },
  { test: (p) => /^\/etc\/ssh\/sshd_config(?:$|[./~-])/.test(p), what: 'sshd configuration' },
  { test: (p) => /(?:^|\/)authorized_keys2?$/.test(p), what: 'SSH authorized keys' },
  { test: (p) => p === '/etc/crontab' || p === '/etc/anacrontab' || /^\/etc\/cron\.(?:d|hourly|daily|weekly|monthly|yearly)(?:$|\/)/.test(p) || /^\/var\/spool\/cron(?:$|\/)/.test(p), what: 'cron' },
  { test: (p) => /^\/(?:etc|run|usr\/lib|lib|usr\/local\/lib)\/systemd\/(?:system|user)(?:$|[./-])/.test(p) || /^\/(?:etc|usr\/lib|lib)\/systemd\/(?:system|user)-generators(?:$|\/)/.test(p), what: 'systemd unit' },
  { test: (p) => p === '/etc/ld.so.preload', what: 'ld.so.preload' },
];

/** Account databases: a change of their metadata (owner, mode, ACL, …) is high. */
const ACCOUNT_FILES = new Set(['/etc/passwd', '/etc/group', '/etc/shadow', '/etc/gshadow']);
/** What changes when an account tool rewrites such a file, and so is not its metadata. */
const CONTENT_ATTRIBUTES = new Set(['sha256', 'size', 'mtime', 'ctime', 'inode', 'nlink']);

const SCHEMES_WITH_PATHS = new Set(['file', 'conffile']);

function modeBits(v: AttrValue | undefined): number | undefined {
  if (typeof v !== 'string' || !/^[0-7]{1,6}$/.test(v)) return undefined;
  return parseInt(v, 8);
}

/** What the built-in file rules say of a change of a file:// or conffile:// item. */
function fileVerdicts(c: ReportChange, typeOf: () => AttrValue | undefined, unknownOwner: () => string): SeverityVerdict[] {
  const { scheme, rest: path } = splitKey(c.key);
  if (!SCHEMES_WITH_PATHS.has(scheme)) return [];
  const out: SeverityVerdict[] = [];
  const mode = c.attributes.mode;
  if (c.change !== 'removed') {
    const oldBits = c.change === 'added' ? 0 : modeBits(mode?.old) ?? 0;
    const newBits = modeBits(mode?.new);
    if (newBits !== undefined) {
      const gained = newBits & ~oldBits;
      // setgid on a directory only makes new files inherit its group: not a privilege.
      if (gained & 0o6000 && (c.attributes.type ? shownValue(c, 'type') : typeOf()) !== 'dir') {
        const what = [gained & 0o4000 ? 'setuid' : '', gained & 0o2000 ? 'setgid' : ''].filter(Boolean).join(' and ');
        out.push({ level: 'critical', reason: c.change === 'added' ? `new ${what} file` : `${what} gained` });
      }
    }
    const caps = c.attributes.caps;
    if (caps && caps.new !== undefined && caps.new !== null && caps.new !== '') {
      out.push({ level: 'critical', reason: caps.old ? `capabilities changed to ${caps.new}` : `capability added: ${caps.new}` });
    }
  }
  const slash = path.lastIndexOf('/');
  const dir = slash > 0 ? path.slice(0, slash) : '/';
  if (c.change === 'added' && scheme === 'file' && PATH_DIRS.has(dir)) {
    const bits = modeBits(mode?.new) ?? 0;
    const type = shownValue(c, 'type');
    if ((type === 'file' || type === 'symlink') && (type === 'symlink' || bits & 0o111)) {
      if (c.owner_package === null) out.push({ level: 'high', reason: `new executable in ${dir} that no package owns` });
      // Without the packages collector's lists nothing says whether a package brought it: say
      // so, and leave the level to the other rules (a package upgrade adds such files too).
      else if (c.owner_package === undefined) out.push({ level: 'medium', reason: `new executable in ${dir}, owner unknown (${unknownOwner()})` });
    }
  }
  for (const h of HIGH_PATHS) {
    if (h.test(path)) {
      out.push({ level: 'high', reason: `${h.what} ${c.change}` });
      break;
    }
  }
  if (ACCOUNT_FILES.has(path)) {
    const meta = Object.keys(c.attributes).filter((a) => !CONTENT_ATTRIBUTES.has(a));
    if (c.change !== 'changed' || meta.length) {
      out.push({ level: 'high', reason: c.change === 'changed' ? `account database ${meta.join(', ')} changed` : `account database ${c.change}` });
    }
  }
  return out;
}

// ---- assigning ----------------------------------------------------------------------------

/** What deciding a level may look up besides the change. */
export interface SeverityContext {
  /** The collectors, by name (their item declarations and own rules). */
  collectors: readonly Pick<Collector, 'name' | 'items' | 'severity'>[];
  /** The configured rules. */
  rules: readonly SeverityRule[];
  /** The new session's attributes of a key (a changed item lists only what differs). */
  item?: (key: string) => Record<string, AttrValue> | undefined;
  /** The names of the enabled collectors (to say why a file's package owner is unknown). */
  enabled?: ReadonlySet<string>;
}

function highest(verdicts: SeverityVerdict[]): SeverityVerdict | undefined {
  let best: SeverityVerdict | undefined;
  for (const v of verdicts) if (!best || severityRank(v.level) > severityRank(best.level)) best = v;
  return best;
}

/** The level of one change, with why. */
export function changeSeverity(c: ReportChange, ctx: SeverityContext, byName: Map<string, Pick<Collector, 'name' | 'items' | 'severity'>>): SeverityVerdict {
  for (const r of ctx.rules) if (ruleMatches(r, c)) return { level: r.level, reason: `rule ${r.name}` };
  if (c.annotation) return { level: 'info', reason: `expected: ${c.annotation.note}` };
  if (c.explained_by) return { level: 'info', reason: `explained by ${c.explained_by}` };
  const collector = byName.get(c.plugin);
  const verdicts = fileVerdicts(
    c,
    () => ctx.item?.(c.key)?.type,
    () => (ctx.enabled && !ctx.enabled.has('packages') ? 'packages collector disabled' : 'no earlier packages session to compare with'),
  );
  if (c.differs_from_package) verdicts.push({ level: 'high', reason: `differs from package ${c.differs_from_package}` });
  if (collector?.severity) {
    try {
      const own = collector.severity(c);
      if (own && isSeverityLevel(own.level)) verdicts.push(own);
    } catch {
      // A collector's rule that fails on odd data leaves the built-in level.
    }
  }
  const best = highest(verdicts);
  if (best) return best;
  const spec = collector && c.change === 'changed' ? specFor(collector, c.key) : undefined;
  const names = Object.keys(c.attributes);
  if (spec && names.length && !c.diff && names.every((n) => spec.attributes[n]?.volatile)) {
    return { level: 'low', reason: `only ${names.join(', ')} changed` };
  }
  return { level: 'medium', reason: '' };
}

/** Set `severity` (and `severity_reason`) on every change and `summary.severity`. */
export function assignSeverities(report: Report, ctx: SeverityContext): void {
  const assigner = severityAssigner(ctx);
  for (const c of report.changes) assigner.assign(c);
  assigner.finish(report.summary);
}

/**
 * What assignSeverities does, for changes that arrive one by one: `assign` sets each change's
 * level, `finish` writes `summary.severity` and `summary.by_severity` of all assigned.
 */
export function severityAssigner(ctx: SeverityContext): { assign(c: ReportChange): void; finish(summary: Report['summary']): void } {
  const byName = new Map(ctx.collectors.map((c) => [c.name, c]));
  let top = -1;
  const counts: Record<SeverityLevel, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  return {
    assign(c) {
      const v = changeSeverity(c, ctx, byName);
      c.severity = v.level;
      if (v.reason) c.severity_reason = v.reason;
      else delete c.severity_reason;
      top = Math.max(top, severityRank(v.level));
      if (isSeverityLevel(c.severity)) counts[c.severity]++;
    },
    finish(summary) {
      summary.severity = top >= 0 ? SEVERITY_LEVELS[top]! : null;
      summary.by_severity = { ...counts };
    },
  };
}

/** How many changes of each level, highest first, for the subject and headings. */
export function severityCounts(changes: Iterable<Pick<ReportChange, 'severity'>>): Record<SeverityLevel, number> {
  const counts: Record<SeverityLevel, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const c of changes) if (isSeverityLevel(c.severity)) counts[c.severity]++;
  return counts;
}
