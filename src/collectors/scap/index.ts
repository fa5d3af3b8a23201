/**
 * The `scap` collector: OpenSCAP rule results (`oscap xccdf eval`) and Docker Bench for
 * Security checks as items, so the report says which compliance rules went pass → fail.
 * A full evaluation runs at most every `interval`; in between the last results are carried.
 * Changed content (datastream, profile, tailoring, rule selection) forces a fresh evaluation.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, messageOf } from '../../errors.js';
import type { ComplianceTransition, LoginSession, Report, ReportChange } from '../../core/report-model.js';
import { displayPath } from '../../keys.js';
import type { CollectContext, Collector, OptionSchema, Options, ReportHookContext, ReportHooks } from '../../types.js';
import { optionValues } from '../common/index.js';
import { BENCH_SCHEME, BENCH_SUMMARY, collectDockerBench } from './docker-collect.js';
import { autoDatastream, evaluate, findOscap } from './oscap.js';
import { summarise } from './summary.js';
import { datastreamProfiles, mentionsProfile, parseXccdfFile, RESULTS } from './xccdf.js';
import { SCAP_ITEMS } from './items.js';
import { loadRuleMap, type MappedRule, type RuleMap, selectedRules, sha256File, tailoringProfiles } from './rulemap.js';
import { Fingerprinter, inputCovers, patternText } from '../common/inputs.js';
import { parseWatchState, transitionsBetween, type WatchState, type WatchTransition, watchStateName } from './watch-state.js';
import { prepareIndex, reducedDatastream } from './reduce.js';

const PROFILE_PREFIX = 'xccdf_org.ssgproject.content_profile_';
const RULE_PREFIX = 'xccdf_org.ssgproject.content_rule_';

export const SCAP_OPTIONS: OptionSchema = {
  datastream: { type: 'string', default: 'auto', description: 'SCAP source datastream file, or auto: the one for this OS in the usual content directories.' },
  profile: { type: 'string', default: '', description: 'XCCDF profile id (the xccdf_org.ssgproject.content_profile_ prefix may be left out).' },
  tailoring_file: { type: 'string', default: '', description: 'An XCCDF tailoring file.' },
  rules: { type: 'list', separator: 'commas', default: [], description: 'Evaluate only these rules (ids, prefix optional).' },
  skip_rules: { type: 'list', separator: 'commas', default: [], description: 'Rules never evaluated (ids, prefix optional).' },
  timeout: { type: 'duration', default: 3600, description: 'Seconds an evaluation may run before oscap is killed.' },
  interval: { type: 'duration', default: 7 * 86400, description: 'A full evaluation runs at most this often; between, the last results are carried. 0: every run.' },
  probe_root: { type: 'string', default: '', description: 'Evaluate a copied tree instead of / (sets OSCAP_PROBE_ROOT).' },
  incremental: {
    type: 'bool', default: true,
    description: 'Between full evaluations, re-evaluate the rules whose mapped input files changed (and the rules they require); false: carry everything until interval.',
  },
  docker_bench: {
    type: 'string', default: 'log', choices: ['log', 'run'],
    description: 'log: record the JSON log docker_bench_log names (if any); run: run the Docker Bench container on this host\'s Docker engine, at most every interval.',
  },
  docker_bench_log: { type: 'string', default: '', description: 'A Docker Bench for Security JSON log to record (docker_bench = log).' },
  docker_bench_image: { type: 'string', default: 'docker/docker-bench-security', description: 'The Docker Bench image (docker_bench = run).' },
};

const fullProfileId = (p: string) => (p.startsWith('xccdf_') ? p : `${PROFILE_PREFIX}${p}`);
export const shortProfileId = (p: string) => (p.startsWith(PROFILE_PREFIX) ? p.slice(PROFILE_PREFIX.length) : p);
const fullRuleId = (r: string) => (r.startsWith('xccdf_') ? r : `${RULE_PREFIX}${r}`);
const shortRuleId = (r: string) => (r.startsWith(RULE_PREFIX) ? r.slice(RULE_PREFIX.length) : r);

interface ScapOptions {
  datastream: string;
  profile: string;
  tailoring: string;
  rules: string[];
  skipRules: string[];
  timeoutMs: number;
  intervalMs: number;
  probeRoot: string;
  incremental: boolean;
  dockerBench: 'log' | 'run';
  dockerBenchLog: string;
  dockerBenchImage: string;
}

function scapOptions(o: Options): ScapOptions {
  const v = optionValues(SCAP_OPTIONS, o);
  return {
    datastream: v.string('datastream'),
    profile: v.string('profile'),
    tailoring: v.string('tailoring_file'),
    rules: v.list('rules').map(fullRuleId),
    skipRules: v.list('skip_rules').map(fullRuleId),
    timeoutMs: v.number('timeout') * 1000,
    intervalMs: v.number('interval') * 1000,
    probeRoot: v.string('probe_root'),
    incremental: v.bool('incremental'),
    dockerBench: v.string('docker_bench') === 'run' ? 'run' : 'log',
    dockerBenchLog: v.string('docker_bench_log'),
    dockerBenchImage: v.string('docker_bench_image', { nonEmpty: true }),
  };
}

function readOsRelease(): string {
  try {
    return fs.readFileSync('/etc/os-release', 'utf8');
  } catch {
    return '';
  }
}

function resolveDatastream(o: ScapOptions): string | undefined {
  return o.datastream === 'auto' ? autoDatastream(readOsRelease()) : o.datastream;
}

/** What the results depend on: datastream, tailoring, profile and rule selection. */
function contentHash(datastreamSha: string, o: ScapOptions): string {
  const h = createHash('sha256');
  h.update(datastreamSha);
  if (o.tailoring) h.update(fs.readFileSync(o.tailoring));
  h.update(JSON.stringify([fullProfileId(o.profile), o.rules, o.skipRules]));
  return h.digest('hex');
}

