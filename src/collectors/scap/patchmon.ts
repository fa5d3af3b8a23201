/**
 * The latest compliance results as PatchMon `POST /api/v1/compliance/scans` payloads, one per
 * scanner run: each evaluated profile (from its `_summary` and rule items) and the Docker Bench
 * checks. Pure: items in, payloads out; statuses mapped as the PatchMon agent maps them.
 */
import type { StoredItem } from '../../types.js';
import { BENCH_SCHEME, BENCH_SUMMARY } from './docker-collect.js';
import { summarise } from './summary.js';

/** One result of a PatchMon scan payload. */
export interface PatchmonResult {
  rule_ref: string;
  title: string;
  severity: string;
  status: string;
  finding?: string;
  section?: string;
}

/** A PatchMon scan payload. */
export interface PatchmonScan {
  profile: { name: string; type: 'openscap' | 'docker-bench'; version: string };
  started_at: string | null;
  completed_at: string | null;
  status: 'completed';
  summary: { total_rules: number; passed: number; failed: number; warnings: number; skipped: number; score: number };
  results: PatchmonResult[];
}

const RULE_PREFIX = 'xccdf_org.ssgproject.content_rule_';
const OSCAP_STATUS: Record<string, string> = {
  pass: 'pass',
  fixed: 'pass',
  fail: 'fail',
  error: 'error',
  informational: 'warn',
  notapplicable: 'notapplicable',
  notchecked: 'skip',
  unknown: 'skip',
};
// Docker Bench WARN is a CIS failure.

/** The statuses of PatchMon results. */
const STATUSES = ['pass', 'fail', 'warn', 'error', 'skip', 'notapplicable'] as const;

function scanSummary(results: PatchmonResult[]): PatchmonScan['summary'] {
  const { counts, total, score } = summarise(results.map((r) => r.status), STATUSES as readonly string[]);
  return {
    total_rules: total,
    passed: counts.pass!,
    failed: counts.fail!,
    warnings: counts.warn!,
    skipped: counts.skip! + counts.notapplicable!,
    score,
  };
}

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

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
    if (item.key.startsWith(BENCH_SCHEME) && item.key !== BENCH_SUMMARY) {
      const a = item.attributes;
      bench.push({ rule_ref: item.key.slice(BENCH_SCHEME.length), title: str(a.desc), severity: str(a.severity), status: str(a.result) || 'skip', section: str(a.section) });
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
    const results = p.rules.map((r) => {
      const rule = r.key.slice(`scap://${profile}/`.length);
      const out: PatchmonResult = {
        rule_ref: rule.startsWith('xccdf_') ? rule : `${RULE_PREFIX}${rule}`,
        title: str(r.attributes.title),
        severity: str(r.attributes.severity),
        status: OSCAP_STATUS[str(r.attributes.result)] ?? 'skip',
      };
      if (r.attributes.message) out.finding = str(r.attributes.message);
      return out;
    });
    const s = p.summary?.attributes;
    scans.push({
      profile: { name: str(s?.profile) || profile, type: 'openscap', version: '' },
      started_at: s?.evaluated_at ? str(s.evaluated_at) : null,
      completed_at: s?.completed_at ? str(s.completed_at) : null,
      status: 'completed',
      summary: scanSummary(results),
      results,
    });
  }
  if (bench.length) {
    const b = benchSummary?.attributes;
    scans.push({
      profile: { name: 'CIS Docker', type: 'docker-bench', version: str(b?.version) },
      started_at: b?.evaluated_at ? str(b.evaluated_at) : null,
      completed_at: null,
      status: 'completed',
      summary: scanSummary(bench),
      results: bench,
    });
  }
  return scans;
}
