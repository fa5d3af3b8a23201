/**
 * The `sca` collector: Security Configuration Assessment policies (Wazuh's YAML format)
 * evaluated natively. Each check is an item `sca://<policy>/<check>` whose `result` is passed,
 * failed or not applicable, so the report lists exactly the checks whose state changed.
 * A changed policy file re-baselines its results (one note instead of one change per check).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, messageOf } from '../../errors.js';
import { APP_ROOT } from '../../core/paths.js';
import type { ComplianceTransition, ReportChange } from '../../core/report-model.js';
import type { Attributes, CollectContext, Collector, OptionSchema, Options, ReportHookContext, ReportHooks } from '../../types.js';
import { type CheckOutcome, evaluatePolicy } from './evaluate.js';
import { loadPolicy, type Policy, PolicyError } from './policy.js';
import { SCA_ITEMS } from './items.js';

export const SCA_OPTIONS: OptionSchema = {
  policies: {
    type: 'list', separator: 'commas', default: ['debian12'],
    description: 'Policy files (absolute paths), or names of bundled policies (debian12: the Debian 12 policy shipped with syschangemon).',
  },
  root: { type: 'string', default: '/', description: 'Evaluate file and directory rules under this directory instead of / (commands and processes are the host\'s).' },
  allow_commands: {
    type: 'string', default: 'auto', choices: ['auto', 'true', 'false'],
    description: 'Run the policies\' command (c:) rules: auto runs them only for policy files owned by root (or the running user) and not writable by group or others.',
  },
  interval: { type: 'duration', default: 0, description: 'A policy is evaluated at most this often; between, its last results are carried. 0: every run.' },
  timeout: { type: 'duration', default: 30, description: 'Seconds one command rule may run before its process group is killed (the rule is then not applicable).' },
  max_output: { type: 'size', default: 1024 * 1024, description: 'Bytes of a command\'s output that rules are matched against.' },
  parallel: { type: 'int', default: 4, description: 'Command rules run at the same time.', check: (v) => ((v as number) >= 1 ? undefined : 'expected at least 1') },
};

const SCHEME = 'sca://';
const SUMMARY = '_summary';

interface ScaOptions {
  policies: string[];
  root: string;
  allowCommands: 'auto' | 'true' | 'false';
  intervalMs: number;
  timeoutMs: number;
  maxOutput: number;
  parallel: number;
}

function scaOptions(o: Options): ScaOptions {
  return {
    policies: ((o.policies as string[] | undefined) ?? ['debian12']).map(policyPath),
    root: String(o.root || '/'),
    allowCommands: (['true', 'false'].includes(String(o.allow_commands)) ? String(o.allow_commands) : 'auto') as ScaOptions['allowCommands'],
    intervalMs: Number(o.interval ?? 0) * 1000,
    timeoutMs: Number(o.timeout ?? 30) * 1000,
    maxOutput: Number(o.max_output ?? 1024 * 1024),
    parallel: Number(o.parallel ?? 4),
  };
}

/** The directory of the bundled policies. */
export const BUNDLED_POLICIES = path.join(APP_ROOT, 'etc', 'syschangemon', 'sca');

/** A bare name (no '/') is a bundled policy. */
export function policyPath(p: string): string {
  return p.includes('/') ? p : path.join(BUNDLED_POLICIES, `${p}.yml`);
}

/** Wazuh's remote_commands gate, locally: only a policy nobody else can edit may run commands. */
export function trustedPolicy(file: string): { ok: boolean; why?: string } {
  const me = process.getuid?.() ?? 0;
  for (const p of [file, path.dirname(file)]) {
    const st = fs.statSync(p);
    if (st.uid !== 0 && st.uid !== me) return { ok: false, why: `${p} is owned by uid ${st.uid}` };
    if (st.mode & 0o022) return { ok: false, why: `${p} is writable by group or others` };
  }
  return { ok: true };
}