/** The rule map of the configured datastream and the rules the profile selects (with their `requires`). */
export interface ProfileMap {
  datastream: string;
  profile: string;
  map: RuleMap;
  /** Selected rules (full ids), sorted. */
  selected: string[];
  cached: boolean;
}

/**
 * The rule → inputs map for a profile: scap.conf's options, `profile` / `datastream`
 * overriding them when given. The map is cached in `cacheDir` per datastream sha256.
 */
export function profileMap(options: Options, cacheDir: string | undefined, over: { profile?: string; datastream?: string } = {}, sha?: string): ProfileMap {
  const o = scapOptions(options);
  if (over.profile) o.profile = over.profile;
  if (over.datastream) o.datastream = over.datastream;
  if (!o.profile) throw new Error('no profile: set profile in scap.conf or pass --profile');
  const datastream = resolveDatastream(o);
  if (!datastream) throw new Error('no SCAP content for this OS in the usual directories; set datastream in scap.conf or pass --datastream');
  const { map, cached } = loadRuleMap(datastream, cacheDir, sha);
  const profile = fullProfileId(o.profile);
  const tailoring = o.tailoring ? tailoringProfiles(o.tailoring) : undefined;
  const selected = selectedRules(map, profile, { tailoring, only: o.rules, skip: o.skipRules });
  return { datastream, profile, map, selected, cached };
}

/** What an evaluation outside the collector (watch) needs of scap.conf. */
export function scapEvalSettings(options: Options): { tailoring: string; probeRoot: string; timeoutMs: number } {
  const o = scapOptions(options);
  return { tailoring: o.tailoring, probeRoot: o.probeRoot, timeoutMs: o.timeoutMs };
}

/** The rules to name with --rule for these: each with the rules it requires (oscap does not add them, OpenSCAP #1814). */
export function withRequires(map: RuleMap, rules: Iterable<string>, selected: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  for (const r of rules) {
    out.add(r);
    for (const q of map.rules[r]?.requires ?? []) if (selected.has(q)) out.add(q);
  }
  return [...out].sort();
}

export type { MappedRule };

/**
 * The datastream a partial evaluation of `rules` reads: a reduced copy that holds only them
 * (cached in the storage directory; oscap then loads a few hundred kilobytes instead of the
 * whole datastream), or the whole datastream when no copy can be made, with the reason.
 */
