/**
 * SCA policy results as PatchMon scans. PatchMon's scan route stores any `profile_type`, but
 * its host page and dashboard only show and count `openscap` and `docker-bench` scans (the
 * host's compliance tab, host status by scan type, scan age). An SCA policy is a host
 * configuration benchmark like an OpenSCAP profile, with pass/fail/not-applicable checks, so
 * each evaluated policy is sent as an `openscap`-type scan named by its policy id
 * (`syschangemon_debian12`): PatchMon shows it beside the OpenSCAP profiles of the host, and a
 * `compliance_trigger` naming that id runs the policy. A policy whose requirements this host
 * does not meet (it is for another system) is not sent. SCA checks carry no severity; their
 * CIS reference goes in `section`. Pure: stored items in, scans out.
 */
import type { StoredItem } from '../../types.js';
import { tally, withOptional, type PatchmonResult, type PatchmonScan, type PatchmonStatus } from '../scap/patchmon.js';

const SCHEME = 'sca://';
const SUMMARY = '_summary';

const SCA_STATUS: Record<string, PatchmonStatus> = { passed: 'pass', failed: 'fail', 'not applicable': 'notapplicable' };

const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** `cis: 5.1.20; pci_dss: 2.2.4` → `5.1.20` (the CIS section the result belongs to). */
export function cisSection(compliance: string): string | undefined {
  const m = /(?:^|;)\s*cis:\s*([^;,]+)/i.exec(compliance);
  return m ? m[1]!.trim() : undefined;
}

/** One scan per evaluated SCA policy among these items (sca://). */
export function scaPatchmonScans(items: Iterable<StoredItem>): PatchmonScan[] {
  const policies = new Map<string, { summary?: StoredItem; checks: StoredItem[] }>();
  for (const item of items) {
    if (item.error || !item.key.startsWith(SCHEME)) continue;
    const rest = item.key.slice(SCHEME.length);
    const slash = rest.indexOf('/');
    if (slash < 0) continue;
    const policy = rest.slice(0, slash);
    const check = rest.slice(slash + 1);
    const p = policies.get(policy) ?? policies.set(policy, { checks: [] }).get(policy)!;
    if (check === SUMMARY) p.summary = item;
    else p.checks.push(item);
  }
  const scans: PatchmonScan[] = [];
  for (const [policy, p] of [...policies].sort(([a], [b]) => a.localeCompare(b))) {
    const s = p.summary?.attributes;
    if (!s || str(s.requirements).startsWith('not met')) continue;
    const results: PatchmonResult[] = p.checks
      .map((c) => {
        const a = c.attributes;
        const status = SCA_STATUS[str(a.result)] ?? 'skip';
        return withOptional(
          { rule_ref: c.key.slice(`${SCHEME}${policy}/`.length), title: str(a.title), status },
          {
            finding: str(a.evidence) || str(a.reason),
            expected: status === 'fail' ? str(a.rule) : undefined,
            section: cisSection(str(a.compliance)),
          },
        );
      })
      .sort((a, b) => a.rule_ref.localeCompare(b.rule_ref, 'en', { numeric: true }));
    const started = str(s.evaluated_at);
    const ms = typeof s.duration_ms === 'number' ? s.duration_ms : undefined;
    const completed = started && ms !== undefined && !Number.isNaN(Date.parse(started)) ? new Date(Date.parse(started) + ms).toISOString() : undefined;
    scans.push({
      profile_name: policy,
      profile_type: 'openscap',
      status: 'completed',
      ...tally(results),
      started_at: started,
      ...(completed ? { completed_at: completed } : {}),
      results,
    });
  }
  return scans;
}