/** SHA-256 over the sorted `id:result` lines: the results checksum Wazuh syncs with. */
export function resultsChecksum(results: Map<string, string>): string {
  const ids = [...results.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const h = createHash('sha256');
  for (const id of ids) h.update(`${id}:${results.get(id)}\n`);
  return h.digest('hex');
}

/** Evidence without the line number, so an edit elsewhere in the file is not a change of the check. */
function evidenceText(e: string | undefined): string | undefined {
  if (!e) return undefined;
  const m = /^([^:]+):(\d+): /.exec(e);
  return m ? `${m[1]}: ${e.slice(m[0].length)}` : e;
}

function checkAttributes(title: string, compliance: string, o: CheckOutcome): Attributes {
  const a: Attributes = { result: o.result, title };
  if (compliance) a.compliance = compliance;
  if (o.reason) a.reason = o.reason;
  if (o.rule) a.rule = o.rule;
  const ev = evidenceText(o.evidence);
  if (ev) a.evidence = ev;
  return a;
}

async function collectPolicy(ctx: CollectContext, file: string, o: ScaOptions): Promise<void> {
  let bytes: Buffer;
  let policy: Policy;
  try {
    bytes = fs.readFileSync(file);
    policy = loadPolicy(file, bytes);
  } catch (err) {
    // The last results stay the comparison base until the policy can be read again.
    const id = /^policy:\s*\n(?:[ \t]+.*\n)*?[ \t]+id:\s*["']?([A-Za-z0-9_.-]+)/m.exec(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '')?.[1];
    if (id) ctx.carryPrevious((i) => i.key.startsWith(`${SCHEME}${id}/`));
    ctx.error(`${SCHEME}${id ?? path.basename(file)}`, `policy ${file}: ${messageOf(err)}`);
    return;
  }
  const prefix = `${SCHEME}${policy.id}/`;
  const summaryKey = `${prefix}${SUMMARY}`;
  const prev = ctx.previous(summaryKey);
  const last = typeof prev?.attributes.evaluated_at === 'string' ? Date.parse(prev.attributes.evaluated_at) : Number.NaN;
  if (prev && prev.attributes.policy_sha256 === policy.sha256 && o.intervalMs > 0 && Date.now() - last < o.intervalMs) {
    ctx.carryPrevious((i) => i.key.startsWith(prefix));
    ctx.debug(`sca: ${policy.id}: results of ${prev.attributes.evaluated_at} carried (interval ${o.intervalMs / 1000} s)`);
    return;
  }
  let allowCommands = o.allowCommands === 'true';
  if (o.allowCommands === 'auto' && policy.usesCommands) {
    const t = trustedPolicy(file);
    allowCommands = t.ok;
    if (!t.ok) ctx.note(`sca: ${policy.id}: command rules not run: ${t.why} (set allow_commands = true to run them anyway)`);
  }
  const started = new Date().toISOString();
  const t0 = Date.now();
  const { requirements, checks } = await evaluatePolicy(policy, {
    root: o.root,
    allowCommands,
    timeoutMs: o.timeoutMs,
    maxOutput: o.maxOutput,
    parallel: o.parallel,
  });
  const counts = { passed: 0, failed: 0, not_applicable: 0 };
  const results = new Map<string, string>();
  for (const c of policy.checks) {
    const out = checks.get(c.id)!;
    results.set(c.id, out.result);
    if (out.result === 'passed') counts.passed++;
    else if (out.result === 'failed') counts.failed++;
    else counts.not_applicable++;
    ctx.add({ key: `${prefix}${c.id}`, attributes: checkAttributes(c.title, c.compliance, out) });
  }
  const evaluated = counts.passed + counts.failed;
  const summary: Attributes = {
    policy: policy.name,
    policy_file: file,
    policy_sha256: policy.sha256,
    ...counts,
    total: policy.checks.length,
    score: evaluated ? Math.round((counts.passed * 100) / evaluated) : 0,
    checksum: resultsChecksum(results),
    requirements: requirements ? (requirements.result === 'passed' ? 'met' : `not met${requirements.reason ? `: ${requirements.reason}` : ''}`) : 'none',
    evaluated_at: started,
    duration_ms: Date.now() - t0,
  };
  ctx.add({ key: summaryKey, attributes: summary });
}

/** Attributes of a summary that change with every evaluation and are not a change of state. */
const VOLATILE_SUMMARY = new Set(['evaluated_at', 'duration_ms']);

const BAD = new Set(['fail', 'failed', 'error']);
const SEVERITY: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, unknown: 4 };

function category(t: ComplianceTransition): number {
  if (t.new !== null && BAD.has(t.new)) return 0;
  if (t.new === null) return 4;
  if (t.old === null) return 3;
  if (BAD.has(t.old)) return 1;
  return 2;
}

/** Regressions first (any compliance source), then fixes, other changes, new and removed rules. */
export function sortTransitions(ts: ComplianceTransition[]): ComplianceTransition[] {
  return ts.sort(
    (a, b) =>
      category(a) - category(b) ||
      (SEVERITY[a.severity] ?? 9) - (SEVERITY[b.severity] ?? 9) ||
      a.profile.localeCompare(b.profile) ||
      a.rule.localeCompare(b.rule, 'en', { numeric: true }),
  );
}

const val = (c: ReportChange, name: string, side: 'old' | 'new') => {
  const v = c.attributes[name]?.[side];
  return v === undefined || v === null ? undefined : String(v);
};

function splitScaKey(key: string): { policy: string; check: string } | undefined {
  if (!key.startsWith(SCHEME)) return undefined;
  const rest = key.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return undefined;
  return { policy: rest.slice(0, slash), check: rest.slice(slash + 1) };
}

/**
 * The report hooks: re-baseline changed policies, drop volatile summary changes, add
 * transitions and the scan summaries. The policies' summary changes are known before the
 * check changes pass (ctx.pluginChanges: a policy's `_summary` key sorts after its checks).
 */
export function scaReportHooks(ctx: ReportHookContext): ReportHooks {
  const report = ctx.report;
  const rebaselined = new Map<string, { file: string; total: number; failed: number }>();
  const firstEvaluation = new Set<string>();
  for (const c of ctx.pluginChanges('sca')) {
    const k = splitScaKey(c.key);
    if (!k || k.check !== SUMMARY) continue;
    if (c.change === 'added') firstEvaluation.add(k.policy);
    const o = val(c, 'policy_sha256', 'old');
    const n = val(c, 'policy_sha256', 'new');
    if (c.change === 'changed' && o && n && o !== n) {
      rebaselined.set(k.policy, { file: '', total: 0, failed: 0 });
    }
  }
  const transitions: ComplianceTransition[] = [];
  let titles: Map<string, string> | undefined;
  const title = (key: string) => {
    if (!titles) {
      titles = new Map();
      for (const i of ctx.newItems('sca')) titles.set(i.key, String(i.attributes.title ?? ''));
    }
    return titles.get(key);
  };
  return {
    change(c) {
      if (c.plugin !== 'sca') return true;
      const k = splitScaKey(c.key);
      if (!k) return true;
      if (k.check === SUMMARY) {
        // A summary whose only difference is when it was evaluated did not change.
        return c.change !== 'changed' || Object.keys(c.attributes).some((a) => !VOLATILE_SUMMARY.has(a));
      }
      const rb = rebaselined.get(k.policy);
      if (rb) {
        rb.total++;
        if (val(c, 'result', 'new') === 'failed') rb.failed++;
        return false;
      }
      const oldR = val(c, 'result', 'old') ?? null;
      const newR = val(c, 'result', 'new') ?? null;
      if (oldR !== newR && !(oldR === null && firstEvaluation.has(k.policy) && newR !== 'failed')) {
        transitions.push({ profile: k.policy, rule: k.check, title: val(c, 'title', 'new') ?? val(c, 'title', 'old') ?? title(c.key) ?? '', severity: '', old: oldR, new: newR });
      }
      return true;
    },
    finish() {
      for (const i of ctx.newItems('sca')) {
        const k = splitScaKey(i.key);
        const rb = k && k.check === SUMMARY ? rebaselined.get(k.policy) : undefined;
        if (rb && typeof i.attributes.policy_file === 'string') rb.file = i.attributes.policy_file;
      }
      for (const [policy, rb] of rebaselined) {
        (report.notes ??= []).push(
          `sca: policy ${policy} changed${rb.file ? ` (${rb.file})` : ''}: results re-baselined (${rb.total} check result${rb.total === 1 ? '' : 's'} changed, ${rb.failed} now failed; see the policy's summary)`,
        );
      }
      if (transitions.length) report.compliance = sortTransitions([...(report.compliance ?? []), ...transitions]);
      const scans: NonNullable<typeof report.sca> = [];
      for (const i of ctx.newItems('sca')) {
        const k = splitScaKey(i.key);
        if (!k || k.check !== SUMMARY) continue;
        const a = i.attributes;
        scans.push({
          policy_id: k.policy,
          policy: String(a.policy ?? ''),
          passed: Number(a.passed ?? 0),
          failed: Number(a.failed ?? 0),
          not_applicable: Number(a.not_applicable ?? 0),
          total: Number(a.total ?? 0),
          score: Number(a.score ?? 0),
          checksum: String(a.checksum ?? ''),
          policy_sha256: String(a.policy_sha256 ?? ''),
          evaluated_at: String(a.evaluated_at ?? ''),
          rebaselined: rebaselined.has(k.policy),
        });
      }
      if (scans.length) report.sca = scans;
    },
  };
}

export const scaCollector: Collector = {
  name: 'sca',
  description: 'Security Configuration Assessment policies (Wazuh format) evaluated natively; check results tracked over time.',
  options: SCA_OPTIONS,
  items: SCA_ITEMS,
  report: { partial: true },
  init(options) {
    const o = scaOptions(options);
    if (!o.policies.length) throw new ConfigError('[sca] policies: name at least one policy file');
    if (!path.isAbsolute(o.root)) throw new ConfigError(`[sca] root must be an absolute path (got ${o.root})`);
    const ids = new Map<string, string>();
    for (const file of o.policies) {
      if (!path.isAbsolute(file)) throw new ConfigError(`[sca] policies: ${file} must be an absolute path or the name of a bundled policy`);
      let p: Policy;
      try {
        p = loadPolicy(file);
      } catch (err) {
        if (err instanceof PolicyError) throw new ConfigError(`[sca] policy ${err.message}`);
        throw new ConfigError(`[sca] policy ${file}: ${messageOf(err)}`);
      }
      const dup = ids.get(p.id);
      if (dup) throw new ConfigError(`[sca] policies ${dup} and ${file} have the same id ${p.id}`);
      ids.set(p.id, file);
    }
  },
  async collect(ctx, options) {
    const o = scaOptions(options);
    for (const file of o.policies) {
      try {
        await collectPolicy(ctx, file, o);
      } catch (err) {
        ctx.error(`${SCHEME}${path.basename(file)}`, `policy ${file}: ${messageOf(err)}`);
      }
    }
  },
  reportHooks: (ctx) => scaReportHooks(ctx),
};