export function partialDatastream(
  datastream: string,
  sha: string,
  rules: string[],
  profile: string,
  tailoring: string,
  cacheDir: string | undefined,
): { file: string; reduced: boolean; why?: string } {
  if (!cacheDir) return { file: datastream, reduced: false, why: 'no storage directory' };
  try {
    // A tailoring file's profile may extend any of the datastream's: they all stay then.
    return { file: reducedDatastream(datastream, sha, rules, tailoring ? [] : [profile], cacheDir).file, reduced: true };
  } catch (err) {
    return { file: datastream, reduced: false, why: messageOf(err) };
  }
}

/** The line of oscap's stderr that says what went wrong (its WARNINGs are about remote content). */
function oscapError(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('WARNING:'));
  const line = lines.find((l) => /error/i.test(l)) ?? lines[0] ?? 'no message';
  return line.replace(/\s*\[[^\]]*\.c:\d+\]$/, '');
}

/** The storage directory (from init): where the rule maps are cached. */
let stateDir: string | undefined;

/** The dpkg status file: a package operation changes it, and then everything is evaluated afresh. */
const DPKG_STATUS = '/var/lib/dpkg/status';

/** Rules classes whose file inputs are watched between full evaluations (fswide walks are not). */
const FILE_TRIGGERED = new Set(['files', 'runtime', 'dynamic']);

interface Plan {
  full: boolean;
  why: string;
  /** Rules to evaluate (full ids), with their requires, when not full. */
  rules: string[];
  /** Fingerprint of each selected rule's inputs now, by full id (absent: not fingerprinted). */
  fingerprints: Map<string, string>;
  dpkg: string;
  /** Selected rules per class. */
  classes: Record<string, number>;
  selected: string[];
  /** Rules syschangemon watch evaluated with the inputs they have now: their items. */
  fromWatch: Map<string, Record<string, string>>;
}

/**
 * What this run evaluates: everything (first run, content, dpkg status or interval changed,
 * `collect --full`, no usable map) or only the rules whose mapped inputs changed since their
 * last evaluation, with the rules they require.
 */
function plan(ctx: CollectContext, o: ScapOptions, options: Options, datastream: string, hash: string, dsSha: string, prefix: string): Plan {
  const fp = new Fingerprinter(o.probeRoot);
  const dpkg = fp.stat(DPKG_STATUS);
  const prev = ctx.previous(`${prefix}_summary`);
  const last = typeof prev?.attributes.evaluated_at === 'string' ? Date.parse(prev.attributes.evaluated_at) : Number.NaN;
  const out: Plan = { full: true, why: '', rules: [], fingerprints: new Map(), dpkg, classes: {}, selected: [], fromWatch: new Map() };
  let pm: ProfileMap | undefined;
  if (o.incremental) {
    try {
      pm = profileMap(options, stateDir, { datastream }, dsSha);
    } catch (err) {
      ctx.note(`scap: ${shortProfileId(fullProfileId(o.profile))}: no rule map (${messageOf(err)}): every rule is evaluated`);
    }
  }
  if (pm) {
    out.selected = pm.selected;
    for (const r of pm.selected) {
      const m = pm.map.rules[r]!;
      out.classes[m.class] = (out.classes[m.class] ?? 0) + 1;
      if (FILE_TRIGGERED.has(m.class) && (m.literal.length || m.pattern.length || m.implicit.length)) out.fingerprints.set(r, fp.inputs(m));
    }
  }
  if (!prev) out.why = 'first evaluation';
  else if (prev.attributes.content_sha256 !== hash) out.why = 'content changed (datastream, tailoring, profile or rule selection)';
  else if (!(Date.now() - last < o.intervalMs)) out.why = `interval (${o.intervalMs / 1000} s) passed since ${prev.attributes.evaluated_at}`;
  else if (ctx.full) out.why = 'collect --full';
  else if (ctx.rescan) out.why = 'collect --rescan';
  else if (!pm) out.why = ''; // not incremental (or no map): carried until interval, as without one
  else if (prev.attributes.dpkg_status !== dpkg) out.why = typeof prev.attributes.dpkg_status === 'string' ? 'the dpkg status changed (a package operation)' : 'no input fingerprints from the last evaluation';
  else out.full = false;
  if (out.full || !pm) return out;
  const changed: string[] = [];
  const watch = ctx.shared ? parseWatchState(ctx.shared(watchStateName(shortProfileId(pm.profile)))) : undefined;
  const watchUsable = watch && watch.datastream_sha256 === dsSha && watch.profile === pm.profile;
  for (const [r, f] of out.fingerprints) {
    const item = ctx.previous(`${prefix}${shortRuleId(r)}`);
    if (item && item.attributes.inputs === f) continue;
    // syschangemon watch already evaluated these very inputs: its result is taken, not evaluated again.
    const w = watchUsable ? watch.rules[r] : undefined;
    if (item && w && w.inputs === f) out.fromWatch.set(r, { ...item.attributes, result: w.result, inputs: f } as Record<string, string>);
    else changed.push(r);
  }
  out.rules = changed.length ? withRequires(pm.map, changed, new Set(pm.selected)) : [];
  for (const r of out.rules) out.fromWatch.delete(r);
  return out;
}

