/**
 * The latest compliance results as the scans of a PatchMon compliance payload, in the shape the
 * PatchMon agent sends to `POST /api/v1/compliance/scans` (its `ComplianceScan`): one scan per
 * evaluated OpenSCAP profile and one for Docker Bench. Statuses and the score are mapped as the
 * agent maps them. Pure: stored items in, scans out.
 */
import type { StoredItem } from '../../types.js';
import { BENCH_SCHEME, BENCH_SUMMARY } from './docker-collect.js';

/** Result statuses PatchMon accepts. */
export const PATCHMON_STATUSES = ['pass', 'fail', 'warn', 'skip', 'notapplicable', 'error'] as const;
export type PatchmonStatus = (typeof PATCHMON_STATUSES)[number];
/** Severities PatchMon accepts (besides none). */
export const PATCHMON_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

/** One result (the agent's `ComplianceResult`). */
export interface PatchmonResult {
  rule_ref: string;
  title: string;
  status: PatchmonStatus;
  finding?: string;
  actual?: string;
  expected?: string;
  section?: string;
  description?: string;
  severity?: string;
  remediation?: string;
}

/** One scan (the agent's `ComplianceScan`). */
export interface PatchmonScan {
  profile_name: string;
  profile_type: 'openscap' | 'docker-bench';
  status: 'completed' | 'failed';
  score: number;
  total_rules: number;
  passed: number;
  failed: number;
  warnings: number;
  skipped: number;
  not_applicable: number;
  started_at: string;
  completed_at?: string;
  results: PatchmonResult[];
  error?: string;
}

const RULE_PREFIX = 'xccdf_org.ssgproject.content_rule_';
const PROFILE_PREFIX = 'xccdf_org.ssgproject.content_profile_';

/** XCCDF result → PatchMon status, as the agent's mapResult (error counts as fail there). */
const OSCAP_STATUS: Record<string, PatchmonStatus> = {
  pass: 'pass',
  fixed: 'pass',
  fail: 'fail',
  error: 'fail',
  informational: 'warn',
  notselected: 'skip',
  notchecked: 'skip',
  notapplicable: 'notapplicable',
};

/** Docker Bench's own status → PatchMon status, as the agent's mapStatus. */
const BENCH_STATUS: Record<string, PatchmonStatus> = { PASS: 'pass', WARN: 'warn', INFO: 'skip', NOTE: 'skip' };

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));
const severity = (v: unknown) => {
  const s = str(v).toLowerCase();
  return (PATCHMON_SEVERITIES as readonly string[]).includes(s) ? s : undefined;
};

/** Counts and score of a scan, as the agent computes them: passed / (total − not applicable − skipped) × 100. */
export function tally(results: PatchmonResult[]): Pick<PatchmonScan, 'score' | 'total_rules' | 'passed' | 'failed' | 'warnings' | 'skipped' | 'not_applicable'> {
  const n = { pass: 0, fail: 0, warn: 0, skip: 0, notapplicable: 0, error: 0 };
  for (const r of results) n[r.status]++;
  const applicable = results.length - n.notapplicable - n.skip;
  return {
    score: applicable > 0 ? Math.round((n.pass / applicable) * 10000) / 100 : 0,
    total_rules: results.length,
    passed: n.pass,
    failed: n.fail,
    warnings: n.warn,
    skipped: n.skip,
    not_applicable: n.notapplicable,
  };
}

export function withOptional(r: PatchmonResult, extra: Record<string, unknown>): PatchmonResult {
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== '') (r as unknown as Record<string, unknown>)[k] = v;
  return r;
}

/** The scans of the latest results among these items (scap:// and dockerbench://). */
export function patchmonScans(items: Iterable<StoredItem>): PatchmonScan[] {
  const profiles = new Map<string, { summary?: StoredItem; rules: StoredItem[] }>();
  const bench: PatchmonResult[] = [];
  let benchSummary: StoredItem | undefined;
  for (const item of items) {
    if (item.error) continue;
    if (item.key === BENCH_SUMMARY) {
      benchSummary = item;
      continue;
    }
    if (item.key.startsWith(BENCH_SCHEME)) {
      const a = item.attributes;
      bench.push(
        withOptional(
          { rule_ref: item.key.slice(BENCH_SCHEME.length), title: str(a.desc), status: BENCH_STATUS[str(a.status).toUpperCase()] ?? (str(a.result) === 'pass' ? 'pass' : str(a.result) === 'fail' ? 'warn' : 'skip') },
          { section: str(a.section), severity: severity(a.severity) },
        ),
      );
      continue;
    }
    if (!item.key.startsWith('scap://')) continue;
    const rest = item.key.slice('scap://'.length);
    const profile = rest.slice(0, rest.indexOf('/'));
    const rule = rest.slice(profile.length + 1);
    const p = profiles.get(profile) ?? profiles.set(profile, { rules: [] }).get(profile)!;
    if (rule === '_summary') p.summary = item;
    else p.rules.push(item);
  }
  const scans: PatchmonScan[] = [];
  for (const [profile, p] of [...profiles].sort(([a], [b]) => a.localeCompare(b))) {
    const s = p.summary?.attributes;
    const results = p.rules.map((r) => {
      const rule = r.key.slice(`scap://${profile}/`.length);
      return withOptional(
        { rule_ref: rule.startsWith('xccdf_') ? rule : `${RULE_PREFIX}${rule}`, title: str(r.attributes.title), status: OSCAP_STATUS[str(r.attributes.result)] ?? 'skip' },
        { finding: str(r.attributes.message), severity: severity(r.attributes.severity) },
      );
    });
    const profileId = str(s?.profile) || (profile.startsWith('xccdf_') ? profile : `${PROFILE_PREFIX}${profile}`);
    scans.push({
      profile_name: profileId,
      profile_type: 'openscap',
      status: 'completed',
      ...tally(results),
      started_at: str(s?.evaluated_at),
      ...(s?.completed_at ? { completed_at: str(s.completed_at) } : {}),
      results,
    });
  }
  if (bench.length) {
    const b = benchSummary?.attributes;
    scans.push({
      profile_name: 'Docker Bench for Security',
      profile_type: 'docker-bench',
      status: 'completed',
      ...tally(bench),
      started_at: str(b?.evaluated_at),
      results: bench,
    });
  }
  return scans;
}