async function collectScap(ctx: CollectContext, o: ScapOptions, options: Options): Promise<void> {
  if (!o.profile) return;
  const profile = fullProfileId(o.profile);
  const short = shortProfileId(profile);
  const prefix = `scap://${short}/`;
  const keep = () => ctx.carryPrevious((i) => i.key.startsWith(prefix));
  const datastream = resolveDatastream(o);
  if (!datastream) {
    ctx.note(`scap: no SCAP content for this OS in the usual directories; set datastream in scap.conf`);
    keep();
    return;
  }
  const bin = findOscap();
  if (!bin) {
    ctx.note('scap: oscap is not installed (Debian: apt install openscap-scanner); compliance not evaluated');
    keep();
    return;
  }
  const dsSha = sha256File(datastream);
  const hash = contentHash(dsSha, o);
  const summaryKey = `${prefix}_summary`;
  const prev = ctx.previous(summaryKey);
  const p = plan(ctx, o, options, datastream, hash, dsSha, prefix);
  const classText = Object.entries(p.classes)
    .map(([c, n]) => `${n} ${c}`)
    .join(', ');
  if (!p.full && p.fromWatch.size) {
    for (const [id, attributes] of p.fromWatch) ctx.add({ key: `${prefix}${shortRuleId(id)}`, attributes });
    ctx.note(`scap: ${short}: ${p.fromWatch.size} rule result${p.fromWatch.size === 1 ? '' : 's'} taken from syschangemon watch (${[...p.fromWatch.keys()].map(shortRuleId).slice(0, 8).join(', ')}), not evaluated again`);
  }
  if (!p.full && !p.rules.length) {
    if (p.fromWatch.size) {
      const statuses = [...p.fromWatch.values()].map((a) => a.result!);
      ctx.carryPrevious((i) => {
        if (!i.key.startsWith(prefix) || i.key === summaryKey) return false;
        if (typeof i.attributes.result === 'string') statuses.push(i.attributes.result);
        return true;
      });
      const s = summarise(statuses as (typeof RESULTS)[number][], RESULTS);
      ctx.add({ key: summaryKey, attributes: { ...prev!.attributes, ...s.counts, total: s.total, score: s.score } });
      return;
    }
    keep();
    ctx.note(`scap: ${short}: no mapped input changed since the last evaluation; results carried (full evaluation at ${prev?.attributes.evaluated_at}, interval ${o.intervalMs / 1000} s; rules: ${classText})`);
    return;
  }
  if (p.full && !p.why) {
    // incremental = false and within the interval: the old behaviour, everything carried.
    keep();
    ctx.note(`scap: ${short}: results of the evaluation at ${prev?.attributes.evaluated_at} carried (interval ${o.intervalMs / 1000} s)`);
    return;
  }
  if (p.full) ctx.debug(`${short}: full evaluation: ${p.why}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'syschangemon-scap-'));
  try {
    const resultsFile = path.join(tmp, 'results.xml');
    const started = new Date().toISOString();
    const ds = p.full ? { file: datastream, reduced: false } : partialDatastream(datastream, dsSha, p.rules, profile, o.tailoring, stateDir);
    if (!p.full && !ds.reduced) ctx.note(`scap: ${short}: no reduced datastream for the partial evaluation (${ds.why}); oscap reads the whole one`);
    const r = await evaluate({
      bin,
      datastream: ds.file,
      profile,
      tailoring: o.tailoring || undefined,
      rules: p.full ? o.rules : p.rules,
      // A reduced datastream holds no other rule to skip.
      skipRules: ds.reduced ? [] : o.skipRules,
      resultsFile,
      timeoutMs: o.timeoutMs,
      probeRoot: o.probeRoot || undefined,
      // oscap validated this very content at the last evaluation (validation costs ~0.4 s); a
      // reduced copy is that content with elements left out.
      skipValid: ds.reduced || prev?.attributes.content_sha256 === hash,
    });
    // oscap: 0 all passed, 2 some rule failed, 1 an error.
    if (r.timedOut) throw new Error(`oscap timed out after ${o.timeoutMs / 1000} s; the previous results stay the comparison base`);
    if (r.exitCode !== 0 && r.exitCode !== 2) {
      throw new Error(`oscap exited ${r.exitCode}: ${oscapError(r.stderr)}; the previous results stay the comparison base`);
    }
    const results = parseXccdfFile(resultsFile);
    const byResult = new Map<string, string>();
    for (const rule of results.rules) {
      const attributes: Record<string, string> = { result: rule.result, severity: rule.severity, title: rule.title };
      if (rule.ident) attributes.ident = rule.ident;
      if (rule.message) attributes.message = rule.message;
      // The fingerprint taken before oscap read the files: a change during the evaluation is seen next run.
      const f = p.fingerprints.get(rule.id);
      if (f) attributes.inputs = f;
      ctx.add({ key: `${prefix}${shortRuleId(rule.id)}`, attributes });
      byResult.set(rule.id, rule.result);
    }
    const completed = new Date().toISOString();
    if (p.full) {
      // The index the reduced datastreams of later partial evaluations are cut from.
      if (o.incremental && stateDir) {
        try {
          if (prepareIndex(datastream, dsSha, stateDir)) ctx.debug(`${short}: datastream index built for partial evaluations`);
        } catch (err) {
          ctx.note(`scap: ${short}: the datastream index for partial evaluations could not be built (${messageOf(err)}); the first partial evaluation tries again`);
        }
      }
      const s = summarise(results.rules.map((x) => x.result), RESULTS);
      ctx.add({
        key: summaryKey,
        attributes: { ...s.counts, total: s.total, score: s.score, evaluated_at: started, completed_at: completed, content_sha256: hash, datastream, profile, dpkg_status: p.dpkg },
      });
      return;
    }
    // Partial: the other rules keep their last results; the summary counts all of them.
    const statuses = [...byResult.values(), ...[...p.fromWatch.values()].map((a) => a.result!)];
    ctx.carryPrevious((i) => {
      if (!i.key.startsWith(prefix) || i.key === summaryKey) return false;
      if (typeof i.attributes.result === 'string') statuses.push(i.attributes.result);
      return true;
    });
    const s = summarise(statuses as (typeof RESULTS)[number][], RESULTS);
    ctx.add({
      key: summaryKey,
      attributes: { ...prev!.attributes, ...s.counts, total: s.total, score: s.score, partial_at: started, partial_rules: results.rules.length },
    });
    const names = p.rules.map(shortRuleId);
    ctx.note(
      `scap: ${short}: ${names.length} rule${names.length === 1 ? '' : 's'} whose inputs changed re-evaluated (${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''}); the others carried from the full evaluation at ${prev!.attributes.evaluated_at} (rules: ${classText}; runtime, dynamic and fswide on interval ${o.intervalMs / 1000} s)`,
    );
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** The profile name Docker Bench checks are listed under in compliance transitions (PatchMon's type). */
const BENCH_PROFILE = 'docker-bench';

const SEVERITY: Record<string, number> = { high: 0, medium: 1, low: 2, unknown: 3 };
const BAD = new Set(['fail', 'error']);

/** Order of a transition in the report: regressions, fixes, other changes, rules that appeared, rules that left. */
function category(t: ComplianceTransition): number {
  if (t.new !== null && BAD.has(t.new)) return 0;
  if (t.new === null) return 4;
  if (t.old === null) return 3;
  if (BAD.has(t.old)) return 1;
  return 2;
}

/** The report's order of transitions: by category, then severity, profile and rule. */
function byReportOrder(a: ComplianceTransition, b: ComplianceTransition): number {
  return (
    category(a) - category(b) ||
    (SEVERITY[a.severity] ?? 9) - (SEVERITY[b.severity] ?? 9) ||
    a.profile.localeCompare(b.profile) ||
    a.rule.localeCompare(b.rule)
  );
}

/**
 * Compliance transitions of a report, worst first: regressions (→ fail or error, by severity),
 * then fixes, other result changes, rules that appeared and rules that left the profile. On a
 * profile's first evaluation (its summary item is added) only failures are listed. `known` gives
 * the stored attributes of a rule item, for the title and severity a change does not repeat
 * when only the result changed.
 */
export function complianceTransitions(report: Pick<Report, 'changes'>, known: (key: string) => Record<string, unknown> | undefined = () => undefined): ComplianceTransition[] {
  const firstEvaluation = new Set(
    report.changes.filter((c) => c.plugin === 'scap' && c.change === 'added' && c.key.endsWith('/_summary')).map((c) => c.key.slice('scap://'.length, -'/_summary'.length)),
  );
  if (report.changes.some((c) => c.plugin === 'scap' && c.change === 'added' && c.key === BENCH_SUMMARY)) firstEvaluation.add(BENCH_PROFILE);
  const out: ComplianceTransition[] = [];
  for (const c of report.changes) {
    if (c.plugin !== 'scap' || c.key.endsWith('/_summary') || c.key === BENCH_SUMMARY) continue;
    let profile: string;
    let rule: string;
    if (c.key.startsWith('scap://')) {
      const rest = c.key.slice('scap://'.length);
      profile = rest.slice(0, rest.indexOf('/'));
      rule = rest.slice(profile.length + 1);
    } else if (c.key.startsWith(BENCH_SCHEME) && c.key !== BENCH_SCHEME) {
      profile = BENCH_PROFILE;
      rule = c.key.slice(BENCH_SCHEME.length);
    } else continue;
    const res = c.attributes.result;
    if (!res) continue;
    const oldR = res.old === null || res.old === undefined ? null : String(res.old);
    const newR = res.new === null || res.new === undefined ? null : String(res.new);
    // A first evaluation adds every rule: only failures are worth a line then.
    if (oldR === null && firstEvaluation.has(profile) && !BAD.has(newR ?? '')) continue;
    const stored = known(c.key);
    const title = c.attributes.title?.new ?? c.attributes.title?.old ?? c.attributes.desc?.new ?? c.attributes.desc?.old ?? stored?.title ?? stored?.desc;
    const severity = c.attributes.severity?.new ?? c.attributes.severity?.old ?? stored?.severity;
    out.push({ profile, rule, title: String(title ?? ''), severity: String(severity ?? ''), old: oldR, new: newR });
  }
  return out.sort(byReportOrder);
}

/** Attributes that change with every evaluation without the results changing. */
const FINGERPRINT_ONLY = new Set(['inputs', 'partial_at', 'partial_rules', 'dpkg_status']);

/**
 * Whether a change is only new input fingerprints or partial-evaluation times: left out of the
 * report, except those of the rules in `keep` (watch saw them flip and flip back: the report
 * must not be empty).
 */
function fingerprintOnly(c: ReportChange, keep: ReadonlySet<string>): boolean {
  return c.plugin === 'scap' && c.change === 'changed' && !keep.has(c.key) && Object.keys(c.attributes).every((a) => FINGERPRINT_ONLY.has(a));
}

const strip = (root: string, p: string) => (root && root !== '/' && p.startsWith(`${root}/`) ? p.slice(root.length) : p);

/** A transition whose causes are linked as the file changes pass. */
interface Link {
  t: ComplianceTransition;
  rule: MappedRule;
  causes: NonNullable<ComplianceTransition['caused_by']>;
  logins: Map<string, LoginSession>;
}

/**
 * For each transition of a rule re-evaluated because its inputs changed (a partial
 * evaluation): the files it reads (`inputs`, set now) and a Link to gather the report's
 * changes of them (with their diffs) and who was logged in when they changed. `changes` are
 * the scap changes the report keeps. Throws when a rule map cannot be read; `out` keeps the
 * links made before.
 */
function linksOf(o: ScapOptions, transitions: ComplianceTransition[], attrs: Map<string, Record<string, unknown>>, changes: ReportChange[], out: Link[]): void {
  const maps = new Map<string, RuleMap>();
  for (const t of transitions) {
    if (t.profile === BENCH_PROFILE || t.old === null || t.new === null) continue;
    const summary = attrs.get(`scap://${t.profile}/_summary`);
    const key = `scap://${t.profile}/${t.rule}`;
    const item = attrs.get(key);
    // Only a rule evaluated in a partial run has a known cause: its input files changed.
    if (!summary || !item || typeof summary.partial_at !== 'string' || typeof summary.datastream !== 'string') continue;
    const changesOfRule = changes.find((c) => c.key === key);
    if (!changesOfRule?.attributes.inputs) continue;
    let map = maps.get(summary.datastream);
    if (!map) maps.set(summary.datastream, (map = loadRuleMap(summary.datastream, stateDir).map));
    const rule = map.rules[fullRuleId(t.rule)];
    if (!rule) continue;
    t.inputs = [...rule.literal, ...rule.pattern.map(patternText), ...rule.implicit];
    out.push({ t, rule, causes: [], logins: new Map() });
  }
}

/** A file or conffile change as it passes: a cause of the links whose rule reads it. */
function linkChange(links: Link[], root: string, c: ReportChange): void {
  if (c.plugin !== 'file' && c.plugin !== 'conffile') return;
  const p = strip(root, displayPath(c.key));
  for (const l of links) {
    if (!inputCovers(l.rule, p)) continue;
    l.causes.push({ key: c.key, plugin: c.plugin, change: c.change, ...(c.diff ? { diff: c.diff } : {}) });
    for (const x of c.logins ?? []) l.logins.set(JSON.stringify(x), x);
  }
}

/** After the changes passed: the causes found, else who was logged in at the input files' modification times. */
function finishLinks(report: Report, links: Link[], root: string): void {
  for (const { t, rule, causes, logins } of links) {
    if (causes.length) {
      t.caused_by = causes;
      if (logins.size) t.logins = [...logins.values()];
      continue;
    }
    // No collector covers the files: who was logged in at their modification times.
    const times: number[] = [];
    for (const p of [...rule.literal, ...rule.implicit]) {
      try {
        const st = fs.lstatSync(root ? path.join(root, p) : p);
        if (st.ctimeMs >= Date.parse(report.old_session.started_at)) times.push(st.ctimeMs);
      } catch {
        // gone: nothing to date
      }
    }
    const open = (report.logins ?? []).filter((l) => times.some((x) => Date.parse(l.login) <= x && (l.logout === null || x <= Date.parse(l.logout))));
    if (open.length) t.logins = open;
  }
}

interface Seen {
  profile: string;
  t: WatchTransition;
  state: WatchState;
}

/** The result changes syschangemon watch logged between the two sessions, for the profiles of the new session. */
function watchSeen(ctx: ReportHookContext): Seen[] {
  const out: Seen[] = [];
  for (const i of ctx.newItems('scap')) {
    if (!i.key.startsWith('scap://') || !i.key.endsWith('/_summary')) continue;
    const profile = i.key.slice('scap://'.length, -'/_summary'.length);
    const text = ctx.shared!(watchStateName(profile));
    if (!text) continue;
    const state = parseWatchState(text);
    for (const t of transitionsBetween(state, ctx.report.old_session.started_at, ctx.report.new_session.started_at)) out.push({ profile, t, state });
  }
  return out;
}

/**
 * The result changes syschangemon watch logged between the old and the new session, each under
 * its rule's transition; a rule that flipped and flipped back (no change between the two
 * sessions) gets an entry of its own, its current result on both sides.
 */
function addWatchTransitions(ctx: ReportHookContext, seen: Seen[], transitions: ComplianceTransition[]): ComplianceTransition[] {
  if (!seen.length) return transitions;
  const out = [...transitions];
  const current = new Map<string, Record<string, unknown>>();
  for (const i of ctx.newItems('scap')) current.set(i.key, i.attributes);
  for (const { profile, t: w, state } of seen) {
    const rule = shortRuleId(w.rule);
    let t = out.find((x) => x.profile === profile && x.rule === rule);
    if (!t) {
      const a = current.get(`scap://${profile}/${rule}`) ?? {};
      const now = typeof a.result === 'string' ? a.result : (state.rules[w.rule]?.result ?? w.new);
      t = { profile, rule, title: String(a.title ?? state.rules[w.rule]?.title ?? ''), severity: String(a.severity ?? w.severity ?? ''), old: now, new: now };
      out.push(t);
    }
    (t.watch ??= []).push({ at: w.at, old: w.old, new: w.new, file: w.file });
  }
  return out.sort(byReportOrder);
}

export const scapCollector: Collector = {
  name: 'scap',
  description: 'OpenSCAP rule results and Docker Bench checks, tracked over time.',
  options: SCAP_OPTIONS,
  items: SCAP_ITEMS,
  init(options, env) {
    stateDir = env?.stateDir;
    const o = scapOptions(options);
    if (!o.profile && !o.dockerBenchLog && o.dockerBench !== 'run') {
      throw new ConfigError('[scap] set profile (and datastream), docker_bench_log, or docker_bench = run');
    }
    if (o.tailoring && !fs.existsSync(o.tailoring)) throw new ConfigError(`[scap] tailoring_file ${o.tailoring} does not exist`);
    if (!o.profile) return;
    if (o.datastream !== 'auto' && !fs.existsSync(o.datastream)) throw new ConfigError(`[scap] datastream ${o.datastream} does not exist`);
    // With auto and no content for this OS, collect() notes it and the other collectors run.
    const datastream = resolveDatastream(o);
    if (!datastream) return;
    // A tailoring file may define the profile (a tailored copy of a datastream's profile).
    const sources = [datastream, ...(o.tailoring ? [o.tailoring] : [])];
    const id = fullProfileId(o.profile);
    if (sources.some((f) => mentionsProfile(f, id))) return;
    const profiles = sources.flatMap((f) => {
      try {
        return datastreamProfiles(f);
      } catch (err) {
        throw new ConfigError(`[scap] ${f === datastream ? 'datastream' : 'tailoring_file'} ${messageOf(err)}`);
      }
    });
    if (!profiles.some((p) => p.id === id)) {
      throw new ConfigError(`[scap] profile '${o.profile}' is not in ${sources.join(' or ')}; available: ${profiles.map((p) => shortProfileId(p.id)).join(', ')}`);
    }
  },
  async collect(ctx, options) {
    const o = scapOptions(options);
    await collectDockerBench(ctx, { mode: o.dockerBench, log: o.dockerBenchLog, image: o.dockerBenchImage, timeoutMs: o.timeoutMs, intervalMs: o.intervalMs });
    await collectScap(ctx, o, options);
  },
  reportHooks(ctx: ReportHookContext, options: Options): ReportHooks | undefined {
    const scapChanges = ctx.pluginChanges('scap');
    // What syschangemon watch saw between the two runs shows even when the rule is back where it was.
    const seen = ctx.shared ? watchSeen(ctx) : [];
    if (!scapChanges.length && !seen.length) return undefined;
    const keep = new Set(seen.map((s) => `scap://${s.profile}/${shortRuleId(s.t.rule)}`));
    const drop = (c: ReportChange) => fingerprintOnly(c, keep);
    const kept = scapChanges.filter((c) => !drop(c));
    const attrs = new Map<string, Record<string, unknown>>();
    for (const items of [ctx.oldItems('scap'), ctx.newItems('scap')]) for (const i of items) attrs.set(i.key, i.attributes);
    const transitions = addWatchTransitions(ctx, seen, complianceTransitions({ changes: kept }, (key) => attrs.get(key)));
    if (!transitions.length) return { change: (c) => !drop(c) };
    const o = scapOptions(options ?? {});
    const root = o.probeRoot ? path.resolve(o.probeRoot) : '';
    const links: Link[] = [];
    let failure: string | undefined;
    try {
      linksOf(o, transitions, attrs, kept, links);
    } catch (err) {
      failure = messageOf(err);
    }
    return {
      change(c) {
        if (drop(c)) return false;
        if (links.length) linkChange(links, root, c);
        return true;
      },
      finish() {
        finishLinks(ctx.report, links, root);
        if (failure !== undefined) (ctx.report.notes ??= []).push(`scap: the causes of the compliance changes could not be linked: ${failure}`);
        ctx.report.compliance = transitions;
      },
    };
  },
};
